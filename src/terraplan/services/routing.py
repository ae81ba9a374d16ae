"""Routing of incoming leads and records: one record placed by its plan's rules (territory,
explanation, owner and overlay owners, turns taken in the database), with notes on owners who
left and fields no rule reads; the parsed rules of each plan are cached per plan and version
(and loaded ahead when a server starts).

What the record's ZIP says (the ZIP decides its typed state and county; why it placed nothing)
is :mod:`terraplan.services.routing_zips`; the rules themselves (read, saved, applied to the
stored accounts) are :mod:`terraplan.services.ownership`."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any, Literal

from terraplan.domain import Plan, Territory
from terraplan.domain.places import normalize_record_places
from terraplan.errors import NotFoundError, TerraplanError
from terraplan.rules import RouteResult, RuleSet, load_rule_set, pick_owner, route
from terraplan.rules.evaluate import ValueNames
from terraplan.rules.index import RuleIndex
from terraplan.services.locations import zip_locator
from terraplan.services.ownership import account_names, plan_geographies
from terraplan.services.routing_zips import (
    named_places,
    not_a_zip,
    outside_plan_note,
    sent_not_a_zip,
    unknown_zip_note,
    zip_decides,
)
from terraplan.storage.database import Database
from terraplan.storage.routing_reads import (
    RoutingTarget,
    VersionRows,
    active_plan_ids,
    active_scopes,
    geo_value_names,
    read_version_rows,
    routing_versions_from_rows,
    take_routing_turn,
)
from terraplan.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

OwnerMethod = Literal["round_robin", "weighted"]


def _parent_names(db: Database, rule_set: RuleSet) -> dict[str, dict[str, str]]:
    """The names of the parent accounts the rules test (``parent_id in [...]``), so that an
    explanation says "parent account 001A01 (Acme Corp)", as it names a county."""
    from terraplan.rules.model import predicates_of

    conditions = [r.when for r in rule_set.rules] + [o.when for o in rule_set.overlays]
    wanted = {
        str(value)
        for condition in conditions
        for test in predicates_of(condition)
        if test.field == "parent_id"
        for value in test.values
    }
    if not wanted:
        return {}
    return {"parent_id": account_names(db, sorted(wanted))}


def _fields_read(rule_set: RuleSet) -> set[str]:
    """The record fields the rule set's conditions read."""
    from terraplan.rules.model import predicates_of

    return {test.field for rule in rule_set.rules for test in predicates_of(rule.when)}


#: What a lead sent to routing may carry, beside custom attributes.
LEAD_FIELDS = (
    "id", "company", "name", "postal_code", "country", "state", "city", "county_fips",
    "latitude", "longitude", "industry", "customer_type", "segment", "employees",
    "annual_revenue", "source", "plan_id", "scope", "method",
)  # fmt: skip


#: What a lead that carries no field is told (``POST /route {}``, ``terraplan route`` alone).
NO_FIELD = (
    "the lead has no field: give at least one of company, postal_code, state, country, "
    "industry, employees (or any field a rule reads), so that a rule, not chance, places it"
)


def lead_fields_given(record: Mapping[str, Any]) -> bool:
    """Whether a lead to route carries a field besides its id (an empty text counts as none,
    as an import reads a blank cell)."""
    from terraplan.rules.fields import clean_text

    skip = {"id", "plan_id", "scope", "method"}
    return any(clean_text(v) is not None for k, v in record.items() if k not in skip)


def _meant(field: str) -> str:
    """The lead field ``field`` was probably meant to be (``Industry``, ``PostalCode``,
    ``postalcode``), or the usual suspects when none is close."""
    import difflib

    def plain(name: str) -> str:
        return name.replace("_", "").replace(" ", "").lower()

    by_plain = {plain(f): f for f in LEAD_FIELDS}
    if plain(field) in by_plain:
        return by_plain[plain(field)]
    close = difflib.get_close_matches(plain(field), list(by_plain), n=1, cutoff=0.75)
    return by_plain[close[0]] if close else "postal_code or plan_id"


