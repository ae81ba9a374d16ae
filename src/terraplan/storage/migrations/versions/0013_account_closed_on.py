"""accounts keep the day they were closed (closed_on)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_accounts_closed_on"), ["closed_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_closed_on"))
        batch_op.drop_column("closed_on")
