"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 08:24:30.226646
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("state", sa.String(length=60), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=60), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("county_fips", sa.String(length=5), nullable=True),
        sa.Column("industry", sa.String(length=120), nullable=True),
        sa.Column("customer_type", sa.String(length=60), nullable=True),
        sa.Column("segment", sa.String(length=60), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("potential", sa.Float(), nullable=True),
        sa.Column("workload", sa.Float(), nullable=True),
        sa.Column("parent_id", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.String(length=100), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_county_fips"), ["county_fips"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_postal_code"), ["postal_code"], unique=False)

    op.create_table(
        "geo_units",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=True),
        sa.Column("parent_id", sa.String(length=100), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("neighbours", sa.JSON(), nullable=True),
        sa.Column("polygon", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_units")),
    )
    with op.batch_alter_table("geo_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_geo_units_kind"), ["kind"], unique=False)

    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("on_error", sa.String(length=10), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("company", sa.String(length=255), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=60), nullable=True),
        sa.Column("state", sa.String(length=60), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("industry", sa.String(length=120), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("based_on_plan_id", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_table(
        "reps",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("home_postal_code", sa.String(length=20), nullable=True),
        sa.Column("home_latitude", sa.Float(), nullable=True),
        sa.Column("home_longitude", sa.Float(), nullable=True),
        sa.Column("skills_industries", sa.JSON(), nullable=True),
        sa.Column("skills_segments", sa.JSON(), nullable=True),
        sa.Column("skills_products", sa.JSON(), nullable=True),
        sa.Column("experience_years", sa.Float(), nullable=True),
        sa.Column("capacity_hours", sa.Float(), nullable=True),
        sa.Column("capacity_accounts", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reps")),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=True),
        sa.Column("rep_id", sa.String(length=100), nullable=True),
        sa.Column("plan_id", sa.String(length=100), nullable=True),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_targets_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "opportunities",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("created_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(length=80), nullable=False),
        sa.Column("owner_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("is_won", sa.Boolean(), nullable=False),
        sa.Column("product", sa.String(length=120), nullable=True),
        sa.Column("lead_source", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_opportunities_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunities_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "sales_lines",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("product", sa.String(length=120), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sales_lines_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_lines")),
    )
    with op.batch_alter_table("sales_lines", schema=None) as batch_op:
        batch_op.create_index("ix_sales_lines_account_date", ["account_id", "date"], unique=False)

    op.create_table(
        "territories",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.String(length=100), nullable=True),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_territories_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "id", name=op.f("pk_territories")),
    )
    op.create_table(
        "alignments",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id", "territory_id"],
            ["territories.plan_id", "territories.id"],
            name=op.f("fk_alignments_plan_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "record_kind", "record_id", name=op.f("pk_alignments")),
    )
    with op.batch_alter_table("alignments", schema=None) as batch_op:
        batch_op.create_index("ix_alignments_territory", ["plan_id", "territory_id"], unique=False)

    op.create_table(
        "territory_owners",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("territory_id", sa.String(length=100), nullable=False),
        sa.Column("rep_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id", "territory_id"],
            ["territories.plan_id", "territories.id"],
            name=op.f("fk_territory_owners_plan_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "plan_id", "territory_id", "rep_id", "role", name=op.f("pk_territory_owners")
        ),
    )


def downgrade() -> None:
    op.drop_table("territory_owners")
    with op.batch_alter_table("alignments", schema=None) as batch_op:
        batch_op.drop_index("ix_alignments_territory")

    op.drop_table("alignments")
    op.drop_table("territories")
    with op.batch_alter_table("sales_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_lines_account_date")

    op.drop_table("sales_lines")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunities_account_id"))

    op.drop_table("opportunities")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_targets_plan_id"))

    op.drop_table("targets")
    op.drop_table("reps")
    op.drop_table("plans")
    op.drop_table("leads")
    op.drop_table("import_runs")
    with op.batch_alter_table("geo_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_geo_units_kind"))

    op.drop_table("geo_units")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_postal_code"))
        batch_op.drop_index(batch_op.f("ix_accounts_owner_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_county_fips"))

    op.drop_table("accounts")
