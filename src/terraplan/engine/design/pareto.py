"""Trade-off (Pareto) curves of territory designs.

Two curves matter when redrawing territories:

- **compactness vs disruption**: the epsilon-constraint method solves "most compact design
  moving at most ``budget`` weight" for a sweep of budgets (:func:`disruption_curve`);
- **compactness vs tolerance** (the price of balance): "most compact design within
  ``±tolerance`` of the targets" for a sweep of tolerances (:func:`balance_curve`), the
  second objective being the largest relative deviation the design actually reaches.

Both run the exact solver (small instances). For large instances pass any
``solve(parameter) -> (labels, compactness, second)`` callable, e.g. wrapping the
heuristic, to :func:`tradeoff_curve`. Every curve is returned as a tuple of frozen
:class:`TradeoffPoint` with dominated points removed, sorted by the second objective
(ascending; compactness then strictly decreases). Both objectives are minimised.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from terraplan.engine.design.exact import disruption_cost, solve_exact_assignment
from terraplan.engine.design.exact_core import FloatArray, IntArray, frozen
from terraplan.engine.design.exact_inputs import bad, float_array, int_array
from terraplan.errors import InfeasibleError

log = logging.getLogger(__name__)

#: ``solve(parameter) -> (labels (n,), compactness, second objective)``.
SolveAt = Callable[[float], tuple[npt.ArrayLike, float, float]]

#: Relative tolerance under which two objective values count as equal.
_EQUAL = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class TradeoffPoint:
    """One design on a trade-off curve.

    ``parameter``: the budget or tolerance it was solved with; ``compactness``: its
    compactness cost; ``second``: its disruption (moved weight) or reached tolerance
    (largest relative deviation from target); ``labels (n,)`` int64, read-only.
    """

    parameter: float
    compactness: float
    second: float
    labels: IntArray


def tradeoff_curve(solve: SolveAt, parameters: Sequence[float]) -> tuple[TradeoffPoint, ...]:
    """Solve at each parameter and keep the non-dominated designs.

    ``solve(p)`` returns ``(labels, compactness, second)``; a parameter whose problem is
    infeasible (:class:`InfeasibleError`) is skipped and logged. Raises
    :class:`InfeasibleError` when no parameter gives a design.
    """
    if not callable(solve):
        raise bad("solve", "must be callable")
    values = [float(p) for p in parameters]
    if not values or not all(math.isfinite(v) for v in values):
        raise bad("parameters", "must be a non-empty sequence of finite numbers")
    points: list[TradeoffPoint] = []
    for value in values:
        try:
            labels, compactness, second = solve(value)
        except InfeasibleError as exc:
            log.info("trade-off point %g skipped: %s", value, exc)
            continue
        points.append(
            TradeoffPoint(value, float(compactness), float(second), frozen(np.asarray(labels)))
        )
    if not points:
        raise InfeasibleError(
            "no parameter of the sweep gives a feasible design",
            details={"constraints": ["every swept parameter"], "parameters": values},
        )
    return non_dominated(points)


def non_dominated(points: Sequence[TradeoffPoint]) -> tuple[TradeoffPoint, ...]:
    """The points no other point dominates (both objectives minimised), sorted by
    ``second`` ascending; of equal points the one with the smallest parameter is kept."""
    ordered = sorted(points, key=lambda p: (p.second, p.compactness, p.parameter))
    kept: list[TradeoffPoint] = []
    for point in ordered:
        if kept and not _less(point.compactness, kept[-1].compactness):
            continue
        if kept and _equal(point.second, kept[-1].second):
            continue
        kept.append(point)
    return tuple(kept)


def _equal(a: float, b: float) -> bool:
    return abs(a - b) <= _EQUAL * max(1.0, abs(a), abs(b))


def _less(a: float, b: float) -> bool:
    return a < b and not _equal(a, b)


def moved_weight_of(labels: IntArray, current: IntArray, moved_weight: FloatArray) -> float:
    """Weight of units whose label differs from their current territory (-1 never moves)."""
    moved = (current >= 0) & (labels != current)
    return float(moved_weight[moved].sum())


def largest_deviation(labels: IntArray, weights: FloatArray, targets: FloatArray) -> float:
    """Largest ``|total - target| / target`` over territories and metrics (targets > 0)."""
    totals = np.zeros_like(targets)
    np.add.at(totals, labels, weights)
    positive = targets > 0
    if not positive.any():
        return 0.0
    return float((np.abs(totals - targets)[positive] / targets[positive]).max(initial=0.0))


def disruption_curve(
    cost: npt.ArrayLike,
    weights: npt.ArrayLike,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    allowed: npt.ArrayLike | None,
    *,
    current: npt.ArrayLike,
    moved_weight: npt.ArrayLike | None = None,
    budgets: Sequence[float] | None = None,
    n_points: int = 6,
    adjacency: sparse.csr_matrix | None = None,
    centre_units: npt.ArrayLike | None = None,
    time_limit: float = 5.0,
    mip_gap: float = 1e-6,
) -> tuple[TradeoffPoint, ...]:
    """Exact compactness-vs-disruption curve by the epsilon-constraint method.

    Arguments as :func:`solve_exact_assignment` (``cost (n, k)`` is the compactness
    cost); ``current (n,)`` labels or -1, ``moved_weight (n,)`` (default ones: units
    moved). ``budgets``: moved-weight budgets to solve at; default ``n_points`` evenly
    spaced from 0 to the disruption of the unconstrained optimum. ``time_limit`` is per
    point. Points have ``second`` = moved weight.
    """
    c = float_array(cost, "cost", (None, None), allow_inf=True)
    n, k = c.shape
    cur = int_array(current, "current", (n,), -1, k)
    mw = (
        np.ones(n)
        if moved_weight is None
        else float_array(moved_weight, "moved_weight", (n,), nonnegative=True)
    )
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise bad("n_points", "must be an int >= 2")
    # A tiny disruption term breaks ties towards less disruption (weakly dominated points).
    scale = float(np.abs(c[np.isfinite(c)]).max(initial=1.0)) / max(float(mw.sum()), 1.0)
    tie_break = c + 1e-7 * scale * disruption_cost(cur, mw, k=k)
    rows = np.arange(n)

    def solve(budget: float | None) -> tuple[IntArray, float, float]:
        outcome = solve_exact_assignment(
            tie_break, weights, lower, upper, allowed,
            adjacency=adjacency, centre_units=centre_units, current=cur,
            moved_weight=mw, max_moved_weight=budget, time_limit=time_limit, mip_gap=mip_gap,
        )  # fmt: skip
        labels = outcome.labels
        return labels, float(c[rows, labels].sum()), moved_weight_of(labels, cur, mw)

    if budgets is None:
        free = solve(None)
        top = free[2]
        sweep = [float(b) for b in np.linspace(0.0, top, n_points)]
        points = [TradeoffPoint(top, free[1], free[2], frozen(free[0]))]
        rest = tradeoff_curve(solve, sweep[:-1]) if top > 0 else ()
        return non_dominated([*points, *rest])
    return tradeoff_curve(solve, budgets)


def balance_curve(
    cost: npt.ArrayLike,
    weights: npt.ArrayLike,
    targets: npt.ArrayLike,
    tolerances: Sequence[float],
    allowed: npt.ArrayLike | None = None,
    *,
    adjacency: sparse.csr_matrix | None = None,
    centre_units: npt.ArrayLike | None = None,
    time_limit: float = 5.0,
    mip_gap: float = 1e-6,
) -> tuple[TradeoffPoint, ...]:
    """Exact compactness-vs-tolerance curve (the price of balance).

    ``targets (k, m)`` per-territory targets; each tolerance ``t`` in ``tolerances``
    solves with windows ``targets * (1 - t) .. targets * (1 + t)``. Points have
    ``second`` = the largest relative deviation from target the design reaches (at most
    ``t``). Tolerances whose windows cannot be met are skipped.
    """
    c = float_array(cost, "cost", (None, None), allow_inf=True)
    n, k = c.shape
    w = float_array(weights, "weights", (n, None))
    tg = float_array(targets, "targets", (k, w.shape[1]), nonnegative=True)
    if any(not (float(t) >= 0) for t in tolerances):
        raise bad("tolerances", "must be non-negative")
    rows = np.arange(n)

    def solve(tolerance: float) -> tuple[IntArray, float, float]:
        outcome = solve_exact_assignment(
            c, w, tg * (1 - tolerance), tg * (1 + tolerance), allowed,
            adjacency=adjacency, centre_units=centre_units,
            time_limit=time_limit, mip_gap=mip_gap,
        )  # fmt: skip
        labels = outcome.labels
        return labels, float(c[rows, labels].sum()), largest_deviation(labels, w, tg)

    return tradeoff_curve(solve, tolerances)
