"""Scopes: the part of the market a plan covers ("West", "Enterprise"; None = the whole market).

One plan is active per scope. Routing, KPIs and copies ask :func:`active_plan_id` which plan is
active for a scope: scopes compare without case, and without a scope the whole-market plan (else
the only active plan) is meant; several scoped plans and no whole-market one is ambiguous.
"""

from __future__ import annotations

from terraplan.domain import Plan, PlanStatus
from terraplan.errors import InvalidParameterError, NotFoundError
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def normalize_scope(scope: str | None) -> str | None:
    """A plan's scope as stored: stripped text, None (the whole market) when empty."""
    return (scope or "").strip() or None


def same_scope(a: str | None, b: str | None) -> bool:
    """Scopes compare without case ("West" is "west")."""
    return (normalize_scope(a) or "").casefold() == (normalize_scope(b) or "").casefold()


def scope_label(scope: str | None) -> str:
    return normalize_scope(scope) or "whole market"


def active_plan_id(uow: UnitOfWork, scope: str | None = None) -> str:
    """The active plan of ``scope``; without one, the whole-market plan, else the only active
    plan. NotFoundError when there is none; InvalidParameterError (naming the active scopes)
    when several plans are active and none covers the whole market."""
    rows = uow.plans.list(status=PlanStatus.ACTIVE)
    scopes = sorted({scope_label(row.scope) for row in rows})
    wanted = normalize_scope(scope)
    if wanted is not None:
        matching = [r for r in rows if same_scope(r.scope, wanted)]
        if not matching:
            raise NotFoundError(
                f"no active plan for scope {wanted!r} (active: {', '.join(scopes) or 'none'})",
                details={"kind": "plans", "status": "active", "scope": wanted, "scopes": scopes},
            )
        return matching[-1].id
    if not rows:
        raise NotFoundError(
            "there is no active plan; name the plan",
            details={"kind": "plans", "status": "active"},
        )
    whole = [r for r in rows if normalize_scope(r.scope) is None]
    if whole:
        return whole[-1].id
    if len(rows) == 1:
        return rows[0].id
    raise InvalidParameterError(
        f"several plans are active ({', '.join(scopes)}); say which with scope",
        details={"parameter": "scope", "scopes": scopes},
    )


def active_plan(db: Database, scope: str | None = None) -> Plan:
    """The active plan of ``scope`` (see :func:`active_plan_id`)."""
    with UnitOfWork(db) as uow:
        return uow.plans.get(active_plan_id(uow, scope))
