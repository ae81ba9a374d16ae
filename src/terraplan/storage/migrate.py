"""Schema migrations with Alembic, shipped inside the package (works from a wheel)."""

from __future__ import annotations

import functools
import importlib.resources
import logging
from typing import Any, NamedTuple

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from terraplan.errors import StorageError
from terraplan.storage.database import Database, translated_errors
from terraplan.storage.orm import Base

logger = logging.getLogger(__name__)


def _config() -> Config:
    config = Config()
    location = importlib.resources.files("terraplan.storage") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision shipped (read once: the package's migrations do not change while a
    process runs, and ``/health`` asks on every call)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with translated_errors(db.display_url), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


#: The PostgreSQL advisory lock migrations hold: processes starting together on one database
#: migrate one after the other (the second finds the schema up to date).
MIGRATION_LOCK = 7_461_201


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest). On PostgreSQL under an
    advisory lock: two servers starting on a new database do not both create its tables."""
    config = _config()
    with translated_errors(db.display_url), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        _refuse_newer(MigrationContext.configure(connection).get_current_revision())
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class Migration(NamedTuple):
    """One shipped migration: its revision and what it does (its docstring's first line)."""

    revision: str
    description: str


def migrations_between(start: str | None, end: str) -> list[Migration]:
    """The migrations that take a schema at ``start`` (None: empty) to ``end``, oldest first."""
    script = ScriptDirectory.from_config(_config())
    steps = script.iterate_revisions(end, start or "base")
    return [Migration(s.revision, (s.doc or "").strip()) for s in reversed(list(steps))]


def ensure_schema(db: Database) -> tuple[str | None, str] | None:
    """Bring an older schema up to date; refuse (StorageError) a database whose schema is
    newer than this terraplan (a colleague's newer version migrated it). Returns ``(from,
    to)`` when it migrated (``from`` None: the database was empty), else None; an upgrade of
    an existing schema is logged as a warning (a team may want to know the server did it)."""
    current = current_revision(db)
    if current == head_revision():
        return None
    _refuse_newer(current)
    upgrade(db)
    done = current_revision(db)
    assert done is not None
    if current is not None:
        logger.warning("upgraded the schema of %s from %s to %s", db.display_url, current, done)
    return current, done


def schema_status(db: Database) -> tuple[str | None, str]:
    """``(the database's revision, this terraplan's)``."""
    return current_revision(db), head_revision()


def is_known(revision: str) -> bool:
    """Whether ``revision`` is one this terraplan ships (a newer terraplan's is not)."""
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except Exception:  # alembic raises its own error types for an unknown revision
        return False


def _refuse_newer(current: str | None) -> None:
    if current is None:
        return
    if not is_known(current):
        head = head_revision()
        raise StorageError(
            f"the database schema is at revision {current}, newer than this terraplan's "
            f"({head}): another, newer terraplan migrated it; upgrade terraplan to use it",
            details={"schema_revision": current, "expected": head},
        )


def downgrade(db: Database, revision: str) -> None:
    config = _config()
    with translated_errors(db.display_url), db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def schema_drift(db: Database) -> list[Any]:
    """Differences between the ORM metadata and the database (empty when in sync)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def is_up_to_date(db: Database) -> bool:
    return current_revision(db) == head_revision()
