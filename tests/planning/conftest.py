"""Fixtures of the KPI query tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def pg(kpi_pg: Any) -> Any:
    """The PostgreSQL connection the compiled KPI query runs on (``kpi_pg``: JIT off)."""
    return kpi_pg
