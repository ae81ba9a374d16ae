"""Largest diameter by bisection: can the plan be repaired so that no territory is wider than ``D``?

A plan has every territory diameter ``<= D`` exactly when no two units farther apart than
``D`` share a territory (a *conflict*). For a bound ``D``, :func:`repair_to_bound` runs a
tabu search from a balanced plan on the penalty

    conflicts (pairs farther than ``D`` in one territory)
    + alpha * balance excess (sum over territories and metrics of the distance outside the
      window, in units of the window's mean width)

with single-unit moves that respect locks, forbidden pairs and fixed centre units, never
empty a territory and, with contiguity, keep both territories in one piece (the unit
touches the receiving territory; the giving one stays connected). It succeeds when the
penalty reaches 0. ``alpha`` doubles whenever the search sits free of conflicts but off
balance (the balance is hard in the end). :func:`bisect_diameter` bisects the bound over the
sorted pair distances below the plan's largest diameter: every success lowers the upper end
to the diameter actually reached, every failure raises the lower end.

Work is counted (moves): each repair gets :data:`MOVES_PER_UNIT` moves per unit and stops
after :data:`PATIENCE_PER_UNIT` moves per unit without a new best penalty, all repairs
together :data:`TOTAL_MOVES_PER_UNIT` per unit up to :data:`MAX_TOTAL_MOVES`, so the same
input gives the same plan on any machine unless the deadline cuts it. A move costs time
linear in the units, so the bisection runs up to :data:`MAX_UNITS` units.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Moves per unit a repair may make at one bound.
MOVES_PER_UNIT = 40
#: Moves per unit without a new best penalty before a repair gives up.
PATIENCE_PER_UNIT = 10
#: Moves per unit of all the repairs of one bisection together ... At 60 the bisection ran
#: out of moves before its last steps on 2 of the 20 instances of
#: ``benchmarks/design_diameter.py`` (1.16 % and 5.76 % above the proven optimum); at 240
#: all 20 end within 1 % (worst 0.07 %, design seeds 0-2), for 1.7x the CPU on those
#: 20-40 units; above 83 units the cap below binds first.
TOTAL_MOVES_PER_UNIT = 240
#: ... and at most this many (a move costs more on larger instances).
MAX_TOTAL_MOVES = 20_000
#: Largest instance (units) given the bisection (the descent alone above).
MAX_UNITS = 1_000
#: First step of the bound below the plan's diameter (a share of it).
FIRST_STEP = 0.02
#: The bisection ends when the failed bound and the reached diameter are this close.
RESOLUTION = 0.002
#: Units with conflicts considered per move (the most conflicted first).
CANDIDATES = 48
#: Moves a unit may not undo (tabu tenure), plus a share of the territories.
TENURE = 7


@dataclass(frozen=True, eq=False)
class Bounds:
    """What a repair must keep: ``d (n, n)`` unit distances; ``weights (n, m)``;
    ``lower``/``upper (k, m)`` windows; ``allowed (n, k)`` pairs (locks folded in);
    ``movable (n,)``; ``graph`` the unit graph (CSR) when contiguity is required."""

    d: FloatArray
    weights: FloatArray
    lower: FloatArray
    upper: FloatArray
    allowed: BoolArray
    movable: BoolArray
    graph: sparse.csr_matrix | None
    #: ``(m,)`` mean window width per metric (see :func:`window_scale`).
    scale: FloatArray

    @property
    def k(self) -> int:
        return int(self.lower.shape[0])

    def excess(self, tallies: FloatArray, rows: IntArray | None = None) -> FloatArray:
        """Balance excess in window widths: of ``tallies (..., k, m)`` against every
        territory's window -> ``(..., k)``; with ``rows (c,)``, of ``tallies (c, m)``
        against the windows of those territories -> ``(c,)``."""
        lower = self.lower if rows is None else self.lower[rows]
        upper = self.upper if rows is None else self.upper[rows]
        slack = 1e-9 * np.maximum(np.abs(lower), 1.0)
        low = np.maximum(lower - slack - tallies, 0.0)
        high = np.maximum(tallies - upper - slack, 0.0)
        high = np.where(np.isfinite(high), high, 0.0)
        return np.asarray(((low + high) / self.scale).sum(axis=-1), dtype=np.float64)


def window_scale(weights: FloatArray, lower: FloatArray, upper: FloatArray) -> FloatArray:
    """``(m,)`` mean window width over territories (a finite, positive yardstick per metric:
    an equal share when the windows are open)."""
    width = np.where(np.isfinite(upper), upper - lower, lower)
    mean = np.asarray(np.mean(np.abs(width), axis=0), dtype=np.float64)
    share = weights.sum(axis=0) / max(lower.shape[0], 1)
    return np.where(mean > 0, mean, np.maximum(share, 1e-12))


def largest_diameter(d: FloatArray, labels: IntArray, k: int) -> float:
    """The largest distance between two units of one territory."""
    same = labels[:, None] == labels[None, :]
    return float(np.max(np.where(same, d, 0.0), initial=0.0))


def bisect_diameter(
    bounds: Bounds, labels: IntArray, deadline: float
) -> tuple[IntArray, bool, int]:
    """The narrowest plan the repairs reach: ``(labels, cut by the deadline, repairs run)``.

    ``labels`` must meet the windows; the result always does, and its largest diameter is
    never above that of ``labels``. The bound first steps down from the plan's diameter by
    :data:`FIRST_STEP` of it, doubling the step after each success (a bound far below the
    optimum only burns a failing repair); after the first failure it bisects between the
    failed bound and the diameter reached, until they are :data:`RESOLUTION` apart.
    """
    best = labels.copy()
    hi = largest_diameter(bounds.d, best, bounds.k)
    lo = 0.0  # a bound the repairs failed at (0: none yet)
    runs = 0
    work = [min(TOTAL_MOVES_PER_UNIT * labels.shape[0], MAX_TOTAL_MOVES)]  # counted, not timed
    step = FIRST_STEP
    while work[0] > 0 and hi > 0 and hi - lo > RESOLUTION * hi:
        bound = hi * (1.0 - step) if lo == 0.0 else 0.5 * (lo + hi)
        found, cut = repair_to_bound(bounds, best, bound, deadline, work)
        runs += 1
        if found is None and not cut and work[0] > 0 and not np.array_equal(best, labels):
            # a second start: the plan given (often more compact than the narrowest so far)
            found, cut = repair_to_bound(bounds, labels, bound, deadline, work)
            runs += 1
        if cut:
            return best, True, runs
        if found is None:
            lo = bound
            continue
        best = found
        hi = largest_diameter(bounds.d, best, bounds.k)
        step = min(2.0 * step, 0.5)
    return best, False, runs


def repair_to_bound(
    bounds: Bounds,
    labels: IntArray,
    bound: float,
    deadline: float,
    work: list[int] | None = None,
) -> tuple[IntArray | None, bool]:
    """A plan from ``labels`` with no territory wider than ``bound`` and every window met, or
    None when the counted search does not find one; and whether the deadline cut it.
    ``work`` (a one-item list) holds moves left to share between repairs; it is drawn
    down by the moves made."""
    n, k = labels.shape[0], bounds.k
    lab = labels.copy()
    far = bounds.d > bound  # (n, n) conflicts
    onehot = np.zeros((n, k))
    onehot[np.arange(n), lab] = 1.0
    conf = np.zeros((n, k))  # conflicts of each unit with each territory
    for t in range(k):
        conf[:, t] = far[:, lab == t].sum(axis=1)
    tallies = onehot.T @ bounds.weights  # (k, m)
    sizes = np.bincount(lab, minlength=k)
    near = None
    if bounds.graph is not None:
        near = np.asarray(bounds.graph.astype(np.float64) @ onehot)  # (n, k) neighbours in t
    alpha = 1.0
    tabu = np.zeros((n, k), dtype=np.int64)
    tenure = TENURE + k // 4

    def penalty() -> tuple[float, float]:
        conflicts = 0.5 * float(conf[np.arange(n), lab].sum())
        return conflicts, float(bounds.excess(tallies).sum())

    conflicts, excess = penalty()
    best_value = conflicts + alpha * excess
    since_best = 0
    budget = MOVES_PER_UNIT * n if work is None else min(MOVES_PER_UNIT * n, work[0])
    for step in range(1, budget + 1):
        if work is not None:
            work[0] -= 1
        if conflicts <= 0.0 and excess <= 0.0:
            return lab, False
        if step % 64 == 0 and time.perf_counter() > deadline:
            return None, True
        if since_best > PATIENCE_PER_UNIT * n:
            return None, False
        if conflicts <= 0.0 and excess > 0.0 and since_best > n:
            alpha *= 2.0  # free of conflicts but off balance: balance weighs more
            best_value = conflicts + alpha * excess
            since_best = 0
        move = _choose(bounds, lab, conf, tallies, sizes, near, tabu, step, alpha, best_value)
        if move is None:
            return None, False
        unit, t, _ = move
        s = int(lab[unit])
        column = far[:, unit].astype(np.float64)
        conf[:, s] -= column
        conf[:, t] += column
        tallies[s] -= bounds.weights[unit]
        tallies[t] += bounds.weights[unit]
        sizes[s] -= 1
        sizes[t] += 1
        if near is not None and bounds.graph is not None:
            row = bounds.graph.indices[bounds.graph.indptr[unit] : bounds.graph.indptr[unit + 1]]
            near[row, s] -= 1.0
            near[row, t] += 1.0
        lab[unit] = t
        tabu[unit, s] = step + tenure
        conflicts, excess = penalty()
        value = conflicts + alpha * excess
        if value < best_value - 1e-12:
            best_value = value
            since_best = 0
        else:
            since_best += 1
    return None, False


def _choose(
    bounds: Bounds,
    lab: IntArray,
    conf: FloatArray,
    tallies: FloatArray,
    sizes: IntArray,
    near: FloatArray | None,
    tabu: IntArray,
    step: int,
    alpha: float,
    best_value: float,
) -> tuple[int, int, float] | None:
    """The best admissible move ``(unit, territory, penalty change)`` among the most
    conflicted units and the units of territories off balance; when none of them can move
    (contiguity, tabu), among every movable unit; or None."""
    n = lab.shape[0]
    own = conf[np.arange(n), lab]
    off = bounds.excess(tallies) > 0
    pool = np.flatnonzero(bounds.movable & ((own > 0) | off[lab]))
    if pool.size > CANDIDATES:  # most conflicted first; ties by index (deterministic)
        order = np.lexsort((pool, -own[pool]))
        pool = pool[order[:CANDIDATES]]
    args = (bounds, lab, conf, tallies, sizes, near, tabu, step, alpha, best_value, own)
    move = _best_of(pool, *args) if pool.size else None
    if move is None:
        move = _best_of(np.flatnonzero(bounds.movable), *args)
    return move


def _best_of(
    pool: IntArray,
    bounds: Bounds,
    lab: IntArray,
    conf: FloatArray,
    tallies: FloatArray,
    sizes: IntArray,
    near: FloatArray | None,
    tabu: IntArray,
    step: int,
    alpha: float,
    best_value: float,
    own: FloatArray,
) -> tuple[int, int, float] | None:
    """The best admissible move of a unit of ``pool``, or None."""
    k = bounds.k
    if pool.size == 0:
        return None
    src = lab[pool]
    w = bounds.weights[pool]  # (c, m)
    d_conf = conf[pool] - own[pool, None]  # (c, k)
    before = bounds.excess(tallies)  # (k,)
    give = bounds.excess(tallies[src] - w, src) - before[src]  # (c,)
    take = bounds.excess(tallies[None, :, :] + w[:, None, :]) - before[None, :]  # (c, k)
    delta = d_conf + alpha * (give[:, None] + take)
    ok = bounds.allowed[pool] & (sizes[src] > 1)[:, None]
    ok[np.arange(pool.size), src] = False
    if near is not None:
        ok &= near[pool] > 0
    current = float(0.5 * own.sum() + alpha * before.sum())
    aspire = current + delta < best_value - 1e-12
    ok &= (tabu[pool] < step) | aspire
    if not ok.any():
        return None
    delta = np.where(ok, delta, np.inf)
    order = np.argsort(delta, axis=None, kind="stable")
    for flat in order.tolist():
        c, t = divmod(int(flat), k)
        if not np.isfinite(delta[c, t]):
            break
        unit = int(pool[c])
        graph = bounds.graph
        if graph is not None and not _stays_connected(graph, lab, unit):
            continue
        return unit, t, float(delta[c, t])
    return None


def _stays_connected(graph: sparse.csr_matrix, lab: IntArray, leaving: int) -> bool:
    """True when the territory of ``leaving`` stays one connected piece of ``graph`` without it.

    Quick sufficient test first: the unit's neighbours in its territory are connected among
    themselves (always so for a unit with one such neighbour); else a search of the territory.
    """
    s = lab[leaving]
    row = graph.indices[graph.indptr[leaving] : graph.indptr[leaving + 1]]
    local = [int(v) for v in row[lab[row] == s]]
    if len(local) <= 1:
        return True
    if one_piece(graph, local):
        return True
    return one_piece(graph, [int(u) for u in np.flatnonzero(lab == s) if u != leaving])


def one_piece(graph: sparse.csr_matrix, members: list[int]) -> bool:
    """True when ``members`` (unit indices) form one connected piece of ``graph`` (an empty or
    one-unit set does)."""
    if len(members) <= 1:
        return True
    inside = set(members)
    seen = {members[0]}
    stack = [members[0]]
    while stack:
        u = stack.pop()
        for v in graph.indices[graph.indptr[u] : graph.indptr[u + 1]].tolist():
            if v in inside and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(members)
