"""Copies that spare the suite work the product does not need done again: a migrated
PostgreSQL schema emptied for the next test, a demo's rows copied into a fresh database.
Each copy is what the real work gave, byte for byte or row for row (see ``conftest.py``)."""

from __future__ import annotations

import uuid
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

from terraplan.storage import migrate
from terraplan.storage.database import Database

#: What a schema is made of, to tell one a test changed (a trigger, a revoked grant, a
#: column, a function) from the one the migrations made: objects and their grants, columns,
#: triggers, functions, constraints and types, by name (never by the schema's name; not the
#: triggers PostgreSQL makes for foreign keys, named by number).
_SCHEMA_FINGERPRINT = text(
    """
    SELECT 'n:' || coalesce(n.nspacl::text, '') FROM pg_namespace n WHERE n.nspname = :schema
    UNION ALL
    SELECT 'c:' || c.relname || ':' || c.relkind::text || ':' || coalesce(c.relacl::text, '')
        || ':' || c.relrowsecurity::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema
    UNION ALL
    SELECT 'a:' || c.relname || '.' || a.attname || ':' || a.atttypid::text || ':'
        || a.attnotnull::text || ':' || a.atthasdef::text
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 't:' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND NOT t.tgisinternal
    UNION ALL
    SELECT 'p:' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = :schema
    UNION ALL
    SELECT 'k:' || k.conname || ':' || k.convalidated::text FROM pg_constraint k
    JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = :schema
    UNION ALL
    SELECT 'y:' || y.typname FROM pg_type y JOIN pg_namespace n ON n.oid = y.typnamespace
    WHERE n.nspname = :schema
    UNION ALL
    SELECT 'r:' || r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema
    UNION ALL
    SELECT 'o:' || o.polname FROM pg_policy o JOIN pg_class c ON c.oid = o.polrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema
    """
)


class MigratedSchemaPool:
    """Schemas the migrations brought to head, emptied after their test, for the next ``db``
    on PostgreSQL (one pool per test process).

    Running the migrations is DDL the server takes about a quarter of a second for, and some
    five hundred tests want a migrated PostgreSQL database: a used schema still made of what
    the migrations made (see ``_SCHEMA_FINGERPRINT``) is emptied (``TRUNCATE ... RESTART
    IDENTITY``: no rows, sequences from 1) and renamed into the pool; the next test's fresh
    schema is replaced by it under the same name. A schema a test changed, or one that cannot
    be emptied at once (a connection still holds a lock), is dropped instead.
    """

    def __init__(self, admin_url: str) -> None:
        self._engine = create_engine(admin_url)
        self._schemas: list[str] = []
        self._migrated: frozenset[str] | None = None  # the fingerprint of a migrated schema

    def take(self, schema: str) -> bool:
        """Put a migrated, empty schema in place of the fresh, empty ``schema``; False when
        the pool has none (the caller migrates ``schema`` and calls :meth:`migrated`)."""
        if not self._schemas:
            return False
        pooled = self._schemas.pop()
        with self._engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}"')  # no CASCADE: it is empty
            connection.exec_driver_sql(f'ALTER SCHEMA "{pooled}" RENAME TO "{schema}"')
        return True

    def migrated(self, schema: str) -> None:
        """``schema`` was just migrated: what it is made of is what the pool keeps."""
        if self._migrated is None:
            with self._engine.connect() as connection:
                self._migrated = self._fingerprint(connection, schema)

    def give_back(self, schema: str) -> None:
        """Empty ``schema`` into the pool and leave a fresh, empty one under its name (which
        ``postgres_url`` drops); leave it as it is when it is not the migrations' schema."""
        try:
            with self._engine.begin() as connection:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                if self._fingerprint(connection, schema) != self._migrated:
                    return
                revision = connection.exec_driver_sql(
                    f'SELECT version_num FROM "{schema}".alembic_version'
                ).scalar_one_or_none()
                if revision != migrate.head_revision():
                    return
                tables = connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
                    {"schema": schema},
                ).scalars()
                emptied = ", ".join(
                    f'"{schema}"."{table}"'
                    for table in sorted(tables)
                    if table != "alembic_version"
                )
                connection.exec_driver_sql(f"TRUNCATE {emptied} RESTART IDENTITY CASCADE")
                pooled = f"pool_{uuid.uuid4().hex[:12]}"
                connection.exec_driver_sql(f'ALTER SCHEMA "{schema}" RENAME TO "{pooled}"')
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except DBAPIError:
            return
        self._schemas.append(pooled)

    @staticmethod
    def _fingerprint(connection: Connection, schema: str) -> frozenset[str]:
        return frozenset(connection.execute(_SCHEMA_FINGERPRINT, {"schema": schema}).scalars())

    def close(self) -> None:
        with self._engine.begin() as connection:
            for schema in self._schemas:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        self._engine.dispose()


