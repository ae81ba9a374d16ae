"""Territory totals, band excess and the territory graph, shared by the balance repairs.

:mod:`balance_milp`, :mod:`ordered_resplit`, :mod:`resplit_milp` and :mod:`region_move`
all measure a plan the same way: each territory's metric totals, how far they are beyond
their bands in shares of the metric's mean target, and which territories touch.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def tallies_of(prep: Prepared, labels: IntArray) -> FloatArray:
    """``(k, m)`` metric totals of each territory."""
    out = np.zeros((prep.k, prep.m))
    np.add.at(out, labels, prep.weights)
    return out


def metric_scale(prep: Prepared) -> FloatArray:
    """``(m,)`` mean target of each metric (its total over ``k``; 1 for an all-zero metric):
    the unit of band excess, so that metrics of different sizes weigh alike."""
    tot = prep.weights.sum(axis=0)
    return np.asarray(np.where(tot > 0, tot / prep.k, 1.0), dtype=np.float64)


def excess(prep: Prepared, tallies: FloatArray) -> FloatArray:
    """``(k,)`` band excess of each territory: sum over metrics of the distance of its total
    (``tallies (k, m)``) beyond its band, in shares of the metric's mean target."""
    scale = metric_scale(prep)
    over = np.maximum(tallies - prep.upper, prep.lower - tallies)
    return np.asarray((np.maximum(over, 0.0) / scale).sum(axis=1), dtype=np.float64)


def territory_graph(prep: Prepared, labels: IntArray) -> dict[int, set[int]]:
    """Territory -> the territories sharing a unit-graph edge with it (every other
    territory when the problem has no unit graph)."""
    neighbours: dict[int, set[int]] = {t: set() for t in range(prep.k)}
    if prep.adjacency is None:
        for t in range(prep.k):
            neighbours[t] = set(range(prep.k)) - {t}
        return neighbours
    coo = prep.adjacency.tocoo()
    la, lb = labels[coo.row], labels[coo.col]
    cut = la != lb
    for a, b in np.unique(np.column_stack([la[cut], lb[cut]]), axis=0).tolist():
        neighbours[int(a)].add(int(b))
    return neighbours
