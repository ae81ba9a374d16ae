"""Database engines: SQLite by default (a file), PostgreSQL for teams.

SQLite connections get ``foreign_keys=ON``, WAL journaling and a busy timeout, so that the API
and the CLI can share one file safely.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from terraplan.errors import InvalidParameterError, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Connections per engine (one engine per process). A request of the API may hold two at once
#: (its unit of work and a service's short transaction), so the pool must hold twice the API's
#: worker threads (``terraplan.api.app.API_THREADS``) plus the background threads; SQLAlchemy's
#: default (5 + 10) ran out under 200 concurrent clients and requests waited 30 s, then failed.
POOL = {"pool_size": 10, "max_overflow": 30}


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
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


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL), configured for terraplan."""
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
        return create_engine(parsed, echo=echo, pool_pre_ping=True, **POOL)
    raise InvalidParameterError(
        f"database backend {parsed.get_backend_name()!r} is not supported (use sqlite or postgresql)",
        details={"field": "database_url"},
    )


@contextmanager
def translated_errors(display_url: str) -> Iterator[None]:
    """Turn a driver's 'cannot connect / database failed' into :class:`StorageError`."""
    try:
        yield
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
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

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url, echo=self.echo)
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
        """A connection in autocommit mode, for work that is one statement (a read, or one
        atomic write such as ``INSERT ... ON CONFLICT ... RETURNING``), needing no transaction
        around it: on PostgreSQL one round trip instead of three (no BEGIN, no COMMIT). Use
        :meth:`connect` whenever two statements must see or change the data together."""
        with translated_errors(self.display_url), self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def table_names(self) -> list[str]:
        with translated_errors(self.display_url):
            return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()
