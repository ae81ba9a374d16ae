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


def test_a_won_downgrade_or_credit_is_kept_with_one_note(make_file: Any) -> None:
    """A SaaS CRM books a downgrade or credit memo as a Closed Won opportunity of a negative
    amount: kept (it reduces revenue won), counted in one note with its total."""
    text = (
        "Id,AccountId,Type,StageName,Amount,CreatedDate,CloseDate\n"
        "006D1,001B1,Downgrade,Closed Won,-5000.00,2026-03-01,2026-03-11\n"
        '006D2,001B1,Renewal,Closed Won,"-1,250.50",2026-03-01,2026-03-12\n'
        "006R1,001B1,Renewal,Closed Won,0,2025-03-01,2026-03-01\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["001B1"]})
    assert result.report.ok, result.report.issues
    amounts = {r["id"]: r["amount"] for r in iter_records(result.frame)}
    assert amounts == {"006D1": -5000.0, "006D2": -1250.5, "006R1": 0.0}
    said = [w for w in result.report.warnings if "negative amount" in w]
    assert said == [
        "2 won opportunities with a negative amount (credits, downgrades; -6,250.50 in all)"
        " kept as revenue reductions: they net revenue won and count in no win rate,"
        " won-deal count, average deal size, sales cycle or pipeline"
    ]


def test_a_negative_open_or_lost_deal_is_refused_naming_row_and_reason(make_file: Any) -> None:
    """Only a won deal may be negative: an open one would shrink the pipeline, a lost one
    means nothing; each is refused with its row, the column and why."""
    text = (
        "Id,AccountId,StageName,Amount,CreatedDate,CloseDate\n"
        "006O1,001B1,Negotiation,-1200,2026-03-01,\n"
        "006L1,001B1,Closed Lost,-300,2026-03-01,2026-03-20\n"
        "006W1,001B1,Closed Won,-300,2026-03-01,2026-03-20\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["001B1"]})
    errors = [(e.row, e.field, e.column) for e in result.report.errors]
    assert errors == [(2, "amount", "Amount"), (3, "amount", "Amount")]
    assert all("not won: only a won deal may be negative" in e.reason for e in result.report.errors)
    # the note counts the kept credit only
    assert any(w.startswith("1 won opportunity with a negative") for w in result.report.warnings)
