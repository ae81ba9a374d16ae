"""Edit a plan's rule set as text (the web UI's rules view): read it as YAML, validate a text
with each problem placed at its line, save a text as the next rule-set version, audit the
coverage of a text against the stored accounts (gaps and conflicts, with where they are).

A save keeps the text as written (comments and layout included) once it has loaded against
the plan's territories and geographies; the save and its audit entry are one transaction.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from terraplan.domain import Plan, PlanStatus, Territory, TerritoryType
from terraplan.errors import ConflictError, NotFoundError, RuleError
from terraplan.rules import RuleSet, load_rule_set
from terraplan.rules.positions import error_position
from terraplan.services.plan_ids import check_id
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def require_rules_editable(plan: Plan) -> None:
    """Refuse (ConflictError) a new rule set for a plan that is not a draft. Rules decide
    where accounts and leads go: a plan under review or approved must stay what was reviewed,
    and the active plan's routing changes only through a reviewed copy that is activated;
    archived plans are read-only. Plan edits follow the same rule."""
    if plan.status is PlanStatus.DRAFT:
        return
    status = plan.status.value.replace("_", " ")
    if plan.status in (PlanStatus.IN_REVIEW, PlanStatus.APPROVED):
        how = f"send it back to draft (`terraplan plans status {plan.id} reopen --reason ...`)"
    elif plan.status is PlanStatus.ACTIVE:
        how = "copy it, change the copy's rules, then review and activate the copy"
    else:
        how = "copy it"
    raise ConflictError(
        f"plan {plan.id} ({plan.name}) is {status}: only a draft's rules can change; {how}",
        details={"plan_id": plan.id, "status": plan.status.value},
    )


@dataclass(frozen=True, slots=True)
class AddedTerritory:
    """A territory the saved rule set routes accounts to that the plan did not have: it was
    added to the plan (``rules``: the rule ids sending accounts there, ``named accounts`` and
    ``catch-all`` included)."""

    id: str
    name: str
    type: str
    rules: tuple[str, ...]
    #: A region the rule set names as a parent (``rules``: its children's ids).
    region: bool = False

    def note(self, plan: Plan) -> str:
        if self.region:
            return (
                f"region {self.name} was not in plan {plan.name} and is added to it as the "
                f"parent of {', '.join(self.rules)} (KPIs by region count it)"
            )
        verb = "sends" if len(self.rules) == 1 else "send"
        what = (
            f"{', '.join(self.rules)} {verb} accounts there"
            if self.type != "overlay"
            else f"{', '.join(self.rules)} {'gives' if len(self.rules) == 1 else 'give'} "
            "its owner to the accounts and leads it matches, beside their primary owner"
        )
        return (
            f"territory {self.name} was not in plan {plan.name} and is added to it "
            f"({what}); it has no owner yet (`terraplan plans owners {plan.id} {self.id} REP`)"
        )


@dataclass(frozen=True, slots=True)
class SavedRules:
    """A stored rule-set version and the territories it added to the plan."""

    version: int
    plan: Plan
    added: tuple[AddedTerritory, ...] = ()
    #: Rule values no record can match (a state written as a name): see
    #: :func:`terraplan.services.rule_values.rule_value_notes`.
    value_notes: tuple[str, ...] = ()

    @property
    def notes(self) -> list[str]:
        return [*self.value_notes, *(a.note(self.plan) for a in self.added)]


def routed_outside_plan(plan: Plan, rule_set: RuleSet) -> list[AddedTerritory]:
    """Territories the rule set sends accounts to (rules, named accounts, catch-all) or gives
    a second owner through (overlays) that the plan does not have, with what sends them there.
    An overlay territory holds no accounts; it is in the plan so that its specialist can be
    named as its owner (`plans owners`), whom routing then gives beside the primary owner."""
    known = {t.id for t in plan.territories}
    senders: dict[str, list[str]] = {}
    for rule in rule_set.rules:
        label = "the named accounts" if rule.pinned else f"rule {rule.id}"
        senders.setdefault(rule.territory_id, []).append(label)
    if rule_set.catch_all is not None:
        senders.setdefault(rule_set.catch_all, []).append("the catch-all")
    for overlay in rule_set.overlays:
        senders.setdefault(overlay.territory_id, []).append(f"overlay {overlay.id}")
    added = []
    for tid, labels in senders.items():
        territory = rule_set.territories[tid]
        if tid in known:
            continue
        added.append(AddedTerritory(tid, territory.name, territory.type.value, tuple(labels)))
    return added


def declared_parents_outside_plan(
    plan: Plan, rule_set: RuleSet, added: Sequence[AddedTerritory]
) -> list[AddedTerritory]:
    """Territories the rule set names as parents (its regions) that neither the plan nor the
    territories added for routing have."""
    known = {t.id for t in plan.territories} | {a.id for a in added}
    wanted = sorted({t.parent_id for t in rule_set.territories.values() if t.parent_id} - known)
    children = {
        tid: tuple(sorted(t.id for t in rule_set.territories.values() if t.parent_id == tid))
        for tid in wanted
    }
    return [
        AddedTerritory(
            tid,
            rule_set.territories[tid].name,
            rule_set.territories[tid].type.value,
            children[tid],
            region=True,
        )
        for tid in wanted
    ]


def store_rule_set(
    uow: UnitOfWork, plan: Plan, rule_set: RuleSet, document: str, *, by: str | None
) -> SavedRules:
    """Store ``document`` (the text of ``rule_set``) as the plan's next rule-set version inside
    the caller's unit of work. Territories it routes accounts to that the plan lacks (declared
    in the rule set's own ``territories``) are added to the plan first, so that KPIs, targets
    and comparisons count their accounts; the caller shows :attr:`SavedRules.notes`.
    Only drafts take a new rule set (:func:`require_rules_editable`)."""
    require_rules_editable(plan)
    added = routed_outside_plan(plan, rule_set)
    regions = declared_parents_outside_plan(plan, rule_set, added)
    for territory in (*added, *regions):
        # An added territory's id becomes part of URLs (its page, its KPIs): check it as
        # `plans new` checks ids.
        check_id(territory.id, f"the id of rule-set territory {territory.name!r}")
    parents = {t.id: t.parent_id for t in rule_set.territories.values() if t.parent_id}
    reparented = [t for t in plan.territories if t.id in parents and t.parent_id != parents[t.id]]
    if added or regions or reparented:
        from terraplan.services.plan_hierarchy import store_hierarchy

        extra = tuple(Territory(a.id, a.name, TerritoryType(a.type)) for a in added) + tuple(
            Territory(a.id, a.name, TerritoryType(a.type), level="region") for a in regions
        )
        # The rule set's `parent:` is the plan's hierarchy: regions for KPIs by region.
        plan = store_hierarchy(
            uow,
            plan,
            [
                replace(t, parent_id=parents[t.id]) if t.id in parents else t
                for t in plan.territories + extra
            ],
            added=[a.id for a in (*added, *regions)],
            parents={t.id: parents[t.id] for t in reparented},
            by=by,
            reason="rule set routes there, or names them as parents",
        )
    stored = uow.rule_sets.add(plan.id, document, plan_version=plan.version, created_by=by)
    uow.audit.record(
        "save_rules",
        "rule_set",
        str(stored.version),
        actor=by,
        plan_id=plan.id,
        after={"version": stored.version, "characters": len(document)},
    )
    from terraplan.services.rule_values import rule_value_notes

    named_apart = tuple(
        f"territory {t.id} is {t.name!r} in plan {plan.id} and "
        f"{rule_set.territories[t.id].name!r} in the rule set: explanations say the rule "
        "set's name, the plan, its pages and routing answers the plan's; give both one name"
        for t in plan.territories
        if t.id in rule_set.territories and rule_set.territories[t.id].name != t.name
    )
    return SavedRules(
        stored.version,
        plan,
        (*added, *regions),
        (*rule_value_notes(rule_set), *named_apart),
    )


def rule_text(db: Database, plan_id: str) -> dict[str, Any]:
    """``{"version": int | None, "document": str}``: the latest rule set as YAML (a stored JSON
    document is shown as YAML; a YAML one as written), or an empty text when none is stored."""
    import yaml

    with UnitOfWork(db) as uow:
        uow.plans.get(plan_id)
        try:
            stored = uow.rule_sets.latest(plan_id)
        except NotFoundError:
            return {"version": None, "document": ""}
    document = stored.document
    if document.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            document = yaml.safe_dump(
                json.loads(document), sort_keys=False, allow_unicode=True, width=100
            )
    return {"version": stored.version, "document": document}


def _load(text: str, plan: Plan) -> RuleSet:
    from terraplan.services.ownership import plan_geographies

    return load_rule_set(text, territories=plan.territories, geographies=plan_geographies(plan))


def problem(text: str, error: RuleError) -> dict[str, Any]:
    """A rule error as ``{message, path, line, column}`` (line and column 1-based or None)."""
    where = error_position(text, error)
    return {
        "message": error.message,
        "path": error.details.get("path", ""),
        "line": where[0] if where else None,
        "column": where[1] if where else None,
    }


def validate_rule_text(db: Database, plan_id: str, text: str) -> dict[str, Any]:
    """``{"ok", "problems": [{message, path, line, column}], "rules", "overlays",
    "territories", "notes"}``; the parser stops at the first problem, so ``problems`` has at
    most one; ``notes`` are plain remarks on a valid text (look-alike territory names, state
    values no record has), as `rules check` prints them."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
    try:
        rule_set = _load(text, plan)
    except RuleError as error:
        return {
            "ok": False,
            "problems": [problem(text, error)],
            "rules": 0,
            "overlays": 0,
            "territories": 0,
            "notes": [],
        }
    from terraplan.services.rule_values import rule_value_notes

    return {
        "ok": True,
        "problems": [],
        "rules": len(rule_set.rules),
        "overlays": len(rule_set.overlays),
        "territories": len(rule_set.territories),
        "notes": rule_value_notes(rule_set),
    }


