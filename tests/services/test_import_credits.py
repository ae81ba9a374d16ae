"""A file of ids and amounts updating stored opportunities (no stage, no IsWon column): a
negative amount on a deal stored as won is a credit, kept as the import of new credits keeps
it; on a deal stored as open or lost it is refused, naming the row, the column and the stored
reading (services.import_facts.stored_deal_readings, io.deal_checks)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

ACCOUNTS = "Id,Name,BillingPostalCode\r\n001A,Acme Inc,10001\r\n001B,Beta LLC,60601\r\n"
DEALS = (
    "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon\r\n"
    '006A,001A,Closed Won,"12,500.00",2026-01-05,2026-03-31,true,true\r\n'
    "006B,001B,Contract Signed,8000,2026-02-01,2026-04-15,true,true\r\n"
    "006C,001B,Negotiation,5000,2026-03-01,2026-12-20,false,false\r\n"
    "006D,001A,Closed Lost,700,2026-03-02,2026-05-20,true,false\r\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(db: Database) -> dict[str, tuple[float, bool]]:
    with UnitOfWork(db) as uow:
        return {o.id: (o.amount, o.is_won) for o in uow.opportunities.list()}


@pytest.fixture
def deals(db: Database, tmp_path: Path) -> Database:
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    import_file(db, _write(tmp_path, "Opportunity.csv", DEALS), "opportunities")
    return db


def test_credits_on_stored_won_deals_are_kept_with_one_note(
    deals: Database, tmp_path: Path
) -> None:
    text = 'Opportunity ID,Amount\r\n006A," -1,250.50 "\r\n006B,-749.50\r\n006C,5200\r\n'
    outcome = import_file(deals, _write(tmp_path, "credits.csv", text), "opportunities")
    assert outcome.report.accepted == 3
    notes = [w for w in outcome.report.warnings if "negative amount" in w]
    assert notes == [
        "2 won opportunities with a negative amount (credits, downgrades; -2,000.00 in all)"
        " kept as revenue reductions: they net revenue won and count in no win rate,"
        " won-deal count, average deal size, sales cycle or pipeline"
    ]
    assert _stored(deals) == {
        "006A": (-1250.5, True),
        "006B": (-749.5, True),
        "006C": (5200.0, False),
        "006D": (700.0, False),
    }


def test_a_negative_amount_on_a_stored_open_or_lost_deal_is_refused(
    deals: Database, tmp_path: Path
) -> None:
    text = "Id,Amount\r\n006A,-300\r\n006C,-100\r\n006D,-50\r\n"
    with pytest.raises(DataError) as caught:
        import_file(deals, _write(tmp_path, "amounts.csv", text), "opportunities")
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["column"], i["reason"][:40]) for i in issues] == [
        (3, "Amount", "a negative amount on a deal stored as op"),
        (4, "Amount", "a negative amount on a deal stored as lo"),
    ]
    assert "amounts.csv:3: column 'Amount'" in caught.value.message
    assert "stored as open (the file has no stage or IsWon column" in caught.value.message
    assert _stored(deals)["006A"] == (12500.0, True)  # nothing written


def test_a_parquet_folder_of_credits_reads_the_stored_deals_too(
    deals: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "credits"
    folder.mkdir()
    pl.DataFrame({"Id": ["006B"], "Amount": [-100.0]}).write_parquet(folder / "a.parquet")
    pl.DataFrame({"Id": ["006A"], "Amount": [-200.0]}).write_parquet(folder / "b.parquet")
    source = parse_source(str(folder))
    assert source is not None
    outcome = import_source(deals, source, "opportunities")
    assert outcome.report.accepted == 2
    assert _stored(deals)["006A"] == (-200.0, True)
    assert _stored(deals)["006B"] == (-100.0, True)
