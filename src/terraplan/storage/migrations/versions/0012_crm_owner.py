"""accounts keep the owner the CRM gave them and when (crm_owner_id, crm_seen_at)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crm_owner_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("crm_seen_at", sa.DateTime(), nullable=True))
    # What the owner update file was measured from until now: the owner before the first
    # owner change logged for the account, else the owner it has; with no time seen, every
    # change logged counts as not in the CRM yet (as the file had it).
    op.execute(
        "UPDATE accounts SET crm_owner_id = COALESCE(("
        " SELECT c.old_owner_id FROM owner_changes c WHERE c.id = ("
        "  SELECT MIN(f.id) FROM owner_changes f WHERE f.record_kind = 'account'"
        "  AND f.record_id = accounts.id"
        "  AND (f.old_owner_id IS NULL AND f.new_owner_id IS NOT NULL"
        "   OR f.old_owner_id IS NOT NULL AND f.new_owner_id IS NULL"
        "   OR f.old_owner_id <> f.new_owner_id))"
        "), CASE WHEN EXISTS (SELECT 1 FROM owner_changes e WHERE e.record_kind = 'account'"
        " AND e.record_id = accounts.id AND (e.old_owner_id IS NULL AND e.new_owner_id IS NOT"
        " NULL OR e.old_owner_id IS NOT NULL AND e.new_owner_id IS NULL OR e.old_owner_id <>"
        " e.new_owner_id)) THEN NULL ELSE owner_id END)"
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("crm_seen_at")
        batch_op.drop_column("crm_owner_id")
