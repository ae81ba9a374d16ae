"""Multi-metric balance repair: re-split small groups of neighbouring territories exactly.

When the local search leaves territories outside a band (lumpy units, several skewed
metrics), single moves, swaps and ejection chains are stuck. This phase takes an
out-of-band territory and a few adjacent territories (2 to :data:`MAX_GROUP` of them,
connected in the territory graph, chosen so that their pooled totals can fit their pooled
bands), and re-splits their units with a small MILP (SciPy's HiGHS):

    x[i, j] binary         unit i of the group in territory j of the group
    s[j, q] >= 0           how far territory j's total of metric q is beyond its band, in
                           shares of the metric's mean target (rows are scaled the same way)
    minimise  BIG * sum_jq s[j, q]  +  MOVE_COST * (units moved)
              +  sum_ij cost[i, j] x[i, j] / cost_scale
    subject to  sum_j x[i, j] = 1;  lower[j, q] - s <= sum_i w[i, q] x[i, j] <= upper[j, q] + s;
                locks and forbidden pairs; one anchor unit per territory fixed to it;
                every territory connected (lazy cuts separating stray pieces from the anchor).

``cost`` is the compactness cost to the territories' current centres; with the price of
each moved unit, the balanced re-split that moves the fewest units (then the most compact)
wins. Units far from the group's inner boundaries stay where they are. A re-split is kept only when the group's total band
excess falls (and every territory of the group stays one piece), so the plan's balance
never gets worse.

Work is counted, not timed: every MILP solve costs its number of binary variables against
a :class:`WorkBudget` that scales with the instance, and HiGHS runs with a node limit, so
the same input gives the same plan on any machine. The clock (the caller's deadline and a
per-solve safety cap) only stops the phase early on a machine far slower than expected.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from terraplan.engine.design.disruption import kept_form, moved_table
from terraplan.engine.design.exact_core import cut_rows, neighbour_rows, stray_pieces
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.tallies import excess, metric_scale, tallies_of, territory_graph

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Largest number of territories re-split together.
MAX_GROUP = 4
#: Largest number of units in one re-split (bigger groups are skipped).
MAX_GROUP_UNITS = 700
#: Candidate groups tried per out-of-band territory and group size (best pooled fit first).
GROUPS_PER_SIZE = 3
#: Units of a group free to move (the rest hold their territory): the boundary ring is
#: widened until about this many are free, at most :data:`MAX_HOPS` rings.
FREE_UNITS = 400
MAX_HOPS = 6
#: Branch-and-bound nodes per HiGHS solve (a counted limit: same plan on any machine).
NODE_LIMIT = 400
#: Relative gap at which HiGHS stops: band excess dominates the objective, so any
#: in-band re-split within this share of the fewest moves is taken.
MIP_GAP = 0.02
#: Solve / cut / re-solve rounds per group before giving up on contiguity.
CUT_ROUNDS = 8
#: Cost of moving one unit, against the group's whole compactness cost scaled to 1: a
#: re-split moves few units, which keeps territories in one piece (fewer cut rounds); the
#: compactness search that follows tidies the boundaries.
MOVE_COST = 0.05
#: Weight of one target-share of band excess against the whole group's compactness.
BIG = 1.0e4
#: Seconds one HiGHS solve may take: a safety stop only (solves take milliseconds).
SOLVE_SECONDS = 10.0
_EPS = 1e-9


@dataclass
class WorkBudget:
    """Counted work units (a MILP solve costs its binary variables, an exact group re-split
    its units x territories). ``total`` is fixed from the instance size before the run, so
    the same input does the same work on any machine. ``capped``: a sub-problem's own
    clock safety cap stopped it (then the plan may depend on the machine's speed)."""

    total: float
    used: float = 0.0
    capped: bool = False

    @property
    def left(self) -> float:
        return self.total - self.used

    def spend(self, amount: float) -> None:
        self.used += float(amount)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.total


@dataclass(frozen=True, slots=True)
class BalanceOutcome:
    """``labels (n,)`` after the repair; ``groups`` re-splits kept; ``solves`` MILP runs;
    ``clock_cut``: a clock (deadline or a solve's safety cap) stopped something."""

    labels: IntArray
    groups: int
    solves: int
    clock_cut: bool


def unit_costs(prep: Prepared, labels: IntArray) -> FloatArray:
    """``(n, k)`` compactness cost of each unit in each territory for the current plan:
    ``w_i * d(i, centre_t) ** p`` (centres: fixed ones, else centroids or medoids)."""
    from terraplan.engine.design.report import medoids, territory_centres

    if prep.xyz is not None:
        centres = territory_centres(prep, labels)
        diff = prep.xyz[:, None, :] - centres[None, :, :]
        d2 = np.einsum("ikd,ikd->ik", diff, diff)
        d = d2 if prep.power == 2 else np.sqrt(d2)
    else:
        assert prep.distances is not None
        med = medoids(prep, labels)
        med = np.where(med >= 0, med, 0)
        d = prep.distances[:, med] ** prep.power
    return np.asarray(prep.compact_w[:, None] * d, dtype=np.float64)


def balance_repair(
    prep: Prepared,
    labels: npt.NDArray[Any],
    *,
    budget: WorkBudget,
    deadline: float,
    max_group: int = MAX_GROUP,
) -> BalanceOutcome:
    """Lower the band excess of ``labels (n,)`` by exact re-splits of territory groups.

    Runs until every territory is within its bands, no group helps, ``budget`` runs out
    or the ``deadline`` (``time.perf_counter`` seconds) passes. Never increases any group's
    excess, never splits a territory that was one piece (when the problem is contiguous).
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    tallies = tallies_of(prep, labels)
    ex = excess(prep, tallies)
    solver = _GroupSolver(prep)
    kept = 0
    tried: set[tuple[tuple[int, ...], bytes]] = set()
    while True:
        out = [int(t) for t in np.argsort(-ex, kind="stable") if ex[t] > _EPS]
        if not out:
            break
        progress = False
        costs = unit_costs(prep, labels)
        for t in out:
            if ex[t] <= _EPS:
                continue
            for size in range(2, max_group + 1):
                done = False
                for group in _candidate_groups(prep, labels, tallies, t, size):
                    if budget.exhausted or time.perf_counter() > deadline:
                        return BalanceOutcome(
                            labels,
                            kept,
                            solver.solves,
                            solver.clock_cut or (time.perf_counter() > deadline),
                        )
                    members = np.flatnonzero(np.isin(labels, group))
                    if members.size > MAX_GROUP_UNITS:
                        continue
                    key = (group, labels[members].tobytes())
                    if key in tried:
                        continue
                    tried.add(key)
                    before = float(ex[list(group)].sum())
                    found = solver(members, group, labels, costs, budget, deadline)
                    if found is None:
                        continue
                    new_tal = tallies.copy()
                    new_tal[list(group)] = 0.0
                    np.add.at(new_tal, found, prep.weights[members])
                    after_ex = excess(prep, new_tal)
                    after = float(after_ex[list(group)].sum())
                    if after < before - 1e-7:
                        labels[members] = found
                        tallies, ex = new_tal, after_ex
                        kept += 1
                        progress = done = True
                        logger.debug("balance %s: excess %.4g -> %.4g", group, before, after)
                        break
                if done:
                    break
            if progress:
                costs = unit_costs(prep, labels)
        if not progress:
            break
    return BalanceOutcome(labels, kept, solver.solves, solver.clock_cut)


def _candidate_groups(
    prep: Prepared, labels: IntArray, tallies: FloatArray, t: int, size: int
) -> list[tuple[int, ...]]:
    """Connected groups of ``size`` territories holding ``t`` that could lower their band
    excess, the largest possible gain first.

    The possible gain of a group is its band excess minus its pooled excess (how far its
    summed totals are beyond its summed bands, which no re-split can remove).
    """
    graph = territory_graph(prep, labels)
    groups: set[tuple[int, ...]] = {(t,)}
    for _ in range(size - 1):
        grown = set()
        for g in groups:
            for member in g:
                for other in graph[member]:
                    if other not in g:
                        grown.add(tuple(sorted((*g, other))))
        groups = grown
        if len(groups) > 5_000:  # dense territory graphs: keep the best by pooled fit
            groups = set(sorted(groups, key=lambda g: _fit(prep, tallies, g))[:500])
    scale = metric_scale(prep)
    ex = excess(prep, tallies)

    gains = {g: float(ex[list(g)].sum()) - _fit(prep, tallies, g, scale) for g in groups}
    useful = [g for g in groups if gains[g] > 1e-6]
    return sorted(useful, key=lambda g: (-gains[g], g))[:GROUPS_PER_SIZE]


def _fit(
    prep: Prepared, tallies: FloatArray, group: tuple[int, ...], scale: FloatArray | None = None
) -> float:
    idx = list(group)
    total = tallies[idx].sum(axis=0)
    lo, up = prep.lower[idx].sum(axis=0), prep.upper[idx].sum(axis=0)
    sc = metric_scale(prep) if scale is None else scale
    return float((np.maximum(np.maximum(total - up, lo - total), 0.0) / sc).sum())


def _variable(g: int) -> Callable[[IntArray, int], IntArray]:
    """Variable indices of ``x[units, column]`` in a group of ``g`` territories."""

    def variable(units: IntArray, column: int) -> IntArray:
        return np.asarray(units, dtype=np.int64) * g + column

    return variable


def _boundary_band(graph: sparse.csr_matrix, local: IntArray, size: int) -> npt.NDArray[np.bool_]:
    """``(nm,)`` mask of the units free to move: those within a few hops of a boundary
    between the group's territories, widened one ring at a time while fewer than ``size``."""
    coo = graph.tocoo()
    cross = local[coo.row] != local[coo.col]
    band = np.zeros(local.shape[0], dtype=bool)
    band[coo.row[cross]] = True
    for _ in range(MAX_HOPS):
        if int(band.sum()) >= size:
            break
        grown = band | (graph @ band.astype(np.float64) > 0)
        if int(grown.sum()) == int(band.sum()):
            break
        band = grown
    return band


def move_caps(prep: Prepared) -> list[tuple[FloatArray, float]]:
    """The realignment budgets as ``(moved table (n, k), cap)``: units moved, and the moved
    share of the disruption metric (empty when not realigning). Tables, not a weight per
    unit: a unit standing for a keep-together group split today moves only the members
    that leave their territory (:mod:`~terraplan.engine.design.disruption`)."""
    if prep.current is None:
        return []
    caps: list[tuple[FloatArray, float]] = []
    if prep.max_moved_units is not None:
        caps.append((moved_table(prep, units=True), float(prep.max_moved_units)))
    if prep.max_moved_share is not None:
        total = float(prep.disrupt_w.sum()) or 1.0
        caps.append((moved_table(prep), prep.max_moved_share * total))
    return caps


def budget_rows(
    prep: Prepared, members: IntArray, gidx: IntArray, labels: IntArray
) -> list[tuple[IntArray, FloatArray, float]]:
    """One row per realignment budget for a group re-split's MILP, as ``(columns, values,
    lower bound)`` over the binaries ``x[i, j]`` (column ``i * g + j``, ``i`` local to
    ``members (nm,)``, ``j`` the position in ``gidx (g,)``): moved outside the group + moved
    inside it <= cap, i.e. the weight the members keep where it is now (the kept form of
    :func:`~terraplan.engine.design.disruption.kept_form`) is at least what the cap leaves."""
    out: list[tuple[IntArray, FloatArray, float]] = []
    caps = move_caps(prep)
    if not caps:
        return out
    outside = np.setdiff1d(np.arange(prep.n), members)
    for table, cap in caps:
        moved_out = float(table[outside, labels[outside]].sum())
        kept, total = kept_form(table[np.ix_(members, gidx)])
        flat = kept.ravel()
        columns = np.flatnonzero(flat > 0).astype(np.int64)
        out.append((columns, np.asarray(flat[columns], dtype=np.float64), total + moved_out - cap))
    return out


class _GroupSolver:
    """The re-split MILP of one group (see the module docstring)."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.scale = metric_scale(prep)
        allowed = (
            np.ones((prep.n, prep.k), dtype=bool) if prep.allowed is None else prep.allowed.copy()
        )
        locked = prep.locked >= 0
        allowed[locked] = False
        allowed[np.flatnonzero(locked), prep.locked[locked]] = True
        self.allowed = allowed
        self.solves = 0
        self.clock_cut = False

    def anchors(
        self,
        members: IntArray,
        group: tuple[int, ...],
        labels: IntArray,
        costs: FloatArray,
        fixed: npt.NDArray[np.bool_],
    ) -> IntArray:
        """Local index of one unit fixed to each territory: its locked unit, its fixed
        centre unit, else its unit cheapest to keep (nearest its centre), taken among the
        units held in place (``fixed``) when it has some."""
        prep = self.prep
        local = np.full(len(group), -1, dtype=np.int64)
        for pos, t in enumerate(group):
            mine = np.flatnonzero(labels[members] == t)
            if mine.size == 0:
                continue
            if np.any(fixed[mine]):
                mine = mine[fixed[mine]]
            locked = mine[prep.locked[members[mine]] == t]
            if locked.size:
                local[pos] = int(locked[0])
                continue
            if prep.centre_units is not None and not prep.free_centres[t]:
                hit = mine[members[mine] == prep.centre_units[t]]
                if hit.size:
                    local[pos] = int(hit[0])
                    continue
            w = prep.compact_w[members[mine]]
            rel = costs[members[mine], t] / np.where(w > 0, w, 1.0)
            local[pos] = int(mine[int(np.argmin(rel))])
        return local

    def __call__(
        self,
        members: IntArray,
        group: tuple[int, ...],
        labels: IntArray,
        costs: FloatArray,
        budget: WorkBudget,
        deadline: float,
    ) -> IntArray | None:
        from scipy.optimize import Bounds, LinearConstraint, milp

        prep = self.prep
        nm, g, m = members.size, len(group), prep.m
        gidx = np.array(group, dtype=np.int64)
        nx = nm * g
        nvar = nx + 2 * g * m
        w = prep.weights[members]  # (nm, m)
        c = costs[np.ix_(members, gidx)]
        here = np.searchsorted(gidx, labels[members])
        c_scale = float(np.sum(c[np.arange(nm), here]))
        moved = np.ones((nm, g))
        moved[np.arange(nm), here] = 0.0
        cost = np.zeros(nvar)
        cost[:nx] = (MOVE_COST * moved + c / (c_scale if c_scale > 0 else 1.0)).ravel()
        # balance rows and slacks in shares of the metric's mean target (well-scaled numbers)
        cost[nx:] = BIG
        lower_b = np.zeros(nvar)
        upper_b = np.full(nvar, np.inf)
        upper_b[:nx] = np.where(self.allowed[np.ix_(members, gidx)], 1.0, 0.0).ravel()
        graph = (
            prep.adjacency[members][:, members].tocsr()
            if prep.contiguous and prep.adjacency is not None
            else None
        )
        local = np.searchsorted(gidx, labels[members])
        fixed = np.zeros(nm, dtype=bool)
        if graph is not None:
            fixed = ~_boundary_band(graph, local, FREE_UNITS)
            pin = np.flatnonzero(fixed) * g + local[fixed]
            lower_b[pin] = 1.0
        anchors = self.anchors(members, group, labels, costs, fixed)
        for pos, a in enumerate(anchors.tolist()):
            if a >= 0:
                lower_b[a * g + pos] = 1.0
                upper_b[a * g + pos] = 1.0
        rows, cols, vals = [], [], []
        # assignment: each unit once
        r = np.repeat(np.arange(nm), g)
        rows.append(r)
        cols.append(np.arange(nx))
        vals.append(np.ones(nx))
        n_rows = nm
        lo_rows = [np.ones(nm)]
        up_rows = [np.ones(nm)]
        # balance: sum_i w x - s_plus <= upper ; sum_i w x + s_minus >= lower
        for pos in range(g):
            for q in range(m):
                xi = np.arange(nm) * g + pos
                sp = nx + pos * m + q
                sm = nx + g * m + pos * m + q
                rows.append(np.full(nm + 2, n_rows))
                cols.append(np.concatenate([xi, [sp, sm]]))
                sc = float(self.scale[q])
                vals.append(np.concatenate([w[:, q] / sc, [-1.0, 1.0]]))
                lo_rows.append(np.array([prep.lower[group[pos], q] / sc + _EPS]))
                up_rows.append(np.array([prep.upper[group[pos], q] / sc - _EPS]))
                n_rows += 1
        for row_cols, row_vals, need in budget_rows(prep, members, gidx, labels):
            rows.append(np.full(row_cols.size, n_rows))
            cols.append(row_cols)
            vals.append(row_vals)
            lo_rows.append(np.array([need - 1e-9]))
            up_rows.append(np.array([np.inf]))
            n_rows += 1
        base = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, nvar),
        )
        base_lo, base_up = np.concatenate(lo_rows), np.concatenate(up_rows)
        if graph is not None:  # a unit other than the anchor needs a neighbour in its territory
            ring = neighbour_rows(graph, anchors, _variable(g), nvar)
            base = sparse.vstack([base, ring.matrix], format="csr")
            base_lo = np.concatenate([base_lo, ring.lower])
            base_up = np.concatenate([base_up, ring.upper])
        cuts: list[sparse.csr_matrix] = []
        cut_up: list[FloatArray] = []
        integrality = np.zeros(nvar, dtype=np.int8)
        integrality[:nx] = 1

        variable = _variable(g)
        for _ in range(CUT_ROUNDS):
            if budget.exhausted:
                return None
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                self.clock_cut = True
                return None
            if cuts:
                matrix = sparse.vstack([base, *cuts], format="csr")
                lo = np.concatenate([base_lo, np.full(sum(x.shape[0] for x in cuts), -np.inf)])
                up = np.concatenate([base_up, *cut_up])
            else:
                matrix, lo, up = base, base_lo, base_up
            budget.spend(nx)
            self.solves += 1
            try:
                res = milp(
                    cost,
                    integrality=integrality,
                    bounds=Bounds(lower_b, upper_b),
                    constraints=[LinearConstraint(matrix, lo, up)],
                    options={
                        "time_limit": max(min(SOLVE_SECONDS, remaining), 1e-3),
                        "node_limit": NODE_LIMIT,
                        "mip_rel_gap": MIP_GAP,
                        "disp": False,
                    },
                )
            except Exception as exc:  # HiGHS failures: leave the group as it is
                logger.debug("balance group %s: HiGHS failed (%s)", group, exc)
                return None
            if res.status == 1 and "time" in str(res.message).lower():
                budget.capped = True  # the safety cap, not the counted limits, stopped it
            if res.x is None:
                return None
            x = np.asarray(res.x[:nx]).reshape(nm, g)
            columns = np.argmax(x, axis=1).astype(np.int64)
            found: IntArray = gidx[columns]
            if graph is None:
                return found
            pieces = stray_pieces(graph, columns, anchors)
            if not pieces:
                return found
            block = cut_rows(pieces, variable, nvar)
            cuts.append(block.matrix)
            cut_up.append(block.upper)
        return None
