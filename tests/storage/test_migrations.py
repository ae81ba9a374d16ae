from __future__ import annotations

from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.orm import Base


def test_upgrade_downgrade_upgrade_round_trip_without_drift(database_url: str) -> None:
    db = Database(database_url)
    try:
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.head_revision()
        assert set(Base.metadata.tables) <= set(db.table_names())
        assert migrate.schema_drift(db) == []

        migrate.downgrade(db, "base")
        assert migrate.current_revision(db) is None
        assert set(db.table_names()) & set(Base.metadata.tables) == set()

        migrate.upgrade(db)
        assert migrate.is_up_to_date(db)
        assert migrate.schema_drift(db) == []
    finally:
        db.dispose()


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.db")
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        db.dispose()
