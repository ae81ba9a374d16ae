"""plan results, rule sets, assignments, routing turns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:26:25.836403
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignment_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("owner_changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_assignment_runs_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_runs")),
    )
    with op.batch_alter_table("assignment_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_runs_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_results",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_results_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "kind", name=op.f("pk_plan_results")),
    )
    op.create_table(
        "routing_turns",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_routing_turns_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "territory_id", name=op.f("pk_routing_turns")),
    )
    op.create_table(
        "rule_sets",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_rule_sets_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "version", name=op.f("pk_rule_sets")),
    )
    op.create_table(
        "assignments",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.String(length=100), nullable=True),
        sa.Column("rule_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_assignments_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assignment_runs.id"],
            name=op.f("fk_assignments_run_id_assignment_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "record_kind", "record_id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_territory", ["plan_id", "territory_id"], unique=False)

    op.create_table(
        "owner_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("old_territory_id", sa.String(length=100), nullable=True),
        sa.Column("new_territory_id", sa.String(length=100), nullable=True),
        sa.Column("old_owner_id", sa.String(length=100), nullable=True),
        sa.Column("new_owner_id", sa.String(length=100), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assignment_runs.id"],
            name=op.f("fk_owner_changes_run_id_assignment_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_changes")),
    )
    with op.batch_alter_table("owner_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_changes_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_changes_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("owner_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_changes_run_id"))
        batch_op.drop_index(batch_op.f("ix_owner_changes_record_id"))

    op.drop_table("owner_changes")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_territory")

    op.drop_table("assignments")
    op.drop_table("rule_sets")
    op.drop_table("routing_turns")
    op.drop_table("plan_results")
    with op.batch_alter_table("assignment_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_runs_plan_id"))

    op.drop_table("assignment_runs")
