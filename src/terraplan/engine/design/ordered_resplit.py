"""Balance repair by exact re-splits of territory groups with hop-ordered contiguity.

When the local search leaves territories outside a band (several skewed metrics, lumpy
units), this phase takes the out-of-band territory with the largest excess, grows a group
of neighbouring territories around it until the group's pooled totals sit well inside its
pooled bands, and re-splits the group's units with one small MILP (SciPy's HiGHS). When
no such group helps (the territory's whole region is short or long in a metric), it tries
paths of territories from it to one with room to spare, each passing units on to the
next (:func:`_candidate_groups`). Rounds of re-splits alternate with a tidy-up search;
when territories stay outside after them, one territory is moved from a short region to a
heavy one (:mod:`~terraplan.engine.design.region_move`) and the rounds resume.
Each group is re-split by the MILP of :mod:`~terraplan.engine.design.resplit_milp`, whose
hop-ordered rows keep every territory one connected piece without re-solves; a re-split
is kept only when the group's total band excess falls.

Work is counted, not timed: each solve costs its free binary variables against a
:class:`~terraplan.engine.design.balance_milp.WorkBudget` fixed from the instance size,
and HiGHS runs with a node limit, so the same input gives the same plan on any machine.
The clock (the caller's deadline, a per-solve safety cap) only stops the phase early.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.balance_milp import WorkBudget
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import territory_centres
from terraplan.engine.design.resplit_milp import HopOrderedResplit
from terraplan.engine.design.search import SearchState
from terraplan.engine.design.sweeps import local_search
from terraplan.engine.design.tallies import excess, tallies_of, territory_graph

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Largest number of territories re-split together.
MAX_GROUP = 5
#: Longest path of territories re-split together (see :func:`_candidate_groups`).
MAX_PATH = 8
#: Paths tried per out-of-band territory once the grown groups fail.
PATHS_TRIED = 3
#: Largest number of units in one re-split (bigger groups are not tried).
MAX_GROUP_UNITS = 1_500
#: A group is solved once its pooled totals lie within this share of its pooled half-band
#: from the pooled band's middle (1 = just inside): groups barely inside rarely split well.
POOLED_FIT = 0.9
#: Rounds of re-splits, each followed by a tidy-up search: the search often brings a
#: territory the re-splits left just outside its band back inside, and the next round
#: starts from its plan.
ROUNDS = 3
#: Territories moved between regions (:mod:`region_move`) once the re-splits are stuck.
REGION_MOVES = 2
#: Counted work per unit added to the budget for the region moves and the rounds after them.
REGION_WORK_PER_UNIT = 3.0
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class ResplitOutcome:
    """``labels (n,)`` after the repair; ``groups`` re-splits kept; ``solves`` MILP runs;
    ``unresolved`` territories still outside a band that no group could repair."""

    labels: IntArray
    groups: int
    solves: int
    unresolved: tuple[int, ...]


def applies(prep: Prepared) -> bool:
    """True when the repair may run: a unit graph with contiguity and coordinates for the
    compactness cost (a realignment's moved-units budgets are rows of each re-split's MILP,
    counting the moves made outside its group)."""
    return prep.contiguous and prep.adjacency is not None and prep.xyz is not None


def ordered_balance_repair(
    prep: Prepared,
    labels: npt.NDArray[Any],
    *,
    budget: WorkBudget,
    deadline: float,
    max_group: int = MAX_GROUP,
) -> ResplitOutcome:
    """Lower the band excess of ``labels (n,)`` by exact re-splits of territory groups.

    Out-of-band territories are taken largest excess first; for each, the groups of
    :func:`_candidate_groups` (grown blobs of 2 to ``max_group`` territories, then paths)
    are solved in turn until one lowers its excess. Never raises a group's excess; every
    territory stays one connected piece. Stops when all are within, the ``budget`` is
    spent or the ``deadline`` (``time.perf_counter``) passes.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    solver = HopOrderedResplit(prep)
    tallies = tallies_of(prep, labels)
    ex = excess(prep, tallies)
    failed: set[int] = set()
    kept = 0
    while True:
        out = [int(t) for t in np.argsort(-ex, kind="stable") if ex[t] > _EPS]
        todo = [t for t in out if t not in failed]
        if not todo or budget.exhausted or time.perf_counter() > deadline:
            return ResplitOutcome(labels, kept, solver.solves, tuple(sorted(out)))
        t = todo[0]
        graph = territory_graph(prep, labels)
        tried: list[list[int]] = []
        done = False
        for group in _candidate_groups(prep, tallies, graph, t, max_group):
            if sorted(group) in tried:
                continue
            tried.append(sorted(group))
            gidx = np.array(sorted(group), dtype=np.int64)
            members = np.flatnonzero(np.isin(labels, gidx))
            if members.size > MAX_GROUP_UNITS:
                continue
            if budget.exhausted or time.perf_counter() > deadline:
                break
            found = solver(members, gidx, labels, budget, deadline)
            if found is None:
                continue
            new_tal = tallies.copy()
            new_tal[gidx] = 0.0
            np.add.at(new_tal, found, prep.weights[members])
            new_ex = excess(prep, new_tal)
            before, after = float(ex[gidx].sum()), float(new_ex[gidx].sum())
            if after < before - 1e-7:
                labels[members] = found
                tallies, ex = new_tal, new_ex
                kept += 1
                done = True
                logger.debug("ordered re-split %s: excess %.4g -> %.4g", gidx, before, after)
                break
        if not done:
            failed.add(t)


