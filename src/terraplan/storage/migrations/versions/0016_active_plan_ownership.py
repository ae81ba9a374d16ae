"""a plan already active before ownership periods existed (0007) gets its open periods

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 16:30:00

A database made by a terraplan older than 0007 holds an active plan whose activation recorded
no ownership periods: after the upgrade ``terraplan owners ACCOUNT`` answered nothing and the
KPIs by rep said no plan was activated, crediting every sale to today's owners. Each active
plan with no period of its own gets what its activation records today: from the day it took
effect, every account its rules placed, in its territory, owned by the territory's rep (else
the owner the account has). The day is the plan's ``effective_from``, else the day its
activation was logged (audit log, 0006), else the day the plan was last saved; the plan's
``effective_from`` is set to that day when it had none. Records that already have an open
period are left alone, so nothing recorded is rewritten.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_plans = sa.table(
    "plans",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("effective_from", sa.Date),
    sa.column("updated_at", sa.DateTime),
    sa.column("scope", sa.String),
)
_audit = sa.table(
    "audit_log",
    sa.column("at", sa.DateTime),
    sa.column("action", sa.String),
    sa.column("object_kind", sa.String),
    sa.column("object_id", sa.String),
)
_assignments = sa.table(
    "assignments",
    sa.column("plan_id", sa.String),
    sa.column("record_kind", sa.String),
    sa.column("record_id", sa.String),
    sa.column("territory_id", sa.String),
    sa.column("owner_id", sa.String),
)
_territories = sa.table(
    "territories", sa.column("plan_id", sa.String), sa.column("id", sa.String), sa.column("name")
)
_accounts = sa.table("accounts", sa.column("id", sa.String), sa.column("owner_id", sa.String))
_periods = sa.table(
    "ownership_periods",
    sa.column("record_kind", sa.String),
    sa.column("record_id", sa.String),
    sa.column("territory_id", sa.String),
    sa.column("territory_name", sa.String),
    sa.column("owner_id", sa.String),
    sa.column("plan_id", sa.String),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("recorded_at", sa.DateTime),
)


def _start(bind: sa.Connection, plan_id: str, effective_from: date | None, saved: object) -> date:
    if effective_from is not None:
        return effective_from
    logged = bind.execute(
        sa.select(sa.func.max(_audit.c.at)).where(
            _audit.c.action == "activate",
            _audit.c.object_kind == "plan",
            _audit.c.object_id == plan_id,
        )
    ).scalar()
    for moment in (logged, saved):
        if isinstance(moment, datetime):
            return moment.date()
    return datetime.now(UTC).date()


def upgrade() -> None:
    bind = op.get_bind()
    active = bind.execute(
        sa.select(_plans.c.id, _plans.c.effective_from, _plans.c.updated_at, _plans.c.scope)
        .where(_plans.c.status == "active")
        .order_by(_plans.c.id)
    ).all()
    open_records = set(
        bind.execute(
            sa.select(_periods.c.record_id).where(
                _periods.c.record_kind == "account", _periods.c.valid_to.is_(None)
            )
        ).scalars()
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    for plan_id, effective_from, saved, scope in active:
        recorded = bind.execute(
            sa.select(sa.func.count()).select_from(_periods).where(_periods.c.plan_id == plan_id)
        ).scalar()
        if recorded:
            continue
        start = _start(bind, plan_id, effective_from, saved)
        placed = bind.execute(
            sa.select(
                _assignments.c.record_id,
                _assignments.c.territory_id,
                _territories.c.name,
                sa.func.coalesce(_assignments.c.owner_id, _accounts.c.owner_id),
            )
            .select_from(
                _assignments.outerjoin(
                    _territories,
                    sa.and_(
                        _territories.c.plan_id == _assignments.c.plan_id,
                        _territories.c.id == _assignments.c.territory_id,
                    ),
                ).outerjoin(_accounts, _accounts.c.id == _assignments.c.record_id)
            )
            .where(_assignments.c.plan_id == plan_id, _assignments.c.record_kind == "account")
            .order_by(_assignments.c.record_id)
        ).all()
        rows = [
            {
                "record_kind": "account",
                "record_id": record_id,
                "territory_id": territory_id,
                "territory_name": territory_name,
                "owner_id": owner_id,
                "plan_id": plan_id,
                "valid_from": start,
                "valid_to": None,
                "recorded_at": now,
            }
            for record_id, territory_id, territory_name, owner_id in placed
            # a plan for part of the market takes only the accounts in its territories
            if record_id not in open_records and (scope is None or territory_id is not None)
        ]
        if not rows:
            continue
        bind.execute(sa.insert(_periods), rows)
        open_records.update(row["record_id"] for row in rows)
        if effective_from is None:
            bind.execute(
                sa.update(_plans).where(_plans.c.id == plan_id).values(effective_from=start)
            )


def downgrade() -> None:
    # The periods written are what 0014's code itself records at an activation: they stay.
    pass
