"""Copies that spare the suite work the product does not need done again: a migrated
PostgreSQL schema emptied for the next test, a demo's rows copied into a fresh database.
Each copy is what the real work gave, byte for byte or row for row (see ``conftest.py``)."""

from __future__ import annotations

import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

from terraplan.storage import migrate
from terraplan.storage.database import Database

#: What a schema is made of, to tell one a test changed (a trigger, a revoked grant, a
#: column, a function) from the one the migrations made: objects with their owners, grants
#: and persistence; columns with their position, type, default and grants; the definitions of
#: indexes, constraints, views, triggers and functions (the body's digest); types, rules,
#: policies and comments. The schema's own name is taken out of every definition, and the
#: triggers PostgreSQL makes for foreign keys (named by number) are left out.
_SCHEMA_FINGERPRINT = text(
    """
    SELECT replace(line, :schema || '.', '') FROM (
    SELECT 'n:' || coalesce(n.nspacl::text, '') AS line
    FROM pg_namespace n WHERE n.nspname = :schema
    UNION ALL
    SELECT 'c:' || c.relname || ':' || c.relkind::text || ':' || coalesce(c.relacl::text, '')
        || ':' || c.relrowsecurity::text || ':' || c.relpersistence::text || ':'
        || c.relowner::text || ':' || coalesce(obj_description(c.oid, 'pg_class'), '')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema
    UNION ALL
    SELECT 'a:' || c.relname || '.' || a.attname || ':' || a.attnum::text || ':'
        || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text || ':'
        || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ':'
        || coalesce(a.attacl::text, '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = :schema AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'i:' || i.indexdef FROM pg_indexes i WHERE i.schemaname = :schema
    UNION ALL
    SELECT 'v:' || v.viewname || ':' || v.definition FROM pg_views v
    WHERE v.schemaname = :schema
    UNION ALL
    SELECT 't:' || pg_get_triggerdef(t.oid) || ':' || t.tgenabled::text FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND NOT t.tgisinternal
    UNION ALL
    SELECT 'p:' || p.proname || ':' || md5(p.prosrc) FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :schema
    UNION ALL
    SELECT 'k:' || k.conname || ':' || pg_get_constraintdef(k.oid) || ':'
        || k.convalidated::text
    FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
    WHERE n.nspname = :schema
    UNION ALL
    SELECT 'y:' || y.typname FROM pg_type y JOIN pg_namespace n ON n.oid = y.typnamespace
    WHERE n.nspname = :schema
    UNION ALL
    SELECT 'r:' || r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema
    UNION ALL
    SELECT 'o:' || o.polname FROM pg_policy o JOIN pg_class c ON c.oid = o.polrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema
    ) AS parts
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
                revisions = connection.exec_driver_sql(
                    f'SELECT version_num FROM "{schema}".alembic_version'
                ).all()
                if [tuple(r) for r in revisions] != [(migrate.head_revision(),)]:
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


@dataclass(frozen=True)
class _Snapshot:
    dataset: object  # held, so that its id is never another data set's
    shape: object  # the schema it was written into: only the same shape receives it
    sqlite_file: Path | None = None
    schema: str | None = None  # PostgreSQL: the snapshot schema ...
    tables: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ... its tables and their columns


class DemoSnapshots:
    """The rows of each demo written into a fresh database, by data set (the generated data
    sets are cached for the session, so the same object is the same demo) and dialect."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, admin_url: str) -> None:
        self._folder = tmp_path_factory
        self._admin_url = admin_url
        self._snapshots: dict[tuple[int, str], _Snapshot] = {}
        self._fresh: dict[str, object] = {}  # URL empty when the real write began -> shape

    def restore(self, db: Database, dataset: object) -> bool:
        """Copy the snapshot of ``dataset`` into ``db`` if it is fresh and of the snapshot's
        shape; False otherwise (and remember a fresh database, whose write :meth:`take` may
        keep)."""
        import sqlite3

        with db.engine.begin() as connection:
            if not _holds_no_rows(connection):
                return False
            shape = _shape(connection)
            snapshot = self._snapshots.get((id(dataset), connection.dialect.name))
            if snapshot is None:
                self._fresh[db.url] = shape
                return False
            if snapshot.shape != shape:
                return False
            if snapshot.schema is not None:
                _copy_tables(connection, snapshot.schema, snapshot.tables)
                _seen_now(connection)
                return True
        assert snapshot.sqlite_file is not None
        with db.engine.connect() as connection:  # the backup wants no open transaction
            target = connection.connection.driver_connection
            assert isinstance(target, sqlite3.Connection)
            with closing(sqlite3.connect(snapshot.sqlite_file)) as source:
                source.backup(target)
        with db.engine.begin() as connection:
            _seen_now(connection)
        return True

    def take(self, db: Database, dataset: object) -> None:
        """Keep what the real write just put into a database that was fresh."""
        import sqlite3

        if db.url not in self._fresh:
            return
        shape = self._fresh.pop(db.url)
        with db.engine.begin() as connection:
            key = (id(dataset), connection.dialect.name)
            if connection.dialect.name == "sqlite":
                copy = self._folder.mktemp("demo") / "demo.db"
                with closing(sqlite3.connect(copy)) as target:
                    connection.connection.driver_connection.backup(target)  # type: ignore[union-attr]
                self._snapshots[key] = _Snapshot(dataset, shape, sqlite_file=copy)
                return
            from terraplan.services.demo import DEMO_KINDS

            filled = [t for t in _tables(connection) if _has_rows(connection, t)]
            if not set(filled) <= set(DEMO_KINDS):
                return  # the write touched more than the record tables: not a demo to copy
            tables = tuple(
                (table, _columns(connection, table)) for table in DEMO_KINDS if table in filled
            )  # referenced ones first
            schema = f"demo_{uuid.uuid4().hex[:12]}"
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            for table, _ in tables:
                connection.exec_driver_sql(f'CREATE TABLE "{schema}"."{table}" AS TABLE "{table}"')
        self._snapshots[key] = _Snapshot(dataset, shape, schema=schema, tables=tables)

    def close(self) -> None:
        schemas = [s.schema for s in self._snapshots.values() if s.schema is not None]
        if not schemas:
            return
        admin = create_engine(self._admin_url)
        with admin.begin() as connection:
            for schema in schemas:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _shape(connection: Connection) -> object:
    """The revision and the whole schema of the connection's database (SQLite: every
    statement of ``sqlite_master``; PostgreSQL: :data:`_SCHEMA_FINGERPRINT`)."""
    revisions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    if connection.dialect.name == "sqlite":
        statements = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        ).all()
        return (tuple(map(tuple, revisions)), tuple(map(tuple, statements)))
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    lines = connection.execute(_SCHEMA_FINGERPRINT, {"schema": schema}).scalars()
    return (tuple(map(tuple, revisions)), frozenset(lines))


