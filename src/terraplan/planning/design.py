"""Use case: design (or realign) geographic territories from geo units or accounts.

Domain objects -> arrays (:class:`~terraplan.engine.design.DesignProblem`) -> engine
solver -> a draft :class:`~terraplan.domain.Plan` with territories ``T01..`` and one
alignment entry per unit, plus the engine's report and diagnosis.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from terraplan.domain import (
    Account,
    AlignmentEntry,
    GeoKind,
    GeoUnit,
    Plan,
    RecordKind,
    Rep,
    Territory,
    TerritoryType,
)
from terraplan.engine.design import DesignProblem, DesignResult, diagnose_problem, get_solver
from terraplan.engine.design.diagnosis import Diagnosis
from terraplan.engine.design.params import DEFAULT_TIME_LIMIT
from terraplan.engine.design.report import DesignReport, SolverStats
from terraplan.errors import (
    ConvergenceWarning,
    DataError,
    DataQualityWarning,
    InfeasibleError,
    InvalidParameterError,
)
from terraplan.planning.design_arrays import (
    metric_index,
    moved_budget,
    territory_index,
    territory_list,
    unit_coords,
    unit_graph,
    unit_position,
)
from terraplan.planning.design_options import (
    BalanceWindow,
    GroupLabels,
    TravelCost,
    balance_infeasible,
    broken_groups,
    cost_matrix,
    explained,
    group_labels,
    issue_text,
    named_group_error,
    travel_minutes,
    unit_noun,
    window_arrays,
    window_metrics,
    window_record,
)

Method = Literal["auto", "heuristic", "exact"]

#: Account metrics usable in ``balance``: fields of :class:`Account` or ``"count"`` (1 each);
#: any other name is read from ``Account.attributes``.
ACCOUNT_FIELDS = ("potential", "workload", "annual_revenue", "employees")

#: A balance metric missing for more than this share of the accounts (or units) stops the
#: design with a :class:`DataError` instead of balancing mostly zeros.
MAX_MISSING_SHARE = 0.5


@dataclass(frozen=True, eq=False)
class DesignOutcome:
    """A designed plan and how it measures up.

    ``plan``: draft plan, leaf territories ``T01..`` (or the current plan's ids when
    realigning), alignment entries for every designed unit. ``unit_ids (n,)`` and
    ``labels (n,)`` are the engine's view (territory index per unit, in ``plan.territories``
    order); ``excluded`` the named accounts left out of the geo design.
    """

    plan: Plan
    report: DesignReport
    diagnosis: Diagnosis
    stats: SolverStats
    unit_ids: tuple[str, ...]
    labels: npt.NDArray[np.int64]
    metric_names: tuple[str, ...]
    record_kind: RecordKind
    excluded: tuple[str, ...] = ()
    #: What the user should know, each said once, units named (diagnosis, missing values,
    #: solver warnings). The engine's Python warnings are collected here, not re-raised.
    notes: tuple[str, ...] = ()
    #: Display names of ``unit_ids`` ("Los Angeles County, CA"; account names).
    unit_names: tuple[str, ...] = ()
    #: The keep-together groups designed (None: none), to name them in findings.
    groups: GroupLabels | None = None
    #: Territory id -> metric -> ``[lower, upper]`` (None: open) of the absolute windows
    #: asked for, and the metrics balanced only by windows (no tolerance).
    windows: dict[str, dict[str, list[float | None]]] | None = None
    window_only: tuple[str, ...] = ()
    #: With travel costs: each unit's minutes to its territory's rep, averaged over the
    #: units (``"mean"``) and weighted by the compactness metric (``"weighted"``).
    travel_minutes: dict[str, float] | None = None


def design_territories(
    units: Sequence[GeoUnit] | Sequence[Account],
    *,
    n_territories: int | None = None,
    centres: Sequence[Rep] | None = None,
    free_centres: bool = False,
    balance: Mapping[str, float] | None = None,
    contiguous: bool = False,
    compactness: str | None = "auto",
    current: Plan | None = None,
    max_moved: float | None = None,
    disruption_metric: str | None = None,
    disruption_weight: float = 0.0,
    lexicographic: bool = False,
    locks: Mapping[str, str] | None = None,
    forbidden: Mapping[str, Sequence[str]] | None = None,
    named_accounts: Sequence[str] = (),
    seed: int = 0,
    time_limit: float = DEFAULT_TIME_LIMIT,
    method: Method = "auto",
    callback: Callable[[int, float], bool | None] | None = None,
    plan_id: str = "design",
    plan_name: str = "Territory design",
    groups: Mapping[str, str] | None = None,
    windows: Sequence[BalanceWindow] = (),
    travel_costs: Sequence[TravelCost] = (),
    stop_if_infeasible: bool = False,
) -> DesignOutcome:
    """Design territories from ``units`` (geo units or accounts).

    - ``n_territories`` k, or ``centres``: reps whose home bases are the (fixed, unless
      ``free_centres``) territory centres; each territory gets that rep as primary owner.
    - ``balance``: metric -> tolerance, e.g. ``{"population": 0.05}``. Geo units read
      ``attributes``; accounts read ``potential``/``workload``/``annual_revenue``/
      ``employees``/``count`` or ``attributes``. Default: ``{"population": 0.05}`` for geo
      units, ``{"count": 0.10}`` for accounts.
    - ``contiguous``: every territory one connected piece (geo units' ``neighbours`` give
      the graph; otherwise a Delaunay neighbourhood of the centroids is built).
    - ``compactness``: metric weighting distances ("auto": the first balance metric; None:
      unweighted).
    - ``current``: plan to realign (its leaf geo territories keep their ids);
      ``max_moved``: an int caps moved units, a float in (0, 1) caps the moved share of
      ``disruption_metric`` (units when None); ``disruption_weight`` prices disruption
      against compactness; ``lexicographic`` = balance, then least disruption, then
      compactness.
    - ``locks``: unit id -> territory id; ``forbidden``: unit id -> territory ids.
    - ``named_accounts``: account ids left out of the geo design.
    - ``method``: "heuristic", "exact" (small instances) or "auto".
    - ``groups``: unit id -> keep-together group name; a group's units always share a
      territory (:mod:`terraplan.planning.design_groups` builds parent-account families).
    - ``windows``: absolute ``[lower, upper]`` totals per metric for every territory or one
      (a metric not in ``balance`` is balanced by its windows only; without ``balance`` the
      windows' metrics are the only ones balanced).
    - ``travel_costs``: minutes from units to the ``centres`` reps' home bases (fixed
      centres); compactness becomes the weighted travel time, and a unit-rep pair without a
      cost is forbidden.
    - ``stop_if_infeasible``: raise :class:`~terraplan.errors.InfeasibleError` (findings
      named) before any search when the diagnosis proves that no plan meets the bands; by
      default the best plan the solver finds is returned with the diagnosis.
    """
    if hasattr(units, "columns") and not isinstance(units, Sequence):  # a DataFrame
        raise InvalidParameterError(
            "units is a DataFrame: use terraplan.frames.design_territories(df, ...), which"
            " checks its rows and takes DataFrames (this function takes records)",
            details={"parameter": "units"},
        )
    if not units:
        raise InvalidParameterError("no units to design", details={"parameter": "units"})
    kind = RecordKind.ACCOUNT if isinstance(units[0], Account) else RecordKind.GEO_UNIT
    excluded_set = set(named_accounts)
    chosen = [u for u in units if u.id not in excluded_set]
    if not all(isinstance(u, Account if kind is RecordKind.ACCOUNT else GeoUnit) for u in chosen):
        raise InvalidParameterError(
            "units must be all geo units or all accounts", details={"parameter": "units"}
        )
    ids = [u.id for u in chosen]
    if len(set(ids)) != len(ids):
        raise DataError("duplicate unit ids", details={"field": "id", "reason": "duplicate"})
    if (
        centres is None
        and current is None
        and n_territories is not None
        and n_territories > len(ids)
    ):
        # said before a list per territory is built (a typo of a few zeros asks for 10^9)
        raise InfeasibleError(
            f"the balance asked cannot be met, nothing was saved: {len(ids):,} "
            f"{unit_noun(chosen)} cannot fill {n_territories:,} territories: design at most "
            f"{len(ids):,}.",
            details={"constraints": ["fewer_units_than_territories"]},
        )
    default = {"population": 0.05} if kind is RecordKind.GEO_UNIT else {"count": 0.10}
    balance = dict(balance or ({} if windows else default))
    window_only = tuple(m for m in window_metrics(windows) if m not in balance)
    names = (*balance, *window_only)
    weights, notes = _weights(chosen, names, kind)
    coords = unit_coords(chosen, kind)
    territory_ids, territory_names, owners, k = territory_list(n_territories, centres, current)
    index = {tid: t for t, tid in enumerate(territory_ids)}
    unit_pos = {uid: i for i, uid in enumerate(ids)}
    adjacency = unit_graph(chosen, unit_pos) if contiguous and kind is RecordKind.GEO_UNIT else None
    locked = np.full(len(ids), -1, dtype=np.int64)
    for uid, tid in (locks or {}).items():
        locked[unit_position(unit_pos, uid, "locks")] = territory_index(index, tid, "locks")
    allowed = None
    if forbidden:
        allowed = np.ones((len(ids), k), dtype=bool)
        for uid, tids in forbidden.items():
            for tid in tids:
                allowed[
                    unit_position(unit_pos, uid, "forbidden"),
                    territory_index(index, tid, "forbidden"),
                ] = False
    current_labels = None
    if current is not None:
        mapping = current.alignment_map(kind)
        current_labels = np.array(
            [index.get(mapping.get(uid, ""), -1) for uid in ids], dtype=np.int64
        )
    max_units, max_share = moved_budget(max_moved)
    comp_metric = names[0] if compactness == "auto" else compactness
    lower = upper = centre_costs = None
    if windows:
        lower, upper = window_arrays(
            windows, names=names, territory_ids=territory_ids,
            territory_names=territory_names, balanced=tuple(balance),
        )  # fmt: skip
    labels = group_labels(groups, ids, weights, names, k) if groups else None
    if labels is not None and adjacency is not None:
        broken = broken_groups(labels, adjacency)
        if broken:
            notes.append(
                f"keep-together group(s) {', '.join(broken[:5])} are not one connected piece, "
                "so their territories cannot be contiguous"
            )
    if travel_costs:
        if centres is None or free_centres:
            raise InvalidParameterError(
                "travel costs need territories centred on reps' home bases (--centers reps), "
                "with fixed centres",
                details={"parameter": "travel_costs"},
            )
        centre_costs, served, cost_notes = cost_matrix(travel_costs, ids, centres)
        notes.extend(cost_notes)
        if served is not None:
            allowed = served if allowed is None else allowed & served
    problem = DesignProblem(
        weights=weights,
        n_territories=k,
        tolerance=np.array([balance.get(name, 0.0) for name in names], dtype=float),
        lower=lower,
        upper=upper,
        groups=None if labels is None else labels.ids,
        centre_costs=centre_costs,
        distance_power=1 if centre_costs is not None else 2,
        coords=coords,
        adjacency=adjacency,
        contiguous=contiguous,
        centres=(
            None
            if centres is None
            else np.array([[r.home_latitude, r.home_longitude] for r in centres], dtype=float)
        ),
        free_centres=None if centres is None else np.full(k, bool(free_centres)),
        locked=locked,
        allowed=allowed,
        current=current_labels,
        compactness_metric=None if comp_metric is None else metric_index(names, comp_metric),
        disruption_metric=None
        if disruption_metric is None
        else metric_index(names, disruption_metric),
        disruption_weight=disruption_weight,
        max_moved_units=max_units,
        max_moved_share=max_share,
        priority="lexicographic" if lexicographic else "weighted",
        metric_names=names,
    )
    if stop_if_infeasible:
        diagnosis = diagnose_problem(problem)
        if not diagnosis.feasible:
            raise balance_infeasible(
                diagnosis, tuple(_label(u) for u in chosen), territory_names, labels, names,
                windowed=window_metrics(windows), unit_noun=unit_noun(chosen),
            )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _solve(
                problem, method=method, seed=seed, time_limit=time_limit, callback=callback
            )
        except InfeasibleError as exc:
            named = named_group_error(exc, labels, territory_names)
            if named is not exc:
                raise named from None
            names_of = tuple(_label(u) for u in chosen)
            raise explained(exc, problem, names_of, territory_names, labels) from None
    unit_names = tuple(_label(u) for u in chosen)
    notes.extend(
        issue_text(issue, unit_names, territory_names, labels, window_metrics(windows))
        for issue in result.diagnosis.issues
    )
    summary = result.diagnosis.summary()
    for warning in caught:
        text = str(warning.message)
        if not issubclass(warning.category, DataQualityWarning | ConvergenceWarning):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        elif not (result.diagnosis.issues and summary in text):  # else: named above
            notes.append(text.removeprefix("territory design: "))
    disruption = result.report.disruption
    if (
        current is not None
        and max_moved is not None
        and not result.report.balance.all_within
        and disruption is not None
        and _cap_reached(
            max_moved,
            disruption.units_moved,
            len(ids),
            None
            if disruption_metric is None
            else float(disruption.share_moved[metric_index(names, disruption_metric)]),
        )
    ):
        # the cap, not the market, may be what keeps the bands out of reach: say which knob
        outside = int(np.sum(~np.asarray(result.report.balance.within).all(axis=1)))
        notes.append(
            f"the disruption cap ({_cap_words(max_moved)} moved) leaves {outside} "
            f"{'territory' if outside == 1 else 'territories'} outside the balance band: a "
            "larger cap (--max-moved) or a wider band may meet it; the draft is saved as it is"
        )
    territories = tuple(
        Territory(id=tid, name=tname, type=TerritoryType.GEO, owners=owner)
        for tid, tname, owner in zip(territory_ids, territory_names, owners, strict=True)
    )
    alignment = tuple(
        AlignmentEntry(kind, uid, territory_ids[int(t)])
        for uid, t in zip(ids, result.labels, strict=True)
    )
    plan = Plan(
        id=plan_id,
        name=plan_name,
        territories=territories,
        alignment=alignment,
        based_on_plan_id=None if current is None else current.id,
        parameters={
            "method": result.stats.method,
            "balance": dict(balance),
            "contiguous": contiguous,
            "seed": seed,
            "status": result.stats.status,
            # how accounts are placed in the units (KPIs read it: postal areas with 5-digit
            # ids were taken as county codes, and every territory's revenue read 0)
            **({"units": space} if (space := _units_parameter(chosen, kind)) else {}),
        },
    )
    return DesignOutcome(
        plan=plan,
        report=result.report,
        diagnosis=result.diagnosis,
        stats=result.stats,
        unit_ids=tuple(ids),
        labels=result.labels,
        metric_names=names,
        record_kind=kind,
        excluded=tuple(u.id for u in units if u.id in excluded_set),
        notes=tuple(dict.fromkeys(notes)),
        unit_names=unit_names,
        groups=labels,
        windows=window_record(
            lower,
            upper,
            territory_ids,
            names,
            windows,
            relative=(
                result.report.balance.targets * (1.0 - result.report.balance.tolerance),
                result.report.balance.targets * (1.0 + result.report.balance.tolerance),
            ),
        ),
        window_only=window_only,
        travel_minutes=None
        if centre_costs is None
        else travel_minutes(centre_costs, result.labels, weights, names, comp_metric),
    )


def _cap_reached(max_moved: float, moved: int, units: int, share: float | None) -> bool:
    """The realignment moved as much as ``max_moved`` allows (so the cap, not the search,
    may be what stopped it): units, or the share of the disruption metric (``share``; None:
    units)."""
    if isinstance(max_moved, int) or max_moved >= 1:
        return moved >= int(max_moved)
    if share is not None:
        return share >= max_moved * 0.99
    return moved >= int(max_moved * units)


def _cap_words(max_moved: float) -> str:
    if isinstance(max_moved, int) or max_moved >= 1:
        count = int(max_moved)
        return f"at most {count} unit{'' if count == 1 else 's'}"
    return f"at most {max_moved:.0%} of the units"


def _units_parameter(units: Sequence[Any], kind: RecordKind) -> str | None:
    """``counties``, ``zips`` or ``custom``: the kind of geo units a design aligned (None for
    accounts, or a mix of counties and other units)."""
    if kind is not RecordKind.GEO_UNIT:
        return None
    kinds = {getattr(u, "kind", None) for u in units}
    if kinds == {GeoKind.COUNTY}:
        return "counties"
    if GeoKind.ZIP in kinds and kinds <= {GeoKind.ZIP, GeoKind.CUSTOM}:
        return "zips"
    if kinds == {GeoKind.CUSTOM}:
        return "custom"
    return None


def _label(unit: Any) -> str:
    """A unit as users know it: "Los Angeles County, CA", "90210 Beverly Hills, CA", an account's name."""
    name = str(getattr(unit, "name", "") or unit.id)
    state = getattr(unit, "state", None)
    if isinstance(unit, GeoUnit) and state and not name.endswith(f", {state}"):
        return f"{name}, {state}"
    return name


