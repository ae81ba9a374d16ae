"""Exact territory design with fixed centres: a binary assignment MILP solved by HiGHS.

Model (``n`` units, ``k`` territories, ``m`` metrics; binary ``x[i, j]`` = unit ``i`` in
territory ``j``)::

    minimise    sum_ij cost[i, j] * x[i, j]
    subject to  sum_j x[i, j] = 1                               every unit once
                lower[j, q] <= sum_i weights[i, q] x[i, j] <= upper[j, q]   balance
                x[i, j] = 0 where not allowed[i, j]             locks, forbidden pairs
                x[centre_units[j], j] = 1                       centres (when given)
                sum_ij moved[i, j] x[i, j] <= max_moved_weight  budget
                every territory connected (when ``adjacency`` is given)

Contiguity is enforced lazily: solve, find territories in several pieces, add cuts
(:mod:`terraplan.engine.design.exact_core`), solve again, until every territory is one
piece or the time limit is reached.

Cost builders: :func:`compactness_cost` (weighted distance or squared distance to each
territory's centre) and :func:`disruption_cost` (weight lost when a unit leaves its
current territory); callers add them with their own weights.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import sparse

from terraplan.engine.design.disruption import kept_form
from terraplan.engine.design.exact_core import (
    BoolArray,
    Callback,
    ExactOutcome,
    FloatArray,
    IntArray,
    RowBlock,
    frozen,
    relative_gap,
    symmetric_adjacency,
)
from terraplan.engine.design.exact_inputs import (
    bad,
    bool_array,
    bounds_pair,
    distinct_units,
    float_array,
    gap_value,
    int_array,
    is_number,
    positive_seconds,
)
from terraplan.engine.design.exact_loop import CutModel, cut_loop
from terraplan.errors import InfeasibleError

log = logging.getLogger(__name__)

BUDGET = "moved-weight budget"


def compactness_cost(
    dist_to_centres: npt.ArrayLike, unit_weight: npt.ArrayLike, *, squared: bool
) -> FloatArray:
    """Compactness cost ``(n, k)``: ``unit_weight[i] * d[i, j]`` (``d**2`` when ``squared``).

    ``dist_to_centres (n, k)``: distance (any unit, e.g. km) from each unit to each
    territory's centre; ``unit_weight (n,)`` non-negative (population, workload, or ones).
    Summed over an assignment this is the weighted distance sum, or the weighted inertia
    (moment of inertia) when ``squared``.
    """
    dist = float_array(dist_to_centres, "dist_to_centres", (None, None), nonnegative=True)
    weight = float_array(unit_weight, "unit_weight", (dist.shape[0],), nonnegative=True)
    power = dist * dist if squared else dist
    return np.asarray(weight[:, None] * power, dtype=np.float64)


def disruption_cost(
    current: npt.ArrayLike, moved_weight: npt.ArrayLike, *, k: int | None = None
) -> FloatArray:
    """Disruption cost ``(n, k)``: ``moved_weight[i]`` where ``j != current[i]``, else 0.

    ``current (n,)``: existing territory of each unit, -1 for a unit with none (never
    counted as moved); ``moved_weight (n,)`` non-negative (ones counts moved units; a
    potential column counts potential moved). ``k`` defaults to ``max(current) + 1``.
    """
    weight = float_array(moved_weight, "moved_weight", (None,), nonnegative=True)
    n = weight.shape[0]
    cur = np.asarray(current)
    width = int(k) if k is not None else (int(cur.max()) + 1 if cur.size else 0)
    if width < 1:
        raise bad("k", "must be >= 1 (or current must name a territory)")
    labels = int_array(cur, "current", (n,), -1, width)
    cost = np.repeat(weight[:, None], width, axis=1)
    has = labels >= 0
    cost[np.flatnonzero(has), labels[has]] = 0.0
    cost[~has] = 0.0
    return cost


def solve_exact_assignment(
    cost: npt.ArrayLike,
    weights: npt.ArrayLike,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    allowed: npt.ArrayLike | None,
    *,
    adjacency: sparse.csr_matrix | None = None,
    centre_units: npt.ArrayLike | None = None,
    current: npt.ArrayLike | None = None,
    moved_weight: npt.ArrayLike | None = None,
    max_moved_weight: float | None = None,
    disruption_cap: tuple[npt.ArrayLike, float] | None = None,
    conflicts: npt.ArrayLike | None = None,
    time_limit: float = 5.0,
    mip_gap: float = 1e-6,
    callback: Callback | None = None,
    explain_infeasible: bool = True,
) -> ExactOutcome:
    """Optimal assignment of units to territories with fixed centres (see module docstring).

    Shapes: ``cost (n, k)`` float (``+inf`` forbids a pair); ``weights (n, m)`` float;
    ``lower``/``upper (k, m)`` or ``(m,)`` balance windows in metric units (``-inf``/``inf``
    = open); ``allowed (n, k)`` bool or None (all allowed; a lock is one allowed column);
    ``adjacency (n, n)`` sparse unit graph (symmetrised) for contiguity; ``centre_units
    (k,)`` distinct unit indices, each forced into its territory and used as the root of
    its contiguity (-1: a territory without centre, rooted at its largest piece);
    ``current (n,)`` labels or -1 and ``moved_weight (n,)`` (default ones)
    with ``max_moved_weight`` for a disruption budget (``moved = disruption_cost(current,
    moved_weight)``); ``moved_weight`` may instead be the ``(n, k)`` table ``moved`` itself
    (weight moved when unit ``i`` goes to territory ``j``: a unit standing for a
    keep-together group split today, :mod:`~terraplan.engine.design.disruption`), and then
    ``current`` is not needed; ``disruption_cap = (weight (n,) or table (n, k), cap)``
    adds a second such budget on another weight (the lexicographic second stage keeps the
    least disruption found by the first); ``conflicts (p, 2)`` unit pairs that must not
    share a territory (the diameter model). ``time_limit`` seconds for the whole
    re-solve loop; ``mip_gap`` relative optimality gap; ``callback(step, objective)`` is
    called after each solve and may return False to stop; ``explain_infeasible=False``
    skips the extra solves that name the constraints an infeasible model cannot meet
    (callers that only need to know, such as the heuristic's repairs).

    Raises :class:`InfeasibleError` (``details["constraints"]`` names what cannot be met),
    :class:`SolverError` (no feasible solution within the time limit, or a backend
    failure) and :class:`InvalidParameterError`.
    """
    started = time.monotonic()
    c = float_array(cost, "cost", (None, None), allow_inf=True)
    n, k = c.shape
    if n < 1 or k < 1:
        raise bad("cost", "must have at least one unit and one territory")
    if (c == -np.inf).any():
        raise bad("cost", "must not contain -inf")
    w = float_array(weights, "weights", (n, None))
    lo, hi = bounds_pair(lower, upper, k, w.shape[1])
    mask = bool_array(allowed, "allowed", (n, k)) & np.isfinite(c)
    graph = None if adjacency is None else symmetric_adjacency(adjacency, n)
    centres = (
        np.full(k, -1, dtype=np.int64)
        if centre_units is None
        else distinct_units(centre_units, "centre_units", n, k, allow_none=True)
    )
    budget = [_budget(current, moved_weight, max_moved_weight, n, k)]
    if disruption_cap is not None:
        budget.append(_budget(current, disruption_cap[0], disruption_cap[1], n, k))
    limit = positive_seconds(time_limit, "time_limit")
    gap = gap_value(mip_gap)
    if callback is not None and not callable(callback):
        raise bad("callback", "must be callable")
    _check_allowed(mask, centres)
    pairs = (
        np.zeros((0, 2), dtype=np.int64)
        if conflicts is None
        else int_array(np.reshape(conflicts, (-1, 2)), "conflicts", (None, 2), 0, n)
    )
    return _solve(
        np.where(mask, c, 0.0), w, lo, hi, mask, graph, centres, budget,
        started, limit, gap, callback, explain_infeasible, pairs,
    )  # fmt: skip


def _budget(
    current: npt.ArrayLike | None,
    moved_weight: npt.ArrayLike | None,
    max_moved_weight: float | None,
    n: int,
    k: int,
) -> tuple[FloatArray, float] | None:
    """``(moved (n, k), cap)`` of a budget, or None without one."""
    if max_moved_weight is None:
        return None
    table = moved_weight if moved_weight is not None and np.ndim(moved_weight) == 2 else None
    if current is None and table is None:
        raise bad("current", "is required with max_moved_weight")
    if not is_number(max_moved_weight):
        raise bad("max_moved_weight", "must be a number")
    if not max_moved_weight >= 0:
        raise bad("max_moved_weight", "must be >= 0")
    if table is not None:
        moved = float_array(table, "moved_weight", (n, k), nonnegative=True)
        return moved, float(max_moved_weight)
    assert current is not None
    labels = int_array(current, "current", (n,), -1, k)
    weight = (
        np.ones(n)
        if moved_weight is None
        else float_array(moved_weight, "moved_weight", (n,), nonnegative=True)
    )
    return disruption_cost(labels, weight, k=k), float(max_moved_weight)


def _check_allowed(mask: BoolArray, centres: IntArray) -> None:
    stranded = np.flatnonzero(~mask.any(axis=1))
    if stranded.size:
        names = [f"allowed territories of unit {int(i)}" for i in stranded[:5]]
        raise InfeasibleError(
            f"unit {int(stranded[0])} has no allowed territory (locks/forbidden pairs)",
            details={"constraints": names, "units": stranded.tolist()},
        )
    for j, unit in enumerate(centres):
        if unit >= 0 and not mask[unit, j]:
            raise InfeasibleError(
                f"centre unit {int(unit)} is not allowed in its own territory {j}",
                details={"constraints": [f"centre of territory {j}"], "unit": int(unit)},
            )


def _model_blocks(
    w: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    budgets: list[tuple[FloatArray, float] | None],
) -> tuple[RowBlock, list[RowBlock]]:
    """The assignment rows and the optional blocks (balance per metric, budget)."""
    n, m = w.shape
    k = lo.shape[0]
    n_vars = n * k
    units = np.arange(n)
    assign = sparse.csr_matrix(
        (np.ones(n_vars), (np.repeat(units, k), np.arange(n_vars))), shape=(n, n_vars)
    )
    core = RowBlock("assignment", assign, np.ones(n), np.ones(n))
    optional: list[RowBlock] = []
    for q in range(m):
        keep = np.flatnonzero(np.isfinite(lo[:, q]) | np.isfinite(hi[:, q]))
        if keep.size == 0:
            continue
        rows = np.repeat(np.arange(keep.size), n)
        cols = (units[None, :] * k + keep[:, None]).ravel()
        data = np.tile(w[:, q], keep.size)
        matrix = sparse.csr_matrix((data, (rows, cols)), shape=(keep.size, n_vars))
        optional.append(RowBlock(f"balance window of metric {q}", matrix, lo[keep, q], hi[keep, q]))
    for budget in budgets:
        if budget is None:
            continue
        table, most = budget
        # kept form: the weight that stays where it is (one cell per single unit)
        kept, total = kept_form(table)
        cols = np.flatnonzero(kept.ravel() > 0)
        matrix = sparse.csr_matrix(
            (kept.ravel()[cols], (np.zeros(cols.size, dtype=np.int64), cols)), shape=(1, n_vars)
        )
        floor = total - most
        optional.append(RowBlock(BUDGET, matrix, np.array([floor]), np.array([np.inf])))
    return core, optional


def _solve(
    cost: FloatArray,
    w: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    mask: BoolArray,
    graph: sparse.csr_matrix | None,
    centres: IntArray,
    budget: list[tuple[FloatArray, float] | None],
    started: float,
    limit: float,
    gap: float,
    callback: Callback | None,
    explain_infeasible: bool = True,
    conflicts: IntArray | None = None,
) -> ExactOutcome:
    n, k = cost.shape
    n_vars = n * k
    core, optional = _model_blocks(w, lo, hi, budget)
    if conflicts is not None and conflicts.shape[0]:
        optional.append(_conflict_rows(conflicts, n, k))
    var_lo = np.zeros(n_vars)
    var_hi = mask.ravel().astype(np.float64)
    fixed = np.flatnonzero(centres >= 0)
    var_lo[centres[fixed] * k + fixed] = 1.0
    rows_of = np.arange(n)
    model = CutModel(
        cost=cost.ravel(),
        core=[core],
        optional=optional,
        var_lower=var_lo,
        var_upper=var_hi,
        columns=lambda x: np.asarray(x.reshape(n, k).argmax(axis=1), dtype=np.int64),
        objective=lambda labels: float(cost[rows_of, labels].sum()),
        anchors=centres,
        variable=_variable_of(k),
        graph=graph,
    )
    result = cut_loop(
        model,
        started=started,
        limit=limit,
        gap=gap,
        callback=callback,
        explain_infeasible=explain_infeasible,
    )
    return ExactOutcome(
        labels=frozen(result.columns),
        objective=result.objective,
        bound=float(result.bound),
        gap=relative_gap(result.objective, result.bound),
        proven_optimal=result.proven,
        status="optimal" if result.proven else "time_limit",
        iterations=result.iterations,
        cuts_added=result.cuts_added,
        time=time.monotonic() - started,
        centres=frozen(centres),
    )


def _conflict_rows(pairs: IntArray, n: int, k: int) -> RowBlock:
    """Rows ``x[i, t] + x[j, t] <= 1`` for every pair ``(i, j)`` and territory ``t``."""
    p = pairs.shape[0]
    rows = np.repeat(np.arange(p * k), 2)
    terr = np.tile(np.arange(k), p)
    first = np.repeat(pairs[:, 0], k) * k + terr
    second = np.repeat(pairs[:, 1], k) * k + terr
    cols = np.column_stack([first, second]).ravel()
    matrix = sparse.csr_matrix((np.ones(2 * p * k), (rows, cols)), shape=(p * k, n * k))
    return RowBlock("largest diameter", matrix, np.full(p * k, -np.inf), np.ones(p * k))


def _variable_of(k: int) -> Callable[[IntArray, int], IntArray]:
    """Variable index of ``x[units, column]`` in the row-major ``(n, k)`` layout."""

    def variable(units: IntArray, column: int) -> IntArray:
        return np.asarray(units, dtype=np.int64) * k + column

    return variable
