"""Schema migrations with Alembic, shipped inside the package (works from a wheel)."""

from __future__ import annotations

import importlib.resources
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from terraplan.storage.database import Database, translated_errors
from terraplan.storage.orm import Base


def _config() -> Config:
    config = Config()
    location = importlib.resources.files("terraplan.storage") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with translated_errors(db.display_url), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    config = _config()
    with translated_errors(db.display_url), db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


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