def _solve(
    problem: DesignProblem,
    *,
    method: str,
    seed: int,
    time_limit: float,
    callback: Callable[[int, float], bool | None] | None,
) -> DesignResult:
    if method not in ("auto", "heuristic", "exact"):
        raise InvalidParameterError(f"unknown method {method!r}", details={"parameter": "method"})
    params: dict[str, Any] = {"time_limit": float(time_limit), "callback": callback}
    if method != "exact":
        params["random_state"] = seed
    return get_solver(method, **params).solve(problem)


def metric_coverage_error(name: str, *, missing: int, total: int, what: str) -> DataError | None:
    """The error for a balance metric that ``missing`` of ``total`` records lack, or None.

    A metric stops the design when no record is given (empty data) or more than
    :data:`MAX_MISSING_SHARE` of the records have no value for it.
    """
    remedy = (
        f"import a {name!r} column (or map one to it in the mapping file), "
        "or balance on another metric, e.g. --balance annual_revenue:10% or --balance count:10%"
    )
    if total == 0:
        return DataError(
            f"cannot balance on {name!r}: there are no {what}; import {what} first "
            "(or run `terraplan demo`)",
            details={"field": name, "reason": "no records"},
        )
    if missing > MAX_MISSING_SHARE * total:
        return DataError(
            f"cannot balance on {name!r}: {missing:,} of {total:,} {what} have no value for it "
            f"(more than {MAX_MISSING_SHARE:.0%}); {remedy}",
            details={"field": name, "reason": "missing", "missing": missing, "total": total},
        )
    return None


