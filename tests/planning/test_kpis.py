"""KPIs checked against a small hand-computed data set (as of 2026-03-15)."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pyarrow as pa
import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Lead,
    Opportunity,
    Plan,
    RecordKind,
    SalesLine,
    Target,
    Territory,
    TerritoryOwner,
)
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_registry import KPI_NAMES, KPIS
from terraplan.planning.kpis import KEY_COLUMNS, compute_kpis

AS_OF = date(2026, 3, 15)
Q1_YEARS = (2 + 15 / 31) / 12  # Jan, Feb and 15 of 31 March days


def small_inputs(
    lead_territories: dict[str, str] | None = None, targets: list[Target] | None = None
) -> KpiInputs:
    plan = Plan(
        id="p",
        name="P",
        territories=(
            Territory("R1", "Region 1", level="region"),
            Territory("T1", "T1", parent_id="R1", owners=(TerritoryOwner("rep1"),)),
            Territory("T2", "T2", parent_id="R1", owners=(TerritoryOwner("rep2"),)),
            Territory("T3", "T3", parent_id="R1", owners=(TerritoryOwner("rep2"),)),
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.ACCOUNT, a, t)
            for a, t in [("A1", "T1"), ("A2", "T1"), ("A3", "T2"), ("A4", "T3")]
        ),
    )
    accounts = [
        Account("A1", "a1", potential=1200, segment="smb", industry="x"),
        Account("A2", "a2", potential=0, segment="ent", industry="x"),
        Account("A3", "a3", potential=2400, segment="smb", industry="y"),
        Account("A4", "a4", segment="smb", industry="y"),
    ]
    sales = [
        SalesLine("s1", "A1", date(2025, 1, 10), 100),
        SalesLine("s2", "A1", date(2026, 1, 5), 150),
        SalesLine("s3", "A1", date(2026, 2, 20), -30),  # a return
        SalesLine("s4", "A3", date(2026, 3, 1), 500),
        SalesLine("s5", "A2", date(2025, 3, 20), 40),  # after 2025-03-15: not in prior YTD
        SalesLine("s6", "A1", date(2026, 4, 1), 999),  # after the as-of date: ignored
    ]
    opps = [
        Opportunity(
            "o1", "A1", date(2026, 1, 1), 1000, "won", close_date=date(2026, 2, 10),
            is_closed=True, is_won=True,
        ),
        Opportunity(
            "o2", "A1", date(2026, 1, 15), 500, "lost", close_date=date(2026, 3, 10),
            is_closed=True,
        ),
        Opportunity("o3", "A3", date(2026, 2, 1), 700, "open"),
        Opportunity(
            "o4", "A3", date(2026, 3, 1), 300, "won", close_date=date(2026, 3, 20),
            is_closed=True, is_won=True,
        ),  # closes after the as-of date: still open then
    ]  # fmt: skip
    targets = targets or [
        Target("t1", date(2026, 1, 1), date(2026, 3, 31), 900, territory_id="T1"),
        Target("t2", date(2026, 1, 1), date(2026, 12, 31), 1200, rep_id="rep2"),
    ]
    leads = [Lead(f"L{i}", f"c{i}") for i in range(1, 5)]
    return KpiInputs.from_domain(
        sales_lines=sales,
        opportunities=opps,
        targets=targets,
        accounts=accounts,
        plan=plan,
        leads=leads,
        lead_created={
            "L1": date(2026, 1, 2),
            "L2": date(2026, 2, 1),
            "L3": date(2026, 2, 15),
            "L4": date(2026, 3, 1),
        },
        lead_conversions={"L1": "o1", "L2": "o3", "L4": "o4"},
        # where the plan's rules route each lead (L1 and L4 became opportunities there too)
        lead_territories=(
            {"L1": "T1", "L2": "T2", "L3": "T1", "L4": "T2"}
            if lead_territories is None
            else lead_territories
        ),
        costs=[("T1", date(2026, 1, 1), date(2026, 3, 31), 90.0)],
    )


@pytest.fixture(scope="module")
def kpis() -> pl.DataFrame:
    return compute_kpis(
        small_inputs(), as_of=AS_OF, periods=["2026Q1", "2026-02", "YTD", "2025", "2025-06"]
    )


def row(frame: pl.DataFrame, dimension: str, key: str, period: str) -> dict[str, object]:
    found = frame.filter(
        (pl.col("dimension") == dimension) & (pl.col("key") == key) & (pl.col("period") == period)
    )
    assert found.height == 1
    return found.row(0, named=True)


def test_columns_follow_the_registry(kpis: pl.DataFrame) -> None:
    assert kpis.columns == [*KEY_COLUMNS, *KPI_NAMES]
    assert len(set(KPI_NAMES)) == len(KPIS)
    for kpi in KPIS:
        assert kpi.definition and kpi.unit and kpi.label
        assert kpi.higher_is_better in (True, False, None)


def test_no_nan_or_infinity(kpis: pl.DataFrame) -> None:
    for name in KPI_NAMES:
        values = kpis[name].drop_nulls().to_list()
        assert all(math.isfinite(v) for v in values), name


def test_territory_with_target(kpis: pl.DataFrame) -> None:
    r = row(kpis, "territory", "T1", "2026Q1")
    assert r["revenue"] == pytest.approx(120.0)
    assert r["revenue_prior_year"] == pytest.approx(100.0)  # 2025-03-20 line is after 03-15
    assert r["revenue_growth"] == pytest.approx(0.2)
    assert r["target"] == pytest.approx(900.0)
    assert r["attainment"] == pytest.approx(120 / 900)
    assert r["elapsed_share"] == pytest.approx(74 / 90)
    assert r["pace_to_target"] == pytest.approx((120 / 900) / (74 / 90))
    assert r["open_pipeline"] == pytest.approx(0.0)
    assert r["pipeline_coverage"] == pytest.approx(0.0)
    assert r["win_rate"] == pytest.approx(0.5)
    assert r["average_deal_size"] == pytest.approx(1000.0)
    assert r["sales_cycle_days"] == pytest.approx(40.0)
    assert r["lead_conversion_rate"] == pytest.approx(0.5)
    assert r["lead_win_rate"] == pytest.approx(0.5)
    assert r["new_customers"] == 0
    assert r["acquisition_cost"] == pytest.approx(74.0)
    assert r["customer_acquisition_cost"] is None
    assert r["account_count"] == 2
    assert r["revenue_per_account"] == pytest.approx(60.0)
    assert r["potential"] == pytest.approx(1200 * Q1_YEARS)
    assert r["penetration"] == pytest.approx(120 / (1200 * Q1_YEARS))
    assert r["whitespace"] == pytest.approx(1200 * Q1_YEARS - 120)
    assert r["inactive_accounts"] == 1  # A2 last bought in March 2025


def test_territory_without_target_and_open_pipeline(kpis: pl.DataFrame) -> None:
    r = row(kpis, "territory", "T2", "2026Q1")
    assert r["revenue"] == pytest.approx(500.0)
    assert r["revenue_growth"] is None  # nothing last year
    assert r["target"] is None
    assert r["attainment"] is None
    assert r["pace_to_target"] is None
    assert r["pipeline_coverage"] is None
    assert r["open_pipeline"] == pytest.approx(1000.0)  # o4 closes after the as-of date
    assert r["win_rate"] is None
    assert r["new_customers"] == 1
    assert r["lead_conversion_rate"] == pytest.approx(1.0)
    assert r["lead_win_rate"] == pytest.approx(0.0)
    assert r["acquisition_cost"] is None
    assert r["customer_acquisition_cost"] is None
    assert r["penetration"] == pytest.approx(500 / (2400 * Q1_YEARS))
    assert r["whitespace"] == pytest.approx(0.0)
    assert r["inactive_accounts"] == 0


def test_no_potential_and_empty_territory(kpis: pl.DataFrame) -> None:
    # T3's only account (A4) has no potential: unknown, not 0 ("nothing left to sell")
    r = row(kpis, "territory", "T3", "2026Q1")
    assert r["revenue"] == 0.0
    assert r["potential"] is None
    assert r["penetration"] is None
    assert r["whitespace"] is None
    assert r["revenue_per_account"] == 0.0
    assert r["inactive_accounts"] == 1


def test_empty_period(kpis: pl.DataFrame) -> None:
    r = row(kpis, "territory", "T2", "2025-06")
    assert r["revenue"] == 0.0
    assert r["elapsed_share"] == 1.0
    for name in ("revenue_growth", "attainment", "win_rate", "average_deal_size"):
        assert r[name] is None, name
    assert r["penetration"] == 0.0  # potential exists, nothing bought


def test_month_with_a_return(kpis: pl.DataFrame) -> None:
    r = row(kpis, "territory", "T1", "2026-02")
    assert r["revenue"] == pytest.approx(-30.0)
    assert r["target"] == pytest.approx(900 * 28 / 90)
    assert r["attainment"] == pytest.approx(-30 / 280)
    assert r["open_pipeline"] == pytest.approx(500.0)  # o2 still open at the end of February
    assert r["pipeline_coverage"] == pytest.approx(500 / 310)
    assert r["penetration"] == pytest.approx(-0.3)
    assert r["whitespace"] == pytest.approx(130.0)


def test_ytd_and_year(kpis: pl.DataFrame) -> None:
    ytd = row(kpis, "territory", "T1", "YTD")
    assert ytd["period_end"] == AS_OF
    assert ytd["target"] == pytest.approx(740.0)
    assert ytd["attainment"] == pytest.approx(120 / 740)
    assert ytd["pace_to_target"] == pytest.approx(120 / 740)
    # last year's YTD stops on 2025-03-15: s1 (100), not s5 of 2025-03-20
    assert ytd["revenue_prior_year"] == pytest.approx(100.0)
    year = row(kpis, "territory", "T1", "2025")
    assert year["revenue"] == pytest.approx(140.0)
    assert year["new_customers"] == 2
    assert year["potential"] == pytest.approx(1200.0)


def test_region_rep_segment_rollups(kpis: pl.DataFrame) -> None:
    region = row(kpis, "region", "R1", "2026Q1")
    assert region["revenue"] == pytest.approx(620.0)
    assert region["target"] == pytest.approx(900.0)  # rolled up from T1
    assert region["account_count"] == 4
    rep2 = row(kpis, "rep", "rep2", "2026Q1")
    assert rep2["revenue"] == pytest.approx(500.0)
    assert rep2["target"] == pytest.approx(1200 * 90 / 365)  # set on the rep directly
    rep1 = row(kpis, "rep", "rep1", "2026Q1")
    assert rep1["target"] == pytest.approx(900.0)
    smb = row(kpis, "segment", "smb", "2026Q1")
    assert smb["revenue"] == pytest.approx(620.0)
    assert smb["target"] is None
    assert smb["acquisition_cost"] is None
    industry = row(kpis, "industry", "y", "2026Q1")
    assert industry["account_count"] == 2


def test_every_group_in_every_period(kpis: pl.DataFrame) -> None:
    counts = kpis.group_by("dimension", "key").len()
    assert counts["len"].unique().to_list() == [5]
    assert set(kpis.filter(pl.col("dimension") == "territory")["key"]) == {"T1", "T2", "T3"}


def test_default_periods_and_arrow_input() -> None:
    inputs = small_inputs()
    arrow = KpiInputs(
        sales_lines=inputs.sales_lines.to_arrow(),
        opportunities=inputs.opportunities.to_arrow(),
        accounts=inputs.accounts.to_arrow(),
        alignment=inputs.alignment.to_arrow(),
    )
    result = compute_kpis(arrow, as_of=AS_OF, dimensions=["territory"])
    periods = set(result["period"])
    assert {"2025-01", "2026-03", "2025Q1", "2026Q1", "2025", "2026", "YTD"} <= periods
    assert "2026-04" not in periods
    t1 = row(result, "territory", "T1", "YTD")
    assert t1["revenue"] == pytest.approx(120.0)
    assert t1["target"] is None


def test_default_as_of_is_latest_date() -> None:
    result = compute_kpis(small_inputs(), periods=["2026-04"], dimensions=["territory"])
    assert row(result, "territory", "T1", "2026-04")["revenue"] == pytest.approx(999.0)


def test_bad_inputs_raise_our_errors() -> None:
    inputs = small_inputs()
    with pytest.raises(DataError) as info:
        compute_kpis(KpiInputs(sales_lines=inputs.sales_lines.drop("amount")), as_of=AS_OF)
    assert info.value.details["field"] == "amount"
    with pytest.raises(DataError):
        compute_kpis(KpiInputs(sales_lines=[1, 2, 3]), as_of=AS_OF)
    with pytest.raises(InvalidParameterError):
        compute_kpis(inputs, as_of=AS_OF, dimensions=["galaxy"])
    with pytest.raises(InvalidParameterError):
        compute_kpis(inputs, as_of=AS_OF, inactive_months=0)
    with pytest.raises(InvalidParameterError):
        compute_kpis(inputs, as_of=AS_OF, periods=["2026Q5"])
    empty = KpiInputs(sales_lines=pa.table({"account_id": [], "date": [], "amount": []}))
    with pytest.raises(InvalidParameterError):
        compute_kpis(empty)


def test_inactive_accounts_over_time() -> None:
    result = compute_kpis(
        small_inputs(),
        as_of=AS_OF,
        periods=["2025-06", "2025-07", "2025-09", "2026-01"],
        dimensions=["territory"],
        inactive_months=6,
    )
    # A1 bought 2025-01 and 2026-01 (plus opportunities in 2026-01); A2 bought 2025-03
    got = [
        row(result, "territory", "T1", p)["inactive_accounts"]
        for p in ("2025-06", "2025-07", "2025-09", "2026-01")
    ]
    assert got == [0, 1, 2, 1]


def test_blocked_dense_arrays_agree(monkeypatch: pytest.MonkeyPatch, kpis: pl.DataFrame) -> None:
    from terraplan.planning import kpi_facts

    monkeypatch.setattr(kpi_facts, "_DENSE_LIMIT", 3)  # one account per block
    blocked = compute_kpis(
        small_inputs(), as_of=AS_OF, periods=["2026Q1", "2026-02", "YTD", "2025", "2025-06"]
    )
    assert blocked.equals(kpis)


def test_accounts_without_a_segment_or_industry_are_a_group_of_their_own() -> None:
    """An account with no industry is reported as ``(no industry)``, not left out: the groups
    of a dimension add up to the territories' total."""
    accounts = pl.DataFrame(
        {
            "id": ["A1", "A2", "A3"],
            "segment": ["smb", None, "ent"],
            "industry": ["Energy", "Retail", None],
        }
    )
    sales = pl.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A3"],
            "date": [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)],
            "amount": [400.0, 500.0, 600.0, 100.0],
        }
    )
    alignment = pl.DataFrame({"account_id": ["A1", "A2", "A3"], "territory_id": ["T1"] * 3})
    inputs = KpiInputs(sales_lines=sales, accounts=accounts, alignment=alignment)
    kpis = compute_kpis(
        inputs, as_of=date(2025, 12, 31), periods=["2025"], dimensions=("segment", "industry")
    )
    for dimension, missing, alone in (
        ("industry", "(no industry)", 700.0),
        ("segment", "(no segment)", 500.0),
    ):
        rows = kpis.filter(pl.col("dimension") == dimension)
        assert rows["revenue"].sum() == pytest.approx(1600.0)
        assert rows["account_count"].sum() == 3
        assert row(kpis, dimension, missing, "2025")["revenue"] == pytest.approx(alone)


