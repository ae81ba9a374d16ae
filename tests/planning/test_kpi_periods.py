"""Period parsing and grids."""

from __future__ import annotations

from datetime import date

import pytest

from terraplan.errors import InvalidParameterError
from terraplan.planning.kpi_periods import (
    elapsed_months,
    elapsed_share,
    parse_period,
    period_grid,
    resolve_periods,
    shift_year,
)


@pytest.mark.parametrize(
    ("text", "start", "end", "grain"),
    [
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30), "quarter"),
        ("2026-q1", date(2026, 1, 1), date(2026, 3, 31), "quarter"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
        (" 2026 ", date(2026, 1, 1), date(2026, 12, 31), "year"),
        ("ytd", date(2026, 1, 1), date(2026, 8, 15), "ytd"),
    ],
)
def test_parse_period(text: str, start: date, end: date, grain: str) -> None:
    period = parse_period(text, as_of=date(2026, 8, 15))
    assert (period.start, period.end, period.grain) == (start, end, grain)


@pytest.mark.parametrize("text", ["2026Q5", "2026-13", "26", "last year", ""])
def test_bad_periods(text: str) -> None:
    with pytest.raises(InvalidParameterError):
        parse_period(text)


def test_ytd_needs_as_of() -> None:
    with pytest.raises(InvalidParameterError) as info:
        parse_period("YTD")
    assert info.value.details["field"] == "as_of"


def test_grids_and_resolution() -> None:
    months = period_grid("month", date(2025, 11, 20), date(2026, 2, 3))
    assert [p.label for p in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    quarters = period_grid("quarter", date(2025, 11, 20), date(2026, 2, 3))
    assert [p.label for p in quarters] == ["2025Q4", "2026Q1"]
    resolved = resolve_periods(
        ["2026Q1", "quarter", "YTD"], as_of=date(2026, 2, 3), first=date(2025, 11, 1)
    )
    assert [p.label for p in resolved] == ["2025Q4", "2026Q1", "YTD"]


def test_elapsed() -> None:
    q1 = parse_period("2026Q1")
    assert elapsed_share(q1, date(2026, 3, 15)) == pytest.approx(74 / 90)
    assert elapsed_share(q1, date(2025, 12, 31)) == 0.0
    assert elapsed_months(q1, date(2026, 3, 15)) == pytest.approx(2 + 15 / 31)
    assert elapsed_months(q1, date(2027, 1, 1)) == pytest.approx(3.0)
    assert shift_year(date(2024, 2, 29), -1) == date(2023, 2, 28)
