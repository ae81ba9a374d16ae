"""Slashed dates no date of the file settles (every day and month 12 or less): read day first
when the file's numbers have a decimal comma, else month first, with one note saying which."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terraplan.io import iter_records, load_file
from terraplan.io.parsing import guessed_order, guessed_order_note

EUROPEAN_INVOICES = "Invoice Line ID;Account ID;Invoice Date;Amount\n" + "".join(
    f"I{m:02d};A1;01/{m:02d}/2025;1.000,00\n" for m in range(1, 13)
)
DAY_FIRST_NOTE = (
    "column 'Invoice Date' does not show the date order (every day and month is 12 or less):"
    " slashed dates are read as day/month/year, as the file's numbers are written with a"
    " decimal comma (1.000,50); if they are month/day/year, write them as YYYY-MM-DD"
)


def _dates(result: Any) -> dict[str, date]:
    return {r["id"]: r["date"] for r in iter_records(result.frame)}


def test_a_european_invoice_file_reads_its_ambiguous_dates_day_first(make_file: Any) -> None:
    # one invoice on the 1st of each month used to land on 1-12 January
    result = load_file(make_file(EUROPEAN_INVOICES), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    assert _dates(result) == {f"I{m:02d}": date(2025, m, 1) for m in range(1, 13)}
    assert result.report.details["decimal"] == "comma"
    assert result.report.warnings == [DAY_FIRST_NOTE]


def test_a_declared_decimal_comma_reads_ambiguous_dates_day_first(make_file: Any) -> None:
    text = "id;account_id;date;amount\nL1;A1;02/03/2025;100\n"
    result = load_file(
        make_file(text), "sales_lines", known_ids={"accounts": ["A1"]}, decimal="comma"
    )
    assert _dates(result) == {"L1": date(2025, 3, 2)}


def test_dates_that_show_their_order_win_over_the_decimal_comma(make_file: Any) -> None:
    # 03/25/2025 shows the month first: the decimal comma guesses nothing then, and no note
    text = "id;account_id;date;amount\nL1;A1;03/25/2025;1,5\nL2;A1;02/03/2025;2,5\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    assert _dates(result) == {"L1": date(2025, 3, 25), "L2": date(2025, 2, 3)}
    assert not [w for w in result.report.warnings if "date order" in w]


def test_unsettled_dates_with_a_decimal_point_read_month_first_with_a_note(
    make_file: Any,
) -> None:
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n"
        "O1,A1,Closed Won,1200.50,02/03/2025,04/05/2025\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    record = next(iter_records(result.frame))
    assert (record["created_date"], record["close_date"]) == (date(2025, 2, 3), date(2025, 4, 5))
    # said once for both columns
    assert [w for w in result.report.warnings if "date order" in w] == [
        "columns 'Created Date', 'Close Date' do not show the date order (every day and month"
        " is 12 or less): slashed dates are read as month/day/year; if they are"
        " day/month/year, write them as YYYY-MM-DD"
    ]


def test_iso_dates_need_no_note(make_file: Any) -> None:
    text = "id;account_id;date;amount\nL1;A1;2025-03-02;1,5\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.warnings == []


def test_the_guess_follows_the_decimal_separator() -> None:
    assert guessed_order("comma") == "decimal comma"
    assert guessed_order("point") == guessed_order(None) == "month first"
    assert guessed_order_note(["a"], "month first").startswith("column 'a' does not show")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(
        st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(2000, 2030)),
        min_size=1,
        max_size=8,
    ),
    amount=st.sampled_from(["1.000,00", "12,5", "0,99", "1.234.567,89"]),
    delimiter=st.sampled_from([";", "\t", "|"]),
)
def test_day_first_with_a_decimal_comma_for_any_ambiguous_dates(
    make_file: Any, days: list[tuple[int, int, int]], amount: str, delimiter: str
) -> None:
    header = delimiter.join(["id", "account_id", "date", "amount"])
    body = "".join(
        delimiter.join([f"L{i}", "A1", f"{d:02d}/{m:02d}/{y}", amount]) + "\n"
        for i, (d, m, y) in enumerate(days)
    )
    result = load_file(
        make_file(f"{header}\n{body}"), "sales_lines", known_ids={"accounts": ["A1"]}
    )
    assert result.report.ok, result.report.summary()
    assert _dates(result) == {f"L{i}": date(y, m, d) for i, (d, m, y) in enumerate(days)}
    assert sum("does not show the date order" in w for w in result.report.warnings) == 1


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_text_amounts_with_a_decimal_comma_in_other_formats(make_file: Any, fmt: str) -> None:
    text = 'id,account_id,date,amount\nL1,A1,02/03/2025,"1.000,50"\n'
    result = load_file(make_file(text, fmt), "sales_lines", known_ids={"accounts": ["A1"]})
    assert _dates(result) == {"L1": date(2025, 3, 2)}


def test_a_comma_typo_beside_dollar_thousands_is_refused_not_divided(make_file: Any) -> None:
    """A US comma-separated export where one cell reads "12,34": that cell alone used to make
    the column decimal-comma, so "$10,000" was stored as 10. The cells contradict each other:
    each thousands value is reported, naming its row, and nothing is read as 10."""
    text = 'Account ID,Account Name,Potential\nA1,One,"12,34"\nA2,Two,"$10,000"\nA3,Three,250\n'
    result = load_file(make_file(text), "accounts")
    assert not result.report.ok
    problems = [(e.row, e.value) for e in result.report.errors]
    assert (3, "$10,000") in problems
    assert all("ambiguous number" in e.reason for e in result.report.errors if e.row == 3)


def test_decimal_commas_in_a_semicolon_file_still_read_as_such(make_file: Any) -> None:
    text = "Account ID;Account Name;Potential\nA1;One;12,34\nA2;Two;1.200,50\n"
    result = load_file(make_file(text), "accounts")
    assert result.report.ok, result.report.summary()
    potentials = {r["id"]: r["potential"] for r in iter_records(result.frame)}
    assert potentials == {"A1": pytest.approx(12.34), "A2": pytest.approx(1200.5)}