def test_a_territory_shared_by_two_primary_reps_splits_by_rep_and_stays_whole() -> None:
    """T1 has two primary reps (weights 3 and 1): by rep, each counts the accounts they own
    there and their share of T1's target; by territory and region nothing changes."""
    plan = Plan(
        id="p",
        name="P",
        territories=(
            Territory("R1", "Region 1", level="region"),
            Territory(
                "T1", "T1", parent_id="R1",
                owners=(TerritoryOwner("rep1", share=0.75), TerritoryOwner("rep3", share=0.25)),
            ),
            Territory("T2", "T2", parent_id="R1", owners=(TerritoryOwner("rep2"),)),
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.ACCOUNT, a, t)
            for a, t in [("A1", "T1"), ("A2", "T1"), ("A3", "T1"), ("A4", "T2")]
        ),
    )  # fmt: skip
    accounts = [
        Account("A1", "a1", potential=100, owner_id="rep1"),
        Account("A2", "a2", potential=200, owner_id="rep3"),
        Account("A3", "a3", potential=400, owner_id="someone else"),  # held by the first
        Account("A4", "a4", potential=800, owner_id="rep2"),
    ]
    sales = [
        SalesLine(f"s{i}", a, date(2026, 2, 1), amount)
        for i, (a, amount) in enumerate([("A1", 10), ("A2", 20), ("A3", 40), ("A4", 80)])
    ]
    targets = [Target("t1", date(2026, 1, 1), date(2026, 3, 31), 1000, territory_id="T1")]
    inputs = KpiInputs.from_domain(sales_lines=sales, targets=targets, accounts=accounts, plan=plan)
    frame = compute_kpis(inputs, as_of=date(2026, 3, 31), periods=["2026Q1"])
    by_rep = {
        key: (revenue, count, potential, target)
        for key, revenue, count, potential, target in frame.filter(pl.col("dimension") == "rep")
        .select("key", "revenue", "account_count", "potential", "target")
        .iter_rows()
    }
    assert by_rep == {  # potential for a quarter: a quarter of the yearly figure
        "rep1": (50.0, 2, 125.0, 750.0),
        "rep3": (20.0, 1, 50.0, 250.0),
        "rep2": (80.0, 1, 200.0, None),
    }
    t1 = row(frame, "territory", "T1", "2026Q1")
    assert (t1["revenue"], t1["account_count"], t1["target"]) == (70.0, 3, 1000.0)
    region = row(frame, "region", "R1", "2026Q1")
    assert (region["revenue"], region["account_count"], region["target"]) == (150.0, 4, 1000.0)
    from terraplan.planning.kpi_balance import rep_capacity

    load = {
        r: (t, n) for r, t, n in rep_capacity(inputs).select(
            "rep_id", "territories", "account_count"
        ).iter_rows()
    }  # fmt: skip
    assert load == {"rep1": (1, 2.0), "rep3": (1, 1.0), "rep2": (1, 1.0)}


