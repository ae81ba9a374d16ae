"""SQLAlchemy 2 ORM rows. Separate from the domain classes; see ``mappers`` for the mapping.

Column names of the record tables equal the domain dataclass field names, so that validated
import frames can be bulk-inserted without renaming.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

# The declarative base lives in a module of its own, so that the tables of the sign-in,
# deletion and mapping modules can be imported before this one (an app that imports
# ``terraplan.api.app`` first reached them first, and the import cycle failed).
from terraplan.storage.orm_base import ID, Base


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    street: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(60))
    postal_code: Mapped[str | None] = mapped_column(String(20), index=True)
    country: Mapped[str | None] = mapped_column(String(60))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    county_fips: Mapped[str | None] = mapped_column(String(5), index=True)
    industry: Mapped[str | None] = mapped_column(String(120))
    customer_type: Mapped[str | None] = mapped_column(String(60))
    segment: Mapped[str | None] = mapped_column(String(60))
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[float | None] = mapped_column(Float)
    potential: Mapped[float | None] = mapped_column(Float)
    workload: Mapped[float | None] = mapped_column(Float)
    parent_id: Mapped[str | None] = mapped_column(ID)
    owner_id: Mapped[str | None] = mapped_column(ID, index=True)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The owner the CRM gave the account in the latest import that carried one (owner_id
    #: also changes when a plan's owners follow): what an owner update file is measured from.
    crm_owner_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    #: When that import wrote it (UTC): owner changes logged later are not in the CRM yet.
    crm_seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: The day the account was closed (Account.closed_on); NULL while it is open.
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    #: The CRM's LastModifiedDate / SystemModstamp of the row stored (UTC; NULL: none given).
    crm_modified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LeadRow(Base):
    __tablename__ = "leads"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    company: Mapped[str] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(60))
    state: Mapped[str | None] = mapped_column(String(60))
    city: Mapped[str | None] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    industry: Mapped[str | None] = mapped_column(String(120))
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(255))
    created_date: Mapped[date | None] = mapped_column(Date)
    converted_opportunity_id: Mapped[str | None] = mapped_column(ID)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The CRM's LastModifiedDate / SystemModstamp of the row stored (UTC; NULL: none given).
    crm_modified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RepRow(Base):
    __tablename__ = "reps"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(40))
    home_postal_code: Mapped[str | None] = mapped_column(String(20))
    home_latitude: Mapped[float | None] = mapped_column(Float)
    home_longitude: Mapped[float | None] = mapped_column(Float)
    skills_industries: Mapped[list[str] | None] = mapped_column(JSON)
    skills_segments: Mapped[list[str] | None] = mapped_column(JSON)
    skills_products: Mapped[list[str] | None] = mapped_column(JSON)
    experience_years: Mapped[float | None] = mapped_column(Float)
    capacity_hours: Mapped[float | None] = mapped_column(Float)
    capacity_accounts: Mapped[int | None] = mapped_column(Integer)
    manager_id: Mapped[str | None] = mapped_column(ID)
    region: Mapped[str | None] = mapped_column(String(120))
    hire_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The CRM's LastModifiedDate / SystemModstamp of the row stored (UTC; NULL: none given).
    crm_modified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class GeoUnitRow(Base):
    __tablename__ = "geo_units"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(255))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    state: Mapped[str | None] = mapped_column(String(60))
    parent_id: Mapped[str | None] = mapped_column(ID)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    neighbours: Mapped[list[str] | None] = mapped_column(JSON)
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SalesLineRow(Base):
    __tablename__ = "sales_lines"
    __table_args__ = (Index("ix_sales_lines_account_date", "account_id", "date"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)
    product: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[float | None] = mapped_column(Float)


class OpportunityRow(Base):
    __tablename__ = "opportunities"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ID, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)
    stage: Mapped[str] = mapped_column(String(80))
    owner_id: Mapped[str | None] = mapped_column(ID)
    name: Mapped[str | None] = mapped_column(String(255))
    close_date: Mapped[date | None] = mapped_column(Date)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_won: Mapped[bool] = mapped_column(Boolean, default=False)
    product: Mapped[str | None] = mapped_column(String(120))
    lead_source: Mapped[str | None] = mapped_column(String(120))
    #: The CRM's LastModifiedDate / SystemModstamp of the row stored (UTC; NULL: none given).
    crm_modified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: Salesforce's Type, HubSpot's Deal Type (New Business, Renewal, ...; NULL: not given).
    deal_type: Mapped[str | None] = mapped_column(String(80), nullable=True)


class TargetRow(Base):
    __tablename__ = "targets"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)
    territory_id: Mapped[str | None] = mapped_column(ID)
    rep_id: Mapped[str | None] = mapped_column(ID)
    plan_id: Mapped[str | None] = mapped_column(ID, index=True)
    metric: Mapped[str] = mapped_column(String(40), default="revenue")


class AcquisitionCostRow(Base):
    __tablename__ = "acquisition_costs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    territory_id: Mapped[str] = mapped_column(ID, index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(String(120))
    plan_id: Mapped[str | None] = mapped_column(ID, index=True)


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    based_on_plan_id: Mapped[str | None] = mapped_column(ID)
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scope: Mapped[str | None] = mapped_column(String(120))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TerritoryRow(Base):
    __tablename__ = "territories"

    plan_id: Mapped[str] = mapped_column(
        ID, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(ID)
    level: Mapped[str] = mapped_column(String(40))


class TerritoryOwnerRow(Base):
    __tablename__ = "territory_owners"
    __table_args__ = (
        ForeignKeyConstraint(
            ["plan_id", "territory_id"],
            ["territories.plan_id", "territories.id"],
            ondelete="CASCADE",
        ),
    )

    plan_id: Mapped[str] = mapped_column(ID, primary_key=True)
    territory_id: Mapped[str] = mapped_column(ID, primary_key=True)
    rep_id: Mapped[str] = mapped_column(ID, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    share: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer)


class AlignmentRow(Base):
    __tablename__ = "alignments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["plan_id", "territory_id"],
            ["territories.plan_id", "territories.id"],
            ondelete="CASCADE",
        ),
        Index("ix_alignments_territory", "plan_id", "territory_id"),
    )

    plan_id: Mapped[str] = mapped_column(ID, primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[str] = mapped_column(ID, primary_key=True)
    territory_id: Mapped[str] = mapped_column(ID)


class ImportRunRow(Base):
    """One import of a file: what came in and how much was rejected (an audit trail)."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    on_error: Mapped[str] = mapped_column(String(10))
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    #: The currency the imported amounts are stored in, when the file named it.
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)


