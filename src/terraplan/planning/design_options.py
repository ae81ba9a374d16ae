"""What planners ask of a design beyond tolerances, turned into the engine's arrays.

- **absolute windows** (:class:`BalanceWindow`): a territory's (or every territory's) total
  of a metric kept within ``[lower, upper]`` in the metric's own units, either side open;
- **keep-together groups**: unit id -> group name (the counties of one metro area, the
  accounts of one parent family, see :mod:`terraplan.planning.design_groups`); the units of
  a group always share a territory;
- **travel costs** (:class:`TravelCost`): the cost (minutes) from a unit to a rep's home
  base, the territories' fixed centres; compactness is then the weighted travel time.

Every error names where the offending value came from (``source``: a file and row, or a
JSON path) and the field and reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from terraplan.domain import Rep
from terraplan.engine.design import DesignProblem
from terraplan.engine.design.diagnosis import Diagnosis, Issue
from terraplan.errors import DataError, InfeasibleError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BalanceWindow:
    """``lower <= total <= upper`` for ``metric`` in ``territory`` (id or name; None: every
    territory). A side left None is open (0 below, no limit above). ``source`` says where
    the window was given ("windows.csv row 3", "--window"), for messages."""

    metric: str
    lower: float | None = None
    upper: float | None = None
    territory: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class TravelCost:
    """``minutes`` (any non-negative cost) from unit ``unit`` to the home base of ``rep``
    (a rep id or name); ``source`` says where it was given."""

    unit: str
    rep: str
    minutes: float
    source: str = ""


@dataclass(frozen=True, eq=False)
class GroupLabels:
    """Keep-together groups as the engine sees them: ``ids (n,)`` group index per unit or
    -1; ``names`` the group names by index; ``shares`` each group's largest total over an
    equal share of a metric (1.8 = 1.8 times a territory's target), ``share_metric`` which
    metric."""

    ids: npt.NDArray[np.int64]
    names: tuple[str, ...]
    shares: tuple[float, ...]
    share_metric: tuple[str, ...]

    def describe(self, group: int) -> str:
        """``"keep-together group 'Bay Area' (1.84x an equal share of potential)"``."""
        return (
            f"keep-together group {self.names[group]!r} ({self.shares[group]:.2f}x an equal "
            f"share of {self.share_metric[group]})"
        )


def _fail(source: str, field: str, reason: str) -> DataError:
    where = f"{source}: " if source else ""
    return DataError(
        f"{where}{field}: {reason}",
        details={"file": source, "field": field, "reason": reason},
    )


def window_metrics(windows: Sequence[BalanceWindow]) -> list[str]:
    """The metrics named by ``windows``, in order of first appearance."""
    return list(dict.fromkeys(w.metric for w in windows))


def window_arrays(
    windows: Sequence[BalanceWindow],
    *,
    names: Sequence[str],
    territory_ids: Sequence[str],
    territory_names: Sequence[str],
    balanced: Sequence[str],
) -> tuple[FloatArray, FloatArray]:
    """``(lower, upper)``, each ``(k, m)``, in metric units.

    A territory and metric without a window keep the relative band around the territory's
    target when the metric is in ``balanced`` (``NaN``: the engine sets it, an equal share
    or, when an oversize unit gets a territory of its own, the mean of the others), else no
    limit.
    A window on one territory overrides a window on every territory; the same territory
    and metric windowed twice is an error.
    """
    k, m = len(territory_ids), len(names)
    lower = np.zeros((k, m))
    upper = np.full((k, m), np.inf)
    for j, name in enumerate(names):
        if name in balanced:
            lower[:, j] = upper[:, j] = np.nan
    index = {tid: t for t, tid in enumerate(territory_ids)}
    for t, tname in enumerate(territory_names):
        index.setdefault(tname, t)
    seen: dict[tuple[int | None, str], str] = {}
    ordered = sorted(windows, key=lambda w: w.territory is not None)  # every territory first
    for window in ordered:
        where = window.source or "window"
        if window.metric not in names:
            raise _fail(where, "metric", f"unknown metric {window.metric!r}")
        for side in (window.lower, window.upper):
            if side is not None and (not math.isfinite(side) or side < 0):
                raise _fail(where, "lower/upper", f"{side!r} is not a non-negative number")
        if window.lower is not None and window.upper is not None and window.lower > window.upper:
            raise _fail(
                where, "lower", f"lower {window.lower:,.6g} is above upper {window.upper:,.6g}"
            )
        j = list(names).index(window.metric)
        if window.territory is None:
            rows = list(range(k))
            key: tuple[int | None, str] = (None, window.metric)
        else:
            if window.territory not in index:
                raise _fail(
                    where,
                    "territory",
                    f"unknown territory {window.territory!r} (the design's territories: "
                    f"{', '.join(territory_ids[:8])}{', ...' if k > 8 else ''})",
                )
            rows = [index[window.territory]]
            key = (rows[0], window.metric)
        if key in seen:
            raise _fail(
                where, "territory", f"{window.metric} of this territory has a window already "
                f"({seen[key]})"
            )  # fmt: skip
        seen[key] = where
        lower[rows, j] = 0.0 if window.lower is None else window.lower
        upper[rows, j] = np.inf if window.upper is None else window.upper
    return lower, upper


def group_labels(
    groups: Mapping[str, str],
    unit_ids: Sequence[str],
    weights: FloatArray,
    names: Sequence[str],
    k: int,
) -> GroupLabels | None:
    """Group index per unit from ``groups`` (unit id -> group name; ids not designed are
    ignored), or None when no group holds two designed units."""
    pos = {uid: i for i, uid in enumerate(unit_ids)}
    members: dict[str, list[int]] = {}
    for uid, name in groups.items():
        if uid in pos:
            members.setdefault(name, []).append(pos[uid])
    kept = [(name, units) for name, units in members.items() if len(units) >= 2]
    if not kept:
        return None
    ids = np.full(len(unit_ids), -1, dtype=np.int64)
    equal = weights.sum(axis=0) / k
    shares, metrics = [], []
    for g, (_, units) in enumerate(kept):
        ids[units] = g
        ratio = weights[units].sum(axis=0) / np.where(equal > 0, equal, np.inf)
        shares.append(float(ratio.max()))
        metrics.append(str(names[int(ratio.argmax())]))
    return GroupLabels(ids, tuple(n for n, _ in kept), tuple(shares), tuple(metrics))


def broken_groups(labels: GroupLabels, adjacency: object) -> list[str]:
    """Names of the groups whose units are not one connected piece of ``adjacency`` (a
    scipy CSR unit graph): their territory cannot be contiguous."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    graph = sparse.csr_matrix(adjacency)
    out = []
    for g, name in enumerate(labels.names):
        units = np.flatnonzero(labels.ids == g)
        pieces, _ = connected_components(graph[units][:, units], directed=False)
        if pieces > 1:
            out.append(f"{name!r} ({pieces} pieces)")
    return out


def cost_matrix(
    costs: Sequence[TravelCost], unit_ids: Sequence[str], reps: Sequence[Rep]
) -> tuple[FloatArray, npt.NDArray[np.bool_] | None, list[str]]:
    """``(centre_costs (n, k), allowed (n, k) or None, notes)`` from travel ``costs``.

    Rows of units outside the design are skipped; a rep must be one of ``reps`` (by id or
    name); a unit and rep given twice is an error. A unit-rep pair without a cost is
    forbidden (that rep does not serve the unit); a unit with no cost at all is an error.
    """
    pos = {uid: i for i, uid in enumerate(unit_ids)}
    rep_index: dict[str, int] = {}
    for t, rep in enumerate(reps):
        rep_index.setdefault(rep.id, t)
    for t, rep in enumerate(reps):
        rep_index.setdefault(rep.name, t)
    n, k = len(unit_ids), len(reps)
    matrix = np.full((n, k), np.nan)
    skipped = 0
    for row in costs:
        where = row.source or "travel costs"
        if row.rep not in rep_index:
            raise _fail(
                where,
                "rep",
                f"{row.rep!r} is not one of the {k} reps the design centres on (active, with a "
                "home base)",
            )
        if not math.isfinite(row.minutes) or row.minutes < 0:
            raise _fail(where, "minutes", f"{row.minutes!r} is not a non-negative number")
        i = pos.get(row.unit)
        if i is None:
            skipped += 1
            continue
        t = rep_index[row.rep]
        if not np.isnan(matrix[i, t]):
            raise _fail(where, "unit", f"{row.unit} to {reps[t].name} is given twice")
        matrix[i, t] = row.minutes
    missing = np.isnan(matrix)
    none = np.flatnonzero(missing.all(axis=1))
    if none.size:
        first = unit_ids[int(none[0])]
        raise DataError(
            f"travel costs: {none.size:,} of the {n:,} designed units have no cost to any rep "
            f"(first: {first}); give every unit at least one rep",
            details={"field": "unit", "reason": "no cost", "row": first},
        )
    notes = []
    if missing.any():
        notes.append(
            f"{int(missing.sum()):,} unit-rep pairs have no travel cost: those reps do not get "
            "those units"
        )
    if skipped:
        notes.append(f"{skipped:,} travel cost rows name units outside this design (skipped)")
    allowed = ~missing if missing.any() else None
    return np.where(missing, 0.0, matrix), allowed, notes


def window_record(
    lower: npt.NDArray[np.float64] | None,
    upper: npt.NDArray[np.float64] | None,
    territory_ids: Sequence[str],
    names: Sequence[str],
    windows: Sequence[BalanceWindow],
    relative: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> dict[str, dict[str, list[float | None]]] | None:
    """The windows asked for, JSON-ready: territory id -> metric -> [lower, upper]; a
    ``NaN`` (relative) cell is read from ``relative``, the design's own ``(lower, upper)``."""
    if lower is None or upper is None:
        return None
    if relative is not None:
        lower = np.where(np.isnan(lower), relative[0], lower)
        upper = np.where(np.isnan(upper), relative[1], upper)
    metrics = {w.metric for w in windows}
    return {
        tid: {
            name: [float(lower[t, j]), None if np.isinf(upper[t, j]) else float(upper[t, j])]
            for j, name in enumerate(names)
            if name in metrics
        }
        for t, tid in enumerate(territory_ids)
    }


def named_group_error(
    exc: InfeasibleError, labels: GroupLabels | None, territory_names: Sequence[str]
) -> InfeasibleError:
    """The engine's contradiction in a keep-together group, the group named."""
    group = exc.details.get("group") if isinstance(exc.details, dict) else None
    if labels is None or not isinstance(group, int) or not 0 <= group < len(labels.names):
        return exc
    reason = "holds the home bases of several reps"
    if "locked" in exc.details.get("constraints", []):
        reason = "has units locked to different territories"
    return InfeasibleError(
        f"keep-together group {labels.names[group]!r} {reason}, so it cannot be kept in one "
        "territory; split the group or unlock its units",
        details={**exc.details, "group": labels.names[group]},
    )


def issue_text(
    issue: Issue,
    unit_names: Sequence[str],
    territory_names: Sequence[str],
    groups: GroupLabels | None = None,
    windowed: Collection[str] = (),
) -> str:
    """A diagnosis finding in words, units, groups and territories named (the engine only
    has indices); ``windowed``: the metrics with absolute windows (their advice differs)."""

    def unit(i: int) -> str:
        return unit_names[i] if 0 <= i < len(unit_names) else f"unit {i}"

    def territory(t: int) -> str:
        return territory_names[t] if 0 <= t < len(territory_names) else f"territory {t}"

    if issue.code == "group_over_band" and groups is not None:
        found = sorted({int(groups.ids[i]) for i in issue.units if 0 <= i < len(groups.ids)})
        described = "; ".join(groups.describe(g) for g in found if g >= 0) or issue.message
        if issue.remedied and issue.territories:
            return (
                f"{described} must stay together: it gets {territory(issue.territories[0])} of "
                "its own and the other territories are balanced around the mean of the rest"
            )
        return (
            f"{described} is heavier than the band of every allowed territory; loosen the "
            "tolerance or window, design fewer territories, or split the group"
        )
    if issue.code == "disconnected_adjacency" and issue.units:
        shown = ", ".join(unit(i) for i in issue.units[:5])
        more = f" and {len(issue.units) - 5:,} more" if len(issue.units) > 5 else ""
        count = f"{len(issue.units):,} units touch" if len(issue.units) != 1 else "1 unit touches"
        return (
            f"{count} no unit of the main part of the map (islands, or a separate part): "
            f"{shown}{more}; contiguity counts each such piece as touching its nearest unit, "
            "so a territory may hold it apart from the rest of its units"
        )
    if issue.code == "oversize_unit" and issue.units and issue.territories:
        metric = f" of {issue.metric}" if issue.metric else ""
        share = f" {issue.share:.2f}x" if issue.share is not None else " more than"
        return (
            f"{unit(issue.units[0])} alone holds{share} an equal share{metric}: it gets "
            f"{territory(issue.territories[0])} of its own and the other territories are "
            "balanced around the mean of the remaining ones"
        )
    if issue.code == "unit_over_band" and issue.units:
        first = ", ".join(unit(i) for i in issue.units[:3])
        more = f" and {len(issue.units) - 3:,} more" if len(issue.units) > 3 else ""
        if issue.metric is not None and issue.metric in windowed:
            advice = f"raise the upper end of the {issue.metric} window"
        else:
            # more territories make the equal share, and so the band, smaller
            of = f" of {issue.metric}" if issue.metric else ""
            advice = f"loosen the tolerance{of} or design fewer territories"
        verb = "exceeds" if len(issue.units) == 1 else "exceed"
        return (
            f"{first}{more} alone {verb} the upper band{' of ' + issue.metric if issue.metric else ''}"
            f" of every allowed territory; {advice}"
        )
    if issue.code == "locked_over_band" and issue.territories:
        names = ", ".join(territory(t) for t in issue.territories[:3])
        return f"locked units alone exceed the upper band of {names}"
    return issue.message


def unit_noun(units: Sequence[object]) -> str:
    """What the design's units are called in a message: "counties", "ZIP codes", "areas" or
    "accounts"."""
    kind = getattr(units[0], "kind", None) if units else None
    if kind is None:
        return "accounts" if units else "units"
    return {"county": "counties", "zip": "ZIP codes", "custom": "areas"}.get(str(kind), "units")


def balance_infeasible(
    diagnosis: Diagnosis,
    unit_names: Sequence[str],
    territory_names: Sequence[str],
    groups: GroupLabels | None,
    metric_names: Sequence[str],
    windowed: Collection[str] = (),
    unit_noun: str = "units",
) -> InfeasibleError:
    """The error of a design whose bands no plan can meet, each finding in plain words (units
    and territories by name) and what to change."""
    standing = [i for i in diagnosis.issues if not i.remedied]
    if any(i.code == "fewer_units_than_territories" for i in standing):
        # With more territories than units every band is too small as well: the count is
        # the one thing to change, so it is the one thing said.
        standing = [i for i in standing if i.code == "fewer_units_than_territories"]
    findings = [
        f"{len(unit_names):,} {unit_noun} cannot fill {len(territory_names):,} territories: "
        f"design at most {len(unit_names):,}"
        if issue.code == "fewer_units_than_territories"
        else issue_text(issue, unit_names, territory_names, groups, windowed)
        for issue in standing
    ]
    codes = {i.code for i in standing}
    advice = (
        ""  # the finding advises already
        if codes <= {"unit_over_band", "fewer_units_than_territories"} and codes
        else ". Loosen the tolerance, change the number of territories or balance on another metric"
    )
    return InfeasibleError(
        "the balance asked cannot be met, nothing was saved: "
        + "; ".join(findings or [diagnosis.summary()])
        + advice
        + ".",
        details={
            "constraints": sorted({i.code for i in diagnosis.issues}),
            "metrics": list(metric_names),
        },
    )


def explained(
    exc: InfeasibleError,
    problem: DesignProblem,
    unit_names: Sequence[str],
    territory_names: Sequence[str],
    groups: GroupLabels | None,
) -> InfeasibleError:
    """A solver's infeasibility told in the user's words: the diagnosis findings (units,
    groups, territories named) when it has any, else the solver's reason, metrics named."""
    from terraplan.engine.design.diagnosis import diagnose
    from terraplan.engine.design.groups import contract, expand_diagnosis
    from terraplan.engine.design.problem import prepare

    prep = prepare(problem)
    if prep.groups is not None:
        small, con = contract(prep)
        diagnosis = expand_diagnosis(diagnose(small)[0], con)
    else:
        diagnosis = diagnose(prep)[0]
    findings = [issue_text(i, unit_names, territory_names, groups) for i in diagnosis.issues]
    reason = str(exc)
    for j, name in enumerate(prep.metric_names):
        reason = re.sub(rf"\bmetric {j}\b", name, reason)
    return InfeasibleError(
        "the balance asked cannot be met: " + "; ".join(findings or [reason]),
        details={**exc.details, "findings": findings},
    )


def travel_minutes(
    costs: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    names: Sequence[str],
    metric: str | None,
) -> dict[str, float]:
    """Mean minutes from each unit to its rep's base, plain and weighted by ``metric``."""
    minutes = costs[np.arange(labels.shape[0]), labels]
    if metric is not None and metric in names:
        w = weights[:, list(names).index(metric)]
    else:
        w = np.ones_like(minutes)
    weighted = float(np.dot(w, minutes) / w.sum()) if w.sum() > 0 else float(minutes.mean())
    return {"mean": float(minutes.mean()), "weighted": weighted}
