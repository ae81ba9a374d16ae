"""The heuristic's step for the largest-diameter objective: bisection with repair, then a descent.

First (:mod:`terraplan.engine.design.diameter_repair`) a bisection on the diameter bound:
for each bound a counted tabu search repairs the plan until no two units farther apart than
the bound share a territory, windows, locks and contiguity kept. It is skipped for a
realignment whose priority is least disruption (its moves would disrupt), when the plan is
off balance and above :data:`~terraplan.engine.design.diameter_repair.MAX_UNITS` units. Then the descent below polishes the widest territory.

The descent: repeatedly take the territory whose diameter is largest and the two units farthest apart
in it, and move one of them to another territory where

- the giving territory stays above its lower window and the receiving one below its upper,
- the unit is allowed (locks, forbidden pairs, fixed centre units never move),
- with contiguity, the unit touches the receiving territory and the giving one stays in
  one piece,
- the receiving territory's new diameter stays below the current largest one;

among such moves the one leaving the receiving territory narrowest wins. The largest
diameter never grows; the descent ends when the widest territory's farthest pair cannot
move or after a budget of moves proportional to the instance (never by the clock alone, so
the result does not depend on the machine unless the deadline cuts it).
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from terraplan.engine.design import diameter_repair
from terraplan.engine.design.diameter_repair import (
    Bounds,
    bisect_diameter,
    one_piece,
    window_scale,
)
from terraplan.engine.design.exact_costs import allowed_pairs
from terraplan.engine.design.objectives import pair_distances
from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Largest instance (units) given the descent: it keeps the ``(n, n)`` distance matrix.
MAX_UNITS = 4_000
#: Moves allowed per unit of the instance.
MOVES_PER_UNIT = 4


def reduce_max_diameter(
    prep: Prepared, labels: npt.NDArray[np.int64], deadline: float
) -> tuple[IntArray, bool]:
    """Lower the largest territory diameter of ``labels (n,)`` by single moves.

    Returns the new labels and whether the clock (``deadline``, a
    :func:`time.perf_counter` instant) cut the search.
    """
    out = np.asarray(labels, dtype=np.int64).copy()
    if prep.n > MAX_UNITS or prep.n <= prep.k:
        return out, False
    d = pair_distances(prep)
    allowed = allowed_pairs(prep)
    fixed = np.zeros(prep.n, dtype=np.bool_)
    if prep.centre_units is not None:
        fixed[prep.centre_units] = True
    tallies = np.zeros((prep.k, prep.m))
    np.add.at(tallies, out, prep.weights)
    slack = 1e-9 * np.maximum(np.abs(prep.targets), 1.0)
    balanced = bool(np.all(tallies >= prep.lower - slack) and np.all(tallies <= prep.upper + slack))
    least_disruption = prep.current is not None and prep.priority == "lexicographic"
    if balanced and not least_disruption and prep.n <= diameter_repair.MAX_UNITS:
        bounds = Bounds(
            d=d, weights=prep.weights, lower=prep.lower, upper=prep.upper, allowed=allowed,
            movable=~fixed & (prep.locked < 0),
            graph=prep.adjacency if prep.contiguous else None,
            scale=window_scale(prep.weights, prep.lower, prep.upper),
        )  # fmt: skip
        out, cut, _ = bisect_diameter(bounds, out, deadline)
        if cut:
            return out, True
        tallies = np.zeros((prep.k, prep.m))
        np.add.at(tallies, out, prep.weights)
    members: list[list[int]] = [np.flatnonzero(out == t).tolist() for t in range(prep.k)]
    diam = np.array([_diameter(d, m) for m in members])
    graph = prep.adjacency if prep.contiguous else None
    for _ in range(MOVES_PER_UNIT * prep.n):
        if time.perf_counter() > deadline:
            return out, True
        t = int(np.argmax(diam))
        group = np.array(members[t])
        if group.size < 2:
            break
        sub = d[np.ix_(group, group)]
        a, b = np.unravel_index(int(np.argmax(sub)), sub.shape)
        move = _best_move(
            prep, d, graph, allowed, fixed, tallies, members, diam, t,
            (int(group[a]), int(group[b])),
        )  # fmt: skip
        if move is None:
            break
        unit, s, width = move
        members[t].remove(unit)
        members[s].append(unit)
        out[unit] = s
        tallies[t] -= prep.weights[unit]
        tallies[s] += prep.weights[unit]
        diam[t] = _diameter(d, members[t])
        diam[s] = width
    return out, False


def _diameter(d: FloatArray, units: list[int]) -> float:
    if len(units) < 2:
        return 0.0
    idx = np.asarray(units)
    return float(d[np.ix_(idx, idx)].max())


def _best_move(
    prep: Prepared,
    d: FloatArray,
    graph: object,
    allowed: npt.NDArray[np.bool_],
    fixed: npt.NDArray[np.bool_],
    tallies: FloatArray,
    members: list[list[int]],
    diam: FloatArray,
    t: int,
    ends: tuple[int, int],
) -> tuple[int, int, float] | None:
    """``(unit, territory, new diameter)`` of the best admissible move, or None."""
    best: tuple[int, int, float] | None = None
    top = float(diam[t])
    slack = 1e-9 * np.maximum(np.abs(prep.targets), 1.0)
    for unit in ends:
        if fixed[unit] or prep.locked[unit] >= 0:
            continue
        w = prep.weights[unit]
        left = tallies[t] - w
        if np.any(left < prep.lower[t] - slack[t]):
            continue
        if graph is not None and not _stays_connected(graph, members[t], unit):
            continue
        near = None
        if graph is not None:
            csr = graph  # scipy CSR
            row = csr.indices[csr.indptr[unit] : csr.indptr[unit + 1]]  # type: ignore[attr-defined]
            near = {int(v) for v in row}
        for s in range(prep.k):
            if s == t or not allowed[unit, s]:
                continue
            if np.any(tallies[s] + w > prep.upper[s] + slack[s]):
                continue
            if near is not None and not any(v in near for v in members[s]):
                continue
            width = max(float(diam[s]), float(d[unit, members[s]].max(initial=0.0)))
            if width >= top - 1e-12:
                continue
            if best is None or width < best[2]:
                best = (unit, s, width)
    return best


def _stays_connected(graph: object, units: list[int], leaving: int) -> bool:
    """True when ``units`` without ``leaving`` are one connected piece of ``graph``."""
    return one_piece(graph, [u for u in units if u != leaving])
