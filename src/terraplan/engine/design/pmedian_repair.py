"""Exact re-split of a few adjacent territories with free centres, for tiny instances.

On small, lumpy instances (a handful of units per territory, units of very different
weight) the balance band blocks almost every boundary move and swap, so the local search
stops at a plan whose territories are balanced but badly shaped. The fixed-centre repair
(:func:`~terraplan.engine.design.repair.centroid_repair`) cannot leave it either: it
re-splits towards the centroids of that same plan. Here a group of 2-4 adjacent
territories is re-split by the exact p-median model
(:func:`~terraplan.engine.design.exact_pmedian.solve_exact_pmedian`) on the group's own
units, which chooses new centre units as well as the assignment; the new split is kept
when its weighted inertia (squared distance to the territories' centroids, km**2) is lower.

The sub-problem has ``units**2`` binary variables, so it only runs on instances of at most
:data:`MAX_UNITS` units and on groups of at most :data:`MAX_GROUP_UNITS` units; its work
is counted (binary variables over all MILP solves), never timed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist

from terraplan.engine.design.balance_milp import WorkBudget
from terraplan.engine.design.exact_pmedian import solve_exact_pmedian
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.repair import GROUP_SECONDS, SMALL_K, adjacent_groups
from terraplan.errors import TerraplanError

logger = logging.getLogger(__name__)

#: Largest instance (units) on which the repair runs: above it, territories are large enough
#: for boundary moves to reshape them, and each group's model would be too big.
MAX_UNITS = 200

#: Largest group (units) handed to the p-median model (``units**2`` binaries). HiGHS's root
#: node alone took 1-6 s on groups of 30-33 units, for no gain on 9 of 10 planar instances of
#: 30-150 units (the tenth lost 0.9 of its 9 % gain at 24): the whole repair went from 33 s to
#: 6 s of CPU over the ten.
MAX_GROUP_UNITS = 24

#: Counted work per unit of the instance (binary variables over all MILP solves).
WORK_PER_UNIT = 1_000.0

#: Branch-and-bound nodes of each group solve. The counted variables say nothing of how long
#: HiGHS branches: a 30-unit group with a tight band took 0.8 s, and a 40-unit design spent
#: 14 s in 20 such solves. A stopped solve offers its incumbent, kept only when it lowers the
#: inertia.
NODE_LIMIT = 200

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def applies(prep: Prepared) -> bool:
    """True on a small instance with free, interchangeable centres and the squared distance:
    no current alignment, locks, forbidden pairs or fixed centres."""
    return (
        prep.n <= MAX_UNITS
        and prep.k >= 2
        and prep.xyz is not None
        and prep.power == 2
        and prep.current is None
        and prep.allowed is None
        and bool(np.all(prep.free_centres))
        and not bool(np.any(prep.locked >= 0))
    )


def inertia_of(prep: Prepared, labels: IntArray, units: IntArray) -> float:
    """Weighted inertia (km**2) of the territories ``labels[units]`` restricted to ``units``:
    ``sum_i compact_w[i] * |xyz[i] - centroid(territory of i)|**2``."""
    assert prep.xyz is not None
    total = 0.0
    for t in np.unique(labels[units]).tolist():
        members = units[labels[units] == t]
        w = prep.compact_w[members]
        x = prep.xyz[members]
        sw = float(w.sum())
        centre = (w @ x) / sw if sw > 0 else x.mean(axis=0)
        total += float(w @ ((x - centre) ** 2).sum(axis=1))
    return total


def band_excess(prep: Prepared, labels: IntArray) -> float:
    """How far the territories of ``labels (n,)`` lie outside their balance windows: the
    sum over territories and metrics of the excess, each relative to its target (0 when
    every territory is within its bands)."""
    totals = np.zeros((prep.k, prep.m))
    np.add.at(totals, labels, prep.weights)
    over = np.maximum(totals - prep.upper, 0.0) + np.maximum(prep.lower - totals, 0.0)
    return float((over / np.maximum(np.abs(prep.targets), 1e-12)).sum())


def balance_by_pmedian(
    prep: Prepared, labels: npt.NDArray[Any], deadline: float, budget: WorkBudget
) -> tuple[IntArray | None, bool]:
    """On a tiny instance whose search ended outside the bands (the band then blocks the
    moves that would reshape territories), re-split groups of adjacent territories exactly,
    keeping a split when it lowers the excess over the bands (:func:`band_excess`), until
    the plan is within them. Returns the plan within the bands (None when the groups cannot
    reach it) and whether the deadline cut a solve."""
    repaired, cut = pmedian_repair(prep, labels, deadline, budget, balance_first=True)
    return (repaired if band_excess(prep, repaired) <= 0.0 else None), cut


def pmedian_repair(
    prep: Prepared,
    labels: npt.NDArray[Any],
    deadline: float,
    budget: WorkBudget,
    *,
    balance_first: bool = False,
) -> tuple[IntArray, bool]:
    """Improve ``labels (n,)`` by exact p-median re-splits of groups of adjacent territories
    (pairs first; triples, then groups of four when ``k`` is small, when no pair helps; back
    to pairs after a gain) until none lowers the weighted inertia or ``budget`` is spent.

    Every kept re-split keeps each territory inside its balance window and contiguous (when
    the problem asks for it); a group whose sub-problem is infeasible, or has no plan within
    :data:`NODE_LIMIT` nodes, is left as it was. Returns the labels and whether the deadline
    cut a solve.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    cut = False
    size = 2
    largest = min(4 if prep.k <= SMALL_K else 3, prep.k)
    tried: set[bytes] = set()  # groups (as their units' labels) already re-split for no gain
    while size <= largest:
        improved = False
        for group in adjacent_groups(prep, labels, size):
            if budget.exhausted:
                return labels, cut
            if time.perf_counter() >= deadline:
                return labels, True
            inside = np.isin(labels, group)
            members = np.flatnonzero(inside)
            if members.size > MAX_GROUP_UNITS or not _common_window(prep, group):
                continue
            key = np.where(inside, labels, -1).tobytes()
            if key in tried:
                continue
            tried.add(key)
            found, stopped = _resplit(prep, members, group, deadline, budget)
            cut = cut or stopped
            if found is None:
                continue
            trial = labels.copy()
            trial[members] = found
            if balance_first:
                excess = band_excess(prep, trial)
                if excess < band_excess(prep, labels) - 1e-12:
                    labels, improved = trial, True
                    if excess <= 0.0:
                        return labels, cut
                continue
            before = inertia_of(prep, labels, members)
            after = inertia_of(prep, trial, members)
            if after < before * (1.0 - 1e-9) - 1e-9:
                labels = trial
                improved = True
                logger.debug("p-median re-split %s: %.6g -> %.6g", group, before, after)
        size = 2 if improved else size + 1
    return labels, cut


