"""acquisition costs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:53:30.705207
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acquisition_costs",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acquisition_costs")),
    )
    with op.batch_alter_table("acquisition_costs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_acquisition_costs_territory_id"), ["territory_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("acquisition_costs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acquisition_costs_territory_id"))

    op.drop_table("acquisition_costs")
