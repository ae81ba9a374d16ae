"""territory notes

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "territory_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("marketing", sa.Text(), nullable=False),
        sa.Column("outreach", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_territory_notes_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territory_notes")),
    )
    with op.batch_alter_table("territory_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_territory_notes_key", ["plan_id", "territory_id", "plan_version"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("territory_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_territory_notes_key")
    op.drop_table("territory_notes")
