"""The generated demo: determinism, counts, real ZIPs, referential integrity, dates."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from terraplan.data.demo import AS_OF, HISTORY_START, DemoDataset, generate_demo
from terraplan.domain import RepRole
from terraplan.errors import InvalidParameterError
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.zip_units import LOWER_48_AND_DC

#: Size of the ``small_demo`` fixture (tests/data/conftest.py).
SMALL_DEMO_ACCOUNTS = 2_000


@pytest.fixture(scope="module")
def zips() -> ZipDirectory:
    return ZipDirectory()


def test_same_seed_same_objects(small_demo: DemoDataset) -> None:
    again = generate_demo(seed=7, n_accounts=SMALL_DEMO_ACCOUNTS, with_polygons=False)
    assert again == small_demo


def test_other_seed_other_objects(small_demo: DemoDataset) -> None:
    other = generate_demo(seed=8, n_accounts=SMALL_DEMO_ACCOUNTS, with_polygons=False)
    assert len(other.accounts) == len(small_demo.accounts)
    assert other.accounts != small_demo.accounts
    assert other.sales_lines != small_demo.sales_lines
    assert other.geo_units == small_demo.geo_units  # the geography is real, not drawn


def test_counts(small_demo: DemoDataset) -> None:
    demo = small_demo
    assert demo.as_of == AS_OF == date(2026, 10, 31)
    assert len(demo.geo_units) > 3_100
    assert len(demo.accounts) == SMALL_DEMO_ACCOUNTS
    assert len(demo.leads) == SMALL_DEMO_ACCOUNTS // 10
    roles = Counter(r.role for r in demo.reps)
    assert roles == {RepRole.ACCOUNT_EXECUTIVE: 40, RepRole.MANAGER: 5}
    assert 8 * SMALL_DEMO_ACCOUNTS < len(demo.sales_lines) < 18 * SMALL_DEMO_ACCOUNTS
    assert 1.0 * SMALL_DEMO_ACCOUNTS < len(demo.opportunities) < 2.2 * SMALL_DEMO_ACCOUNTS
    for kind in ("accounts", "leads", "reps", "sales_lines", "opportunities"):
        ids = [o.id for o in getattr(demo, kind)]
        assert len(set(ids)) == len(ids), kind


def test_regions_cover_the_lower_48_once(small_demo: DemoDataset) -> None:
    assert [r.name for r in small_demo.regions] == ["West", "Central", "East"]
    states = [s for r in small_demo.regions for s in r.states]
    assert len(states) == len(set(states))
    assert set(states) == set(LOWER_48_AND_DC)
    managers = {r.id for r in small_demo.reps if r.role is RepRole.MANAGER}
    assert {m for r in small_demo.regions for m in r.manager_ids} == managers
    assert sum(r.n_reps for r in small_demo.regions) == 40


def test_accounts_sit_at_real_zips(small_demo: DemoDataset, zips: ZipDirectory) -> None:
    county_ids = {u.id for u in small_demo.geo_units}
    for account in small_demo.accounts:
        location = zips.lookup(account.postal_code)
        assert location is not None, account.postal_code
        assert account.state == location.state and account.state in LOWER_48_AND_DC
        assert (account.latitude, account.longitude) == (location.latitude, location.longitude)
        assert account.city == location.city
        assert account.county_fips in county_ids
        assert account.country == "US"
    for lead in small_demo.leads:
        assert lead.postal_code in zips


def test_account_fields_plausible(small_demo: DemoDataset) -> None:
    accounts = small_demo.accounts
    segments = Counter(a.segment for a in accounts)
    assert set(segments) == {"SMB", "Mid-Market", "Enterprise"}
    assert segments["SMB"] > segments["Mid-Market"] > segments["Enterprise"] > 0
    for account in accounts:
        employees = account.employees or 0
        expected = "SMB" if employees < 100 else "Mid-Market" if employees < 1000 else "Enterprise"
        assert account.segment == expected
        assert (account.potential or 0) > 0 and (account.workload or 0) > 0
    types = Counter(a.customer_type for a in accounts)
    assert {"Customer - Direct", "Prospect"} <= set(types)
    assert len({a.industry for a in accounts}) >= 10
    # bigger companies have more potential on average
    mean = {
        s: sum(a.potential or 0 for a in accounts if a.segment == s) / segments[s] for s in segments
    }
    assert mean["SMB"] < mean["Mid-Market"] < mean["Enterprise"]


def test_referential_integrity(small_demo: DemoDataset) -> None:
    demo = small_demo
    sellers = {r.id for r in demo.reps if r.role is RepRole.ACCOUNT_EXECUTIVE}
    managers = {r.id for r in demo.reps if r.role is RepRole.MANAGER}
    accounts = {a.id: a for a in demo.accounts}
    assert all(a.owner_id in sellers for a in demo.accounts)
    assert len({a.owner_id for a in demo.accounts}) == 40
    for rep in demo.reps:
        if rep.role is RepRole.ACCOUNT_EXECUTIVE:
            assert rep.manager_id in managers
    parents = [a for a in demo.accounts if a.parent_id is not None]
    assert parents
    for child in parents:
        assert accounts[child.parent_id or ""].segment == "Enterprise"
    for line in demo.sales_lines:
        assert accounts[line.account_id].customer_type in (
            "Customer - Direct",
            "Customer - Channel",
        )
    for opportunity in demo.opportunities:
        assert opportunity.account_id in accounts
        assert opportunity.owner_id == accounts[opportunity.account_id].owner_id


def test_owners_work_in_the_account_region(small_demo: DemoDataset) -> None:
    region_of = {s: r.name for r in small_demo.regions for s in r.states}
    reps = {r.id: r for r in small_demo.reps}
    same_region = sum(
        reps[a.owner_id or ""].region == region_of[a.state or ""] for a in small_demo.accounts
    )
    assert same_region == len(small_demo.accounts)


def test_reps(small_demo: DemoDataset, zips: ZipDirectory) -> None:
    region_states = {r.name: set(r.states) for r in small_demo.regions}
    emails = [r.email for r in small_demo.reps]
    assert len(set(emails)) == len(emails)
    recent = 0
    for rep in small_demo.reps:
        location = zips.lookup(rep.home_postal_code)
        assert location is not None and location.state in region_states[rep.region or ""]
        assert rep.hire_date is not None and rep.hire_date <= AS_OF
        assert (rep.capacity_hours or 0) > 0
        recent += rep.hire_date > AS_OF - timedelta(days=365)
        if rep.role is RepRole.ACCOUNT_EXECUTIVE:
            assert rep.skills_industries and rep.skills_segments and rep.skills_products
    assert recent >= 3


def test_sales_lines_in_window_with_seasonality(small_demo: DemoDataset) -> None:
    lines = small_demo.sales_lines
    assert all(HISTORY_START <= line.date <= AS_OF for line in lines)
    assert [line.date for line in lines] == sorted(line.date for line in lines)
    returns = [line for line in lines if line.amount < 0]
    assert 0 < len(returns) < 0.05 * len(lines)
    assert all((line.quantity or 0) < 0 for line in returns)
    by_quarter: Counter[tuple[int, int]] = Counter()
    for line in lines:
        by_quarter[line.date.year, (line.date.month - 1) // 3] += line.amount
    for year in (2024, 2025):
        assert by_quarter[year, 3] > 1.1 * by_quarter[year, 2]  # Q4 peak
    assert sum(v for (y, _), v in by_quarter.items() if y == 2025) > sum(
        v for (y, _), v in by_quarter.items() if y == 2024
    )


def test_opportunities(small_demo: DemoDataset) -> None:
    stages = Counter(o.stage for o in small_demo.opportunities)
    assert {"Closed Won", "Closed Lost", "Prospecting", "Negotiation"} <= set(stages)
    for opportunity in small_demo.opportunities:
        assert HISTORY_START <= opportunity.created_date <= AS_OF
        assert opportunity.close_date is not None
        assert opportunity.is_closed == (opportunity.close_date <= AS_OF)
        assert opportunity.is_closed == opportunity.stage.startswith("Closed")
        assert opportunity.is_won == (opportunity.stage == "Closed Won")
        assert opportunity.amount > 0


def test_leads_are_recent(small_demo: DemoDataset) -> None:
    for lead in small_demo.leads:
        created = lead.created_date
        assert created is not None
        assert AS_OF - timedelta(days=90) <= created <= AS_OF
        assert lead.email and "@" in lead.email
        assert lead.source


def test_converted_leads_name_an_opportunity_created_after_them(small_demo: DemoDataset) -> None:
    opportunities = {o.id: o for o in small_demo.opportunities}
    converted = [lead for lead in small_demo.leads if lead.converted_opportunity_id]
    assert 0.05 * len(small_demo.leads) < len(converted) < 0.35 * len(small_demo.leads)
    for lead in converted:
        opportunity = opportunities[lead.converted_opportunity_id or ""]
        assert lead.created_date is not None
        assert (
            lead.created_date <= opportunity.created_date <= lead.created_date + timedelta(days=60)
        )
        assert lead.attributes["status"] == "Converted"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"seed": -1}, "seed"), ({"n_accounts": 10}, "n_accounts"), ({"seed": 1.5}, "seed")],
)
def test_bad_parameters(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        generate_demo(**kwargs)  # type: ignore[arg-type]
    assert info.value.details["parameter"] == parameter


@pytest.mark.slow
def test_default_size() -> None:
    demo = generate_demo()
    assert len(demo.accounts) == 20_000
    assert len(demo.leads) == 2_000
    assert 200_000 < len(demo.sales_lines) < 300_000
    assert 25_000 < len(demo.opportunities) < 36_000
    assert all(u.polygon is not None for u in demo.geo_units)
    workload = sum(a.workload or 0 for a in demo.accounts)
    executives = [r for r in demo.reps if r.role is RepRole.ACCOUNT_EXECUTIVE]
    # The workload is what the team it ships can carry in hours: 40 AEs at 1,600 h x 80 %
    # utilisation (36..42 reps by hours, not 57); their 450-account limit is what sets
    # ``terraplan capacity``'s answer, 45.
    assert len(executives) == 40
    assert 36 * 1280 < workload <= 42 * 1280
    per_rep: Counter[str] = Counter()
    for account in demo.accounts:
        per_rep[account.owner_id or ""] += account.workload or 0
    assert len(per_rep) == 40
    # the current alignment is uneven, as real ones are, but not absurdly so
    assert 1.3 < max(per_rep.values()) / min(per_rep.values()) < 6
