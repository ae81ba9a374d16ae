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
The MILP of a group:

    x[i, j] binary     unit i of the group in territory j of the group
    s[j, q] >= 0       band excess of territory j in metric q (shares of the mean target)
    minimise  BIG * sum s  +  sum_ij (cost[i, j] / cost_scale + MOVE_COST * moved[i, j]) x[i, j]
    subject to  sum_j x[i, j] = 1;   lower[j, q] - s <= sum_i w[i, q] x[i, j] <= upper[j, q] + s;
                x[anchor_j, j] = 1;  locks and forbidden pairs;
                x[i, j] <= sum of x[i', j] over the neighbours i' of i that are fewer hops
                from anchor_j than i is (i != anchor_j).

The last row is a sufficient condition for contiguity: every unit of territory ``j`` has a
neighbour in ``j`` strictly closer (in hops inside the group) to the anchor, so a chain of
such neighbours leads to the anchor. Unlike connectivity cuts it needs no re-solves, and
its LP relaxation is tight enough that the groups met here solve in well under a second.
It forbids only territories that wind back towards their anchor, which balance never needs.

``cost`` is the compactness cost (compactness weight x squared distance) to each
territory's anchor, so among balanced re-splits the most compact one that moves few units
wins. A re-split is kept only when the group's total band excess falls.

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
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

from terraplan.engine.design.balance_milp import (
    WorkBudget,
    _scale,
    _territory_graph,
    excess,
    tallies_of,
)
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import territory_centres
from terraplan.engine.design.search import SearchState, local_search

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
#: Branch-and-bound nodes per solve (a counted limit: same plan on any machine).
NODE_LIMIT = 500
#: Relative gap at which HiGHS stops: band excess dominates the objective.
MIP_GAP = 0.05
#: Cost of moving one unit, against the group's whole compactness cost scaled to 1.
MOVE_COST = 0.02
#: Weight of one target-share of band excess against the group's compactness.
BIG = 1.0e4
#: A unit may join a territory of the group only within this many hops of its units.
REACH = 3
#: Rounds of re-splits, each followed by a tidy-up search: the search often brings a
#: territory the re-splits left just outside its band back inside, and the next round
#: starts from its plan.
ROUNDS = 3
#: Seconds one solve may take: a safety stop only.
SOLVE_SECONDS = 20.0
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
    """True when the repair may run: a unit graph with contiguity, coordinates for the
    compactness cost, and no moved-units budget (a re-split may move many units)."""
    return (
        prep.contiguous
        and prep.adjacency is not None
        and prep.xyz is not None
        and prep.max_moved_units is None
        and prep.max_moved_share is None
    )


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
    solver = _Resplit(prep)
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
        graph = _territory_graph(prep, labels)
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


class _Resplit:
    """The MILP of one group (see the module docstring)."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.scale = _scale(prep)
        self.solves = 0

    def anchors(
        self, members: IntArray, gidx: IntArray, local: IntArray, hop: FloatArray
    ) -> IntArray:
        """One local unit per territory fixed to it: a locked unit or the fixed centre unit
        when there is one, else the unit farthest (in hops) from the other territories of
        the group, nearest the territory's centroid among those."""
        prep = self.prep
        assert prep.xyz is not None
        out = np.full(gidx.size, -1, dtype=np.int64)
        for j, t in enumerate(gidx.tolist()):
            mine = np.flatnonzero(local == j)
            if mine.size == 0:
                continue
            locked = mine[prep.locked[members[mine]] == t]
            if locked.size:
                out[j] = int(locked[0])
                continue
            if prep.centre_units is not None and not prep.free_centres[t]:
                hit = mine[members[mine] == prep.centre_units[t]]
                if hit.size:
                    out[j] = int(hit[0])
                    continue
            other = np.flatnonzero(local != j)
            depth = hop[np.ix_(mine, other)].min(axis=1) if other.size else np.zeros(mine.size)
            cw = prep.compact_w[members[mine]]
            xyz = prep.xyz[members[mine]]
            centre = (cw[:, None] * xyz).sum(axis=0) / max(float(cw.sum()), 1e-300)
            near = np.linalg.norm(xyz - centre, axis=1)
            out[j] = int(mine[np.lexsort((near, -depth))[0]])
        return out

    def __call__(
        self,
        members: IntArray,
        gidx: IntArray,
        labels: IntArray,
        budget: WorkBudget,
        deadline: float,
        reach: int = REACH,
        node_limit: int = NODE_LIMIT,
        mip_gap: float = MIP_GAP,
    ) -> IntArray | None:
        """New labels of ``members (nm,)`` among the territories ``gidx (g,)`` (each must
        hold a unit of ``members`` in ``labels``), or None when no solution was found; a
        unit may join a territory only within ``reach`` hops of its units; HiGHS stops at
        ``node_limit`` branch-and-bound nodes or the relative gap ``mip_gap``."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        prep = self.prep
        assert prep.adjacency is not None and prep.xyz is not None
        nm, g, m = members.size, gidx.size, prep.m
        graph = prep.adjacency[members][:, members].tocsr()
        local = np.searchsorted(gidx, labels[members])
        hop = shortest_path(graph, unweighted=True, directed=False)
        anchors = self.anchors(members, gidx, local, hop)
        if np.any(anchors < 0):
            return None
        steps = hop[anchors]  # (g, nm) hops from each anchor
        nx = nm * g
        nvar = nx + 2 * g * m
        xyz = prep.xyz[members]
        diff = xyz[None, :, :] - xyz[anchors][:, None, :]
        comp = (prep.compact_w[members][None, :] * np.einsum("gik,gik->gi", diff, diff)).T
        comp_scale = float(comp[np.arange(nm), local].sum()) or 1.0
        moved = np.ones((nm, g))
        moved[np.arange(nm), local] = 0.0
        cost = np.zeros(nvar)
        cost[:nx] = (comp / comp_scale + MOVE_COST * moved).ravel()
        cost[nx:] = BIG
        lower_b = np.zeros(nvar)
        upper_b = np.full(nvar, np.inf)
        allowed = np.isfinite(steps.T)  # (nm, g)
        # a unit may only join a territory it lies within `reach` hops of (fewer variables;
        # units deep inside a territory keep it)
        for j in range(g):
            allowed[:, j] &= hop[:, local == j].min(axis=1) <= reach
        if prep.allowed is not None:
            allowed &= prep.allowed[np.ix_(members, gidx)]
        locked = prep.locked[members]
        for i in np.flatnonzero(locked >= 0).tolist():
            allowed[i] = gidx == locked[i]
        upper_b[:nx] = allowed.ravel().astype(np.float64)
        for j, a in enumerate(anchors.tolist()):
            if not allowed[a, j]:
                return None
            lower_b[a * g + j] = 1.0
        rows: list[IntArray] = [np.repeat(np.arange(nm), g)]
        cols: list[IntArray] = [np.arange(nx)]
        vals: list[FloatArray] = [np.ones(nx)]
        lo_rows: list[FloatArray] = [np.ones(nm)]
        up_rows: list[FloatArray] = [np.ones(nm)]
        n_rows = nm
        w = prep.weights[members]
        for j in range(g):
            for q in range(m):
                sc = float(self.scale[q])
                rows.append(np.full(nm + 2, n_rows))
                slacks = [nx + j * m + q, nx + g * m + j * m + q]
                cols.append(np.concatenate([np.arange(nm) * g + j, slacks]))
                vals.append(np.concatenate([w[:, q] / sc, [-1.0, 1.0]]))
                lo_rows.append(np.array([prep.lower[gidx[j], q] / sc + _EPS]))
                up_rows.append(np.array([prep.upper[gidx[j], q] / sc - _EPS]))
                n_rows += 1
        order = _order_rows(graph, steps, anchors, allowed, n_rows)
        rows.append(order[0])
        cols.append(order[1])
        vals.append(order[2])
        n_order = int(order[3])
        lo_rows.append(np.full(n_order, -np.inf))
        up_rows.append(np.zeros(n_order))
        n_rows += n_order
        matrix = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, nvar),
        )
        integrality = np.zeros(nvar, dtype=np.int8)
        integrality[:nx] = 1
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        budget.spend(float(allowed.sum()))  # the free binaries
        self.solves += 1
        try:
            res = milp(
                cost,
                integrality=integrality,
                bounds=Bounds(lower_b, upper_b),
                constraints=[
                    LinearConstraint(matrix, np.concatenate(lo_rows), np.concatenate(up_rows))
                ],
                options={
                    "time_limit": max(min(SOLVE_SECONDS, remaining), 1e-3),
                    "node_limit": node_limit,
                    "mip_rel_gap": mip_gap,
                    "disp": False,
                },
            )
        except Exception as exc:  # HiGHS failures: leave the group as it is
            logger.debug("ordered re-split %s: HiGHS failed (%s)", gidx, exc)
            return None
        if res.status == 1 and "time" in str(res.message).lower():
            budget.capped = True  # the safety cap, not the counted limits, stopped it
        if res.x is None:
            return None
        x = np.asarray(res.x[:nx]).reshape(nm, g)
        found: IntArray = gidx[np.argmax(x, axis=1)]
        return found


def _order_rows(
    graph: sparse.csr_matrix,
    steps: FloatArray,
    anchors: IntArray,
    allowed: npt.NDArray[np.bool_],
    first_row: int,
) -> tuple[IntArray, IntArray, FloatArray, int]:
    """Rows ``x[i, j] - sum_{i' in N(i), steps[j, i'] < steps[j, i]} x[i', j] <= 0`` for every
    allowed pair but the anchors, as COO ``(rows, cols, vals, count)`` (columns ``i * g + j``)."""
    g = steps.shape[0]
    coo = graph.tocoo()
    src, dst = coo.row.astype(np.int64), coo.col.astype(np.int64)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    count = 0
    for j in range(g):
        h = steps[j]
        need = allowed[:, j].copy()
        need[anchors[j]] = False
        units = np.flatnonzero(need)
        if units.size == 0:
            continue
        row_of = np.full(steps.shape[1], -1, dtype=np.int64)
        row_of[units] = first_row + count + np.arange(units.size)
        # predecessor edges: src is the unit, dst a neighbour strictly closer to the anchor
        keep = need[src] & (h[dst] < h[src]) & allowed[dst, j]
        rows.extend([row_of[units], row_of[src[keep]]])
        cols.extend([units * g + j, dst[keep] * g + j])
        vals.extend([np.ones(units.size), -np.ones(int(keep.sum()))])
        count += units.size
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), 0
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), count
