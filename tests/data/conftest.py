"""Shared fixtures of the data tests: the bundled counties and one small demo, loaded once."""

from __future__ import annotations

import pytest

from terraplan.data.counties import load_counties
from terraplan.data.demo import DemoDataset, generate_demo
from terraplan.domain import GeoUnit

SMALL_DEMO_ACCOUNTS = 2_000


@pytest.fixture(scope="session")
def counties_with_polygons() -> list[GeoUnit]:
    return load_counties(with_polygons=True)


@pytest.fixture(scope="session")
def small_demo() -> DemoDataset:
    return generate_demo(seed=7, n_accounts=SMALL_DEMO_ACCOUNTS, with_polygons=False)
