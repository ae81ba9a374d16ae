from __future__ import annotations

import pytest

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


def test_a_database_newer_than_the_code_is_refused_by_name(database_url: str) -> None:
    """A colleague's newer terraplan migrated the team database: every command said
    "unexpected CommandError: Can't locate revision" and exited as a bug."""
    import pytest

    from terraplan.errors import StorageError

    db = Database(database_url)
    try:
        migrate.ensure_schema(db)
        with db.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        with pytest.raises(StorageError) as caught:
            migrate.ensure_schema(db)
        head = migrate.head_revision()
        assert caught.value.message == (
            f"the database schema is at revision 9999, newer than this terraplan's ({head}): "
            "another, newer terraplan migrated it; upgrade terraplan to use it"
        )
        assert migrate.schema_status(db) == ("9999", head)
    finally:
        db.dispose()


def test_servers_starting_together_on_a_new_database_all_come_up(postgres_url: str) -> None:
    """Two servers starting at once on an empty PostgreSQL database (a team's deployment):
    one exited with a duplicate-key error creating alembic_version. Migrations now take an
    advisory lock, and the second finds the schema up to date."""
    import threading

    databases = [Database(postgres_url) for _ in range(3)]
    barrier = threading.Barrier(len(databases))
    errors: list[BaseException] = []

    def start(db: Database) -> None:
        barrier.wait()
        try:
            migrate.ensure_schema(db)
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(db,)) for db in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        assert migrate.current_revision(databases[0]) == migrate.head_revision()
        assert migrate.schema_drift(databases[0]) == []
    finally:
        for db in databases:
            db.dispose()


def test_a_schema_older_than_the_code_is_named_with_the_fix(database_url: str) -> None:
    """A database moved back under a running server (a restored backup, a downgrade): reads
    of what the code expects answered a bare 500 on PostgreSQL; now a storage error (503 in
    the API) that says to upgrade, on both databases."""
    from terraplan.errors import StorageError
    from terraplan.storage.unit_of_work import UnitOfWork

    db = Database(database_url)
    try:
        migrate.upgrade(db)
        migrate.downgrade(db, "0012")  # 0013 adds accounts.closed_on
        with pytest.raises(StorageError) as refused, UnitOfWork(db) as uow:
            uow.accounts.list(limit=1)
        assert "does not have the schema this terraplan expects" in refused.value.message
        assert "run `terraplan db upgrade`" in refused.value.message
        assert refused.value.details["reason"] == "schema_mismatch"
    finally:
        migrate.upgrade(db)
        db.dispose()
