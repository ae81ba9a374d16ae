"""``terraplan init`` and ``terraplan db ...``: create and migrate the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from terraplan.cli.console import note, stdout
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
    """Apply migrations up to REVISION (default: the newest) and list each one applied."""
    from terraplan.storage import migrate

    db = app_context(ctx).database(migrate=False)
    before = migrate.current_revision(db)
    with _known_revision(revision):
        migrate.upgrade(db, revision)
    after = migrate.current_revision(db)
    out = stdout()
    if after == before:
        out.print(f"{db.display_url} is at schema {after or '(empty)'}: nothing to do.")
        return
    assert after is not None
    applied = migrate.migrations_between(before, after)
    start = f"from schema {before}" if before else "from an empty database"
    count = f"{len(applied)} migration{'s' if len(applied) != 1 else ''}"
    out.print(f"Upgraded {db.display_url} {start} to {after} ({count}):", soft_wrap=True)
    for step in applied:
        out.print(f"  {step.revision}  {step.description}", highlight=False, soft_wrap=True)
    if before is not None and db.engine.dialect.name == "sqlite":
        note(
            f"`terraplan db downgrade {before}` goes back to the old schema but drops what the "
            "newer migrations added; only a copy of the file made before upgrading (with no "
            "terraplan running) keeps everything"
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
    revision, head = migrate.schema_status(db)
    stdout().print(f"current: {revision or '(empty)'}  head: {head}")
    if revision is not None and revision != head and migrate.is_known(revision):
        pending = migrate.migrations_between(revision, head)
        copy = (
            "; first copy the SQLite file (with no terraplan running) to keep a way back"
            if db.engine.dialect.name == "sqlite"
            else "; first back the database up (pg_dump) to keep a way back"
        )
        count = f"{len(pending)} migration{'s' if len(pending) != 1 else ''}"
        note(f"{count} to apply: `terraplan db upgrade` (any other command applies them too){copy}")
