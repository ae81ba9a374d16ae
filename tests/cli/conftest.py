from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run the real ``terraplan`` command in a subprocess against a SQLite file in tmp_path."""

    def run(
        *args: str, database_url: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "TERRAPLAN_DATABASE_URL": database_url or f"sqlite:///{tmp_path}/cli.db",
            "COLUMNS": "200",
            "PYTHONWARNINGS": "ignore",
        }
        return subprocess.run(
            [sys.executable, "-m", "terraplan", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd or tmp_path,
            timeout=300,
            check=False,
        )

    return run
