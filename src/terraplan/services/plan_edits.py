"""Edit a stored draft plan by hand, with undo and redo, and see what each edit does."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.errors import ConflictError, InvalidParameterError
from terraplan.planning.plan_edits import (
    Changes,
    EditablePlan,
    EditOutcome,
    apply_edits,
    locked_refusal,
    locked_units,
    parse_edit,
)
from terraplan.planning.territory_effects import TerritoryEffect, territory_effects
from terraplan.services.rules_follow import RulesFollow, code_space_probe, regenerate_rules
from terraplan.storage.database import Database
from terraplan.storage.record_repository import OPEN
from terraplan.storage.unit_of_work import UnitOfWork

HISTORY = "edits"
#: Metrics shown for every edit when the plan stored no balance criteria of its own.
DEFAULT_METRICS = {"potential": 0.1, "count": 0.1}


@dataclass(frozen=True, slots=True)
class EditResult:
    """The edited plan (``state``: header and alignment maps), the changed territories'
    effects, and whether undo/redo can go on."""

    state: EditablePlan
    effects: list[TerritoryEffect]
    can_undo: bool
    can_redo: bool
    changes: Changes = field(default_factory=dict)
    territories_changed: tuple[str, ...] = ()
    #: Plain notes (e.g. hand-written rules the edit did not change).
    notes: tuple[str, ...] = ()

    @property
    def plan(self) -> Plan:
        """The full edited plan (built on demand: one entry object per aligned record)."""
        return self.state.to_plan()

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.state.plan.id,
            "version": self.state.plan.version,
            "effects": [e.to_dict() for e in self.effects],
            "can_undo": self.can_undo,
            "can_redo": self.can_redo,
            # What changed, so that a client redraws without reloading the plan:
            "units": {r: t for (k, r), t in self.changes.items() if k is RecordKind.GEO_UNIT},
            "accounts": {r: t for (k, r), t in self.changes.items() if k is RecordKind.ACCOUNT},
            "locked": sorted(locked_units(self.state.plan)),
            "territories_changed": list(self.territories_changed),
            "notes": list(self.notes),
        }


def _way_to_edit(plan: Plan) -> str:
    """What to do instead, by status: only a plan in review or approved can go back to draft."""
    if plan.status in (PlanStatus.IN_REVIEW, PlanStatus.APPROVED):
        return (
            f"send it back to draft: `terraplan plans status {plan.id} reopen --reason ...`, "
            "or copy it"
        )
    return f"copy it: `terraplan plans copy {plan.id}`"


def editable_draft(uow: UnitOfWork, plan: Plan, version: int | None) -> Plan:
    """``plan`` when it is a draft at ``version`` (None: any); else the ConflictError that
    says what to do instead (the answer every edit of a plan gives)."""
    if plan.status is not PlanStatus.DRAFT:
        raise ConflictError(
            f"plan {plan.id} is {plan.status.value.replace('_', ' ')}: only drafts can be edited "
            f"({_way_to_edit(plan)})",
            details={"plan_id": plan.id, "status": plan.status.value},
        )
    if version is not None and version != plan.version:
        # the plan by name, who changed it and when (the one stale answer, as a status step's)
        raise uow.plans.stale(plan.id, plan.version, version)
    return plan


def balance_tolerances(plan: Plan) -> dict[str, float]:
    """The plan's own balance metrics and tolerances (the one answer,
    :func:`terraplan.planning.balance_criteria.plan_balance_criteria`), else the defaults."""
    from terraplan.planning.balance_criteria import plan_balance_criteria

    tolerances = dict(plan_balance_criteria(plan).design_tolerances)
    return {str(k): float(v) for k, v in tolerances.items()} or dict(DEFAULT_METRICS)


#: What the unit facts are computed from; any import or change of accounts or units moves it.
_FACTS_FINGERPRINT = text(
    "SELECT (SELECT COUNT(*) FROM accounts), (SELECT COUNT(closed_on) FROM accounts), "
    "(SELECT SUM(potential) FROM accounts), "
    "(SELECT SUM(workload) FROM accounts), (SELECT SUM(annual_revenue) FROM accounts), "
    "(SELECT COUNT(*) FROM geo_units), (SELECT MAX(id) FROM import_runs)"
)
#: Unit facts per (database, code space, metrics, fingerprint); a few entries, newest last.
_FACTS_CACHE: OrderedDict[tuple[Any, ...], UnitFacts] = OrderedDict()
_FACTS_LOCK = threading.Lock()
_FACTS_KEEP = 4

#: (unit id -> metric -> total, unit id -> neighbour ids), for every unit of a code space,
#: and the open accounts as (id, unit, their metrics) columns (None: no metric is summed
#: from accounts), for the accounts the rules place outside the plan's units.
UnitFacts = tuple[dict[str, dict[str, float]], dict[str, tuple[str, ...]], Any]


def _unit_facts(uow: UnitOfWork, state: EditablePlan, metrics: list[str]) -> UnitFacts:
    """Metric totals per geo unit (unit attributes, else the accounts' sums) and neighbours.

    Read as columns (no polygons, no account objects) for every unit of the plan's code
    space, and kept in a small in-process cache keyed by a fingerprint of the accounts and
    units (one cheap statement): an edit of the 20,000-account demo reads them once.
    """
    from terraplan.services.alignment import plan_code_space

    space = plan_code_space(uow, code_space_probe(state)) if state.geo else None
    fingerprint = tuple(uow.connection.execute(_FACTS_FINGERPRINT).one())
    url = uow.connection.engine.url.render_as_string(hide_password=False)
    key = (url, space, tuple(metrics), fingerprint)
    with _FACTS_LOCK:
        cached = _FACTS_CACHE.get(key)
        if cached is not None:
            _FACTS_CACHE.move_to_end(key)
    if cached is not None and (not state.geo or any(u in cached[0] for u in state.geo)):
        return cached
    facts = _read_unit_facts(uow, state, metrics, space)
    with _FACTS_LOCK:
        _FACTS_CACHE[key] = facts
        while len(_FACTS_CACHE) > _FACTS_KEEP:
            _FACTS_CACHE.popitem(last=False)
    return facts


def _read_unit_facts(
    uow: UnitOfWork, state: EditablePlan, metrics: list[str], space: str | None
) -> UnitFacts:
    import json

    import polars as pl

    from terraplan.storage import bulk

    geo = state.geo
    units = pl.from_arrow(
        bulk.read_arrow(uow.connection, "geo_units", ["id", "attributes", "neighbours"])
    )
    assert isinstance(units, pl.DataFrame)
    attributes: dict[str, dict[str, float]] = {}
    neighbours: dict[str, tuple[str, ...]] = {}
    if units.height and units.filter(pl.col("id").is_in(list(geo))).height:
        for uid, attrs, near in units.iter_rows():
            attributes[uid] = json.loads(attrs) if attrs else {}
            neighbours[uid] = tuple(json.loads(near) if near else ())
    elif geo:
        from terraplan.data.counties import load_counties

        for unit in load_counties():
            attributes[unit.id] = dict(unit.attributes)
            neighbours[unit.id] = unit.neighbours
    keys = set(attributes) | set(geo)
    facts = {u: {m: float(attributes.get(u, {}).get(m, 0.0) or 0.0) for m in metrics} for u in keys}
    from_accounts = [
        m for m in metrics if m in ("potential", "workload", "annual_revenue", "count")
    ]
    if not from_accounts:
        return facts, neighbours, None
    accounts = pl.from_arrow(
        bulk.read_open_accounts(
            uow.connection,
            ["id", "county_fips", "postal_code", "potential", "workload", "annual_revenue"],
        )
    )
    assert isinstance(accounts, pl.DataFrame)
    located = accounts.with_columns(
        _unit_key(space).alias("unit"), pl.lit(1.0).alias("count")
    ).select("id", "unit", *(pl.col(m).fill_null(0.0) for m in from_accounts))
    sums = (
        located.filter(pl.col("unit").is_in(list(keys)))
        .group_by("unit")
        .agg(pl.col(m).fill_null(0.0).sum() for m in from_accounts)
    )
    for totals in facts.values():
        for m in from_accounts:
            totals[m] = 0.0
    for row in sums.iter_rows(named=True):
        for m in from_accounts:
            facts[row["unit"]][m] = float(row[m])
    return facts, neighbours, located


def _history(uow: UnitOfWork, plan_id: str) -> dict[str, list[Any]]:
    stored = uow.plan_results.get(plan_id, HISTORY) or {}
    return {"done": list(stored.get("done", [])), "undone": list(stored.get("undone", []))}


def end_edit_history(uow: UnitOfWork, plan_id: str) -> None:
    """Forget the plan's edits to undo and redo (a change that is not an edit made them
    unsafe to replay), in the caller's transaction."""
    if any(edit_history(uow, plan_id)):
        uow.plan_results.put(plan_id, HISTORY, {"done": [], "undone": []})


