"""Database engines: SQLite by default (a file), PostgreSQL for teams.

SQLite connections get ``foreign_keys=ON``, WAL journaling and a busy timeout, so that the API
and the CLI can share one file safely.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from terraplan.errors import InvalidParameterError, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Connections per engine (one engine per process). A request of the API may hold two at once
#: (its unit of work and a service's short transaction), so the pool must hold twice the API's
#: worker threads (``terraplan.api.app.API_THREADS``) plus the background threads; SQLAlchemy's
#: default (5 + 10) ran out under 200 concurrent clients and requests waited 30 s, then failed.
#: Most of them are kept open (``pool_size``): an overflow connection is closed when it is
#: returned, and under load the API then opened a new one for most requests.
POOL = {"pool_size": 24, "max_overflow": 6}

#: PostgreSQL: the separate pool of autocommit connections behind
#: :meth:`Database.single_statement` (the API's per-request reads and its routing turns).
#: Switching a pooled connection to autocommit and back cost two more round trips per
#: statement than the statement itself.
AUTOCOMMIT_POOL = {"pool_size": 12, "max_overflow": 3}


#: PostgreSQL drivers other URLs name (SQLAlchemy's and Django's defaults among them): the
#: database is the same, terraplan talks to it with psycopg 3, the one it installs.
_OTHER_POSTGRES_DRIVERS = ("psycopg2", "psycopg2cffi", "pg8000", "asyncpg", "psycopg_async")


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` URLs (and those naming another PostgreSQL driver) and use
    the psycopg 3 driver for them."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    backend, _, driver = scheme.partition("+")
    if backend in ("postgresql", "postgres") and (not driver or driver in _OTHER_POSTGRES_DRIVERS):
        return "postgresql+psycopg://" + rest
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Bulk imports maintain several indexes; a larger page cache cuts their cost by about a fifth.
    cursor.execute("PRAGMA cache_size=-131072")
    cursor.close()


#: A pooled PostgreSQL connection idle for longer than this is tested (``SELECT 1``) before
#: use, and replaced if the server closed it (restart, idle timeout). SQLAlchemy's
#: ``pool_pre_ping`` tests on every checkout: one more round trip for each statement of the
#: API, which doubled the cost of a cached read. A connection that dies within this window
#: fails one statement, and SQLAlchemy then replaces every connection of the pool.
PING_AFTER_IDLE_SECONDS = 5.0


def _relaxed_commit(dbapi_connection: Any, _record: Any) -> None:
    """The single statements' writes are routing turns and a token's time of last use: state
    that may lose its last fraction of a second if the server crashes (a rep takes one lead
    twice), which is not worth a wait for the disk on every routed lead."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET synchronous_commit TO OFF")
    finally:
        cursor.close()


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()  # end the transaction the driver opened for the ping
    except Exception as exc:  # the driver's own error types: any failure means a dead link
        raise DisconnectionError(str(exc)) from exc


def make_engine(url: str, *, echo: bool = False, autocommit: bool = False) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL), configured for terraplan;
    ``autocommit`` (PostgreSQL): its connections run each statement on its own."""
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise InvalidParameterError(
            f"database URL {url!r} is not valid: {exc}", details={"field": "database_url"}
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo, **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if autocommit:
            engine = create_engine(
                parsed, echo=echo, isolation_level="AUTOCOMMIT", **AUTOCOMMIT_POOL
            )
            event.listen(engine, "connect", _relaxed_commit)
        else:
            engine = create_engine(parsed, echo=echo, **POOL)
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle)
        return engine
    raise InvalidParameterError(
        f"database backend {parsed.get_backend_name()!r} is not supported (use sqlite or postgresql)",
        details={"field": "database_url"},
    )


def _unreadable_sqlite_file(exc: DatabaseError) -> bool:
    """SQLite cannot read the file at all (``file is not a database``, ``database disk image
    is malformed``): its plain DatabaseError, not a constraint or programming error."""
    import sqlite3

    return type(exc.orig) is sqlite3.DatabaseError


@contextmanager
def translated_errors(display_url: str) -> Iterator[None]:
    """Turn a driver's 'cannot connect / database failed' into :class:`StorageError`."""
    try:
        yield
    except DatabaseError as exc:
        if not isinstance(exc, OperationalError) and not _unreadable_sqlite_file(exc):
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if not isinstance(exc, OperationalError):
            reason += " (not a SQLite database file, or a damaged one)"
        missing = re.search(r'database "([^"]+)" does not exist', reason)
        if missing:
            # PostgreSQL databases are made by their server's administrator, not by terraplan
            reason += (
                f" (create it first, e.g. `createdb -h HOST -U USER {missing.group(1)}`, then "
                "run `terraplan init`)"
            )
        raise StorageError(
            f"database {display_url} is not usable: {reason}", details={"url": display_url}
        ) from None


