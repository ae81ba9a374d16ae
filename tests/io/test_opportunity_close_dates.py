"""A closed opportunity (won or lost) needs its close date; an open one may lack it."""

from __future__ import annotations

from typing import Any

from terraplan.io import iter_records, load_file
from terraplan.io.readers import read_table
from terraplan.io.validation import validate

KNOWN = {"accounts": ["A1"]}


def test_a_closed_row_without_a_close_date_is_refused_naming_it(make_file: Any) -> None:
    # Salesforce report: one Closed Won with an empty Close Date was stored, then was a win
    # in the win rate yet no revenue
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Close Date,Created Date\n"
        "O1,A1,Closed Won,5000,,2026-03-01\n"
        "O2,A1,Closed - Lost,7000,,2026-03-01\n"
        "O3,A1,Prospecting,100,,2026-03-01\n"
        "O4,A1,Closed Won,200,2026-03-20,2026-03-01\n"
    )
    path = make_file(text)
    result = load_file(path, "opportunities", known_ids=KNOWN)
    errors = [(i.file, i.row, i.column, i.field, i.reason) for i in result.report.errors]
    reason = (
        "a closed opportunity (won or lost) needs a close date: revenue, win rate, deal size"
        " and sales cycle are dated by it (an open one may leave it blank)"
    )
    assert errors == [
        (str(path), 2, "Close Date", "close_date", reason),
        (str(path), 3, "Close Date", "close_date", reason),
    ]
    # the rows --on-error skip writes
    assert sorted(r["id"] for r in iter_records(result.frame)) == ["O3", "O4"]


def test_closed_rows_without_a_close_date_column_are_one_file_error(make_file: Any) -> None:
    # a Salesforce opportunity report left without its Close Date column
    rows = [f"O{i},A1,{'Closed Won' if i % 3 else 'Closed Lost'},10,2025-01-02" for i in range(120)]
    rows += ["O999,A1,Prospecting,10,2025-01-02"]
    text = "Opportunity ID,Account ID,Stage,Amount,Created Date\n" + "\n".join(rows) + "\n"
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert result.report.accepted == 0 and result.report.rejected == 121
    [error] = result.report.errors
    assert error.row is None and error.field == "close_date"
    assert error.reason.startswith(
        "120 opportunities are closed (won or lost) but the file has no close-date column"
        " ('Close Date', CloseDate)"
    )
    assert "add the Close Date column to the report" in error.reason


def test_open_opportunities_may_come_without_close_dates(make_file: Any) -> None:
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date\n"
        "O1,A1,Prospecting,10,2025-01-02\nO2,A1,Negotiation,10,2025-01-02\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert result.report.ok, result.report.summary()
    assert result.report.accepted == 2


def test_a_file_updating_stored_opportunities_keeps_their_close_dates(make_file: Any) -> None:
    # ids and stages only: a stored opportunity keeps its close date; a new closed one has
    # none to keep and is refused
    text = "Id,StageName\nO1,Closed Won\nO2,Prospecting\nNEW,Closed Lost\n"
    table = read_table(make_file(text), "opportunities")
    result = validate(table, known_ids=KNOWN, stored_ids=["O1", "O2"])
    dates = [i for i in result.report.errors if i.field == "close_date"]
    assert [i.row for i in dates] == [4]  # (its account and amount are missing too)
    assert "its id is not stored yet" in dates[0].reason


def test_a_closed_flag_column_needs_the_close_date_too(make_file: Any) -> None:
    text = (
        "Id,AccountId,StageName,Amount,CreatedDate,IsClosed,IsWon,CloseDate\n"
        "O1,A1,Signed,100,2025-01-02,true,true,\n"
        "O2,A1,Signed,100,2025-01-02,true,true,2025-02-01\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert [(i.row, i.field) for i in result.report.errors] == [(2, "close_date")]
