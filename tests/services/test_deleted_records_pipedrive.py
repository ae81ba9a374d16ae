"""A deal imported open and deleted in the CRM since: Pipedrive's next export holds it with
status "deleted", which the import leaves out; the stored opportunity is deleted too, or it
would stay open in the pipeline for good (no command deletes an opportunity). Files and
database tables alike; a refused import deletes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HEADER = "Deal - ID,Deal - Organization,Deal - Value,Deal - Status,Deal - Deal created,Deal - Close time\n"
WEEK_1 = HEADER + (
    "5000,Acme,100,open,2025-01-02 10:00:00,\n"
    "5001,Acme,200,open,2025-01-02 10:00:00,\n"
    "5002,Acme,300,deleted,2025-01-02 10:00:00,\n"
)
WEEK_2 = HEADER + (
    "5000,Acme,100,won,2025-01-02 10:00:00,2025-02-01 09:00:00\n"
    "5001,Acme,200,deleted,2025-01-02 10:00:00,\n"
    "5002,Acme,300,deleted,2025-01-02 10:00:00,\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(db: Database) -> dict[str, bool]:
    with UnitOfWork(db) as uow:
        return {o.id: o.is_won for o in uow.records("opportunities").list()}


@pytest.fixture
def with_account(db: Database, tmp_path: Path) -> Database:
    import_file(
        db,
        _write(tmp_path, "orgs.csv", "Organization - ID,Organization - Name\nA1,Acme\n"),
        "accounts",
    )
    return db


def test_a_deal_deleted_since_the_last_import_is_deleted(
    with_account: Database, tmp_path: Path
) -> None:
    db = with_account
    first = import_file(db, _write(tmp_path, "w1.csv", WEEK_1), "opportunities")
    assert (first.report.accepted, first.report.rejected) == (2, 0)
    assert _stored(db) == {"5000": False, "5001": False}
    second = import_file(db, _write(tmp_path, "w2.csv", WEEK_2), "opportunities")
    assert _stored(db) == {"5000": True}
    assert second.report.details["removed_ids"] == ["5001", "5002"]
    assert second.notes == (
        "1 opportunity stored by an earlier import removed: the CRM deleted it (e.g. 5001), so"
        " it leaves the pipeline, revenue and win rate",
    )


def test_a_refused_file_deletes_nothing(with_account: Database, tmp_path: Path) -> None:
    db = with_account
    import_file(db, _write(tmp_path, "w1.csv", WEEK_1), "opportunities")
    bad = WEEK_2 + "5003,Nobody,5,open,2025-01-02 10:00:00,\n"
    with pytest.raises(DataError, match="unknown account 'Nobody'"):
        import_file(db, _write(tmp_path, "w2.csv", bad), "opportunities")
    assert _stored(db) == {"5000": False, "5001": False}


def test_a_table_of_deals_deletes_them_too(with_account: Database, tmp_path: Path) -> None:
    db = with_account
    import_file(db, _write(tmp_path, "w1.csv", WEEK_1), "opportunities")
    crm = tmp_path / "crm.db"
    with sqlite3.connect(crm) as connection:
        connection.execute(
            'CREATE TABLE deals ("Deal - ID" TEXT PRIMARY KEY, "Deal - Organization" TEXT,'
            ' "Deal - Value" REAL, "Deal - Status" TEXT, "Deal - Deal created" TEXT)'
        )
        connection.executemany(
            "INSERT INTO deals VALUES (?, 'Acme', 5, ?, '2025-01-02')",
            [("5000", "open"), ("5001", "deleted")],
        )
    source = parse_source(f"sqlite:///{crm}?table=deals")
    assert source is not None
    outcome = import_source(db, source, "opportunities", batch_rows=1)
    assert _stored(db) == {"5000": False}
    assert outcome.report.details["removed_ids"] == ["5001"]
    assert [n.split(":")[0] for n in outcome.notes] == [
        "1 opportunity stored by an earlier import removed"
    ]
