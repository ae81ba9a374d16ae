"""Tighten a loose-band plan to the real bands with one transportation LP.

The heuristic searches at loose bands first, so the plan can reorganise, then at the real
bands. Boundary moves that close a wide gap are myopic: a territory holding a heavy unit
(Los Angeles County is 0.91 of an equal share among 30 territories) is fixed by flows that
reshape its neighbours one move at a time. Here the plan is balanced in one step instead:
with the loose plan's centroids fixed, every unit near a boundary may go to any territory
within :data:`HOPS` hops of it, and a transportation LP finds the least weighted inertia
``sum_i w_i |x_i - c_t|^2`` with every territory's total inside its band (narrowed by
:data:`BAND_SHARE`, so rounding a few small units keeps it inside). A basic solution
splits at most ``k - 1`` units between territories; the heaviest of them is given to the
territory with its larger share (or the next one when that leaves the LP infeasible) and
the LP re-solved, up to :data:`ROUNDING_SOLVES` times, so no heavy unit is rounded blindly;
the units left split are placed by trying every combination of their territories (least
band excess, then least cost). The search at the real bands then starts from this plan
(contiguity repaired; the loose plan is kept when the repair leaves the tightened one
further from the bands) and mostly polishes it. Without a unit graph each unit's
:data:`NEAREST` nearest units stand in for its neighbours.

On the 3,109 counties (four starts each, design seeds 0-29 into 30 territories at +-5 %)
the final inertia went from 0.917-0.950x a 60-second ReCom chain (median 0.931x) to
0.910-0.929x (median 0.916x), for about 0.5 s more; into 50 territories 0.2-3.7 % lower
on seeds 0-4, at +-2 % within -1.1 % and +0.5 %.

Counted work: one LP per rounding step, at most ``1 + 2 * ROUNDING_SOLVES`` solves per
start, each over the units within :data:`HOPS` hops of a territory boundary.
"""

from __future__ import annotations

import itertools
import logging
import math
import time

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.spatial import cKDTree

from terraplan.engine.design.lloyd import applies as lloyd_applies
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import territory_centres

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Hops from a unit within which its candidate territories lie (its own always included).
#: Two lost nothing against the six nearest centres on the counties, with a quarter of the
#: LP's columns.
HOPS = 2
#: Nearest units that stand in for a unit's neighbours when there is no unit graph.
NEAREST = 6
#: Share of each band's half-width the LP may use: rounding the light units it leaves
#: split then stays inside the real band.
BAND_SHARE = 0.96
#: Re-solves that each round one heavy split unit (first choice, then second).
ROUNDING_SOLVES = 6
#: Most combinations of the split units' territories tried one by one in the last rounding.
EXACT_ROUNDING = 4096
#: A split unit lighter than this share of the narrowest band's width is rounded without a
#: re-solve (at +-5 %: 3 % of an equal share).
LIGHT_SHARE = 0.3


def applies(prep: Prepared) -> bool:
    """Where the capacitated Lloyd start applies (free centres in coordinates, one balance
    metric, no current plan) and the objective is the weighted inertia."""
    return lloyd_applies(prep) and not prep.diameter and prep.centre_costs is None