@dataclass
class Database:
    """An engine and its session factory. Create one per process and pass it around."""

    url: str
    echo: bool = False
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)
    _display_url: str = field(init=False, repr=False)
    _autocommit: Engine | None = field(init=False, default=None, repr=False)
    _sqlite_writer: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url, echo=self.echo)
        if self.engine.dialect.name == "postgresql":
            self._autocommit = make_engine(self.url, echo=self.echo, autocommit=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._display_url = self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return self._display_url

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection in a transaction (committed on success, rolled back on error)."""
        with translated_errors(self.display_url), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def single_statement(self) -> Iterator[Connection]:
        """A connection for work that is one statement (a read, or one atomic write such as
        ``INSERT ... ON CONFLICT ... RETURNING``), needing no transaction around it: on
        PostgreSQL an autocommit connection from its own pool, one round trip (no BEGIN, no
        COMMIT), whose writes do not wait for the disk (``synchronous_commit`` off: only
        routing turns and a token's last use are written this way). Use :meth:`connect` whenever two statements must see or change the data
        together."""
        if self._autocommit is None:
            # SQLite: the sqlite3 driver opens a transaction only before a write, so a read
            # costs no BEGIN/COMMIT here anyway, and a write is committed at once.
            with translated_errors(self.display_url), self.engine.begin() as connection:
                yield connection
            return
        with translated_errors(self.display_url), self._autocommit.connect() as connection:
            yield connection

    @contextmanager
    def single_write(self) -> Iterator[Connection]:
        """:meth:`single_statement` for one atomic write (e.g. a routing turn). On SQLite the
        threads of this process take turns before asking the file for its write lock: SQLite
        lets one writer in at a time anyway, and a writer that finds the lock taken sleeps
        (1, 2, 5, 10 ms and more) before it asks again, which under concurrent writes cost
        far more than the statements."""
        if self._autocommit is None:
            with self._sqlite_writer, self.single_statement() as connection:
                yield connection
            return
        with self.single_statement() as connection:
            yield connection

    def open_connections(self, count: int) -> None:
        """Open up to ``count`` connections in each pool now and keep them (a server does this
        before it takes requests, so that its first busy second does not open them one by one
        while requests wait: a PostgreSQL connection costs a new server process)."""
        pools = [(self.engine, int(POOL["pool_size"]))]
        if self._autocommit is not None:
            pools.append((self._autocommit, int(AUTOCOMMIT_POOL["pool_size"])))
        with translated_errors(self.display_url), ExitStack() as held:
            for engine, size in pools:
                for _ in range(min(count, size)):
                    held.enter_context(engine.connect())

    def table_names(self) -> list[str]:
        with translated_errors(self.display_url):
            return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._autocommit is not None:
            self._autocommit.dispose()


def is_unique_violation(exc: BaseException) -> bool:
    """Is ``exc`` a unique-key violation (two writers took the same key at once), rather than
    another integrity error (a missing reference, a NULL), which retrying cannot mend?"""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    name = getattr(orig, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
