"""Dates after today (a typo such as 2052 for 2025) are kept with one warning: they would
move the KPIs' as-of date years ahead. An open opportunity's close date is a forecast."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terraplan.io import load_file
from terraplan.io.checker import Checker
from terraplan.io.kind_checks import check_kind, future_dates
from terraplan.io.readers import read_table
from terraplan.io.report import ImportReport
from terraplan.io.schema import kind_spec
from terraplan.io.typed_columns import typed_columns

TODAY = date(2026, 12, 4)


def _checker(path: Path, kind: str) -> Checker:
    table = read_table(path, kind)
    spec = kind_spec(kind)
    report = ImportReport(file=str(path), kind=kind)
    return Checker(table, spec, typed_columns(table, spec, report, None))


def _future_notes(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "after today" in w]


def test_sales_lines_after_today_are_kept_with_one_warning(make_file: Any) -> None:
    ahead = date.today() + timedelta(days=400)
    text = (
        "Line ID,Account ID,Invoice Date,Amount\n"
        "L1,A1,2025-03-01,100\n"
        "L2,A1,2052-03-01,100\n"
        f"L3,A1,{ahead.isoformat()},100\n"
    )
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok and result.report.accepted == 3
    assert _future_notes(result.report.warnings) == [
        f"2 rows have a date after today, {date.today()} (e.g. row 3, column 'Invoice Date':"
        " '2052-03-01'): kept; if it is a typo, fix it and import again, as KPIs are computed"
        " as of the latest date"
    ]


def test_a_day_of_slack_then_a_warning(make_file: Any) -> None:
    text = "id,account_id,date,amount\nL1,A1,2026-12-05,1\nL2,A1,2026-12-06,1\n"
    checker = _checker(make_file(text), "sales_lines")
    future_dates(checker, TODAY)
    assert checker.warnings_of(checker.error_rows()) == [
        "1 row has a date after today, 2026-12-04 (e.g. row 3, column 'date': '2026-12-06'):"
        " kept; if it is a typo, fix it and import again, as KPIs are computed as of the"
        " latest date"
    ]


def test_only_closed_opportunities_close_dates_count(make_file: Any) -> None:
    # O1: a forecast close date (open) is fine; O2: closed next quarter is a typo; O3: created
    # in 2027 is one too. The stage says which are closed (no IsClosed column).
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n"
        "O1,A1,Negotiation,10,2026-11-01,2027-03-01\n"
        "O2,A1,Closed Lost,10,2026-11-01,2027-03-01\n"
        "O3,A1,Prospecting,10,2027-01-15,2027-06-01\n"
        "O4,A1,Closed Won,10,2026-01-15,2026-06-01\n"
    )
    checker = _checker(make_file(text), "opportunities")
    check_kind(checker, TODAY)
    assert _future_notes(checker.warnings_of(checker.error_rows())) == [
        "2 rows have a date after today, 2026-12-04 (e.g. row 3, column 'Close Date':"
        " '2027-03-01'): kept; if it is a typo, fix it and import again, as KPIs are computed"
        " as of the latest date"
    ]


def test_a_lead_created_after_today_is_called_out(make_file: Any) -> None:
    text = "id,company,created_date\nL1,Acme,2026-01-01\nL2,Beta,12/1/2052\n"
    checker = _checker(make_file(text), "leads")
    check_kind(checker, TODAY)
    assert [
        w.split(" (e.g. ")[1][:38] for w in _future_notes(checker.warnings_of(checker.error_rows()))
    ] == ["row 3, column 'created_date': '12/1/20"]


def test_quota_periods_ahead_are_not_called_out(make_file: Any) -> None:
    text = "id,territory_id,period_start,period_end,amount\nQ1,T1,2027-01-01,2027-12-31,5\n"
    checker = _checker(make_file(text), "targets")
    check_kind(checker, TODAY)
    assert not _future_notes(checker.warnings_of(checker.error_rows()))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offsets=st.lists(st.integers(-4000, 4000), min_size=1, max_size=12))
def test_the_count_is_the_rows_more_than_a_day_ahead(make_file: Any, offsets: list[int]) -> None:
    body = "".join(
        f"L{i},A1,{(TODAY + timedelta(days=d)).isoformat()},1\n" for i, d in enumerate(offsets)
    )
    checker = _checker(make_file("id,account_id,date,amount\n" + body), "sales_lines")
    future_dates(checker, TODAY)
    ahead = [i for i, d in enumerate(offsets) if d > 1]
    notes = _future_notes(checker.warnings_of(checker.error_rows()))
    if not ahead:
        assert notes == []
    else:
        assert len(notes) == 1
        assert notes[0].startswith(f"{len(ahead)} row")
        assert f"(e.g. row {ahead[0] + 2}," in notes[0]
