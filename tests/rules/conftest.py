"""Fixtures for the rules tests."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _register_helpers() -> None:
    """Make the helper modules next to this file importable under --import-mode=importlib."""
    for name in ("rules_helpers", "rule_strategies"):
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


_register_helpers()

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_conn() -> Iterator[Any]:
    """A psycopg connection to the test server; skipped if unreachable unless CI=true."""
    import psycopg

    try:
        conn = psycopg.connect(PG_URL, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL at {PG_URL} is not reachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    yield conn
    conn.close()