def test_a_lead_counts_where_routing_put_it_never_through_its_converted_account() -> None:
    """Only converted leads have an account: counting leads through it would give each
    territory or segment its converted leads and none of the others (100 % conversion)."""
    frame = compute_kpis(small_inputs({"L3": "T1"}), as_of=AS_OF, periods=["2026Q1"])
    t1 = row(frame, "territory", "T1", "2026Q1")
    assert t1["lead_conversion_rate"] == pytest.approx(0.0)  # L3 only: L1 was not routed
    assert row(frame, "territory", "T2", "2026Q1")["lead_conversion_rate"] is None
    # leads carry no segment: no segment row has lead figures, none reads 100 %
    segments = frame.filter(pl.col("dimension") == "segment")
    assert segments.height > 0
    assert segments["lead_conversion_rate"].null_count() == segments.height
    assert segments["lead_win_rate"].null_count() == segments.height


def test_pace_weighs_each_month_by_its_own_target() -> None:
    """A quarter with most of its target in March, as of 15 March: pace compares revenue
    with January's and February's targets and half of March's, not with 74/90 of the
    quarter's (which would read 'behind' a rep who is ahead)."""
    months = [
        Target("m1", date(2026, 1, 1), date(2026, 1, 31), 100, territory_id="T1"),
        Target("m2", date(2026, 2, 1), date(2026, 2, 28), 100, territory_id="T1"),
        Target("m3", date(2026, 3, 1), date(2026, 3, 31), 700, territory_id="T1"),
    ]
    r = row(compute_kpis(small_inputs(targets=months), as_of=AS_OF, periods=["2026Q1"]),
            "territory", "T1", "2026Q1")  # fmt: skip
    due = 100 + 100 + 700 * 15 / 31
    assert r["target"] == pytest.approx(900.0)
    assert r["pace_to_target"] == pytest.approx(120 / due)
    assert r["pace_to_target"] != pytest.approx((120 / 900) / (74 / 90))