def _common_window(prep: Prepared, group: tuple[int, ...]) -> bool:
    """The p-median model's free territories share one balance window."""
    g = list(group)
    return bool(
        np.allclose(prep.lower[g], prep.lower[g[0]])
        and np.allclose(prep.upper[g], prep.upper[g[0]])
    )


def _resplit(
    prep: Prepared,
    members: IntArray,
    group: tuple[int, ...],
    deadline: float,
    budget: WorkBudget,
) -> tuple[IntArray | None, bool]:
    """The group's p-median split as territory ids of ``members`` (optimal, or the best
    found within :data:`NODE_LIMIT` nodes; None when none was found or a clock stopped the
    solve), and whether the caller's deadline stopped the solve."""
    assert prep.xyz is not None
    xyz = prep.xyz[members]
    charge = float(members.size) ** 2

    def count_solve(_step: int, _objective: float) -> bool:
        # every MILP solve of the cut loop costs the model's binary variables
        budget.spend(charge)
        return not budget.exhausted

    first = int(group[0])
    adjacency = (
        prep.adjacency[members][:, members]
        if prep.contiguous and prep.adjacency is not None
        else None
    )
    try:
        outcome = solve_exact_pmedian(
            cdist(xyz, xyz) ** 2,
            prep.weights[members],
            len(group),
            prep.lower[first],
            prep.upper[first],
            unit_weight=prep.compact_w[members],
            adjacency=adjacency,
            time_limit=max(min(GROUP_SECONDS, deadline - time.perf_counter()), 0.05),
            callback=count_solve,
            node_limit=NODE_LIMIT,
        )
    except TerraplanError as exc:  # infeasible group, or stopped by the counted work or a clock
        if exc.details.get("reason") == "time_limit" and not budget.exhausted:
            return None, _clock(budget, deadline)
        return None, False
    if not outcome.proven_optimal and outcome.status != "node_limit":
        return None, False if budget.exhausted else _clock(budget, deadline)
    return np.asarray(group, dtype=np.int64)[np.asarray(outcome.labels, dtype=np.int64)], False


def _clock(budget: WorkBudget, deadline: float) -> bool:
    """A clock stopped a solve: the caller's deadline (True), or the solve's own safety cap
    (recorded as ``budget.capped``: the plan may then depend on the machine's speed)."""
    if time.perf_counter() >= deadline - 0.05:
        return True
    budget.capped = True
    return False
