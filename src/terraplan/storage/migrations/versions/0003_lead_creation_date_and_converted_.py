"""lead creation date and converted opportunity

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:45:27.351192
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("converted_opportunity_id", sa.String(length=100), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("converted_opportunity_id")
        batch_op.drop_column("created_date")