def edit_history(uow: UnitOfWork, plan_id: str) -> tuple[bool, bool]:
    """``(can_undo, can_redo)`` of the plan's edit history."""
    history = _history(uow, plan_id)
    return bool(history["done"]), bool(history["undone"])


def _unit_key(space: str | None) -> Any:
    """The polars expression of an account's geo unit in the plan's code ``space``."""
    import polars as pl

    from terraplan.planning.alignment import zip5

    if space == "county":
        return pl.col("county_fips")
    if space == "zip":
        return pl.col("postal_code").map_elements(zip5, return_dtype=pl.String)
    return pl.col("postal_code").str.strip_chars()


def _pinned_facts(
    uow: UnitOfWork, state: EditablePlan, metrics: list[str]
) -> dict[str, tuple[str | None, dict[str, float]]]:
    """Each pinned account's geo unit and figures, so a pin moves them between territories."""
    import polars as pl

    from terraplan.services.alignment import plan_code_space

    space = plan_code_space(uow, code_space_probe(state))
    columns = ["id", "county_fips", "postal_code", "potential", "workload", "annual_revenue"]
    # only the pinned accounts are read, not the whole table, on every edit
    pinned = uow.accounts.list(any_of={"id": set(state.accounts)}, where=OPEN)
    accounts = pl.DataFrame(
        [[getattr(a, c) for c in columns] for a in pinned],
        schema={c: pl.String if c in columns[:3] else pl.Float64 for c in columns},
        orient="row",
    )
    rows = accounts.with_columns(_unit_key(space).alias("unit"), pl.lit(1.0).alias("count"))
    return {
        row["id"]: (row["unit"], {m: float(row.get(m) or 0.0) for m in metrics})
        for row in rows.iter_rows(named=True)
    }