def test_pace_of_a_period_its_targets_cover_in_part_counts_the_covered_days() -> None:
    """Targets for February and March only, as of 15 March: the quarter's pace compares
    revenue with February's target and half of March's (January has none to miss)."""
    part = [
        Target("m2", date(2026, 2, 1), date(2026, 2, 28), 280, territory_id="T1"),
        Target("m3", date(2026, 3, 1), date(2026, 3, 31), 310, territory_id="T1"),
    ]
    r = row(compute_kpis(small_inputs(targets=part), as_of=AS_OF, periods=["2026Q1"]),
            "territory", "T1", "2026Q1")  # fmt: skip
    assert r["target"] == pytest.approx(590.0)
    assert r["pace_to_target"] == pytest.approx(120 / (280 + 150))


def test_a_region_with_a_target_of_its_own_is_paced_on_it_alone() -> None:
    """Region 1's own target starts on 20 March, its territory T1's on 1 January. As of 15
    March none of the region's own target is due, so its pace is not a figure; it used to be
    the region's revenue over T1's target of the days gone (a pace against a target the
    region's attainment does not use). Once its days start, it is paced on them alone."""
    targets = [
        Target("t1", date(2026, 1, 1), date(2026, 3, 31), 900, territory_id="T1"),
        Target("r1", date(2026, 3, 20), date(2026, 3, 31), 300, territory_id="R1"),
    ]
    r = row(compute_kpis(small_inputs(targets=targets), as_of=AS_OF, periods=["2026Q1"]),
            "region", "R1", "2026Q1")  # fmt: skip
    assert r["target"] == pytest.approx(300.0)
    assert r["attainment"] == pytest.approx(620 / 300)
    assert r["pace_to_target"] is None
    targets[1] = Target("r1", date(2026, 3, 10), date(2026, 3, 31), 500, territory_id="R1")
    r = row(compute_kpis(small_inputs(targets=targets), as_of=AS_OF, periods=["2026Q1"]),
            "region", "R1", "2026Q1")  # fmt: skip
    assert r["target"] == pytest.approx(500.0)
    assert r["pace_to_target"] == pytest.approx(620 / (500 * 6 / 22))
