"""Edit a stored draft plan by hand, with undo and redo, and see what each edit does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.errors import ConflictError
from terraplan.planning.plan_edits import TerritoryEffect, apply_edits, territory_effects
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HISTORY = "edits"
#: Metrics shown for every edit when the plan stored no balance criteria of its own.
DEFAULT_METRICS = {"potential": 0.1, "count": 0.1}


@dataclass(frozen=True, slots=True)
class EditResult:
    plan: Plan
    effects: list[TerritoryEffect]
    can_undo: bool
    can_redo: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan.id,
            "version": self.plan.version,
            "effects": [e.to_dict() for e in self.effects],
            "can_undo": self.can_undo,
            "can_redo": self.can_redo,
        }


def _editable(plan: Plan, version: int | None) -> Plan:
    if plan.status is not PlanStatus.DRAFT:
        raise ConflictError(
            f"plan {plan.id} is {plan.status.value.replace('_', ' ')}: only drafts can be edited "
            "(copy it, or send it back to draft)",
            details={"plan_id": plan.id, "status": plan.status.value},
        )
    if version is not None and version != plan.version:
        raise ConflictError(
            f"plan {plan.id} was changed since you loaded it (stored version {plan.version}, "
            f"yours {version}); reload it and try again",
            details={"plan_id": plan.id, "stored_version": plan.version, "version": version},
        )
    return plan


def balance_tolerances(plan: Plan) -> dict[str, float]:
    """The plan's own balance metrics and tolerances (the one answer,
    :func:`terraplan.planning.balance_criteria.plan_balance_criteria`), else the defaults."""
    from terraplan.planning.balance_criteria import plan_balance_criteria

    tolerances = dict(plan_balance_criteria(plan).design_tolerances)
    return {str(k): float(v) for k, v in tolerances.items()} or dict(DEFAULT_METRICS)


def _unit_facts(
    uow: UnitOfWork, plan: Plan, metrics: list[str]
) -> tuple[dict[str, dict[str, float]], dict[str, tuple[str, ...]]]:
    """Metric totals per geo unit (unit attributes, else the accounts' sums) and neighbours.

    Read as columns (no polygons, no account objects): an edit of the 20,000-account demo
    answers in a fraction of a second.
    """
    import json

    import polars as pl

    from terraplan.planning.alignment import zip5
    from terraplan.services.alignment import plan_code_space
    from terraplan.storage import bulk

    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    units = pl.from_arrow(
        bulk.read_arrow(uow.connection, "geo_units", ["id", "attributes", "neighbours"])
    )
    assert isinstance(units, pl.DataFrame)
    units = units.filter(pl.col("id").is_in(list(geo)))
    attributes: dict[str, dict[str, float]] = {}
    neighbours: dict[str, tuple[str, ...]] = {}
    if units.height:
        for uid, attrs, near in units.iter_rows():
            attributes[uid] = json.loads(attrs) if attrs else {}
            neighbours[uid] = tuple(json.loads(near) if near else ())
    elif geo:
        from terraplan.data.counties import load_counties

        for unit in load_counties():
            if unit.id in geo:
                attributes[unit.id] = dict(unit.attributes)
                neighbours[unit.id] = unit.neighbours
    facts = {u: {m: float(attributes.get(u, {}).get(m, 0.0) or 0.0) for m in metrics} for u in geo}
    from_accounts = [
        m for m in metrics if m in ("potential", "workload", "annual_revenue", "count")
    ]
    if not from_accounts:
        return facts, neighbours
    space = plan_code_space(uow, plan)
    accounts = pl.from_arrow(
        bulk.read_arrow(
            uow.connection,
            "accounts",
            ["county_fips", "postal_code", "potential", "workload", "annual_revenue"],
        )
    )
    assert isinstance(accounts, pl.DataFrame)
    if space == "county":
        key = pl.col("county_fips")
    elif space == "zip":
        key = pl.col("postal_code").map_elements(zip5, return_dtype=pl.String)
    else:
        key = pl.col("postal_code").str.strip_chars()
    sums = (
        accounts.with_columns(key.alias("unit"), pl.lit(1.0).alias("count"))
        .filter(pl.col("unit").is_in(list(geo)))
        .group_by("unit")
        .agg(pl.col(m).fill_null(0.0).sum() for m in from_accounts)
    )
    for totals in facts.values():
        for m in from_accounts:
            totals[m] = 0.0
    for row in sums.iter_rows(named=True):
        for m in from_accounts:
            facts[row["unit"]][m] = float(row[m])
    return facts, neighbours


def regenerate_rules(uow: UnitOfWork, plan: Plan, *, by: str | None) -> int | None:
    """Keep a generated rule set in step with the plan's alignment after an edit.

    Rule sets that a design generated (county or ZIP lists, named ``... (generated)``) are
    rebuilt from the edited alignment, named-account pins included, and stored as the next
    rule-set version; hand-written rule sets are left alone (their ``in_geography``
    conditions read the plan's alignment anyway). Returns the new version, or None.
    """
    from terraplan.errors import NotFoundError
    from terraplan.planning.alignment import geo_code_space
    from terraplan.rules import (
        dump_rule_set,
        load_rule_set,
        parse_rule_set,
        rule_set_to_dict,
        rules_from_alignment,
    )

    try:
        stored = uow.rule_sets.latest(plan.id)
    except NotFoundError:
        return None
    from terraplan.services.ownership import plan_geographies

    current = load_rule_set(
        stored.document, territories=plan.territories, geographies=plan_geographies(plan)
    )
    name = current.name or ""
    space = geo_code_space(plan)
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    if not name.endswith("(generated)") or space not in ("county", "zip") or not geo:
        return None
    rebuilt = rules_from_alignment(plan.leaves(), space, geo, name=name)
    pins: dict[str, list[str]] = {}
    for account, territory in plan.alignment_map(RecordKind.ACCOUNT).items():
        pins.setdefault(territory, []).append(account)
    if pins:
        data = rule_set_to_dict(rebuilt)
        data["named_accounts"] = [
            {"territory": t, "accounts": sorted(ids)} for t, ids in sorted(pins.items())
        ]
        rebuilt = parse_rule_set(data, territories=plan.leaves())
    added = uow.rule_sets.add(
        plan.id, dump_rule_set(rebuilt), plan_version=plan.version, created_by=by
    )
    return added.version


def _history(uow: UnitOfWork, plan_id: str) -> dict[str, list[Any]]:
    stored = uow.plan_results.get(plan_id, HISTORY) or {}
    return {"done": list(stored.get("done", [])), "undone": list(stored.get("undone", []))}


def _result(
    uow: UnitOfWork, plan: Plan, affected: tuple[str, ...], history: dict[str, list[Any]]
) -> EditResult:
    tolerance = balance_tolerances(plan)
    facts, neighbours = _unit_facts(uow, plan, sorted(tolerance))
    base = None
    if plan.based_on_plan_id and uow.plans.exists(plan.based_on_plan_id):
        base = uow.plans.get(plan.based_on_plan_id)
    effects = territory_effects(plan, affected, facts, neighbours, tolerance, base=base)
    return EditResult(plan, effects, bool(history["done"]), bool(history["undone"]))


def plan_balance(uow: UnitOfWork, plan: Plan) -> list[TerritoryEffect]:
    """Balance, contiguity and disruption of every leaf territory of ``plan`` (what the web
    UI's territory table shows before the first edit; same figures as an edit returns)."""
    leaves = tuple(t.id for t in plan.leaves())
    return _result(uow, plan, leaves, {"done": [], "undone": []}).effects


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
    """
    return _change(db, plan_id, version, by, edit=dict(edit))


def undo_edit(
    db: Database, plan_id: str, *, version: int | None = None, by: str | None = None
) -> EditResult:
    return _change(db, plan_id, version, by, direction="undo")


def redo_edit(
    db: Database, plan_id: str, *, version: int | None = None, by: str | None = None
) -> EditResult:
    return _change(db, plan_id, version, by, direction="redo")


def _change(
    db: Database,
    plan_id: str,
    version: int | None,
    by: str | None,
    *,
    edit: dict[str, Any] | None = None,
    direction: str | None = None,
) -> EditResult:
    with UnitOfWork(db) as uow:
        plan = _editable(uow.plans.get(plan_id), version)
        history = _history(uow, plan_id)
        if edit is not None:
            applied: Mapping[str, Any] = edit
            outcome = apply_edits(plan, applied)
            history["done"].append({"edit": edit, "inverse": outcome.inverse})
            history["undone"] = []
        else:
            source, target = ("done", "undone") if direction == "undo" else ("undone", "done")
            if not history[source]:
                raise ConflictError(
                    f"nothing to {direction} in plan {plan_id}", details={"plan_id": plan_id}
                )
            entry = history[source].pop()
            applied = entry["inverse"] if direction == "undo" else entry["edit"]
            outcome = apply_edits(plan, applied)
            if direction == "undo":
                history[target].append(entry)
            else:
                history[target].append({"edit": entry["edit"], "inverse": outcome.inverse})
        now = datetime.now(UTC).replace(tzinfo=None)
        saved = uow.plans.save(replace(outcome.plan, updated_by=by, updated_at=now))
        uow.plan_results.put(plan_id, HISTORY, history)
        if outcome.affected:
            regenerate_rules(uow, saved, by=by)
        uow.audit.record(
            direction or "edit", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"version": plan.version},
            after={"version": saved.version, "edit": dict(applied)},
        )  # fmt: skip
        result = _result(uow, saved, outcome.affected, history)
        uow.commit()
    return result
