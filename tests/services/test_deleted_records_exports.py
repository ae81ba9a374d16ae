"""Records the CRM deleted (``IsDeleted`` true in a Salesforce export that includes deleted
records: leads, opportunities, line items) are left out of an import, removed when stored, and
said in one note, so that no lead conversion, revenue or win counts them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HEADER = (
    "Id,Company,PostalCode,State,Country,Industry,CreatedDate,ConvertedOpportunityId,IsDeleted\n"
)
LEADS = HEADER + (
    "00Q000000000001,Acme,94107,CA,United States,Software,2026-03-02T10:00:00.000+0000,,false\n"
    "00Q000000000002,asdf,,california,USA,,2026-03-03T11:00:00.000+0000,,true\n"
    "00Q000000000003,Beta,10001,NY,United States,Retail,2026-03-04T12:00:00.000+0000,006000000000001,FALSE\n"
    "00Q000000000004,Test Co,02134,MA,,,2026-03-05T09:00:00.000+0000,006000000000002,TRUE\n"
    "00Q000000000005,Gamma,60601,IL,US,,2026-03-06T09:00:00.000+0000,,\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(db: Database) -> list[str]:
    with UnitOfWork(db) as uow:
        return sorted(lead.id for lead in uow.leads.list())


def test_deleted_leads_are_left_out_with_a_note(db: Database, tmp_path: Path) -> None:
    outcome = import_file(db, _write(tmp_path, "Lead.csv", LEADS), "leads")
    assert _stored(db) == ["00Q000000000001", "00Q000000000003", "00Q000000000005"]
    assert (
        "2 leads flagged deleted in the CRM (column 'IsDeleted') left out: a deleted record is"
        " not imported, and one stored by an earlier import is removed"
    ) in outcome.report.warnings
    assert (outcome.report.accepted, outcome.report.rejected) == (3, 0)
    assert outcome.notes == ()  # none was stored: nothing removed


def test_a_lead_deleted_since_the_last_export_is_removed(db: Database, tmp_path: Path) -> None:
    live = LEADS.replace(",true\n", ",false\n").replace(",TRUE\n", ",false\n")
    import_file(db, _write(tmp_path, "monday.csv", live), "leads")
    assert len(_stored(db)) == 5
    outcome = import_file(db, _write(tmp_path, "tuesday.csv", LEADS), "leads")
    assert _stored(db) == ["00Q000000000001", "00Q000000000003", "00Q000000000005"]
    assert outcome.notes == (
        "2 leads stored by an earlier import removed: the CRM deleted them (e.g."
        " 00Q000000000002, 00Q000000000004), so they leave the lead counts, conversion and"
        " routing audits",
    )


def test_a_parquet_folder_leaves_deleted_leads_out_too(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    frame = pl.read_csv(_write(tmp_path, "Lead.csv", LEADS), infer_schema=False)
    frame.head(3).write_parquet(folder / "part-0.parquet")
    frame.tail(2).write_parquet(folder / "part-1.parquet")
    source = parse_source(str(folder))
    assert source is not None
    outcome = import_source(db, source, "leads", batch_rows=2)
    assert _stored(db) == ["00Q000000000001", "00Q000000000003", "00Q000000000005"]
    assert [w for w in outcome.report.warnings if "flagged deleted" in w] == [
        "2 leads flagged deleted in the CRM (column 'IsDeleted') left out: a deleted record is"
        " not imported, and one stored by an earlier import is removed"
    ]


def test_an_export_without_the_flag_keeps_every_lead(db: Database, tmp_path: Path) -> None:
    text = "\n".join(line.rsplit(",", 1)[0] for line in LEADS.splitlines()) + "\n"
    outcome = import_file(db, _write(tmp_path, "report.csv", text), "leads")
    assert len(_stored(db)) == 5
    assert outcome.notes == ()


OPPORTUNITIES = (
    "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon,IsDeleted\n"
    "006000000000001,001000000000001,Closed Won,1000,2026-01-05,2026-02-01,true,true,false\n"
    "006000000000002,001000000000001,Closed Won,5000,2026-01-06,2026-02-02,true,true,true\n"
    "006000000000003,001000000000001,Prospecting,700,2026-01-07,,false,false,false\n"
)


def _opportunities(db: Database) -> dict[str, float]:
    with UnitOfWork(db) as uow:
        return {o.id: o.amount for o in uow.opportunities.list()}


def test_a_deleted_won_opportunity_is_no_revenue(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "Account.csv", "Id,Name\n001000000000001,Acme\n"), "accounts")
    live = OPPORTUNITIES.replace(",true\n", ",false\n")
    import_file(db, _write(tmp_path, "monday.csv", live), "opportunities")
    assert sum(_opportunities(db).values()) == 6700.0
    outcome = import_file(db, _write(tmp_path, "Opportunity.csv", OPPORTUNITIES), "opportunities")
    assert _opportunities(db) == {"006000000000001": 1000.0, "006000000000003": 700.0}
    assert outcome.notes == (
        "1 opportunity stored by an earlier import removed: the CRM deleted it (e.g."
        " 006000000000002), so it leaves the pipeline, revenue and win rate",
    )


def test_an_account_deleted_in_the_crm_is_closed_and_keeps_its_history(
    db: Database, tmp_path: Path
) -> None:
    """An account is not removed (its sales and opportunities stay in past KPIs): deleted in
    the CRM, it is closed as an inactive one is; one still live in the same file stays open."""
    book = "Id,Name,BillingState,IsDeleted\nA1,Acme,CA,false\nA2,Beta,NY,false\nA3,Gamma,TX,\n"
    import_file(db, _write(tmp_path, "monday.csv", book), "accounts")
    later = book.replace("A2,Beta,NY,false", "A2,Beta,NY,true")
    outcome = import_file(db, _write(tmp_path, "tuesday.csv", later), "accounts")
    with UnitOfWork(db) as uow:
        closed = {a.id: a.closed_on for a in uow.accounts.list() if a.closed_on is not None}
    assert closed == {"A2": date.today()}
    assert outcome.closed == 1
    # the same export again: still closed, on the day it was closed
    import_file(db, _write(tmp_path, "wednesday.csv", later), "accounts")
    with UnitOfWork(db) as uow:
        assert uow.accounts.get("A2").closed_on == date.today()
        assert uow.accounts.get("A1").closed_on is None


def test_a_deleted_line_item_leaves_revenue(db: Database, tmp_path: Path) -> None:
    """An OpportunityLineItem export with deleted items: the deleted line is left out, and
    one stored by an earlier import is removed (it was revenue)."""
    import_file(db, _write(tmp_path, "Account.csv", "Id,Name\n001000000000001,Acme\n"), "accounts")
    lines = (
        "Id,AccountId,ServiceDate,TotalPrice,IsDeleted\n"
        "00k000000000001,001000000000001,2026-02-01,1000,false\n"
        "00k000000000002,001000000000001,2026-02-02,5000,true\n"
    )
    import_file(
        db, _write(tmp_path, "monday.csv", lines.replace(",true\n", ",false\n")), "sales_lines"
    )
    outcome = import_file(db, _write(tmp_path, "tuesday.csv", lines), "sales_lines")
    with UnitOfWork(db) as uow:
        stored = {line.id: line.amount for line in uow.sales_lines.list()}
    assert stored == {"00k000000000001": 1000.0}
    assert outcome.notes == (
        "1 sales line stored by an earlier import removed: the CRM deleted it (e.g."
        " 00k000000000002), so it leaves revenue",
    )