def _account_sources(uow: UnitOfWork, state: EditablePlan, outcome: EditOutcome | None) -> set[str]:
    """Where the accounts an edit moved were before (their earlier pin, else where the rules
    put them): those territories changed too, and show beside the ones that gained."""
    from terraplan.services.alignment import latest_rule_run

    moved = [r for k, r in (outcome.changes if outcome else {}) if k is RecordKind.ACCOUNT]
    if not moved or outcome is None:
        return set()
    inverse = outcome.inverse
    steps = inverse.get("edits", [inverse]) if inverse.get("op") == "batch" else [inverse]
    sources = {str(step["to"]) for step in steps if step.get("to")}
    if any(not step.get("to") for step in steps):
        run = latest_rule_run(uow, state.plan.id)
        sources |= {t for a in moved if (t := run.get(a))}
    return sources


def _base_alignment(
    uow: UnitOfWork, state: EditablePlan, affected: tuple[str, ...]
) -> dict[str, str] | None:
    """The geo alignment of the plan the edited one was copied from (None: none), as far as
    the units moved of the ``affected`` territories need it: the base rows of their units
    and of the units the base gave them (all of it when every territory is affected)."""
    based_on = state.plan.based_on_plan_id
    if not based_on or not uow.plans.exists(based_on):
        return None
    if len(affected) * 2 > len(state.plan.territories):
        return uow.plans.alignment_map(based_on, RecordKind.GEO_UNIT)
    wanted = set(affected)
    return uow.plans.alignment_around(
        based_on,
        RecordKind.GEO_UNIT,
        territories=wanted,
        records=[u for u, t in state.geo.items() if t in wanted],
    )