def save_rule_text(db: Database, plan_id: str, text: str, *, by: str | None) -> int:
    """Store ``text`` as the plan's next rule-set version (RuleError, at the first problem, when
    it does not load; ConflictError for a plan that is not a draft); returns the version. Territories
    the text routes accounts to that the plan lacks are added to the plan
    (:func:`store_rule_set`)."""
    return save_rule_text_noted(db, plan_id, text, by=by).version


def save_rule_text_noted(
    db: Database, plan_id: str, text: str, *, by: str | None, based_on: int | None = None
) -> SavedRules:
    """:func:`save_rule_text`, with the territories it added to the plan. ``based_on``: the
    rule-set version the text was edited from (0: none); a newer one stored since is a
    ConflictError naming who saved it (another planner's save is not lost)."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        require_rules_editable(plan)  # before parsing: a frozen plan's answer needs no text
        if based_on is not None:
            _require_latest(uow, plan_id, based_on)
        saved = store_rule_set(uow, plan, _load(text, plan), text, by=by)
        if based_on is not None and saved.version != based_on + 1:
            # another save from the same version committed between the check and this write
            # (two at one moment collide on the version number instead): nothing is kept
            _require_latest(uow, plan_id, based_on, before=saved.version)
        uow.commit()
    return saved


def _require_latest(
    uow: UnitOfWork, plan_id: str, based_on: int, *, before: int | None = None
) -> None:
    """ConflictError unless ``based_on`` is the latest stored version (with ``before``: the
    latest below that version, the one this transaction has just written)."""
    try:
        latest = uow.rule_sets.latest(plan_id)
        if before is not None:
            latest = uow.rule_sets.get(plan_id, before - 1)
    except NotFoundError:
        stored, who = 0, None
    else:
        stored, who = latest.version, latest.created_by
    if stored == based_on:
        return
    by = f" by {who}" if who else ""
    raise ConflictError(
        f"the rules of plan {plan_id} were saved since you loaded them (version {stored}{by}; "
        f"yours was based on version {based_on}); reload them and apply your change again",
        details={"plan_id": plan_id, "stored_version": stored, "version": based_on, "by": who},
    )


def audit_rule_text(
    db: Database, plan_id: str, text: str | None = None, *, lead_sample: int = 5000
) -> dict[str, Any]:
    """The coverage audit (:func:`terraplan.rules.audit_rule_set`) of ``text`` (default: the
    latest stored rule set) over the stored accounts and a sample of leads, as JSON-ready
    data, plus ``places``: the sampled gap and conflict accounts with name, state, county and
    coordinates (degrees), for the map."""
    from terraplan.rules import audit_rule_set
    from terraplan.services.locations import zip_locator
    from terraplan.services.ownership import accounts_frame

    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if text is None:
            text = uow.rule_sets.latest(plan_id).document
        leads = uow.leads.list(limit=lead_sample)
    rule_set = _load(text, plan)
    report = audit_rule_set(accounts_frame(db), rule_set, leads=leads or None, locate=zip_locator())
    accounts = report.accounts
    kinds = {i: "gap" for i in accounts.gap_ids} | {i: "conflict" for i in accounts.conflict_ids}
    with UnitOfWork(db) as uow:
        found = uow.accounts.list(any_of={"id": set(kinds)}) if kinds else []
    places = [
        {
            "kind": kinds[a.id],
            "id": a.id,
            "name": a.name,
            "state": a.state,
            "county_fips": a.county_fips,
            "postal_code": a.postal_code,
            "latitude": a.latitude,
            "longitude": a.longitude,
        }
        for a in found
    ]
    return {**report.to_dict(), "places": places}
