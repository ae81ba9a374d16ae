"""Migration 0019: stored import mappings (``import_mappings``); a database at 0018 with
records upgrades with its records kept, then stores, reads and deletes mappings; downgrade
and upgrade again."""

from __future__ import annotations

import sqlalchemy as sa

from terraplan.services.import_mappings import get_mapping, list_mappings, save_mapping
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_upgrade_from_0018_keeps_records_and_stores_mappings(database_url: str) -> None:
    db = Database(database_url)
    try:
        migrate.upgrade(db, "0018")
        old = sa.MetaData()
        old.reflect(db.engine)
        assert "import_mappings" not in old.tables
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(old.tables["accounts"]),
                [{"id": "001Hu00000AAAA1IAA", "name": "Café Olé", "annual_revenue": 5.0}],
            )
        migrate.upgrade(db)
        with UnitOfWork(db) as uow:
            assert [(a.name, a.annual_revenue) for a in uow.accounts.list()] == [("Café Olé", 5.0)]
        save_mapping(db, "hr", "Title: role\ndates: day first\n", by="ana")
        assert get_mapping(db, "hr").content == {"Title": "role", "dates": "day first"}
        assert [m.updated_by for m in list_mappings(db)] == ["ana"]
        migrate.downgrade(db, "0018")
        migrate.upgrade(db)
        assert list_mappings(db) == []
    finally:
        db.dispose()
