"""Migration 0018: records keep the CRM's modification time (``crm_modified_at``) and deleted
records are remembered (``crm_deletions``); records stored before keep their values, without
a time, so the next delta's rows apply to them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from terraplan.services.imports import import_file
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_upgrade_from_0017_keeps_records_and_then_compares_times(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        migrate.upgrade(db, "0017")
        old = sa.MetaData()
        old.reflect(db.engine)
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(old.tables["accounts"]),
                [{"id": "001Hu00000AAAA1IAA", "name": "Acme", "annual_revenue": 5.0}],
            )
        migrate.upgrade(db)
        with UnitOfWork(db) as uow:
            assert [(a.name, a.annual_revenue) for a in uow.accounts.list()] == [("Acme", 5.0)]
        delta = tmp_path / "Account.csv"
        head = "Id,Name,AnnualRevenue,SystemModstamp\n"
        delta.write_text(head + "001Hu00000AAAA1IAA,Acme,7,2026-11-04T08:00:00.000Z\n")
        assert import_file(db, delta, "accounts").written == 1
        delta.write_text(head + "001Hu00000AAAA1IAA,Acme,6,2026-11-03T08:00:00.000Z\n")
        assert import_file(db, delta, "accounts").written == 0
        with UnitOfWork(db) as uow:
            assert [a.annual_revenue for a in uow.accounts.list()] == [7.0]
        migrate.downgrade(db, "0017")
        migrate.upgrade(db)
    finally:
        db.dispose()