def tighten_to_bands(prep: Prepared, labels: IntArray, deadline: float) -> IntArray | None:
    """``labels (n,)`` re-assigned near the boundaries towards every territory's band
    (contiguity not imposed); None when no split plan meets the bands, the LP fails, or
    the ``deadline`` (``time.perf_counter``) passes. When neither share of a heavy unit
    keeps the LP feasible, the units still split are placed as :func:`_rounded` does and
    the plan may miss a band (the search that follows balances it)."""
    assert prep.xyz is not None
    n, k = prep.n, prep.k
    labels = np.asarray(labels, dtype=np.int64)
    centres = territory_centres(prep, labels)
    units, terrs = _candidates(prep, labels)
    fixed = np.ones(n, dtype=bool)
    free = np.unique(units)
    fixed[free] = False
    if free.size == 0:
        return None
    balance = prep.weights[:, 0]
    fixed_load = np.bincount(labels[fixed], weights=balance[fixed], minlength=k).astype(np.float64)
    lower, upper = _narrowed_band(prep)
    row = np.searchsorted(free, units)
    m = units.size
    diff = prep.xyz[units] - centres[terrs]
    cost = prep.compact_w[units] * np.einsum("ij,ij->i", diff, diff)
    one_each = sparse.csr_matrix((np.ones(m), (row, np.arange(m))), shape=(free.size, m))
    load = sparse.csr_matrix((balance[units], (terrs, np.arange(m))), shape=(k, m))
    finite = np.isfinite(upper)
    a_ub = sparse.vstack([load[finite], -load]).tocsr()
    b_ub = np.concatenate([upper[finite] - fixed_load[finite], fixed_load - lower])
    var_lower, var_upper = np.zeros(m), np.ones(m)

    def solve(lo: FloatArray, hi: FloatArray) -> FloatArray | None:
        from scipy.optimize import linprog

        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        try:
            res = linprog(
                cost, A_ub=a_ub, b_ub=b_ub, A_eq=one_each, b_eq=np.ones(free.size),
                bounds=np.column_stack([lo, hi]), method="highs",
                options={"time_limit": remaining},
            )  # fmt: skip
        except Exception as exc:  # an optional step: the search balances without it
            logger.debug("band tightening LP failed: %s", exc)
            return None
        return np.asarray(res.x, dtype=np.float64) if res.status == 0 else None

    x = solve(var_lower, var_upper)
    if x is None:
        return None
    width = np.where(np.isfinite(upper), upper - lower, np.inf)
    heavy = LIGHT_SHARE * float(np.min(width)) if np.isfinite(width).any() else np.inf
    for _ in range(ROUNDING_SOLVES):
        split = np.flatnonzero(np.bincount(row[x > 1e-6], minlength=free.size) > 1)
        if split.size == 0:
            break
        worst = split[np.argmax(balance[free[split]])]
        if balance[free[worst]] < heavy:
            break
        mine = np.flatnonzero(row == worst)
        rounded = False
        for var in mine[np.argsort(-x[mine], kind="stable")][:2]:
            if x[var] <= 1e-6:
                break
            lo, hi = var_lower.copy(), var_upper.copy()
            hi[mine] = 0.0
            lo[var] = hi[var] = 1.0
            found = solve(lo, hi)
            if found is not None:
                var_lower, var_upper, x, rounded = lo, hi, found, True
                break
        if not rounded:  # neither share keeps the LP feasible: round the rest as they are
            break
    return _rounded(prep, labels, free, (row, terrs, cost), x, fixed_load)