def _candidate_groups(
    prep: Prepared,
    tallies: FloatArray,
    graph: dict[int, set[int]],
    t: int,
    max_group: int,
) -> Iterator[list[int]]:
    """Groups of territories holding ``t`` to re-split, in the order they are tried.

    First a blob grown one neighbour at a time (the one that brings the pooled totals
    closest to the pooled bands' middle), yielded at each size from 2 to ``max_group`` once
    its pooled fit is within :data:`POOLED_FIT`. Then paths: when ``t``'s whole region is
    short (or long) in a metric, no blob of a few neighbours can fix it, but a chain of
    territories from ``t`` to one with room to spare can, each passing units on to the
    next. The paths are shortest paths in the territory graph from ``t`` to each territory
    fewer than :data:`MAX_PATH` steps away, the shortest first (then the best pooled fit),
    at most :data:`PATHS_TRIED` of those whose pooled fit is within :data:`POOLED_FIT`.
    """
    group = [t]
    for _ in range(max_group - 1):
        nbrs = sorted({o for g in group for o in graph[g] if o not in group})
        if not nbrs:
            break
        group.append(min(nbrs, key=lambda o: (_pooled_fit(prep, tallies, [*group, o]), o)))
        if _pooled_fit(prep, tallies, group) <= POOLED_FIT:
            yield list(group)
    parent = {t: t}
    frontier = [t]
    paths: list[tuple[int, float, list[int]]] = []
    for length in range(2, MAX_PATH + 1):
        reached = []
        for a in frontier:
            for b in sorted(graph[a]):
                if b not in parent:
                    parent[b] = a
                    reached.append(b)
        for o in reached:
            path = [o]
            while path[-1] != t:
                path.append(parent[path[-1]])
            fit = _pooled_fit(prep, tallies, path)
            if fit <= POOLED_FIT:
                paths.append((length, fit, path))
        frontier = reached
    for _, _, path in sorted(paths)[:PATHS_TRIED]:
        yield path


def resplit_and_search(
    prep: Prepared,
    labels: npt.NDArray[Any],
    *,
    budget: WorkBudget,
    deadline: float,
    max_sweeps: int,
    min_improvement: float,
    on_sweep: Callable[[int, str, SearchState], bool],
) -> tuple[SearchState, bool] | None:
    """:func:`ordered_balance_repair`, then a local search on its plan (balance first, then
    compactness moves that never raise the band excess) to tidy the re-split boundaries;
    up to :data:`ROUNDS` times while territories stay outside a band and the ``budget``
    lasts. When territories are still outside after that, up to :data:`REGION_MOVES` times
    one territory is moved from a short region to a heavy one
    (:func:`~terraplan.engine.design.region_move.region_move`, which no re-split can do),
    followed by a search and more rounds. Returns the state with the lowest band penalty
    (the earliest on a tie) and whether its search converged, or None when nothing was
    re-split. ``on_sweep(sweep, phase, state)`` returning False stops the search."""
    from terraplan.engine.design.region_move import region_move

    best: tuple[SearchState, bool] | None = None

    def search(labels: IntArray) -> SearchState:
        nonlocal best
        live = SearchState(prep, labels, territory_centres(prep, labels))

        def report(sweep: int, phase: str, live: SearchState = live) -> bool:
            return on_sweep(sweep, phase, live)

        converged, _ = local_search(
            live,
            deadline=deadline,
            max_sweeps=max_sweeps,
            on_sweep=report,
            min_improvement=min_improvement,
        )
        if best is None or round(live.penalty, 12) < round(best[0].penalty, 12):
            best = (live, converged)
        return live

    moves = 0
    while True:
        for _ in range(ROUNDS):
            outcome = ordered_balance_repair(prep, labels, budget=budget, deadline=deadline)
            if outcome.groups == 0:
                break
            logger.debug(
                "re-split phase: %d groups in %d solves (work %.0f of %.0f), %d still out",
                outcome.groups, outcome.solves, budget.used, budget.total,
                len(outcome.unresolved),
            )  # fmt: skip
            live = search(outcome.labels)
            if live.penalty <= 0:
                break
            labels = live.labels
        if best is not None and best[0].penalty <= 0:
            return best
        if moves >= REGION_MOVES or time.perf_counter() > deadline:
            return best
        if moves == 0:  # the move's own counted allowance: the rounds spend theirs first
            budget.total = max(budget.total, budget.used) + REGION_WORK_PER_UNIT * prep.n
        start = best[0].labels if best is not None else np.asarray(labels, dtype=np.int64)
        moved = region_move(prep, start, budget=budget, deadline=deadline)
        if moved is None:
            return best
        moves += 1
        logger.debug("region move %d (work %.0f of %.0f)", moves, budget.used, budget.total)
        labels = search(moved).labels


def _pooled_fit(prep: Prepared, tallies: FloatArray, group: list[int]) -> float:
    """Largest over metrics of the group's pooled distance from its pooled bands' middle,
    in pooled half-bands (<= 1: the pooled totals fit the pooled bands)."""
    total = tallies[group].sum(axis=0)
    lo, up = prep.lower[group].sum(axis=0), prep.upper[group].sum(axis=0)
    half = np.maximum((up - lo) / 2.0, 1e-12)
    return float(np.max(np.abs(total - (lo + up) / 2.0) / half))
