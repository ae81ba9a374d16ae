"""Nightly deltas landed as a table or a Parquet folder: rows no newer than the stored record
(``LastModifiedDate``) are left out in every batch, a deletion is remembered, and a table with
no rows imports nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

SCHEMA = {
    "Id": pl.String,
    "Name": pl.String,
    "AccountId": pl.String,
    "StageName": pl.String,
    "Amount": pl.Float64,
    "CreatedDate": pl.String,
    "CloseDate": pl.String,
    "IsDeleted": pl.String,
    "LastModifiedDate": pl.String,
}


def _opp(i: int, stage: str, amount: float, stamp: str, deleted: str = "false") -> dict:
    return {
        "Id": f"006Hu00000OOOO{i}IAA",
        "Name": f"Deal {i}",
        "AccountId": "001Hu00000AAAA1IAA",
        "StageName": stage,
        "Amount": amount,
        "CreatedDate": "2026-10-01",
        "CloseDate": "2026-11-04" if stage.startswith("Closed") else None,
        "IsDeleted": deleted,
        "LastModifiedDate": stamp,
    }


def _folder(tmp_path: Path, name: str, rows: list[dict]) -> str:
    folder = tmp_path / name
    folder.mkdir()
    pl.DataFrame(rows, schema=SCHEMA).write_parquet(folder / "part-0.parquet")
    return str(folder)


def _opps(db: Database) -> dict[str, tuple[str, float]]:
    with UnitOfWork(db) as uow:
        return {o.id: (o.stage, o.amount) for o in uow.records("opportunities").list()}


@pytest.fixture(autouse=True)
def _account(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "Account.csv"
    path.write_text("Id,Name,BillingPostalCode\n001Hu00000AAAA1IAA,Acme,94107\n")
    import_file(db, path, "accounts")


def test_a_late_parquet_delta_puts_no_older_value_back(db: Database, tmp_path: Path) -> None:
    tuesday = [
        _opp(1, "Negotiation", 1000, "2026-11-03T09:00:00.000Z"),
        _opp(2, "Prospecting", 2000, "2026-11-03T09:00:00.000Z"),
        _opp(3, "Prospecting", 300, "2026-11-03T09:00:00.000Z"),
    ]
    wednesday = [
        _opp(1, "Closed Won", 1000, "2026-11-04T09:00:00.000Z"),
        _opp(2, "Prospecting", 2000, "2026-11-04T09:00:00.000Z", deleted="true"),
    ]
    wed = parse_source(_folder(tmp_path, "wed", wednesday))
    tue = parse_source(_folder(tmp_path, "tue", tuesday))
    assert wed is not None and tue is not None
    import_source(db, wed, "opportunities")
    late = import_source(db, tue, "opportunities", batch_rows=2)
    # deal 1 stays won, deal 2 stays deleted, deal 3 (new on Tuesday) is imported
    assert _opps(db) == {
        "006Hu00000OOOO1IAA": ("Closed Won", 1000.0),
        "006Hu00000OOOO3IAA": ("Prospecting", 300.0),
    }
    assert late.written == 1
    assert late.report.rows_read == 3
    assert late.report.details["unchanged_ids"] == ["006Hu00000OOOO1IAA", "006Hu00000OOOO2IAA"]
    assert late.notes[-1].startswith("2 rows are older than the opportunities stored")


def test_an_empty_table_imports_nothing(db: Database, tmp_path: Path) -> None:
    crm = tmp_path / "crm.db"
    with sqlite3.connect(crm) as connection:
        connection.execute(
            "CREATE TABLE opps (Id TEXT PRIMARY KEY, AccountId TEXT, StageName TEXT,"
            " Amount REAL, LastModifiedDate TEXT)"
        )
    source = parse_source(f"sqlite:///{crm}?table=opps")
    assert source is not None
    outcome = import_source(db, source, "opportunities")
    assert outcome.written == 0
    assert outcome.notes[0].startswith("no opportunities imported, as the file has no data rows")
    accounts = parse_source(f"sqlite:///{crm}?table=opps")
    assert accounts is not None
    with pytest.raises(DataError, match="would close every open account"):
        import_source(db, accounts, "accounts", close_missing=True)


def test_typed_times_at_midnight_are_times(db: Database, tmp_path: Path) -> None:
    """A Parquet timestamp column: the reader gives a midnight value as a date, which is the
    time 00:00 beside the other rows' times (not refused as a date alone)."""
    from datetime import datetime

    typed = {**SCHEMA, "LastModifiedDate": pl.Datetime("ms")}
    rows = [
        _opp(1, "Negotiation", 1000, "") | {"LastModifiedDate": datetime(2026, 11, 4)},
        _opp(2, "Negotiation", 2000, "") | {"LastModifiedDate": datetime(2026, 11, 4, 9, 30)},
    ]
    folder = tmp_path / "typed"
    folder.mkdir()
    pl.DataFrame(rows, schema=typed).write_parquet(folder / "part-0.parquet")
    source = parse_source(str(folder))
    assert source is not None
    assert import_source(db, source, "opportunities").written == 2
    older = [_opp(1, "Prospecting", 10, "2026-11-03T23:59:59.000Z")]
    late = parse_source(_folder(tmp_path, "late", older))
    assert late is not None
    assert import_source(db, late, "opportunities").written == 0
    assert _opps(db)["006Hu00000OOOO1IAA"] == ("Negotiation", 1000.0)
