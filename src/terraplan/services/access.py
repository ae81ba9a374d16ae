"""The facts the access policy needs, read from storage: whose is this account, rep, plan,
territory? The decisions themselves are made in :mod:`terraplan.domain.access` only.

A rep owns the accounts whose ``owner_id`` is their rep id and the territories they own in a
plan. A manager's region holds the reps whose ``region`` is the manager's region; a parent
territory belongs to the owners of the territories below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from terraplan.domain import Plan, PlanStatus
from terraplan.domain.access import Action, Resource, can, sees_everything
from terraplan.domain.user import Role, Scope, User
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the user, and the scopes of the API token they came with (None: a session
    or the command line, nothing narrowed)."""

    user: User
    scopes: frozenset[Scope] | None = None
    via: str = "session"

    def can(self, action: Action, resource: Resource | None = None) -> bool:
        return can(self.user, action, resource, scopes=self.scopes)


def rep_regions(uow: UnitOfWork, rep_ids: Iterable[str] | None = None) -> dict[str, str | None]:
    """Region of each rep (of all reps when ``rep_ids`` is None)."""
    wanted = None if rep_ids is None else set(rep_ids)
    if wanted is not None and not wanted:
        return {}
    reps = uow.reps.list(any_of={"id": wanted} if wanted is not None else None)
    return {r.id: r.region for r in reps}


def visible_rep_ids(uow: UnitOfWork, user: User) -> frozenset[str] | None:
    """The reps whose records ``user`` sees (None: all of them)."""
    if sees_everything(user):
        return None
    own = {user.rep_id} if user.rep_id else set()
    if user.role is Role.MANAGER and user.region:
        own |= {r.id for r in uow.reps.list(where={"region": user.region})}
    return frozenset(own)


def _resource(
    kind: str, record_id: str, reps: set[str], regions: Mapping[str, str | None]
) -> Resource:
    known = {regions.get(r) for r in reps}
    return Resource(
        kind=kind,
        id=record_id,
        rep_ids=frozenset(reps),
        regions=frozenset(r for r in known if r),
        unscoped=not reps or None in known,
    )


def account_resource(uow: UnitOfWork, account_id: str, owner_id: str | None) -> Resource:
    reps = {owner_id} if owner_id else set()
    return _resource("account", account_id, reps, rep_regions(uow, reps))


def rep_resource(rep_id: str, region: str | None) -> Resource:
    return _resource("rep", rep_id, {rep_id}, {rep_id: region})


def is_past(plan: Plan, today: date | None = None) -> bool:
    """An archived plan whose time is over: it ended before ``today`` (default: today), or
    was never in force (archived with no dates). An archived plan that stays in force until
    its successor's first day is not past."""
    if plan.status is not PlanStatus.ARCHIVED:
        return False
    end = plan.effective_to
    return end is None or end < (today or date.today())


def territory_resources(
    uow: UnitOfWork, plan: Plan, regions: Mapping[str, str | None] | None = None
) -> dict[str, Resource]:
    """A resource per territory of ``plan``: its owners and those of every territory below it
    (marked ``past`` in an archived plan whose time is over: :func:`is_past`)."""
    children: dict[str | None, list[str]] = {}
    for t in plan.territories:
        children.setdefault(t.parent_id, []).append(t.id)
    direct = {t.id: {o.rep_id for o in t.owners} for t in plan.territories}
    owners: dict[str, set[str]] = {}

    def collect(tid: str) -> set[str]:
        if tid not in owners:
            found = set(direct[tid])
            for child in children.get(tid, []):
                found |= collect(child)
            owners[tid] = found
        return owners[tid]

    for t in plan.territories:
        collect(t.id)
    if regions is None:
        regions = rep_regions(uow, set().union(*owners.values()) if owners else set())
    past = is_past(plan)
    return {
        tid: replace(_resource("territory", tid, reps, regions), past=past)
        for tid, reps in owners.items()
    }


def plan_resource(uow: UnitOfWork, plan: Plan) -> tuple[Resource, dict[str, Resource]]:
    """The plan as a resource (all its owners and regions; unscoped if a leaf territory has no
    owner with a region) and its territories' resources."""
    territories = territory_resources(uow, plan)
    parents = {t.parent_id for t in plan.territories}
    leaves = [r for tid, r in territories.items() if tid not in parents]
    reps = (
        frozenset().union(*(r.rep_ids for r in territories.values()))
        if territories
        else frozenset()
    )
    regions = (
        frozenset().union(*(r.regions for r in territories.values()))
        if territories
        else frozenset()
    )
    resource = Resource(
        kind="plan",
        id=plan.id,
        rep_ids=reps,
        regions=regions,
        unscoped=not leaves or any(r.unscoped for r in leaves),
        past=is_past(plan),
    )
    return resource, territories


def regional_reach(uow: UnitOfWork, plan: Plan, resource: Resource) -> Resource:
    """What a plan of one region reaches when it is approved or sent back: that region. Its
    scope names a reps' region, and its activation places only that part of the market's
    accounts (:func:`~terraplan.services.plan_scopes.narrow_to_scope`), whatever territories a
    copy kept from its whole-market source; so its region's manager may decide on it (the
    accounts it would take are still checked when it is approved: :func:`approval_resource`).
    Any other plan: ``resource`` as it is."""

    if not plan.scope:
        return resource
    wanted = plan.scope.strip().casefold()
    regions = {r.region.strip() for r in uow.reps.list() if r.region and r.region.strip()}
    region = next((r for r in sorted(regions) if r.casefold() == wanted), None)
    if region is None:
        return resource
    return replace(resource, regions=frozenset({region}), unscoped=False)


def approval_resource(db: Database, plan: Plan, resource: Resource) -> Resource:
    """The plan ``resource`` widened by the regions of the accounts its activation would place,
    as their owners stand today: a manager approves a plan only when it takes nothing from
    another region (its territories' new owners alone do not say where its accounts come
    from). Accounts without an owner, or whose owner has no region, widen nothing."""

    from terraplan.errors import NotFoundError
    from terraplan.services.ownership import evaluate_rules

    try:
        application = evaluate_rules(db, plan.id)
    except NotFoundError as exc:
        if exc.details.get("kind") != "rule_sets":
            raise
        return resource  # no rules: activation is refused anyway
    from sqlalchemy import select

    from terraplan.storage.orm import AccountRow

    placed = {
        r.record_id
        for r in application.records
        if r.territory_id is not None and r.status != "closed"
    }
    with UnitOfWork(db) as uow:
        rows = uow.connection.execute(select(AccountRow.id, AccountRow.owner_id))
        owners = {owner for account, owner in rows if owner and account in placed}
        regions = rep_regions(uow, owners)
    found = {r for r in regions.values() if r}
    return replace(resource, regions=resource.regions | found)


def visible_territories(principal: Principal, territories: Mapping[str, Resource]) -> set[str]:
    return {tid for tid, r in territories.items() if principal.can(Action.READ, r)}