def _result(
    uow: UnitOfWork,
    state: EditablePlan,
    affected: tuple[str, ...],
    history: dict[str, list[Any]],
    outcome: EditOutcome | None = None,
) -> EditResult:
    tolerance = balance_tolerances(state.plan)
    if not state.geo:
        # A plan aligned by its rules and pins alone: the figures are its accounts'.
        from terraplan.services.account_pins import account_effects

        affected = tuple(sorted({*affected, *_account_sources(uow, state, outcome)}))
        effects = account_effects(uow, state, affected, tolerance)
    else:
        facts, neighbours, located = _unit_facts(uow, state, sorted(tolerance))
        pinned = _pinned_facts(uow, state, sorted(tolerance)) if state.accounts else {}
        from terraplan.services.rule_placed import placed_outside_units

        placed = placed_outside_units(uow, state, located, exclude=set(pinned))
        moved_accounts = [
            r for k, r in (outcome.changes if outcome else {}) if k is RecordKind.ACCOUNT
        ]
        # a pinned account also leaves the territory its geo unit is in: show that one too
        sources = {state.geo.get(pinned[a][0] or "") for a in moved_accounts if a in pinned}
        affected = tuple(sorted({*affected, *(t for t in sources if t)}))
        base = _base_alignment(uow, state, affected)
        from terraplan.planning.balance_criteria import plan_balance_criteria

        # the plan's own criteria, as the dashboard judges it: the same verdicts on both
        design = uow.plan_results.get(state.plan.id, "design")
        criteria = plan_balance_criteria(state.plan, design)
        effects = territory_effects(
            state,
            affected,
            facts,
            neighbours,
            tolerance,
            base=base,
            pinned=pinned,
            placed=placed,
            criteria=criteria,
        )
    return EditResult(
        state,
        effects,
        bool(history["done"]),
        bool(history["undone"]),
        dict(outcome.changes) if outcome else {},
        outcome.territories if outcome else (),
    )


def plan_balance(uow: UnitOfWork, plan: Plan) -> list[TerritoryEffect]:
    """Balance, contiguity and disruption of every leaf territory of ``plan`` (what the web
    UI's territory table shows before the first edit; same figures as an edit returns)."""
    leaves = tuple(t.id for t in plan.leaves())
    return _result(uow, EditablePlan.of(plan), leaves, {"done": [], "undone": []}).effects


def edit_plan(
    db: Database,
    plan_id: str,
    edit: Mapping[str, Any],
    *,
    version: int | None = None,
    by: str | None = None,
) -> EditResult:
    """Apply ``edit`` (see :mod:`terraplan.planning.plan_edits`) to a draft; one transaction.

    The plan's version goes up by one; ``version`` (the one the user saw) must be current.
    A misspelt or missing field is refused (InvalidParameterError), and so are reps, units
    and accounts the data does not hold and inactive reps
    (:func:`~terraplan.services.edit_checks.check_edit_references`).
    """
    return _change(db, plan_id, version, by, edit=edit)


def undo_edit(
    db: Database, plan_id: str, *, version: int | None = None, by: str | None = None
) -> EditResult:
    return _replayed(db, _change(db, plan_id, version, by, direction="undo"))


def redo_edit(
    db: Database, plan_id: str, *, version: int | None = None, by: str | None = None
) -> EditResult:
    return _replayed(db, _change(db, plan_id, version, by, direction="redo"))


def _replayed(db: Database, result: EditResult) -> EditResult:
    """Undo and redo replay stored edits, which are not checked again: a rep they bring back
    as owner who has since been marked inactive is said as a note (activation says it too)."""
    if not result.territories_changed:
        return result
    from terraplan.services.edit_checks import inactive_owner_notes

    notes = inactive_owner_notes(
        db, result.state.plan.id, territories=set(result.territories_changed)
    )
    return replace(result, notes=(*result.notes, *notes)) if notes else result