@dataclass(frozen=True, eq=False)
class RoutingContext:
    """A plan's parsed rule set and the names of its owners, cached per plan and rule-set version."""

    plan: Plan
    rule_set: RuleSet
    rep_names: dict[str, str]
    index: RuleIndex
    territories: dict[str, Territory]
    #: Display names of county FIPS codes and ZIPs for the explanations ("Denver County, CO").
    value_names: ValueNames
    #: Owners the rep data marks inactive (they left after the plan named them).
    inactive: frozenset[str] = frozenset()
    #: The county FIPS codes and states the plan's rules name
    #: (:func:`~terraplan.services.routing_zips.named_places`).
    named_places: Mapping[str, frozenset[str]] = dataclass_field(default_factory=dict)


RoutingCache = dict[tuple[str, int, int, int], RoutingContext]

#: Plans whose parsed rules a routing cache keeps (the active plan of each scope, and plans
#: routed by id); the least recently used goes first.
ROUTING_CACHE_PLANS = 16


@dataclass(frozen=True, slots=True)
class Routed:
    plan_id: str
    result: RouteResult
    owner_id: str | None
    owner_name: str | None
    turn: int | None
    territory_name: str | None
    notes: tuple[str, ...] = ()
    #: Each overlay that matched, with its territory's name and owner (the specialist).
    overlays: tuple[OverlayOwner, ...] = ()
    #: The name of the plan that routed the lead (the active plan in force today).
    plan_name: str | None = None
    #: The plan's last day when a plan activated from a later day takes over after it.
    plan_until: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "plan_name": self.plan_name,
            "plan_in_force_to": self.plan_until.isoformat() if self.plan_until else None,
            **self.result.to_dict(),
            "territory_name": self.territory_name,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
            "turn": self.turn,
            "notes": list(self.notes),
            "overlays": [asdict(o) for o in self.overlays],
        }


@dataclass(frozen=True, slots=True)
class OverlayOwner:
    """A second owner an overlay gives a record: the overlay territory's primary rep."""

    territory_id: str
    territory_name: str | None
    role: str
    rule_id: str
    owner_id: str | None
    owner_name: str | None


def route_record(
    db: Database,
    record: Mapping[str, Any],
    *,
    plan_id: str | None = None,
    method: OwnerMethod = "round_robin",
    rule_cache: RoutingCache | None = None,
    scope: str | None = None,
    version_rows: VersionRows | None = None,
    extra_fields: Collection[str] = (),
) -> Routed:
    """Route one lead/account: territory, explanation and owner (turns stored in the database).

    Its state and country are read as an import reads them (``"California"``, ``" ca"`` ->
    ``CA``: :func:`~terraplan.domain.places.normalize_record_places`). A US record's missing county
    FIPS, state and coordinates are filled from its ZIP (see
    :mod:`terraplan.services.locations`), as rule runs and audits do.

    Per call: one short read (which plan, which versions; none when the caller passes
    ``version_rows``, read together with its API token) and, when the territory has several
    primary reps, one atomic turn; the parsed rules are reused while the versions stay the same.
    """
    context = _routing_context(db, RoutingTarget(plan_id, scope), rule_cache, version_rows)
    plan = context.plan
    placed, zip_notes = zip_decides(normalize_record_places(record))
    result = route(
        placed,
        context.rule_set,
        locate=zip_locator(),
        index=context.index,
        value_names=context.value_names,
    )
    owner_id = None
    turn = None
    territory = context.territories.get(result.territory_id or "")
    if territory is not None:
        primaries = [o for o in territory.owners if o.role.value == "primary"]
        if len(primaries) == 1:
            owner_id = primaries[0].rep_id
        elif primaries:
            with db.single_write() as connection:  # one atomic upsert: one round trip
                turn = take_routing_turn(connection, plan.id, territory.id)
            owner_id = pick_owner(primaries, turn - 1, method)
    owner_name = context.rep_names.get(owner_id) if owner_id else None
    notes: tuple[str, ...] = zip_notes
    if owner_id in context.inactive and territory is not None:
        notes += (f"{owner_name or owner_id}, owner of {territory.name}, is inactive",)
    if territory is None or result.gap:
        # routed to the catch-all, or nowhere: a ZIP that gave no county may be why, or a
        # ZIP in a county (a state) no rule names
        unknown = unknown_zip_note(placed)
        notes += unknown or outside_plan_note(placed, plan.id, context.named_places)
    elif sent_not_a_zip(placed):
        # placed by another field (state, industry): the postal code was still no ZIP
        notes += (not_a_zip(placed.get("postal_code")),)
    unread = sorted(set(extra_fields) - _fields_read(context.rule_set)) if extra_fields else []
    if unread:
        # a misspelt field (postalCode, Industry) is kept as a custom one: say no rule reads it
        meant = sorted({_meant(f) for f in unread})
        notes += (
            f"{', '.join(unread)} "
            f"{'is not a lead field' if len(unread) == 1 else 'are not lead fields'} "
            f"and no rule of plan {plan.id} reads {'it' if len(unread) == 1 else 'them'} "
            f"(a misspelling of {' or '.join(meant)}, say?)",
        )
    overlays = []
    for match in result.overlays:
        place = context.territories.get(match.territory_id)
        first = next(
            (o.rep_id for o in (place.owners if place else ()) if o.role.value == "primary"), None
        )
        overlays.append(
            OverlayOwner(
                match.territory_id,
                place.name if place else None,
                match.role,
                match.rule_id,
                first,
                context.rep_names.get(first) if first else None,
            )
        )
        if place is not None and first is None:
            notes += (f"the overlay territory {place.name} has no owner yet",)
    return Routed(
        plan.id,
        result,
        owner_id,
        owner_name,
        turn,
        territory.name if territory else None,
        notes,
        tuple(overlays),
        plan.name,
        plan.effective_to,
    )


