"""The fiscal calendar and fiscal period texts: start months, naming, labels, bad values."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terraplan.errors import InvalidParameterError
from terraplan.planning.fiscal import CALENDAR, FiscalCalendar, fiscal_calendar, month_span
from terraplan.planning.kpi_periods import (
    current_quarter,
    parse_period,
    period_grid,
    period_title,
    resolve_periods,
)

FEBRUARY = FiscalCalendar(2)
JULY = FiscalCalendar(7)


def test_a_february_start_names_the_year_it_ends_in() -> None:
    q1 = parse_period("FY2027Q1", fiscal=FEBRUARY)
    assert (q1.start, q1.end, q1.label, q1.grain) == (
        date(2026, 2, 1),
        date(2026, 4, 30),
        "FY2027Q1",
        "quarter",
    )
    assert q1.title == "FY2027 Q1 (Feb\u2013Apr 2026)"
    q4 = parse_period("fy27-q4", fiscal=FEBRUARY)
    assert (q4.start, q4.end, q4.label) == (date(2026, 11, 1), date(2027, 1, 31), "FY2027Q4")
    assert q4.title == "FY2027 Q4 (Nov 2026\u2013Jan 2027)"
    year = parse_period("FY2027", fiscal=FEBRUARY)
    assert (year.start, year.end, year.grain) == (date(2026, 2, 1), date(2027, 1, 31), "year")
    assert FEBRUARY.year_of(date(2026, 1, 31)) == 2026
    assert FEBRUARY.year_of(date(2026, 2, 1)) == 2027


def test_a_july_start_as_microsoft_names_it() -> None:
    fy = parse_period("FY2027", fiscal=JULY)
    assert (fy.start, fy.end) == (date(2026, 7, 1), date(2027, 6, 30))
    assert fy.title == "FY2027 (Jul 2026\u2013Jun 2027)"
    q3 = parse_period("FY2027Q3", fiscal=JULY)
    assert (q3.start, q3.end) == (date(2027, 1, 1), date(2027, 3, 31))
    by_start = FiscalCalendar(7, "start")
    same = parse_period("FY2026", fiscal=by_start)
    assert (same.start, same.end, same.label) == (date(2026, 7, 1), date(2027, 6, 30), "FY2026")
    assert by_start.year_of(date(2026, 7, 1)) == 2026
    assert JULY.describe() == "fiscal year from July, named by the year it ends in"


def test_ytd_runs_from_the_fiscal_year_start() -> None:
    ytd = parse_period("YTD", as_of=date(2026, 6, 15), fiscal=FEBRUARY)
    assert (ytd.start, ytd.end, ytd.grain) == (date(2026, 2, 1), date(2026, 6, 15), "ytd")
    january = parse_period("YTD", as_of=date(2026, 1, 20), fiscal=FEBRUARY)
    assert january.start == date(2025, 2, 1)  # the last month of FY2026


def test_months_stay_calendar_months_and_cy_names_calendar_quarters() -> None:
    month = parse_period("2026-02", fiscal=FEBRUARY)
    assert (month.start, month.end, month.label) == (date(2026, 2, 1), date(2026, 2, 28), "2026-02")
    cq = parse_period("CY2026Q1", fiscal=FEBRUARY)
    assert (cq.start, cq.end, cq.label) == (date(2026, 1, 1), date(2026, 3, 31), "CY2026Q1")
    cy = parse_period("CY2026", fiscal=FEBRUARY)
    assert (cy.start, cy.end, cy.label) == (date(2026, 1, 1), date(2026, 12, 31), "CY2026")


@pytest.mark.parametrize("text", ["2027Q1", "2027", "2027-Q1"])
def test_a_bare_quarter_or_year_is_ambiguous_under_a_fiscal_year(text: str) -> None:
    with pytest.raises(InvalidParameterError, match="ambiguous") as info:
        parse_period(text, fiscal=FEBRUARY)
    assert info.value.details["field"] == "period"
    assert "FY2027" in str(info.value) and "CY2027" in str(info.value)


def test_grains_are_fiscal_quarters_and_years() -> None:
    quarters = period_grid("quarter", date(2025, 12, 3), date(2026, 6, 15), fiscal=FEBRUARY)
    assert [p.label for p in quarters] == ["FY2026Q4", "FY2027Q1", "FY2027Q2"]
    assert quarters[0].start == date(2025, 11, 1)
    years = period_grid("year", date(2025, 12, 3), date(2026, 6, 15), fiscal=FEBRUARY)
    assert [(p.label, p.start) for p in years] == [
        ("FY2026", date(2025, 2, 1)),
        ("FY2027", date(2026, 2, 1)),
    ]
    resolved = resolve_periods(
        ["quarter", "FY2027Q1", "YTD"], as_of=date(2026, 6, 15), first=date(2026, 3, 1), fiscal=2
    )
    assert [p.label for p in resolved] == ["FY2027Q1", "FY2027Q2", "YTD"]
    assert current_quarter(date(2026, 6, 15), FEBRUARY).label == "FY2027Q2"
    assert period_title("FY2027Q2", fiscal=FEBRUARY) == "FY2027 Q2 (May\u2013Jul 2026)"
    assert period_title("quarter", fiscal=FEBRUARY) == "quarter"


def test_a_january_start_changes_nothing() -> None:
    as_of = date(2026, 8, 15)
    for text in ("2026Q3", "2026-07", "2026", "YTD"):
        assert parse_period(text, as_of=as_of, fiscal=1) == parse_period(text, as_of=as_of)
        assert parse_period(text, as_of=as_of, fiscal=FiscalCalendar(1, "start")) == (
            parse_period(text, as_of=as_of)
        )
    # FY and CY texts read as the plain calendar labels
    assert parse_period("FY2026Q3").label == "2026Q3"
    assert parse_period("CY2026").label == "2026"
    assert fiscal_calendar(None) is CALENDAR and CALENDAR.is_calendar
    for grain in ("month", "quarter", "year"):
        first, last = date(2024, 11, 20), date(2026, 2, 3)
        assert period_grid(grain, first, last, fiscal=1) == period_grid(grain, first, last)


@pytest.mark.parametrize("month", [0, 13, -1, True, "2", 2.0])
def test_bad_start_months_name_the_field(month: object) -> None:
    with pytest.raises(InvalidParameterError, match="fiscal_year_start") as info:
        FiscalCalendar(month)  # type: ignore[arg-type]
    assert info.value.details["field"] == "fiscal_year_start"
    with pytest.raises(InvalidParameterError, match="fiscal_year_start"):
        parse_period("YTD", as_of=date(2026, 1, 1), fiscal=month)  # type: ignore[arg-type]


def test_bad_naming_and_bad_fiscal_periods() -> None:
    with pytest.raises(InvalidParameterError, match="fiscal_year_naming") as info:
        FiscalCalendar(2, "middle")
    assert info.value.details["field"] == "fiscal_year_naming"
    for text in ("FY27Q5", "FY2027Q0", "FY0000", "FY2027-13", "Q1"):
        with pytest.raises(InvalidParameterError) as bad:
            parse_period(text, fiscal=FEBRUARY)
        assert bad.value.details["field"] == "period", text
    with pytest.raises(InvalidParameterError, match="Q1 to Q4"):
        parse_period("FY27Q5", fiscal=FEBRUARY)


def test_month_span() -> None:
    assert month_span(date(2026, 7, 1), date(2026, 7, 31)) == "Jul 2026"
    assert month_span(date(2026, 2, 1), date(2026, 4, 30)) == "Feb\u2013Apr 2026"


@given(
    st.integers(1, 12),
    st.sampled_from(["end", "start"]),
    st.integers(1901, 2200),
)
def test_fiscal_quarters_partition_their_fiscal_year(
    start_month: int, naming: str, fiscal_year: int
) -> None:
    cal = FiscalCalendar(start_month, naming)
    first, last = cal.year_bounds(fiscal_year)
    assert first.day == 1 and first.month == start_month
    quarters = [cal.quarter_bounds(fiscal_year, q) for q in (1, 2, 3, 4)]
    assert quarters[0][0] == first and quarters[-1][1] == last
    for (_, end), (start, _) in pairwise(quarters):
        assert start == end + timedelta(days=1)  # no gap, no overlap
    assert sum((end - start).days + 1 for start, end in quarters) == (last - first).days + 1
    assert (last - first).days + 1 in (365, 366)
    for q, (start, end) in enumerate(quarters, start=1):
        assert cal.quarter_of(start) == (fiscal_year, q) == cal.quarter_of(end)
    assert cal.year_of(first - timedelta(days=1)) == fiscal_year - 1
    assert cal.year_of(last + timedelta(days=1)) == fiscal_year + 1