def _refuse_no_change(state: EditablePlan, edit: Mapping[str, Any], outcome: Any) -> None:
    """A move that moves nothing (every unit or account is where it would go) is refused
    rather than saved as a version, an audit row and an undo step that change nothing."""
    if edit.get("op") not in ("move_units", "move_accounts") or outcome.changes:
        return
    target = edit.get("to")
    names = {t.id: t.name for t in state.plan.territories}
    where = names.get(str(target), str(target)) if target else "no territory"
    what = "units are" if edit["op"] == "move_units" else "accounts are"
    raise InvalidParameterError(
        f"nothing to move: the {what} in {where} already",
        details={"field": "to", "value": target},
    )


def _applied(uow: UnitOfWork, state: EditablePlan, edit: Mapping[str, Any]) -> EditOutcome:
    """:func:`apply_edits`, with a refusal to move locked units naming them
    ("Banks County, GA is locked; unlock it first")."""
    try:
        return apply_edits(state, edit)
    except ConflictError as exc:
        units = exc.details.get("units")
        if set(exc.details) != {"units"} or not isinstance(units, list):
            raise
        from terraplan.services.place_names import unit_names

        names = unit_names(uow, units)
        raise locked_refusal(state.plan.id, units, names) from None


def _change(
    db: Database,
    plan_id: str,
    version: int | None,
    by: str | None,
    *,
    edit: Mapping[str, Any] | None = None,
    direction: str | None = None,
) -> EditResult:
    with UnitOfWork(db) as uow:
        # Only what the edit needs: the header and the alignment as maps (no entry objects);
        # only the changed rows are written back, with the version checked and bumped.
        header = editable_draft(uow, uow.plans.header(plan_id), version)
        state = EditablePlan(
            header,
            uow.plans.alignment_map(plan_id, RecordKind.GEO_UNIT),
            uow.plans.alignment_map(plan_id, RecordKind.ACCOUNT),
        )
        history = _history(uow, plan_id)
        if edit is not None:
            from terraplan.services.edit_checks import check_edit_references

            # Checked once the plan is known to be an editable draft (that answer comes first).
            parsed = parse_edit(edit)
            check_edit_references(uow, state, parsed)
            applied: Mapping[str, Any] = parsed
            outcome = _applied(uow, state, applied)
            _refuse_no_change(state, parsed, outcome)
            history["done"].append({"edit": parsed, "inverse": outcome.inverse})
            history["undone"] = []
        else:
            source, target = ("done", "undone") if direction == "undo" else ("undone", "done")
            if not history[source]:
                raise ConflictError(
                    f"nothing to {direction} in plan {plan_id}", details={"plan_id": plan_id}
                )
            entry = history[source].pop()
            applied = entry["inverse"] if direction == "undo" else entry["edit"]
            outcome = _applied(uow, state, applied)
            if direction == "undo":
                history[target].append(entry)
            else:
                history[target].append({"edit": entry["edit"], "inverse": outcome.inverse})
        now = datetime.now(UTC).replace(tzinfo=None)
        edited = replace(outcome.state.plan, updated_by=by, updated_at=now)
        new_version = uow.plans.save_edit(
            edited,
            outcome.changes,
            territories=outcome.territories,
            parameters=outcome.parameters_changed,
            updated_at=now,
        )
        saved = replace(outcome.state, plan=replace(edited, version=new_version))
        uow.plan_results.put(plan_id, HISTORY, history)
        follow = RulesFollow()
        if outcome.affected or outcome.territories:  # a rename shows in the rules' reasons
            follow = regenerate_rules(uow, saved, by=by, before=state)
        uow.audit.record(
            direction or "edit", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"version": header.version},
            after={"version": new_version, "edit": dict(applied)},
        )  # fmt: skip
        result = _result(uow, saved, outcome.affected, history, outcome)
        if follow.note:
            result = replace(result, notes=(follow.note,))
        uow.commit()
    return result
