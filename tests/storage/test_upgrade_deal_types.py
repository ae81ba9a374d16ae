"""Migration 0020: opportunities keep the CRM's type (``deal_type``); opportunities stored
before keep their values, with no type, and a later import gives them theirs and may store
a credit (a won deal of a negative amount)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from terraplan.services.imports import import_file
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_upgrade_from_0019_keeps_opportunities_and_then_stores_types(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        migrate.upgrade(db, "0019")
        old = sa.MetaData()
        old.reflect(db.engine)
        assert "deal_type" not in old.tables["opportunities"].c
        with db.engine.begin() as connection:
            connection.execute(sa.insert(old.tables["accounts"]), [{"id": "001A1", "name": "Acme"}])
            connection.execute(
                sa.insert(old.tables["opportunities"]),
                [
                    {
                        "id": "006O1",
                        "account_id": "001A1",
                        "created_date": date(2026, 1, 5),
                        "close_date": date(2026, 2, 1),
                        "amount": 1200.0,
                        "stage": "Closed Won",
                        "is_closed": True,
                        "is_won": True,
                    }
                ],
            )
        migrate.upgrade(db)
        with UnitOfWork(db) as uow:
            (kept,) = uow.opportunities.list()
            assert (kept.id, kept.amount, kept.deal_type) == ("006O1", 1200.0, None)
        delta = tmp_path / "Opportunity.csv"
        delta.write_text(
            "Id,AccountId,Type,StageName,Amount,CreatedDate,CloseDate\n"
            "006O1,001A1,existingbusiness,Closed Won,1200,2026-01-05,2026-02-01\n"
            "006C1,001A1,Renewal,Closed Won,-300.50,2026-03-01,2026-03-02\n"
        )
        assert import_file(db, delta, "opportunities").written == 2
        with UnitOfWork(db) as uow:
            stored = {o.id: (o.deal_type, o.amount) for o in uow.opportunities.list()}
        assert stored == {"006O1": ("Existing Business", 1200.0), "006C1": ("Renewal", -300.5)}
        migrate.downgrade(db, "0019")
        migrate.upgrade(db)
    finally:
        db.dispose()
