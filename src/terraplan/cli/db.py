"""``terraplan init`` and ``terraplan db ...``: create and migrate the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from terraplan.cli.console import stdout
from terraplan.cli.context import app_context
from terraplan.errors import InvalidParameterError

db_app = typer.Typer(
    help="Database schema: upgrade, downgrade, current revision.", no_args_is_help=True
)


@contextmanager
def _known_revision(revision: str) -> Iterator[None]:
    """Turn Alembic's "can't locate revision" into a usage error (exit 2) naming REVISION."""
    from alembic.util.exc import CommandError

    try:
        yield
    except CommandError as exc:
        raise InvalidParameterError(
            f"schema revision {revision!r}: {exc}; `terraplan db current` shows the newest",
            details={"parameter": "revision", "value": revision},
        ) from None


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(db_app, name="db")


def init(ctx: typer.Context) -> None:
    """Create the database (SQLite file by default) and bring its schema up to date."""
    from terraplan.storage import migrate

    context = app_context(ctx)
    db = context.database(migrate=False)
    migrate.upgrade(db)
    stdout().print(f"Database ready: {db.display_url} (schema {migrate.current_revision(db)})")


@db_app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from terraplan.storage import migrate

    db = app_context(ctx).database(migrate=False)
    before = migrate.current_revision(db)
    with _known_revision(revision):
        migrate.upgrade(db, revision)
    stdout().print(
        f"Schema {before or '(empty)'} -> {migrate.current_revision(db)} on {db.display_url}"
    )


@db_app.command("downgrade")
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision ('base' drops everything).")],
) -> None:
    """Revert migrations down to REVISION."""
    from terraplan.storage import migrate

    db = app_context(ctx).database(migrate=False)
    with _known_revision(revision):
        migrate.downgrade(db, revision)
    stdout().print(f"Schema now at {migrate.current_revision(db) or 'base'} on {db.display_url}")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the database and the newest one available."""
    from terraplan.storage import migrate

    db = app_context(ctx).database(migrate=False)
    stdout().print(
        f"current: {migrate.current_revision(db) or '(empty)'}  head: {migrate.head_revision()}"
    )
