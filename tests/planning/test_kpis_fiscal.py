"""KPIs, alerts and the report of a company whose fiscal year starts in February."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    RecordKind,
    SalesLine,
    Target,
    Territory,
    TerritoryOwner,
)
from terraplan.errors import InvalidParameterError
from terraplan.planning.alerts import evaluate_alerts
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.planning.report_html import render_report_html

FEBRUARY = FiscalCalendar(2)
AS_OF = date(2026, 6, 15)
SALES = [  # (account, day, amount)
    ("A1", date(2025, 1, 20), 7.0),  # FY2025
    ("A1", date(2025, 2, 1), 100.0),  # FY2026Q1
    ("A2", date(2025, 4, 30), 50.0),  # FY2026Q1
    ("A1", date(2025, 5, 1), 20.0),  # FY2026Q2 (in last year's YTD to June 15)
    ("A1", date(2025, 6, 16), 11.0),  # after June 15: not in last year's YTD
    ("A1", date(2026, 1, 31), 1000.0),  # FY2026Q4
    ("A1", date(2026, 2, 1), 200.0),  # FY2027Q1 ...
    ("A2", date(2026, 3, 15), 300.0),
    ("A1", date(2026, 4, 30), 400.0),
    ("A1", date(2026, 5, 1), 70.0),  # FY2027Q2
    ("A2", date(2026, 6, 15), 5.0),
    ("A1", date(2026, 6, 16), 999.0),  # after the as-of date
]


def inputs() -> KpiInputs:
    plan = Plan(
        id="p",
        name="P",
        territories=(
            Territory("T1", "T1", owners=(TerritoryOwner("rep1"),)),
            Territory("T2", "T2", owners=(TerritoryOwner("rep2"),)),
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.ACCOUNT, a, t) for a, t in [("A1", "T1"), ("A2", "T1")]
        ),
    )
    targets = [
        Target("q1", date(2026, 2, 1), date(2026, 4, 30), 900.0, territory_id="T1"),
        Target("fy", date(2026, 2, 1), date(2027, 1, 31), 3650.0, territory_id="T2"),
    ]
    return KpiInputs.from_domain(
        sales_lines=[SalesLine(f"s{i}", a, d, x) for i, (a, d, x) in enumerate(SALES)],
        accounts=[Account("A1", "a1"), Account("A2", "a2"), Account("A3", "a3")],
        targets=targets,
        plan=plan,
    )


def summed(first: date, last: date) -> float:
    return sum(x for _, d, x in SALES if first <= d <= last and d <= AS_OF)


@pytest.fixture(scope="module")
def kpis() -> pl.DataFrame:
    return compute_kpis(
        inputs(),
        as_of=AS_OF,
        periods=["FY2027Q1", "YTD", "quarter", "year", "CY2026Q1"],
        dimensions=["territory"],
        fiscal=FEBRUARY,
    )


def row(frame: pl.DataFrame, key: str, period: str) -> dict[str, object]:
    found = frame.filter((pl.col("key") == key) & (pl.col("period") == period))
    assert found.height == 1, (key, period)
    return found.row(0, named=True)


def test_a_fiscal_quarter_sums_its_days(kpis: pl.DataFrame) -> None:
    q1 = row(kpis, "T1", "FY2027Q1")
    assert (q1["period_start"], q1["period_end"]) == (date(2026, 2, 1), date(2026, 4, 30))
    assert q1["revenue"] == summed(date(2026, 2, 1), date(2026, 4, 30)) == 900.0
    # growth against FY2026Q1, 2025-02-01 .. 2025-04-30
    assert q1["revenue_prior_year"] == summed(date(2025, 2, 1), date(2025, 4, 30)) == 150.0
    assert q1["revenue_growth"] == pytest.approx(900 / 150 - 1)
    # the quota for February to April is met exactly
    assert q1["target"] == 900.0 and q1["attainment"] == pytest.approx(1.0)
    assert q1["elapsed_share"] == 1.0 and q1["pace_to_target"] == pytest.approx(1.0)


def test_fiscal_ytd_starts_with_the_fiscal_year(kpis: pl.DataFrame) -> None:
    ytd = row(kpis, "T1", "YTD")
    assert (ytd["period_start"], ytd["period_end"]) == (date(2026, 2, 1), AS_OF)
    assert ytd["revenue"] == summed(date(2026, 2, 1), AS_OF) == 975.0
    # last year's YTD stops on the same day a year earlier
    assert ytd["revenue_prior_year"] == 170.0


def test_grains_pace_and_target_spreading_follow_the_fiscal_year(kpis: pl.DataFrame) -> None:
    labels = set(kpis["period"].to_list())
    assert {"FY2026Q4", "FY2027Q1", "FY2027Q2", "FY2026", "FY2027", "CY2026Q1"} <= labels
    q2 = row(kpis, "T1", "FY2027Q2")  # May to July 2026, as of June 15
    assert q2["revenue"] == 75.0
    assert q2["elapsed_share"] == pytest.approx(46 / 92)
    # a yearly quota (FY2027: 365 days) gives each fiscal quarter its days' share
    assert row(kpis, "T2", "FY2027Q1")["target"] == pytest.approx(3650.0 * 89 / 365)
    assert row(kpis, "T2", "FY2027")["target"] == pytest.approx(3650.0)
    calendar_q1 = row(kpis, "T1", "CY2026Q1")
    assert calendar_q1["revenue"] == summed(date(2026, 1, 1), date(2026, 3, 31)) == 1500.0


def test_alerts_default_to_the_current_fiscal_quarter() -> None:
    report = evaluate_alerts(inputs(), as_of=AS_OF, fiscal=FEBRUARY)
    assert report.period == "FY2027Q2"
    typed = evaluate_alerts(inputs(), as_of=AS_OF, period="fy27q1", fiscal=FEBRUARY)
    assert typed.period == "FY2027Q1"
    with pytest.raises(InvalidParameterError, match="ambiguous"):
        evaluate_alerts(inputs(), as_of=AS_OF, period="2027Q1", fiscal=FEBRUARY)


def test_the_report_names_the_fiscal_period_and_year() -> None:
    frame = compute_kpis(inputs(), as_of=AS_OF, dimensions=["territory"], fiscal=FEBRUARY)
    html = render_report_html(frame, period="FY2027Q1", as_of=AS_OF, fiscal=FEBRUARY)
    assert "FY2027 Q1 (Feb\u2013Apr 2026)" in html
    assert "Monthly revenue, FY2027 vs FY2026" in html


def test_a_january_start_gives_todays_results() -> None:
    today = compute_kpis(inputs(), as_of=AS_OF)
    assert_frame_equal(compute_kpis(inputs(), as_of=AS_OF, fiscal=1), today)
    assert_frame_equal(
        compute_kpis(inputs(), as_of=AS_OF, fiscal=FiscalCalendar(1, "start")), today
    )
    assert "2026Q1" in today["period"].to_list()


def test_a_bad_start_month_names_the_field() -> None:
    for month in (0, 13):
        with pytest.raises(InvalidParameterError, match="fiscal_year_start") as info:
            compute_kpis(inputs(), as_of=AS_OF, fiscal=month)
        assert info.value.details["field"] == "fiscal_year_start"
