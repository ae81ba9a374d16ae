"""plans have their scope column even where 0008 was skipped (main of 2 December, 06:45-06:54)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 16:20:00

For three commits of main (a0cf679..69f27c4) the territory notes migration 0009 followed 0007,
and the merge that brought 0008 (plan scope) re-chained 0009 after 0008. A database migrated
then is at 0009 without ``plans.scope``: every later upgrade took it past 0008 without adding
the column, and every read of a plan failed with "no such column: plans.scope". The column is
added where it is missing (empty: every plan of that time covered the whole market, as it
does with no scope).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("plans")}
    if "scope" not in columns:
        with op.batch_alter_table("plans", schema=None) as batch_op:
            batch_op.add_column(sa.Column("scope", sa.String(length=120), nullable=True))


def downgrade() -> None:
    # The column is 0008's: its own downgrade drops it.
    pass