def _seen_now(connection: Connection) -> None:
    """What the real write stamps on accounts: the time the CRM's owner was seen (now, in
    the form each dialect keeps)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    seen: object = (
        now.strftime("%Y-%m-%d %H:%M:%S.%f") if connection.dialect.name == "sqlite" else now
    )
    connection.execute(
        text("UPDATE accounts SET crm_seen_at = :seen WHERE crm_seen_at IS NOT NULL"),
        {"seen": seen},
    )


def _columns(connection: Connection, table: str) -> tuple[str, ...]:
    return tuple(
        connection.execute(
            text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = :table"
                " ORDER BY ordinal_position"
            ),
            {"table": table},
        ).scalars()
    )


def _copy_tables(
    connection: Connection, schema: str, tables: tuple[tuple[str, tuple[str, ...]], ...]
) -> None:
    """Copy ``schema``'s ``tables`` (referenced ones first) into the connection's schema and
    move the sequences of their serial columns past the copied ids."""
    for table, columns in tables:
        names = ", ".join(f'"{column}"' for column in columns)
        connection.exec_driver_sql(
            f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{schema}"."{table}"'
        )
    serials = connection.exec_driver_sql(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND left(column_default, 8) = 'nextval('"
    ).all()
    copied = {table for table, _ in tables}
    for table, column in serials:
        if table in copied:
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
