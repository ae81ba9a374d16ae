"""The built-in demo: real US counties and ZIPs with a seeded, realistic CRM on top.

``generate_demo(seed)`` gives the same objects for the same seed (only a
``numpy.random.Generator`` draws). Geography and demographics are real (Census TIGER 2009
county polygons, ACS 2022 ZIP population, households and income); companies, people and
sales are generated.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date

import numpy as np

from terraplan.data.counties import load_counties
from terraplan.data.demo_accounts import build_accounts, build_leads, convert_leads
from terraplan.data.demo_people import Region, build_team
from terraplan.data.demo_sales import build_opportunities, build_sales_lines
from terraplan.data.demo_zips import load_zip_arrays
from terraplan.domain import Account, GeoUnit, Lead, Opportunity, Rep, SalesLine
from terraplan.errors import InvalidParameterError

logger = logging.getLogger(__name__)

#: The demo's "today": sales history and opportunities end here.
AS_OF = date(2026, 10, 31)
#: First day of the three years of sales history.
HISTORY_START = date(2023, 11, 1)
#: Leads per 10 accounts (2,000 for the default 20,000 accounts).
LEADS_PER_ACCOUNT = 0.1

__all__ = ["AS_OF", "HISTORY_START", "DemoDataset", "Region", "generate_demo"]


@dataclass(frozen=True)
class DemoDataset:
    """Everything the demo loads: tuples of domain objects plus regions and the as-of date.

    ``reps`` holds managers (role manager, ids ``MGR-..``) and account executives
    (``REP-...``); every account's ``owner_id`` is an account executive (the current
    alignment). ``regions`` name the states of each region and its managers.
    """

    seed: int
    as_of: date
    history_start: date
    regions: tuple[Region, ...]
    geo_units: tuple[GeoUnit, ...]
    reps: tuple[Rep, ...]
    accounts: tuple[Account, ...]
    leads: tuple[Lead, ...]
    sales_lines: tuple[SalesLine, ...]
    opportunities: tuple[Opportunity, ...]


def generate_demo(
    seed: int = 2026, n_accounts: int = 20_000, *, with_polygons: bool = True
) -> DemoDataset:
    """Generate the demo data set.

    Args:
        seed: seed of the ``numpy.random.Generator``; same seed, same objects.
        n_accounts: number of accounts (at least 100); leads, sales lines (~12.5 per account)
            and opportunities (~1.5 per account) scale with it.
        with_polygons: attach the simplified county polygons to the geo units.

    Returns:
        A :class:`DemoDataset` as of 2026-10-31 with three years of history.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidParameterError(
            f"seed must be a non-negative integer, got {seed!r}",
            details={"parameter": "seed", "value": repr(seed)},
        )
    if isinstance(n_accounts, bool) or not isinstance(n_accounts, int) or n_accounts < 100:
        raise InvalidParameterError(
            f"n_accounts must be an integer >= 100, got {n_accounts!r}",
            details={"parameter": "n_accounts", "value": repr(n_accounts)},
        )
    started = time.perf_counter()
    rng = np.random.default_rng(int(seed))
    # independent streams, so that changing one part keeps the others stable
    team_rng, account_rng, lead_rng, sales_rng, opportunity_rng, conversion_rng = rng.spawn(6)
    geo_units = load_counties(with_polygons=with_polygons)
    zips = load_zip_arrays()
    regions, reps = build_team(team_rng, zips, AS_OF)
    accounts = build_accounts(account_rng, zips, reps, n_accounts)
    leads = build_leads(lead_rng, zips, max(1, round(n_accounts * LEADS_PER_ACCOUNT)), AS_OF)
    sales_lines = build_sales_lines(sales_rng, accounts, HISTORY_START, AS_OF)
    opportunities = build_opportunities(opportunity_rng, accounts, HISTORY_START, AS_OF)
    leads = convert_leads(conversion_rng, leads, opportunities)
    logger.info(
        "demo generated in %.1f s: %d accounts, %d sales lines, %d opportunities",
        time.perf_counter() - started,
        len(accounts),
        len(sales_lines),
        len(opportunities),
    )
    return DemoDataset(
        seed=int(seed),
        as_of=AS_OF,
        history_start=HISTORY_START,
        regions=tuple(regions),
        geo_units=tuple(geo_units),
        reps=tuple(reps),
        accounts=tuple(accounts),
        leads=tuple(leads),
        sales_lines=tuple(sales_lines),
        opportunities=tuple(opportunities),
    )
