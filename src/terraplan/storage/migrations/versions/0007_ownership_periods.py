"""ownership periods

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ownership_periods",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=True),
        sa.Column("territory_name", sa.String(length=255), nullable=True),
        sa.Column("owner_id", sa.String(length=100), nullable=True),
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_periods")),
    )
    with op.batch_alter_table("ownership_periods", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ownership_periods_record", ["record_kind", "record_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ownership_periods", schema=None) as batch_op:
        batch_op.drop_index("ix_ownership_periods_record")
    op.drop_table("ownership_periods")