def metric_zero_error(name: str, *, what: str) -> DataError:
    """The error for a balance metric that is 0 everywhere (nothing to balance)."""
    return DataError(
        f"cannot balance on {name!r}: it is 0 for every one of the {what}; import a "
        f"{name!r} column with values (or map one to it in the mapping file), or balance on "
        "another metric, e.g. --balance annual_revenue:10% or --balance count:10%",
        details={"field": name, "reason": "all zero"},
    )


def _weights(
    units: Sequence[Any], names: Sequence[str], kind: RecordKind
) -> tuple[npt.NDArray[np.float64], list[str]]:
    out = np.zeros((len(units), len(names)))
    notes: list[str] = []
    what = "accounts" if kind is RecordKind.ACCOUNT else "units"
    for j, name in enumerate(names):
        missing = 0
        for i, unit in enumerate(units):
            value = _metric_value(unit, name, kind)
            if value is None:
                missing += 1
                continue
            if not math.isfinite(value) or value < 0:
                raise DataError(
                    f"{_label(unit)}: metric {name!r} must be a non-negative number",
                    details={"row": unit.id, "field": name, "reason": "negative or not finite"},
                )
            out[i, j] = value
        error = metric_coverage_error(name, missing=missing, total=len(units), what=what)
        if error is not None:
            raise error
        if not out[:, j].any():
            raise metric_zero_error(name, what=what)
        if missing:
            notes.append(
                f"{missing:,} of {len(units):,} {what} lack the metric {name!r}; counted as 0"
            )
    return out, notes


def _metric_value(unit: Any, name: str, kind: RecordKind) -> float | None:
    if kind is RecordKind.ACCOUNT:
        if name == "count":
            return 1.0
        if name in ACCOUNT_FIELDS:
            value = getattr(unit, name)
            return None if value is None else float(value)
    raw = unit.attributes.get(name)
    if raw is None or isinstance(raw, bool | str):
        return None
    return float(raw)