class DemoSnapshots:
    """The rows of each demo written into a fresh database, by data set (the generated data
    sets are cached for the session, so the same object is the same demo) and dialect."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, admin_url: str) -> None:
        self._folder = tmp_path_factory
        self._admin_url = admin_url
        self._sqlite: dict[int, Path] = {}
        self._postgres: dict[int, tuple[str, tuple[str, ...]]] = {}  # schema, tables in order
        self._fresh: set[str] = set()  # URLs that were empty when the real write began

    def restore(self, db: Database, dataset: object) -> bool:
        """Copy the snapshot of ``dataset`` into ``db`` if it is fresh; False otherwise (and
        remember a fresh database, whose write :meth:`take` may keep)."""
        import sqlite3

        with db.engine.begin() as connection:
            if not _holds_no_rows(connection):
                return False
            known = self._sqlite if connection.dialect.name == "sqlite" else self._postgres
            if id(dataset) not in known:
                self._fresh.add(db.url)
                return False
            if connection.dialect.name == "postgresql":
                schema, tables = self._postgres[id(dataset)]
                _copy_tables(connection, schema, tables)
                return True
        with db.engine.connect() as connection:  # the backup wants no open transaction
            target = connection.connection.driver_connection
            assert isinstance(target, sqlite3.Connection)
            with closing(sqlite3.connect(self._sqlite[id(dataset)])) as source:
                source.backup(target)
        return True

    def take(self, db: Database, dataset: object) -> None:
        """Keep what the real write just put into a database that was fresh."""
        import sqlite3

        if db.url not in self._fresh:
            return
        self._fresh.discard(db.url)
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                copy = self._folder.mktemp("demo") / "demo.db"
                with closing(sqlite3.connect(copy)) as target:
                    connection.connection.driver_connection.backup(target)  # type: ignore[union-attr]
                self._sqlite[id(dataset)] = copy
                return
            from terraplan.services.demo import DEMO_KINDS

            filled = [t for t in _tables(connection) if _has_rows(connection, t)]
            if not set(filled) <= set(DEMO_KINDS):
                return  # the write touched more than the record tables: not a demo to copy
            tables = tuple(kind for kind in DEMO_KINDS if kind in filled)  # referenced first
            schema = f"demo_{uuid.uuid4().hex[:12]}"
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            for table in tables:
                connection.exec_driver_sql(f'CREATE TABLE "{schema}"."{table}" AS TABLE "{table}"')
        self._postgres[id(dataset)] = (schema, tables)

    def close(self) -> None:
        if not self._postgres:
            return
        admin = create_engine(self._admin_url)
        with admin.begin() as connection:
            for schema, _ in self._postgres.values():
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _copy_tables(connection: Connection, schema: str, tables: tuple[str, ...]) -> None:
    """Copy ``schema``'s ``tables`` (referenced ones first) into the connection's schema and
    move the sequences of their serial columns past the copied ids."""
    for table in tables:
        connection.exec_driver_sql(f'INSERT INTO "{table}" SELECT * FROM "{schema}"."{table}"')
    serials = connection.exec_driver_sql(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND left(column_default, 8) = 'nextval('"
    ).all()
    for table, column in serials:
        if table in tables:
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"
                f' (SELECT max("{column}") FROM "{table}"))'
            )


def _tables(connection: Connection) -> list[str]:
    """The tables of the connection's schema but the migrations' revision."""
    if connection.dialect.name == "sqlite":
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND substr(name, 1, 7) <> 'sqlite_' AND name <> 'alembic_version'"
        )
    else:
        query = (
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename <> 'alembic_version'"
        )
    return list(connection.exec_driver_sql(query).scalars())


def _has_rows(connection: Connection, table: str) -> bool:
    return connection.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1').first() is not None


def _holds_no_rows(connection: Connection) -> bool:
    """Whether the database holds no row but its schema revision (one query)."""
    tables = _tables(connection)
    union = " UNION ALL ".join(
        f'SELECT 1 FROM (SELECT 1 FROM "{t}" LIMIT 1) AS "{t}"' for t in tables
    )
    return not tables or connection.exec_driver_sql(union).first() is None
