"""A Salesforce delta taken with queryAll says deletes as ``IsDeleted = true`` (a merge's
losers too, naming their ``MasterRecordId``): a deleted account is closed as an inactive one
is, a deleted opportunity leaves the store (pipeline, revenue, win rate), and a delta with a
bad row removes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

ACCOUNTS = (
    "Id,Name,BillingPostalCode,OwnerId,Tier__c\n"
    "001Hu00000AAAA1IAA,Acme,94107,005Hu00000AAAAAIA2,Gold\n"
    "001Hu00000AAAA2IAA,Beta,10001,005Hu00000AAAAAIA2,Silver\n"
    "001Hu00000AAAA3IAA,Gamma,60601,005Hu00000AAAAAIA2,Gold\n"
)
OPPORTUNITIES = (
    "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon\n"
    "006Hu00000OOOO1IAA,001Hu00000AAAA1IAA,Negotiation/Review,5000,2026-09-01,2026-12-20,"
    "false,false\n"
    "006Hu00000OOOO2IAA,001Hu00000AAAA2IAA,Closed Won,7000,2026-08-01,2026-10-02,true,true\n"
    "006Hu00000OOOO3IAA,001Hu00000AAAA3IAA,Prospecting,900,2026-10-01,2027-01-15,false,false\n"
)
#: queryAll's own spellings: booleans in lower case, date-times with milliseconds
DELETED_OPPS = (
    "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon,IsDeleted,"
    "LastModifiedDate\n"
    "006Hu00000OOOO1IAA,001Hu00000AAAA1IAA,Negotiation/Review,5000,2026-09-01T10:00:00.000Z,"
    "2026-12-20,false,false,true,2026-11-02T02:00:00.000Z\n"
    "006Hu00000OOOO2IAA,001Hu00000AAAA2IAA,Closed Won,7500,2026-08-01T10:00:00.000Z,"
    "2026-10-02,true,true,false,2026-11-02T02:00:00.000Z\n"
    "006Hu00000OOOO9IAA,001Hu00000AAAA3IAA,Prospecting,100,2026-10-20T10:00:00.000Z,"
    "2026-12-31,false,false,true,2026-11-02T02:00:00.000Z\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    import_file(db, _write(tmp_path, "Opportunity.csv", OPPORTUNITIES), "opportunities")


def _stored(db: Database, kind: str) -> dict[str, object]:
    with UnitOfWork(db) as uow:
        return {r.id: r for r in uow.records(kind).list()}


def test_deleted_and_merged_accounts_are_closed(db: Database, tmp_path: Path) -> None:
    _load(db, tmp_path)
    delta = (
        "Id,Name,IsDeleted,MasterRecordId,LastModifiedDate\n"
        "001Hu00000AAAA1IAA,Acme,true,,2026-11-02T02:00:00.000Z\n"
        "001Hu00000AAAA2IAA,Beta,TRUE,001Hu00000AAAA3IAA,2026-11-02T02:00:00.000Z\n"
        "001Hu00000AAAA3IAA,Gamma Inc,false,,2026-11-02T02:00:00.000Z\n"
    )
    outcome = import_file(db, _write(tmp_path, "Account_delta.csv", delta), "accounts")
    assert outcome.closed == 2
    accounts = _stored(db, "accounts")
    closed = {i: a.closed_on for i, a in accounts.items()}  # type: ignore[attr-defined]
    assert closed == {
        "001Hu00000AAAA1IAA": date.today(),
        "001Hu00000AAAA2IAA": date.today(),
        "001Hu00000AAAA3IAA": None,
    }
    gamma = accounts["001Hu00000AAAA3IAA"]
    assert gamma.name == "Gamma Inc"  # type: ignore[attr-defined]
    assert "IsDeleted" not in (gamma.attributes or {})  # type: ignore[attr-defined]
    assert gamma.attributes["Tier__c"] == "Gold"  # type: ignore[attr-defined]


def test_a_deleted_account_stays_closed_even_flagged_active(db: Database, tmp_path: Path) -> None:
    _load(db, tmp_path)
    delta = "Id,Name,Active__c,IsDeleted\n001Hu00000AAAA1IAA,Acme,Yes,true\n"
    import_file(db, _write(tmp_path, "delta.csv", delta), "accounts")
    assert _stored(db, "accounts")["001Hu00000AAAA1IAA"].closed_on == date.today()  # type: ignore[attr-defined]


def test_deleted_opportunities_leave_the_store(db: Database, tmp_path: Path) -> None:
    _load(db, tmp_path)
    outcome = import_file(
        db, _write(tmp_path, "Opportunity_delta.csv", DELETED_OPPS), "opportunities"
    )
    opportunities = _stored(db, "opportunities")
    assert sorted(opportunities) == ["006Hu00000OOOO2IAA", "006Hu00000OOOO3IAA"]
    assert opportunities["006Hu00000OOOO2IAA"].amount == 7500  # type: ignore[attr-defined]
    assert outcome.written == 1
    assert (
        "2 opportunities flagged deleted in the CRM (column 'IsDeleted') left out: a deleted"
        " record is not imported, and one stored by an earlier import is removed"
    ) in outcome.report.warnings
    assert outcome.notes == (
        "1 opportunity stored by an earlier import removed: the CRM deleted it (e.g."
        " 006Hu00000OOOO1IAA), so it leaves the pipeline, revenue and win rate",
    )
    assert (outcome.report.accepted, outcome.report.rejected) == (1, 0)
    again = import_file(db, _write(tmp_path, "retried.csv", DELETED_OPPS), "opportunities")
    assert sorted(_stored(db, "opportunities")) == ["006Hu00000OOOO2IAA", "006Hu00000OOOO3IAA"]
    # the same LastModifiedDate as stored (the deletions remembered): a replay, said once
    assert again.notes == (
        "3 rows already imported (the same LastModifiedDate as stored) left out: nothing to change (to import them again, e.g. with a corrected mapping file: "
        "`--reload`, `reload=true` in the API)",
    )
    assert again.written == 0


def test_a_delta_with_a_bad_row_removes_nothing(db: Database, tmp_path: Path) -> None:
    _load(db, tmp_path)
    bad = DELETED_OPPS.replace(",7500,", ",7.5.00,")
    with pytest.raises(DataError):
        import_file(db, _write(tmp_path, "bad.csv", bad), "opportunities")
    assert len(_stored(db, "opportunities")) == 3


def test_a_parquet_delta_removes_deleted_opportunities(db: Database, tmp_path: Path) -> None:
    _load(db, tmp_path)
    folder = tmp_path / "delta"
    folder.mkdir()
    frame = pl.read_csv(_write(tmp_path, "d.csv", DELETED_OPPS), infer_schema=False)
    frame.write_parquet(folder / "part-0.parquet")
    source = parse_source(str(folder))
    assert source is not None
    outcome = import_source(db, source, "opportunities", batch_rows=2)
    assert sorted(_stored(db, "opportunities")) == ["006Hu00000OOOO2IAA", "006Hu00000OOOO3IAA"]
    assert [n.split(":")[0] for n in outcome.notes] == [
        "1 opportunity stored by an earlier import removed"
    ]


def test_deleted_and_merged_leads_leave_the_store(db: Database, tmp_path: Path) -> None:
    leads = (
        "Id,Company,PostalCode,CreatedDate,LeadSource\n"
        "00QHu00000LLLL1IAA,Acme,94107,2026-09-01T10:00:00.000Z,Web\n"
        "00QHu00000LLLL2IAA,Acme Corp,94107,2026-09-03T10:00:00.000Z,Web\n"
    )
    import_file(db, _write(tmp_path, "Lead.csv", leads), "leads")
    delta = (
        "Id,Company,PostalCode,CreatedDate,IsDeleted,MasterRecordId\n"
        "00QHu00000LLLL2IAA,Acme Corp,94107,2026-09-03T10:00:00.000Z,true,00QHu00000LLLL1IAA\n"
    )
    outcome = import_file(db, _write(tmp_path, "Lead_delta.csv", delta), "leads")
    assert sorted(_stored(db, "leads")) == ["00QHu00000LLLL1IAA"]
    (note,) = outcome.notes
    assert note.startswith(
        "1 lead stored by an earlier import removed: the CRM deleted it (e.g. 00QHu00000LLLL2IAA)"
    )
    assert "leaves the lead counts" in note


def test_a_file_of_deleted_ids_needs_no_other_column_and_may_be_sent_again(
    db: Database, tmp_path: Path
) -> None:
    """``Id,IsDeleted`` (a delete-only job): the second run names ids no longer stored,
    which needed AccountId, StageName… as new records (the retried job failed)."""
    _load(db, tmp_path)
    deletes = _write(tmp_path, "deletes.csv", "Id,IsDeleted\n006Hu00000OOOO1IAA,true\n")
    import_file(db, deletes, "opportunities")
    again = import_file(db, deletes, "opportunities")
    assert sorted(_stored(db, "opportunities")) == ["006Hu00000OOOO2IAA", "006Hu00000OOOO3IAA"]
    assert again.written == 0 and again.report.ok


def test_a_new_row_beside_deleted_ones_still_needs_its_fields(db: Database, tmp_path: Path) -> None:
    _load(db, tmp_path)
    mixed = "Id,IsDeleted\n006Hu00000OOOO1IAA,true\n006Hu00000OOOO7IAA,false\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "mixed.csv", mixed), "opportunities")
    issues = caught.value.details["report"]["issues"]
    assert {(i["row"], i["field"]) for i in issues} >= {(3, "account_id"), (3, "stage")}
    assert all(i["row"] == 3 for i in issues)
    assert len(_stored(db, "opportunities")) == 3  # nothing removed either
