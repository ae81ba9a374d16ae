"""Scopes: the part of the market a plan covers ("West", "Enterprise"; None = the whole market).

One plan is active per scope. Routing, KPIs and copies ask :func:`active_plan_id` which plan is
active for a scope: scopes compare without case, and without a scope the whole-market plan (else
the only active plan) is meant; several scoped plans and no whole-market one is ambiguous.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol, TypeVar

import polars as pl
from sqlalchemy import select

from terraplan.domain import Plan, PlanStatus, Rep
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.storage.database import Database
from terraplan.storage.orm import AccountRow, RepRow
from terraplan.storage.unit_of_work import UnitOfWork

A = TypeVar("A", bound=Any)


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


def plan_in_force_id(uow: UnitOfWork, scope: str | None = None) -> str:
    """The plan in force today for ``scope``: the active plan (see :func:`active_plan_id`),
    or, while it waits for its first day (activated from a later day), the plan it
    archived, in force until the day before: what routing uses and KPIs report by default."""
    from datetime import date

    plan_id = active_plan_id(uow, scope)
    active = uow.plans.header(plan_id)
    today = date.today()
    if active.effective_from is None or active.effective_from <= today:
        return plan_id
    for row in uow.plans.list(status=PlanStatus.ARCHIVED):
        if (
            same_scope(row.scope, active.scope)
            and row.effective_from is not None
            and row.effective_to is not None
            and row.effective_from <= today <= row.effective_to
        ):
            return str(row.id)
    return plan_id


def active_plan(db: Database, scope: str | None = None) -> Plan:
    """The active plan of ``scope`` (see :func:`active_plan_id`)."""
    with UnitOfWork(db) as uow:
        return uow.plans.get(active_plan_id(uow, scope))


def known_scopes(uow: UnitOfWork) -> dict[str, list[str]]:
    """The parts of the market the stored data names, by kind: reps' regions, accounts'
    segments and states. A plan's scope must be one of them: a scope that names nothing
    would leave the whole-market plan active beside it over the same accounts."""
    found: dict[str, list[str]] = {}
    for kind, column in (
        ("regions", RepRow.region),
        ("segments", AccountRow.segment),
        ("states", AccountRow.state),
    ):
        values = uow.connection.execute(select(column).distinct()).scalars()
        found[kind] = sorted({v.strip() for v in values if v and v.strip()}, key=str.casefold)
    return found


def check_scope(uow: UnitOfWork, scope: str | None) -> str | None:
    """``scope`` as the stored data spells it when it names one of their regions, segments or
    states (compared without case), None for the whole market ("" or None);
    InvalidParameterError listing the valid scopes otherwise."""
    wanted = normalize_scope(scope)
    if wanted is None:
        return None
    known = known_scopes(uow)
    for values in known.values():
        for value in values:
            if same_scope(wanted, value):
                return value  # as the data spells it ("west" is stored as "West")
    listed = "; ".join(f"{kind}: {', '.join(values)}" for kind, values in known.items() if values)
    shown = wanted if len(wanted) <= 60 else wanted[:57] + "..."
    raise InvalidParameterError(
        f"scope {shown!r} names no part of the market; use a region, segment or state of the "
        f"stored data ({listed or 'none stored yet: import reps and accounts first'}), or no "
        "scope for the whole market",
        details={"field": "scope", "value": shown, "scopes": known},
    )


def _scope_tests(uow: UnitOfWork, wanted: str) -> list[pl.Expr]:
    """The tests (any of them) an account frame's row passes when it lies in the scope
    ``wanted`` (lower case); none when the scope names nothing stored any more."""
    known = known_scopes(uow)
    tests: list[pl.Expr] = []
    if any(v.lower() == wanted for v in known["regions"]):
        elsewhere = [
            r.id for r in uow.reps.list() if r.region and r.region.strip().lower() != wanted
        ]
        tests.append(pl.col("owner_id").is_in(elsewhere).not_().fill_null(True))
    for kind, column in (("segments", "segment"), ("states", "state")):
        if any(v.lower() == wanted for v in known[kind]):
            tests.append(
                (pl.col(column).str.strip_chars().str.to_lowercase() == wanted).fill_null(False)
            )
    return tests


def narrow_to_scope(
    db: Database, accounts: pl.DataFrame, scope: str | None
) -> tuple[pl.DataFrame, int]:
    """The accounts of ``accounts`` (a frame with ``owner_id``, ``segment``, ``state``) that lie
    in ``scope``, and how many do not. A scoped plan places only these: the others stay with
    the plans of their own part of the market, whatever its rules match.

    In a rep region: accounts owned by a rep of that region, or by no rep of another region
    (no owner yet, an owner with no region); in a segment or a state: accounts of it. A scope
    naming several kinds (a region and a segment both called "West") takes either."""
    wanted = (normalize_scope(scope) or "").lower()
    if not wanted or accounts.is_empty():
        return accounts, 0
    with UnitOfWork(db) as uow:
        tests = _scope_tests(uow, wanted)
    if not tests:  # the scope names nothing stored any more: no account is in it
        return accounts.clear(), accounts.height
    inside = accounts.filter(pl.any_horizontal(tests))
    return inside, accounts.height - inside.height


def scope_account_ids(uow: UnitOfWork, scope: str | None) -> set[str] | None:
    """The ids of the stored accounts in ``scope`` (:func:`narrow_to_scope`'s reading); None
    for the whole market (no scope)."""
    from terraplan.storage import bulk

    wanted = (normalize_scope(scope) or "").lower()
    if not wanted:
        return None
    tests = _scope_tests(uow, wanted)
    if not tests:
        return set()
    frame = pl.from_arrow(
        bulk.read_arrow(uow.connection, "accounts", ["id", "owner_id", "segment", "state"])
    )
    assert isinstance(frame, pl.DataFrame)
    return set(frame.filter(pl.any_horizontal(tests))["id"].to_list())


def rows_in_scope(uow: UnitOfWork, scope: str | None, accounts: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``accounts`` (a frame with ``owner_id``, ``segment``, ``state``) that lie in
    ``scope``: :func:`scope_account_ids`'s reading, for a few accounts already read."""
    wanted = (normalize_scope(scope) or "").lower()
    if not wanted:
        return accounts
    tests = _scope_tests(uow, wanted)
    if not tests:
        return accounts.clear()
    return accounts.filter(pl.any_horizontal(tests))


class ScopeFields(Protocol):
    """What the scope tests read of an account."""

    @property
    def owner_id(self) -> str | None: ...

    @property
    def segment(self) -> str | None: ...

    @property
    def state(self) -> str | None: ...


def account_in_scope(uow: UnitOfWork, scope: str | None, account: ScopeFields) -> bool:
    """Whether one account lies in ``scope`` (:func:`scope_account_ids`'s reading, for one
    account rather than every stored one); True for the whole market."""
    wanted = (normalize_scope(scope) or "").lower()
    if not wanted:
        return True
    tests = _scope_tests(uow, wanted)
    if not tests:
        return False
    frame = pl.DataFrame(
        {"owner_id": [account.owner_id], "segment": [account.segment], "state": [account.state]},
        schema={"owner_id": pl.String, "segment": pl.String, "state": pl.String},
    )
    return not frame.filter(pl.any_horizontal(tests)).is_empty()


def scope_reps(uow: UnitOfWork, scope: str | None, reps: list[Rep]) -> list[Rep]:
    """The reps of a scope that names a rep region; every rep for any other scope (a segment
    or a state is sold by reps of any region) and for the whole market."""
    wanted = (normalize_scope(scope) or "").lower()
    if not wanted or not any(v.lower() == wanted for v in known_scopes(uow)["regions"]):
        return reps
    return [r for r in reps if (r.region or "").strip().lower() == wanted]


def in_scope(uow: UnitOfWork, scope: str | None, accounts: list[A]) -> list[A]:
    """``accounts`` (records with an ``id``) that lie in ``scope`` (all for the whole market)."""
    inside = scope_account_ids(uow, scope)
    return accounts if inside is None else [a for a in accounts if a.id in inside]


def scope_territories(
    plan: Plan, territories: pl.DataFrame, alignment: pl.DataFrame, source: str
) -> tuple[Plan, pl.DataFrame, str]:
    """A scoped plan reports on the territories holding accounts of its scope (and their
    parents): a copy keeps every territory of its source, and the others' empty rows would
    read as 0 % attainment; the source says how many were left out."""
    held = set(alignment["territory_id"].drop_nulls().to_list())
    parent = {t.id: t.parent_id for t in plan.territories}
    keep = set(held)
    for territory in held:
        while (territory := parent.get(territory)) is not None and territory not in keep:
            keep.add(territory)
    leaves = {t.id for t in plan.leaves()}
    dropped = sorted(leaves - keep)
    if not dropped:
        return plan, territories, source
    narrowed = replace(
        plan,
        territories=tuple(t for t in plan.territories if t.id in keep),
        alignment=tuple(e for e in plan.alignment if e.territory_id in keep),
    )
    kept = territories.filter(pl.col("id").is_in(sorted(keep)))
    return narrowed, kept, f"{source}; {len(dropped)} territories holding none of them left out"


def status_words(plan: Plan) -> str:
    """ "a draft", "in review", "approved"... as a sentence says it."""
    if plan.status is PlanStatus.DRAFT:
        return "a draft"
    return plan.status.value.replace("_", " ")


def covering_active_plan(uow: UnitOfWork, plan: Plan) -> Plan | None:
    """An active plan (not ``plan``) whose accounts ``plan``'s rules would also place: the
    whole-market plan, a plan of the same scope, or, for a whole-market ``plan``, any."""
    for row in uow.plans.list(status=PlanStatus.ACTIVE):
        if row.id == plan.id:
            continue
        if plan.scope is None or row.scope is None or same_scope(row.scope, plan.scope):
            return uow.plans.header(row.id)
    return None


def require_owners_may_follow(uow: UnitOfWork, plan: Plan) -> None:
    """Refuse (ConflictError) to give accounts the owners of ``plan`` while another active plan
    covers them: the accounts' owners, routing and ownership history follow the active plan,
    and activation is the one step that moves them to another plan. With no such active plan
    (a first plan being set up) a draft's rules may be applied."""
    active = covering_active_plan(uow, plan)
    if active is None:
        return
    steps = {
        PlanStatus.DRAFT: "submit, approve and activate it",
        PlanStatus.IN_REVIEW: "approve and activate it",
        PlanStatus.APPROVED: "activate it",
    }.get(
        plan.status,
        f"copy it (`terraplan plans copy {plan.id}`), then review and activate the copy",
    )
    raise ConflictError(
        f"plan {plan.id} ({plan.name}) is {status_words(plan)} and plan "
        f"{active.id} ({active.name}) is active for the {scope_label(active.scope)}: accounts "
        f"and their owners follow the active plan. To move them to plan {plan.id}, {steps} "
        "(activation applies its rules); `plans compare "
        f"{active.id} {plan.id}` shows what would change",
        details={
            "plan_id": plan.id,
            "status": plan.status.value,
            "active_plan_id": active.id,
            "active_scope": active.scope,
        },
    )
