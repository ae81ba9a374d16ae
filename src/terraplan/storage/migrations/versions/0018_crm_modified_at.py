"""records keep the CRM's modification time; deletions remembered (crm_deletions)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: Tables whose rows keep the LastModifiedDate / SystemModstamp of the row imported.
STAMPED = ("accounts", "leads", "reps", "opportunities")


def upgrade() -> None:
    for table in STAMPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("crm_modified_at", sa.DateTime(), nullable=True))
    op.create_table(
        "crm_deletions",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name=op.f("pk_crm_deletions")),
    )


def downgrade() -> None:
    op.drop_table("crm_deletions")
    for table in STAMPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("crm_modified_at")
