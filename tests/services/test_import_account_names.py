"""A deal file naming its accounts by name (Pipedrive's ``Deal - Organization``): each name
one stored account has becomes its id; a name several accounts share is refused, never
guessed (a by-name join had linked 69 of 1,450 deals of an audit's export to the wrong
organization). Files and database tables alike."""

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

ORGANIZATIONS = (
    "Organization - ID,Organization - Name\n"
    "1000,Acme Corp.\n1001,Bay Labs\n1002,Bay Labs\n1003,Cedar Dental\n"
)
DEALS = (
    "Deal - ID,Deal - Organization,Deal - Value,Deal - Status,Deal - Deal created,"
    "Deal - Close time\n"
    "5000,ACME corp.,100,won,2025-01-02 10:00:00,2025-02-01 11:00:00\n"
    "5001,Bay Labs,200,open,2025-01-02 10:00:00,\n"
    "5002,1003,300,lost,2025-01-02 10:00:00,2025-03-01 09:00:00\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _accounts_of_deals(db: Database) -> dict[str, str]:
    with UnitOfWork(db) as uow:
        return {o.id: o.account_id for o in uow.records("opportunities").list()}


def test_deals_naming_their_organization_link_to_its_id(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "orgs.csv", ORGANIZATIONS), "accounts")
    with pytest.raises(DataError, match="several stored accounts have this name"):
        import_file(db, _write(tmp_path, "deals.csv", DEALS), "opportunities")
    outcome = import_file(
        db, _write(tmp_path, "deals.csv", DEALS), "opportunities", on_error="skip"
    )
    assert outcome.written == 2
    assert _accounts_of_deals(db) == {"5000": "1000", "5002": "1003"}
    assert (
        "1 row names the account by its name (e.g. ACME corp. -> 1000): replaced by the"
        " account's id"
    ) in outcome.report.warnings


def test_a_table_of_deals_links_names_the_same_way(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "orgs.csv", ORGANIZATIONS), "accounts")
    crm = tmp_path / "crm.db"
    with sqlite3.connect(crm) as connection:
        connection.execute(
            'CREATE TABLE deals ("Deal - ID" TEXT PRIMARY KEY, "Deal - Organization" TEXT,'
            ' "Deal - Value" REAL, "Deal - Status" TEXT, "Deal - Deal created" TEXT)'
        )
        connection.execute(
            "INSERT INTO deals VALUES ('7000', 'Cedar Dental', 5, 'open', '2025-01-02')"
        )
    source = parse_source(f"sqlite:///{crm}?table=deals")
    assert source is not None
    import_source(db, source, "opportunities")
    assert _accounts_of_deals(db) == {"7000": "1003"}