def _routing_context(
    db: Database,
    target: RoutingTarget,
    cache: RoutingCache | None,
    version_rows: VersionRows | None = None,
) -> RoutingContext:
    def scopes() -> list[str]:
        with db.single_statement() as connection:
            return active_scopes(connection)

    if version_rows is None:
        with db.single_statement() as connection:
            version_rows = read_version_rows(connection, target)
    plan_id, plan_version, rules_version, data_version = routing_versions_from_rows(
        version_rows, target, scopes
    )
    # the data version: a re-import renames units or reps the explanations name
    key = (plan_id, plan_version, rules_version, data_version)
    if cache is not None and (cached := cache.get(key)) is not None:
        # Least recently used goes first: the active plans that route every lead stay, even
        # while other plans are routed by id. (Two threads may both do this: same entry.)
        cache.pop(key, None)
        cache[key] = cached
        return cached
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        stored = uow.rule_sets.get(plan_id, rules_version)
        owner_ids = {o.rep_id for t in plan.territories for o in t.owners}
        owners = [r for r in uow.reps.list() if r.id in owner_ids]
    rep_names = {r.id: r.name for r in owners}
    inactive = frozenset(r.id for r in owners if not r.active)
    with db.single_statement() as connection:
        value_names = geo_value_names(connection)
    if not value_names.get("county_fips"):
        # No counties stored (a CRM import alone): the bundled ones name them all the same.
        from terraplan.data.counties import county_labels

        value_names["county_fips"] = dict(county_labels())
    rule_set = load_rule_set(
        stored.document, territories=plan.territories, geographies=plan_geographies(plan)
    )
    value_names = {**value_names, **_parent_names(db, rule_set)}
    territories = {t.id: t for t in plan.territories}
    context = RoutingContext(
        plan,
        rule_set,
        rep_names,
        RuleIndex(rule_set),
        territories,
        value_names,
        inactive,
        named_places(rule_set),
    )
    if cache is not None:
        # Only the newest version of each plan is worth keeping; the plans of several scopes
        # routed in turn each keep theirs (one entry in all made them reload each other's).
        for stale in [k for k in list(cache) if k[0] == plan_id]:
            cache.pop(stale, None)
        while len(cache) >= ROUTING_CACHE_PLANS:
            cache.pop(next(iter(list(cache))), None)
        cache[key] = context
    return context


def prepare_routing(db: Database, cache: RoutingCache) -> list[str]:
    """Load the rules of every active plan that has some into ``cache``, so that the first
    leads after a server starts do not wait for them (loading a plan's rules takes a while on
    a large plan, and leads queue behind it meanwhile). Returns the plan ids loaded."""
    with db.single_statement() as connection:
        plan_ids = active_plan_ids(connection)
    loaded = []
    for plan_id in plan_ids:
        try:
            _routing_context(db, RoutingTarget(plan_id=plan_id), cache)
        except NotFoundError:  # no rule set yet: routing with it says so when asked
            continue
        except TerraplanError as exc:
            # Rules that no longer load (a hand-written set the plan's edits left behind):
            # routing with this plan says why when asked; the other plans and the server
            # carry on.
            log.warning("the rules of active plan %s were not loaded: %s", plan_id, exc)
            continue
        loaded.append(plan_id)
    return loaded
