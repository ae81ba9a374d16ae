"""acquisition costs name their plan

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acquisition_costs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_acquisition_costs_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("acquisition_costs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acquisition_costs_plan_id"))
        batch_op.drop_column("plan_id")
