"""Design (or realign) territories for the stored data and save the result as a draft plan."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from terraplan.domain import GeoKind, GeoUnit, Plan, RecordKind, Rep, RepRole
from terraplan.domain.amounts import compact_amount
from terraplan.engine.design.params import DEFAULT_TIME_LIMIT
from terraplan.errors import DataError, InvalidParameterError, NotFoundError
from terraplan.io.outputs import write_files
from terraplan.planning.design import (
    DesignOutcome,
    design_territories,
    metric_coverage_error,
    metric_zero_error,
)
from terraplan.planning.design_criteria import balance_criteria_record
from terraplan.planning.design_export import alignment_csv, territories_geojson
from terraplan.planning.design_options import (
    BalanceWindow,
    TravelCost,
    balance_infeasible,
    unit_noun,
    window_metrics,
)
from terraplan.planning.unit_metrics import (
    ACCOUNT_METRICS,
    sum_account_metrics,
    unplaced_accounts_note,
)
from terraplan.services.design_inputs import KeepTogether, option_record, resolve_groups
from terraplan.services.progress import Progress, no_progress
from terraplan.storage.database import Database
from terraplan.storage.record_repository import OPEN
from terraplan.storage.unit_of_work import UnitOfWork

UnitChoice = Literal["counties", "zips", "custom", "accounts"]


@dataclass(frozen=True, eq=False)
class DesignRun:
    outcome: DesignOutcome
    plan: Plan
    units: tuple[Any, ...]
    seconds: float


def parse_balance(values: list[str]) -> dict[str, float]:
    """``["population:5%", "potential:0.1"]`` -> ``{"population": 0.05, "potential": 0.1}``."""
    balance: dict[str, float] = {}
    for value in values:
        name, sep, tolerance = value.partition(":")
        try:
            number = float(tolerance.strip().rstrip("%")) / (
                100 if tolerance.strip().endswith("%") else 1
            )
        except ValueError:
            number = math.nan
        if not sep or not name or not math.isfinite(number) or not 0 < number < 1:
            raise InvalidParameterError(
                f"--balance {value!r}: use METRIC:TOLERANCE with a tolerance between 0 and 100%, e.g. population:5%",
                details={"parameter": "balance", "value": value},
            )
        balance[name.strip()] = number
    return balance


def load_units(uow: UnitOfWork, units: UnitChoice, *, states: set[str] | None = None) -> list[Any]:
    """The units to design: stored counties (else the bundled ones), ZIPs from the ZIP table
    (with their cells as polygons), stored custom geo units (e.g. imported polygons), or
    stored accounts."""
    if units == "accounts":
        chosen: list[Any] = uow.accounts.list(where=OPEN)
        if not chosen:
            raise DataError(
                "no accounts are stored, so there is nothing to design; import them "
                "(`terraplan import accounts FILE`) or run `terraplan demo`",
                details={"field": "accounts", "reason": "no records"},
            )
    elif units == "counties":
        chosen = uow.geo_units.list(where={"kind": GeoKind.COUNTY.value})
        if not chosen:
            from terraplan.data.counties import load_counties

            chosen = load_counties(with_polygons=True)
    elif units == "custom":
        chosen = uow.geo_units.list(where={"kind": GeoKind.CUSTOM.value})
        if not chosen:
            raise DataError(
                "no custom geo units are stored; import polygons first "
                "(`terraplan import geo_units FILE.geojson`, a GeoPackage or a zipped Shapefile)",
                details={"field": "geo_units", "reason": "no records"},
            )
    elif units == "zips":
        from terraplan.io.zip_units import zip_geo_units

        chosen = (
            zip_geo_units(states=states, with_polygons=True)
            if states
            else zip_geo_units(with_polygons=True)
        )
    else:
        raise InvalidParameterError(
            f"--units must be counties, zips, custom or accounts, not {units!r}"
        )
    if states and units != "zips":
        chosen = [u for u in chosen if (u.state or "") in states]
    if not chosen:
        raise NotFoundError(
            no_units_in_states(units, states or ()),
            details={"field": "states", "value": sorted(states or [])},
        )
    return chosen


#: What the design's units are called in messages.
_UNIT_WORDS = {"counties": "counties", "zips": "ZIP codes", "custom": "imported areas"}


def no_units_in_states(units: str, states: Iterable[str]) -> str:
    """ "No counties in the state XX: check the state codes" (the states plural when several)."""
    codes = sorted(str(s) for s in states)
    which = f"the state {codes[0]}" if len(codes) == 1 else f"the states {', '.join(codes)}"
    return f"No {_UNIT_WORDS.get(units, units)} in {which}: check the state codes"


def with_account_metrics(
    units: list[Any], uow: UnitOfWork, metrics: list[str]
) -> tuple[list[Any], list[str]]:
    """Geo units with the stored accounts' totals of ``metrics`` added to their attributes.

    Accounts are matched to counties by county FIPS and to ZIP and custom units (e.g.
    another country's postal areas) by postal code; units
    without accounts get 0. Metrics a unit already carries are left as they are. A metric
    with no accounts at all, missing for more than half of the accounts
    (:data:`~terraplan.planning.design.MAX_MISSING_SHARE`) or 0 everywhere raises a
    :class:`DataError` that says how to supply it. Also returns notes naming the accounts no
    unit can hold (no county or postal code) and counting those lacking a metric.
    """
    missing = [m for m in metrics if any(m not in u.attributes for u in units)]
    if not missing:
        return units, []
    accounts = uow.accounts.list(where=OPEN)
    notes: list[str] = []
    for metric in missing:
        lacking = 0 if metric == "count" else sum(getattr(a, metric) is None for a in accounts)
        error = metric_coverage_error(metric, missing=lacking, total=len(accounts), what="accounts")
        if error is not None:
            raise error
        if metric != "count" and not any(getattr(a, metric) for a in accounts):
            raise metric_zero_error(metric, what="accounts")
        if lacking:  # as a design on accounts says it: a blank is not a zero the user chose
            notes.append(
                f"{lacking:,} of {len(accounts):,} accounts lack the metric {metric!r}; "
                "counted as 0 in their unit's total"
            )
    from terraplan.io.geocoding import ZipDirectory
    from terraplan.io.zip_units import LOWER_48_AND_DC

    note = unplaced_accounts_note(
        units, accounts, locate=ZipDirectory().lookup, market=LOWER_48_AND_DC
    )
    return sum_account_metrics(units, accounts, missing), [*([note] if note else []), *notes]


def parse_locks(values: list[str]) -> dict[str, str]:
    """``["06037:T03", ...]`` -> ``{"06037": "T03"}`` (unit id -> territory id)."""
    locks: dict[str, str] = {}
    for value in values:
        unit, sep, territory = value.partition(":")
        if not sep or not unit.strip() or not territory.strip():
            raise InvalidParameterError(
                f"--lock {value!r}: give UNIT:TERRITORY, e.g. 06037:T03",
                details={"parameter": "lock", "value": value},
            )
        if unit.strip() in locks:
            raise InvalidParameterError(
                f"--lock: unit {unit.strip()} is locked twice", details={"parameter": "lock"}
            )
        locks[unit.strip()] = territory.strip()
    return locks


def design_plan(
    db: Database,
    *,
    units: UnitChoice = "counties",
    n_territories: int | None = None,
    balance: Mapping[str, float] | None = None,
    contiguous: bool = False,
    centres_from_reps: bool = False,
    from_plan: str | None = None,
    max_moved: float | None = None,
    locks: Mapping[str, str] | None = None,
    seed: int = 0,
    time_limit: float = DEFAULT_TIME_LIMIT,
    method: Literal["auto", "heuristic", "exact"] = "auto",
    states: set[str] | None = None,
    plan_id: str | None = None,
    plan_name: str | None = None,
    created_by: str | None = None,
    progress: Progress = no_progress,
    keep_together: Sequence[KeepTogether] = (),
    windows: Sequence[BalanceWindow] = (),
    travel_costs: Sequence[TravelCost] = (),
) -> DesignRun:
    """Run the design on the stored data (nothing is written until it has finished) and save a draft plan.

    ``keep_together``, ``windows`` and ``travel_costs``: see
    :mod:`terraplan.services.design_inputs` (``"parent"`` or unit -> group mappings; absolute
    windows; minutes to the reps' home bases, with ``centres_from_reps``).
    """
    input_notes: list[str] = []
    if from_plan and not balance and not windows:
        # a realignment keeps what the plan was designed for unless told otherwise
        with UnitOfWork(db) as uow:
            balance, contiguous, inherited = _criteria_of(uow.plans.get(from_plan), contiguous)
        if inherited:
            input_notes.append(inherited)
    metrics = list(dict.fromkeys([*(balance or {}), *window_metrics(windows)]))
    with UnitOfWork(db) as uow:
        chosen = load_units(uow, units, states=states)
        if units != "accounts" and metrics:
            chosen, metric_notes = with_account_metrics(
                chosen, uow, [m for m in metrics if m in ACCOUNT_METRICS]
            )
            input_notes += metric_notes
        families = any(isinstance(s, str) for s in keep_together)
        stored = uow.accounts.list() if families else []
        open_accounts = [a for a in stored if a.closed_on is None]
        groups = resolve_groups(keep_together, chosen, open_accounts, hierarchy=stored)
        current = uow.plans.get(from_plan) if from_plan else None
        reps: list[Rep] = []
        if centres_from_reps:
            reps = [
                r
                for r in uow.reps.list()
                if r.active and r.role is not RepRole.MANAGER and r.home_latitude is not None
            ]
            if not reps:
                raise NotFoundError(
                    "--centers reps: no active rep has a home base (latitude/longitude)"
                )
        from terraplan.services.plan_ids import new_plan_id

        new_id = new_plan_id(uow, plan_id)
    started = time.perf_counter()
    deadline = max(time_limit, 1e-9)

    def callback(step: int, objective: float) -> None:
        progress(
            "design territories",
            min(int(100 * (time.perf_counter() - started) / deadline), 99),
            100,
        )

    progress("design territories", 0, 100)
    outcome = design_territories(
        chosen,
        n_territories=None if centres_from_reps else n_territories,
        centres=reps or None,
        balance=dict(balance) if balance else None,
        contiguous=contiguous,
        current=current,
        max_moved=max_moved,
        locks=_with_plan_locks(locks, current) or None,
        seed=seed,
        time_limit=time_limit,
        method=method,
        callback=callback,
        plan_id=new_id,
        plan_name=plan_name or f"{units.title()} design, {len(reps) or n_territories} territories",
        groups=groups,
        windows=windows,
        travel_costs=travel_costs,
        stop_if_infeasible=True,
    )
    progress("design territories", 100, 100)
    seconds = time.perf_counter() - started
    if input_notes:
        outcome = replace(outcome, notes=(*input_notes, *outcome.notes))
    if not outcome.diagnosis.feasible:  # found during the search (the diagnosis stops first)
        raise balance_infeasible(
            outcome.diagnosis,
            outcome.unit_names,
            [t.name for t in outcome.plan.territories],
            outcome.groups,
            outcome.metric_names,
            windowed=window_metrics(windows),
            unit_noun=unit_noun(chosen),
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    plan = replace(
        outcome.plan,
        created_by=created_by,
        based_on_plan_id=from_plan,
        parameters={
            "units": units,
            "balance": dict(balance or {}),
            "contiguous": contiguous,
            "seed": seed,
            "time_limit": time_limit,
            "method": method,
            "states": sorted(states) if states else None,
            "designed_at": now.isoformat(timespec="seconds"),
            **option_record(keep_together, windows, travel_costs, outcome),
        },
    )
    from terraplan.rules import dump_rule_set
    from terraplan.services.ownership import rules_for_design

    rule_set = rules_for_design(plan, chosen) if units != "accounts" else None
    with UnitOfWork(db) as uow:
        # A design runs for a while: another plan may have taken the id picked at its start.
        saved = uow.plans.add(plan, generated=plan_id is None)
        uow.plan_results.put(saved.id, "design", design_summary(outcome, seconds))
        if rule_set is not None:
            # Design -> rules: every designed plan can assign accounts and route leads at once.
            uow.rule_sets.add(
                saved.id, dump_rule_set(rule_set), plan_version=saved.version, created_by="design"
            )
        disruption = outcome.report.disruption
        uow.audit.record(
            "design", "plan", saved.id, actor=created_by, plan_id=saved.id,
            after={"name": saved.name, "territories": len(saved.territories), "units": units,
                   "balance": dict(balance or {}),
                   "within_tolerance": outcome.report.balance.all_within,
                   "based_on": saved.based_on_plan_id,
                   "units_moved": None if disruption is None else disruption.units_moved},
        )  # fmt: skip
        uow.commit()
    return DesignRun(outcome=outcome, plan=saved, units=tuple(chosen), seconds=seconds)


def _criteria_of(plan: Plan, contiguous: bool) -> tuple[dict[str, float] | None, bool, str | None]:
    """The balance and contiguity ``plan`` was designed with (its stored parameters), and a
    note saying they are used; none (and no note) for a plan that was not designed."""
    stored = plan.parameters.get("balance") if isinstance(plan.parameters, dict) else None
    if not isinstance(stored, dict) or not stored:
        return None, contiguous, None
    balance = {str(k): float(v) for k, v in stored.items()}
    joined = contiguous or bool(plan.parameters.get("contiguous"))
    shown = ", ".join(f"{k} ±{v:.0%}" for k, v in balance.items())
    return (
        balance,
        joined,
        f"balanced as plan {plan.id} was designed: {shown}"
        + (", contiguous" if joined else "")
        + " (give --balance to balance on something else)",
    )


def _with_plan_locks(locks: Mapping[str, str] | None, current: Plan | None) -> dict[str, str]:
    """The locks asked for, plus the units the current plan locked (kept where they are)."""
    merged = dict(locks or {})
    if current is not None:
        from terraplan.planning.plan_edits import locked_units

        aligned = current.alignment_map(RecordKind.GEO_UNIT)
        for unit in sorted(locked_units(current)):
            if unit in aligned:
                merged.setdefault(unit, aligned[unit])
    return merged


def territory_rows(outcome: DesignOutcome) -> list[dict[str, Any]]:
    """One display row per territory, readable at 80 columns: id (and name when it is not
    the default "Territory NN"), units, each metric's total with its deviation from target
    ("6.4M +3.2%"; "11.9M own" for a unit given a territory of its own, which no target
    measures), diameter, and pieces when some territory is not in one piece."""
    report = outcome.report
    counts = [0] * len(outcome.plan.territories)
    for label in outcome.labels.tolist():
        counts[label] += 1
    named = any(not t.name.startswith("Territory ") for t in outcome.plan.territories if t.name)
    components = report.contiguity.components
    show_pieces = components is not None and bool((components > 1).any())
    # a territory given to one unit heavier than the band has no target to deviate from
    own = {territory for _, territory in outcome.diagnosis.dedicated}
    cells: dict[str, list[str]] = {}
    for j, name in enumerate(outcome.metric_names):
        totals = [compact_amount(float(v)) for v in report.balance.totals[:, j]]
        devs = [
            "own" if t in own else f"{float(d):+.1%}"
            for t, d in enumerate(report.balance.deviation[:, j])
        ]
        wide_t = max(map(len, totals), default=0)
        wide_d = max(map(len, devs), default=0)
        cells[name] = [
            f"{t.rjust(wide_t)} {d.rjust(wide_d)}" for t, d in zip(totals, devs, strict=True)
        ]
    rows = []
    for t, territory in enumerate(outcome.plan.territories):
        row: dict[str, Any] = {"territory": territory.id}
        if named:
            row["name"] = territory.name
        row["units"] = counts[t]
        for name in outcome.metric_names:
            row[f"{name} (dev)"] = cells[name][t]
        row["diam. km"] = round(float(report.compactness.diameters[t]))
        if show_pieces and components is not None:
            row["pieces"] = int(components[t])
        rows.append(row)
    return rows


def design_summary(outcome: DesignOutcome, seconds: float) -> dict[str, Any]:
    """The report as JSON-ready figures (stored with the plan, printed with --format json)."""
    report = outcome.report
    stats = outcome.stats
    summary: dict[str, Any] = {
        "plan_id": outcome.plan.id,
        "territories": len(outcome.plan.territories),
        "units": len(outcome.unit_ids),
        "metrics": list(outcome.metric_names),
        "tolerance": [float(x) for x in report.balance.tolerance],
        "max_abs_deviation": [float(x) for x in report.balance.max_abs_deviation],
        "all_within_tolerance": report.balance.all_within,
        "weighted_inertia": float(report.compactness.weighted_inertia),
        # weight x km to the centre, as weighted_inertia is weight x km^2: not a distance
        "weighted_distance": float(report.compactness.total_distance_km),
        "max_diameter_km": float(report.compactness.max_diameter),
        "cut_edges": report.compactness.cut_edges,
        "all_contiguous": report.contiguity.all_contiguous,
        "diagnosis": list(outcome.notes),
        "balance_criteria": balance_criteria_record(outcome),
        "solver": {
            "method": stats.method,
            "seconds": round(seconds, 3),
            "iterations": stats.iterations,
            "objective": float(stats.objective),
            "lower_bound": stats.lower_bound,
            "gap": stats.gap,
            "proven_optimal": stats.proven_optimal,
            "converged": stats.converged,
            "status": stats.status,
            "reproducible": stats.reproducible,
        },
        "excluded_named_accounts": list(outcome.excluded),
    }
    if outcome.windows is not None:
        summary["windows"] = outcome.windows
        summary["window_only_metrics"] = list(outcome.window_only)
    if outcome.travel_minutes is not None:
        summary["travel_minutes"] = outcome.travel_minutes
    if outcome.groups is not None:
        summary["keep_together"] = [
            {"group": name, "units": int((outcome.groups.ids == g).sum()), "share": share}
            for g, (name, share) in enumerate(
                zip(outcome.groups.names, outcome.groups.shares, strict=True)
            )
        ]
    if report.disruption is not None:
        summary["disruption"] = {
            "units_moved": report.disruption.units_moved,
            "share_moved": {
                n: float(s)
                for n, s in zip(outcome.metric_names, report.disruption.share_moved, strict=True)
            },
        }
    return summary


def write_design_files(run: DesignRun, out: Path, *, overwrite: bool = False) -> list[Path]:
    """``out`` as a folder or file stem: ``<stem>.csv`` (alignment) and ``<stem>.geojson`` (dissolved territories).

    Existing files are refused (:class:`ConflictError`) unless ``overwrite``; both are checked
    before either is written, and each is written atomically.
    """
    stem = out / run.plan.id if out.suffix == "" else out.with_suffix("")
    files: dict[str, str] = {f"{stem.name}.csv": alignment_csv(run.outcome)}
    geo_units = [u for u in run.units if isinstance(u, GeoUnit)]
    if any(u.polygon for u in geo_units):
        files[f"{stem.name}.geojson"] = json.dumps(territories_geojson(run.outcome, geo_units))
    return write_files(stem.parent, files, overwrite=overwrite)
