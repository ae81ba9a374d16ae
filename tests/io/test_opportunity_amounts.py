"""Opportunities with a blank amount are counted as 0 with one note; an unreadable amount
is still an error."""

from __future__ import annotations

from typing import Any

from terraplan.io import iter_records, load_file


def test_a_blank_amount_counts_as_0_with_one_note(make_file: Any) -> None:
    text = (
        "Id,AccountId,StageName,Amount,CreatedDate,CloseDate\n"
        "006P1,001B1,Prospecting,,2026-01-15,\n"
        "006P2,001B1,Closed Won,1000,2026-01-15,2026-02-01\n"
        "006P3,001B2,Qualification,,2026-01-16,\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["001B1", "001B2"]})
    assert result.report.ok, result.report.issues
    amounts = {r["id"]: r["amount"] for r in iter_records(result.frame)}
    assert amounts == {"006P1": 0.0, "006P2": 1000.0, "006P3": 0.0}
    assert [w for w in result.report.warnings if "no amount" in w] == [
        "2 opportunities have no amount: counted as 0 in pipeline, won revenue and deal sizes"
    ]


def test_an_unreadable_amount_is_still_an_error(make_file: Any) -> None:
    text = "Id,AccountId,StageName,Amount,CreatedDate\n006P1,001B1,Prospecting,abc,2026-01-15\n"
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["001B1"]})
    assert not result.report.ok
    assert [(i.row, i.field) for i in result.report.errors] == [(2, "amount")]
    assert not [w for w in result.report.warnings if "no amount" in w]


def test_a_negative_downgrade_says_where_it_belongs(make_file: Any) -> None:
    """A SaaS CRM books a downgrade as a Closed Won opportunity of a negative amount: refused
    (it is no deal won, no pipeline), with the way to count it: a negative sales line."""
    text = (
        "Id,AccountId,Type,StageName,Amount,CreatedDate,CloseDate\n"
        "006D1,001B1,Downgrade,Closed Won,-5000.00,2026-03-01,2026-03-11\n"
        "006R1,001B1,Renewal,Closed Won,0,2025-03-01,2026-03-01\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["001B1"]})
    (error,) = result.report.errors
    assert (error.row, error.field) == (2, "amount")
    assert error.reason == (
        "must be >= 0: a downgrade or credit is a negative sales line (invoices), where it "
        "reduces revenue, not an opportunity"
    )
