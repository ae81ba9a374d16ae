"""Alembic environment: always run with a connection handed in by terraplan.storage.migrate."""

from __future__ import annotations

from alembic import context

from terraplan.storage.orm import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - alembic CLI use without terraplan
    raise RuntimeError("run migrations through `terraplan db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