class PlanResultRow(Base):
    """A report stored with a plan (design report, capacity, matching, targets fairness...)."""

    __tablename__ = "plan_results"

    plan_id: Mapped[str] = mapped_column(
        ID, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RuleSetRow(Base):
    """An ownership rule set (its JSON text), versioned with the plan it belongs to."""

    __tablename__ = "rule_sets"

    plan_id: Mapped[str] = mapped_column(
        ID, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AssignmentRunRow(Base):
    """One batch application of a plan's rule set to the stored accounts."""

    __tablename__ = "assignment_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ID, ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    rule_set_version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    records: Mapped[int] = mapped_column(Integer)
    gaps: Mapped[int] = mapped_column(Integer)
    conflicts: Mapped[int] = mapped_column(Integer)
    owner_changes: Mapped[int] = mapped_column(Integer)


class AssignmentRow(Base):
    """The owner of a record under a plan: the latest run's result (one row per record)."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_territory", "plan_id", "territory_id"),)

    plan_id: Mapped[str] = mapped_column(
        ID, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    record_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[str] = mapped_column(ID, primary_key=True)
    territory_id: Mapped[str | None] = mapped_column(ID)
    owner_id: Mapped[str | None] = mapped_column(ID)
    rule_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    plan_version: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("assignment_runs.id", ondelete="CASCADE")
    )
    assigned_at: Mapped[datetime] = mapped_column(DateTime)


class OwnerChangeRow(Base):
    """Change log: a record whose territory or owner changed between two assignment runs."""

    __tablename__ = "owner_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("assignment_runs.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[str] = mapped_column(ID)
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(ID, index=True)
    old_territory_id: Mapped[str | None] = mapped_column(ID)
    new_territory_id: Mapped[str | None] = mapped_column(ID)
    old_owner_id: Mapped[str | None] = mapped_column(ID)
    new_owner_id: Mapped[str | None] = mapped_column(ID)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class RoutingTurnRow(Base):
    """Round-robin state of a territory's reps: survives restarts; incremented atomically."""

    __tablename__ = "routing_turns"

    plan_id: Mapped[str] = mapped_column(
        ID, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    territory_id: Mapped[str] = mapped_column(ID, primary_key=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)


class JobRow(Base):
    """Long work (design runs, large imports, rule runs) as a record: queued, claimed by one
    worker, progress reported in short transactions, result written once at the end."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str | None] = mapped_column(String(255))
    objective: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRow(Base):
    """Who changed what, when, with the state before and after (append-only)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str | None] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(ID)
    plan_id: Mapped[str | None] = mapped_column(ID, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CommentRow(Base):
    """A comment or a change request on a plan, one of its territories, or a move."""

    __tablename__ = "plan_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ID, ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str | None] = mapped_column(String(20))
    proposed_edit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str | None] = mapped_column(Text)


class OwnershipPeriodRow(Base):
    """Who owned an account, in which territory, from which day to which day (effective-dated:
    written when a plan is activated, never overwritten, so history survives realignments)."""

    __tablename__ = "ownership_periods"
    __table_args__ = (Index("ix_ownership_periods_record", "record_kind", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(ID)
    territory_id: Mapped[str | None] = mapped_column(ID)
    territory_name: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[str | None] = mapped_column(ID)
    plan_id: Mapped[str] = mapped_column(ID)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class TerritoryNotesRow(Base):
    """A territory's plan page text (strategy, marketing plans, outreach initiatives) as saved
    for one plan version; ``revision`` counts the saves of that row (stale writes are refused)."""

    __tablename__ = "territory_notes"
    __table_args__ = (
        Index("ix_territory_notes_key", "plan_id", "territory_id", "plan_version", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ID, ForeignKey("plans.id", ondelete="CASCADE"))
    territory_id: Mapped[str] = mapped_column(ID)
    plan_version: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    strategy: Mapped[str] = mapped_column(Text)
    marketing: Mapped[str] = mapped_column(Text)
    outreach: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


# Registered on the same metadata (migrations, schema checks): a table of its own module.
from terraplan.storage.orm_access import (  # noqa: E402
    ApiTokenRow,
    BrowserSessionRow,
    SignInFailureRow,
    UserRow,
)
from terraplan.storage.orm_deletions import CrmDeletionRow  # noqa: E402
from terraplan.storage.orm_mappings import ImportMappingRow  # noqa: E402

__all__ = [
    "ID",
    "ApiTokenRow",
    "Base",
    "BrowserSessionRow",
    "CrmDeletionRow",
    "ImportMappingRow",
    "SignInFailureRow",
    "UserRow",
]
