"""Schema migrations with Alembic, shipped inside the package (works from a wheel)."""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from terraplan.errors import StorageError
from terraplan.storage.database import Database, translated_errors
from terraplan.storage.orm import Base


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


def ensure_schema(db: Database) -> None:
    """Bring an older schema up to date; refuse (StorageError) a database whose schema is
    newer than this terraplan (a colleague's newer version migrated it)."""
    current = current_revision(db)
    if current == head_revision():
        return
    _refuse_newer(current)
    upgrade(db)


def schema_status(db: Database) -> tuple[str | None, str]:
    """``(the database's revision, this terraplan's)``."""
    return current_revision(db), head_revision()


def _refuse_newer(current: str | None) -> None:
    if current is None:
        return
    try:
        known = ScriptDirectory.from_config(_config()).get_revision(current)
    except Exception:  # alembic raises its own error types for an unknown revision
        known = None
    if known is None:
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
