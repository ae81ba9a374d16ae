"""Exact location-allocation (p-median with balance): choose centres and assign units.

Model (``n`` units, binary ``y[c]`` = unit ``c`` is a centre, binary ``x[i, c]`` = unit
``i`` belongs to the territory centred at ``c``)::

    minimise    sum_ic unit_weight[i] * dist[i, c] * x[i, c]
    subject to  sum_c x[i, c] = 1            every unit once
                x[i, c] <= y[c],  x[c, c] = y[c],  sum_c y[c] = k
                L[c, q] y[c] <= sum_i weights[i, q] x[i, c] <= U[c, q] y[c]   balance
                y[c] = 1 for fixed centres; pairs not allowed fixed at 0
                every territory connected around its centre (with ``adjacency``)

Territory ``t < len(fixed_centres)`` is the one centred at ``fixed_centres[t]``; the free
territories follow, ordered by centre unit index. Contiguity uses the a priori rows
``x[i, c] <= sum_{l in N(i)} x[l, c]`` (``i != c``) and the same cut loop as the
fixed-centre solver, relative to each chosen centre; the a priori rows of a centre are
added the first time its territory is found in several pieces.

Meant for up to about 100 units (``n**2`` variables).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import numpy as np
import numpy.typing as npt
from scipy import sparse

from terraplan.engine.design.exact_core import (
    BoolArray,
    Callback,
    ExactOutcome,
    FloatArray,
    IntArray,
    RowBlock,
    frozen,
    neighbour_rows,
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
    positive_seconds,
)
from terraplan.engine.design.exact_loop import CutModel, cut_loop
from terraplan.errors import InfeasibleError


def solve_exact_pmedian(
    dist: npt.ArrayLike,
    weights: npt.ArrayLike,
    k: int,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    allowed: npt.ArrayLike | None = None,
    *,
    unit_weight: npt.ArrayLike | None = None,
    adjacency: sparse.csr_matrix | None = None,
    fixed_centres: npt.ArrayLike | None = None,
    time_limit: float = 5.0,
    mip_gap: float = 1e-6,
    callback: Callback | None = None,
    node_limit: int | None = None,
) -> ExactOutcome:
    """Optimal centres and assignment with balance (see the module docstring).

    Shapes: ``dist (n, n)`` non-negative unit-to-unit distance (any unit; pass squared
    distances for an inertia objective; ``inf`` forbids a pair); ``weights (n, m)``;
    ``k`` territories; ``lower``/``upper (m,)`` one balance window for every territory,
    or ``(k, m)`` with row ``t`` for fixed-centre territory ``t`` and one common row for
    the free territories; ``allowed (n, k)`` bool or None (columns of free territories
    must be equal, they are interchangeable); ``unit_weight (n,)`` multiplies distances
    (default ones); ``fixed_centres (f,)`` distinct units that must be centres of
    territories ``0..f-1``; ``time_limit`` seconds, ``mip_gap`` and ``callback(step,
    objective)`` as in :func:`solve_exact_assignment`; ``node_limit`` caps each MILP solve's
    branch-and-bound nodes (status ``"node_limit"`` when it stopped the answer). Returns an :class:`ExactOutcome` whose ``centres (k,)`` holds
    each territory's centre unit.

    Raises :class:`InfeasibleError` naming what cannot be met, :class:`SolverError`
    and :class:`InvalidParameterError`.
    """
    started = time.monotonic()
    d = float_array(dist, "dist", (None, None), allow_inf=True, nonnegative=True)
    n = d.shape[0]
    if d.shape != (n, n) or n < 1:
        raise bad("dist", f"must be a square (n, n) matrix, got {d.shape}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= int(k) <= n:
        raise bad("k", f"must be an int in [1, {n}]")
    k = int(k)
    w = float_array(weights, "weights", (n, None))
    lo, hi = bounds_pair(lower, upper, k, w.shape[1])
    mask = bool_array(allowed, "allowed", (n, k))
    uw = (
        np.ones(n)
        if unit_weight is None
        else float_array(unit_weight, "unit_weight", (n,), nonnegative=True)
    )
    fixed = (
        np.zeros(0, dtype=np.int64)
        if fixed_centres is None
        else distinct_units(fixed_centres, "fixed_centres", n, None)
    )
    if fixed.shape[0] > k:
        raise bad("fixed_centres", f"must hold at most k={k} units")
    f = fixed.shape[0]
    if f < k and not (
        (lo[f:] == lo[f]).all() and (hi[f:] == hi[f]).all() and (mask[:, f:] == mask[:, [f]]).all()
    ):
        raise bad("lower", "free territories need one common balance window and allowed column")
    graph = None if adjacency is None else symmetric_adjacency(adjacency, n)
    limit = positive_seconds(time_limit, "time_limit")
    gap = gap_value(mip_gap)
    if callback is not None and not callable(callback):
        raise bad("callback", "must be callable")
    for t, unit in enumerate(fixed):
        if not mask[unit, t]:
            raise InfeasibleError(
                f"fixed centre {int(unit)} is not allowed in its own territory {t}",
                details={"constraints": [f"centre of territory {t}"], "unit": int(unit)},
            )
    return _solve(
        d, w, k, lo, hi, mask, uw, graph, fixed, started, limit, gap, callback, node_limit
    )


def _candidate_tables(
    n: int, k: int, lo: FloatArray, hi: FloatArray, mask: BoolArray, fixed: IntArray
) -> tuple[BoolArray, BoolArray, FloatArray, FloatArray]:
    """Per candidate centre ``c``: may it be a centre, may ``i`` join it, its window."""
    f = fixed.shape[0]
    pair = np.zeros((n, n), dtype=np.bool_)
    can_centre = np.zeros(n, dtype=np.bool_)
    c_lo = np.zeros((n, lo.shape[1]))
    c_hi = np.zeros((n, lo.shape[1]))
    if f < k:
        can_centre[:] = mask[:, f]
        pair[:, :] = mask[:, [f]] & can_centre[None, :]
        c_lo[:], c_hi[:] = lo[f], hi[f]
    for t, unit in enumerate(fixed):
        can_centre[unit] = True
        pair[:, unit] = mask[:, t]
        c_lo[unit], c_hi[unit] = lo[t], hi[t]
    return can_centre, pair, c_lo, c_hi


def _solve(
    d: FloatArray,
    w: FloatArray,
    k: int,
    lo: FloatArray,
    hi: FloatArray,
    mask: BoolArray,
    uw: FloatArray,
    graph: sparse.csr_matrix | None,
    fixed: IntArray,
    started: float,
    limit: float,
    gap: float,
    callback: Callback | None,
    node_limit: int | None,
) -> ExactOutcome:
    n = d.shape[0]
    nx = n * n
    n_vars = nx + n
    can_centre, pair, c_lo, c_hi = _candidate_tables(n, k, lo, hi, mask, fixed)
    pair &= np.isfinite(d)
    np.fill_diagonal(pair, can_centre)
    cost = np.zeros(n_vars)
    cost[:nx] = np.where(pair, uw[:, None] * np.where(np.isfinite(d), d, 0.0), 0.0).ravel()
    var_lo = np.zeros(n_vars)
    var_hi = np.concatenate([pair.ravel(), can_centre]).astype(np.float64)
    var_lo[nx + fixed] = 1.0
    core, optional = _blocks(w, k, c_lo, c_hi, pair)
    column_rows = None if graph is None else partial(_centre_rows, graph, n_vars)
    units = np.arange(n)

    def objective(columns: IntArray) -> float:
        return float(cost[units * n + columns].sum())

    model = CutModel(
        cost=cost,
        core=core,
        optional=optional,
        var_lower=var_lo,
        var_upper=var_hi,
        columns=lambda x: np.asarray(x[:nx].reshape(n, n).argmax(axis=1), dtype=np.int64),
        objective=objective,
        anchors=np.arange(n, dtype=np.int64),
        variable=_var(n),
        graph=graph,
        column_rows=column_rows,
    )
    result = cut_loop(
        model, started=started, limit=limit, gap=gap, callback=callback, node_limit=node_limit
    )
    chosen = np.flatnonzero(result.x[nx:] > 0.5)
    free = np.setdiff1d(chosen, fixed)
    centres = np.concatenate([fixed, np.sort(free)]).astype(np.int64)
    territory = np.full(n, -1, dtype=np.int64)
    territory[centres] = np.arange(centres.shape[0])
    return ExactOutcome(
        labels=frozen(territory[result.columns]),
        objective=result.objective,
        bound=float(result.bound),
        gap=relative_gap(result.objective, result.bound),
        proven_optimal=result.proven,
        status="optimal"
        if result.proven
        else "node_limit"
        if result.node_limited
        else "time_limit",
        iterations=result.iterations,
        cuts_added=result.cuts_added,
        time=time.monotonic() - started,
        centres=frozen(centres),
    )


def _centre_rows(graph: sparse.csr_matrix, n_vars: int, columns: IntArray) -> RowBlock:
    """A priori neighbour rows for the territories centred at ``columns``."""
    n = graph.shape[0]
    centres = np.full(n, -1, dtype=np.int64)
    centres[columns] = columns
    return neighbour_rows(graph, centres, _var(n), n_vars)


def _var(n: int) -> Callable[[IntArray, int], IntArray]:
    def variable(units: IntArray, column: int) -> IntArray:
        return np.asarray(units, dtype=np.int64) * n + column

    return variable


def _blocks(
    w: FloatArray, k: int, c_lo: FloatArray, c_hi: FloatArray, pair: BoolArray
) -> tuple[list[RowBlock], list[RowBlock]]:
    """Core rows (assignment, centre links, centre count) and balance blocks per metric."""
    n, m = w.shape
    nx = n * n
    n_vars = nx + n
    units = np.arange(n)
    assign = sparse.csr_matrix(
        (np.ones(nx), (np.repeat(units, n), np.arange(nx))), shape=(n, n_vars)
    )
    # x[i, c] - y[c] <= 0 for allowed i != c; x[c, c] - y[c] = 0.
    ii, cc = np.nonzero(pair)
    link_rows = np.arange(ii.shape[0])
    link = sparse.csr_matrix(
        (
            np.concatenate([np.ones(ii.shape[0]), -np.ones(ii.shape[0])]),
            (np.concatenate([link_rows, link_rows]), np.concatenate([ii * n + cc, nx + cc])),
        ),
        shape=(ii.shape[0], n_vars),
    )
    diagonal = ii == cc
    link_lo = np.where(diagonal, 0.0, -np.inf)
    count = sparse.csr_matrix(
        (np.ones(n), (np.zeros(n, dtype=np.int64), nx + units)), shape=(1, n_vars)
    )
    core = [
        RowBlock("assignment", assign, np.ones(n), np.ones(n)),
        RowBlock("centre links", link, link_lo, np.zeros(ii.shape[0])),
        RowBlock(f"exactly {k} centres", count, np.array([float(k)]), np.array([float(k)])),
    ]
    optional: list[RowBlock] = []
    for q in range(m):
        for side, bound in (("lo", c_lo[:, q]), ("hi", c_hi[:, q])):
            if not np.isfinite(bound).any():
                continue
            finite = np.where(np.isfinite(bound), bound, 0.0)
            rows = np.concatenate([np.repeat(units, n), units])
            cols = np.concatenate([(units[None, :] * n + units[:, None]).ravel(), nx + units])
            data = np.concatenate([np.tile(w[:, q], n), -finite])
            matrix = sparse.csr_matrix((data, (rows, cols)), shape=(n, n_vars))
            keep = np.flatnonzero(np.isfinite(bound))
            if side == "lo":
                lows, highs = np.zeros(keep.size), np.full(keep.size, np.inf)
            else:
                lows, highs = np.full(keep.size, -np.inf), np.zeros(keep.size)
            optional.append(RowBlock(f"balance window of metric {q}", matrix[keep], lows, highs))
    return core, _merge_same_names(optional)


def _merge_same_names(blocks: list[RowBlock]) -> list[RowBlock]:
    """Join blocks sharing a name (the two sides of one balance window)."""
    merged: dict[str, list[RowBlock]] = {}
    for block in blocks:
        merged.setdefault(block.name, []).append(block)
    out = []
    for name, group in merged.items():
        out.append(
            RowBlock(
                name,
                sparse.csr_matrix(sparse.vstack([b.matrix for b in group], format="csr")),
                np.concatenate([b.lower for b in group]),
                np.concatenate([b.upper for b in group]),
            )
        )
    return out
