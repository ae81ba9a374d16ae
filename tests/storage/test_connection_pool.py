"""The pool's PostgreSQL connections: tested before use only after being idle (no extra round
trip per statement), and replaced when the server closed them meanwhile."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from terraplan.errors import StorageError
from terraplan.storage import database
from terraplan.storage.database import Database


def _backend_pid(db: Database) -> int:
    with db.single_statement() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(admin_url: str, pid: int) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    admin.dispose()


@pytest.mark.postgres
def test_an_idle_connection_closed_by_the_server_is_replaced_before_use(
    postgres_url: str, postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(postgres_url)
    try:
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        first = _backend_pid(db)
        _terminate(postgres_admin_url, first)
        # The pool's only connection is dead: the ping on checkout finds it and opens another.
        second = _backend_pid(db)
        assert second != first
        with db.connect() as connection:  # and a transaction works on the new one
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_recently_used_connection_is_not_pinged(
    postgres_url: str, postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(postgres_url)
    try:
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
        first = _backend_pid(db)
        assert _backend_pid(db) == first  # the pool's one connection, used again
        # No ping within the window (one round trip per statement): a connection killed
        # meanwhile fails one statement, with a plain error; the pool is then refreshed and
        # the next statement runs on a new connection.
        _terminate(postgres_admin_url, first)
        with pytest.raises(StorageError, match="not usable"):
            _backend_pid(db)
        assert _backend_pid(db) != first
    finally:
        db.dispose()


@pytest.mark.postgres
def test_single_statements_do_not_wait_for_the_disk_but_transactions_do(
    postgres_url: str,
) -> None:
    db = Database(postgres_url)
    try:
        with db.single_statement() as connection:
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "off"
        with db.connect() as connection:
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
    finally:
        db.dispose()


def test_a_server_opens_its_connections_before_taking_requests(db: Database) -> None:
    db.open_connections(5)
    pools = [db.engine.pool]
    if db.dialect == "postgresql":
        pools.append(db._autocommit.pool)  # type: ignore[union-attr]
    for pool in pools:
        assert pool.checkedin() == 5  # type: ignore[attr-defined]
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