def _rounded(
    prep: Prepared,
    labels: IntArray,
    free: IntArray,
    columns: tuple[IntArray, IntArray, FloatArray],
    x: FloatArray,
    fixed_load: FloatArray,
) -> IntArray:
    """The LP's plan with the units it still splits placed whole. ``columns`` are the LP's
    ``(row, territory, cost)`` per column and ``x (m,)`` their shares. Up to
    :data:`EXACT_ROUNDING` combinations of the split units' territories are all tried (the
    least band excess, then the least cost wins); beyond, each unit in turn, heaviest
    first, goes to the territory of its split furthest below its target."""
    row, terrs, cost = columns
    balance = prep.weights[:, 0]
    used = x > 1e-6
    shares = np.bincount(row[used], minlength=free.size)
    out = labels.copy()
    whole = used & (shares[row] == 1)
    out[free[row[whole]]] = terrs[whole]
    load = fixed_load + np.bincount(terrs[whole], weights=balance[free[row[whole]]],
                                    minlength=prep.k)  # fmt: skip
    split = np.flatnonzero(shares > 1)
    split = split[np.argsort(-balance[free[split]], kind="stable")]
    options = [np.flatnonzero((row == r) & used) for r in split.tolist()]
    if math.prod(len(o) for o in options) <= EXACT_ROUNDING:
        lower, upper = prep.lower[:, 0], prep.upper[:, 0]
        best: tuple[float, float] | None = None
        chosen: tuple[int, ...] = ()
        for combo in itertools.product(*options):
            picked = np.asarray(combo, dtype=np.int64)
            trial = load + np.bincount(terrs[picked], weights=balance[free[row[picked]]],
                                       minlength=prep.k)  # fmt: skip
            key = (
                float(np.sum(np.maximum(lower - trial, 0) + np.maximum(trial - upper, 0))),
                float(cost[picked].sum()),
            )
            if best is None or key < best:
                best, chosen = key, tuple(int(c) for c in combo)
        for col in chosen:
            out[free[row[col]]] = terrs[col]
        return out
    target = prep.targets[:, 0]
    for cols in options:
        t = int(terrs[cols][np.argmax(target[terrs[cols]] - load[terrs[cols]])])
        out[free[row[cols[0]]]] = t
        load[t] += balance[free[row[cols[0]]]]
    return out


def _candidates(prep: Prepared, labels: IntArray) -> tuple[IntArray, IntArray]:
    """``(units, territories)`` pairs, sorted by unit: for units that have a choice, every
    territory within :data:`HOPS` hops of them that they may join (allowed, not locked
    elsewhere)."""
    n, k = prep.n, prep.k
    graph = prep.adjacency if prep.adjacency is not None else _nearest_unit_graph(prep)
    reach = sparse.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, k))
    step = (graph + sparse.identity(n, format="csr")).astype(np.float64)
    for _ in range(HOPS):
        reach = (step @ reach).tocsr()
    coo = reach.tocoo()
    units, terrs = coo.row.astype(np.int64), coo.col.astype(np.int64)
    keep = prep.locked[units] < 0
    if prep.allowed is not None:
        keep &= prep.allowed[units, terrs]
    units, terrs = units[keep], terrs[keep]
    order = np.lexsort((terrs, units))
    units, terrs = units[order], terrs[order]
    choices = np.bincount(units, minlength=n)
    several = choices[units] > 1
    return units[several], terrs[several]


def _nearest_unit_graph(prep: Prepared) -> sparse.csr_matrix:
    """``(n, n)`` symmetric graph joining each unit to its :data:`NEAREST` nearest units,
    the neighbourhood when the problem has no unit graph (without it every unit would enter
    the LP: 5,000 units into 60 territories took 1.8 s a start instead of 0.3 s)."""
    assert prep.xyz is not None
    n = prep.n
    size = min(NEAREST + 1, n)
    _, near = cKDTree(prep.xyz).query(prep.xyz, k=size)
    near = np.asarray(near, dtype=np.int64).reshape(n, size)
    rows = np.repeat(np.arange(n, dtype=np.int64), size)
    graph = sparse.csr_matrix((np.ones(n * size), (rows, near.ravel())), shape=(n, n))
    return (graph + graph.T).astype(bool).tocsr()


def _narrowed_band(prep: Prepared) -> tuple[FloatArray, FloatArray]:
    """``(k,)`` lower and upper totals of the one balance metric, each side brought
    :data:`BAND_SHARE` of the way from the band's centre (the target when inside it)."""
    lower, upper = prep.lower[:, 0], prep.upper[:, 0]
    target = prep.targets[:, 0]
    inside = (target >= lower) & (target <= upper)
    centre = np.where(inside, target, np.where(np.isfinite(upper), (lower + upper) / 2, lower))
    narrow_lower = centre - BAND_SHARE * (centre - lower)
    narrow_upper = np.where(np.isfinite(upper), centre + BAND_SHARE * (upper - centre), np.inf)
    return narrow_lower, narrow_upper
