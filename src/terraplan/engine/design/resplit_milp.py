"""The exact re-split of one territory group, with hop-ordered contiguity.

Used by the group re-splits of :mod:`~terraplan.engine.design.ordered_resplit` and the
region move of :mod:`~terraplan.engine.design.region_move`. The MILP of a group (SciPy's
HiGHS):

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
wins.

Work is counted, not timed: each solve costs its free binary variables against a
:class:`~terraplan.engine.design.balance_milp.WorkBudget`, and HiGHS runs with a node
limit, so the same input gives the same plan on any machine. The clock (the caller's
deadline, a per-solve safety cap) only stops a solve early.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

from terraplan.engine.design.balance_milp import WorkBudget, budget_rows
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.tallies import metric_scale

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

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
#: Seconds one solve may take: a safety stop only.
SOLVE_SECONDS = 20.0
_EPS = 1e-9


class HopOrderedResplit:
    """The MILP of one group (see the module docstring); ``solves`` counts its runs."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.scale = metric_scale(prep)
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
        # a realignment's budgets hold over the whole plan (the moves outside the group count)
        for row_cols, row_vals, need in budget_rows(prep, members, gidx, labels):
            rows.append(np.full(row_cols.size, n_rows))
            cols.append(row_cols)
            vals.append(row_vals)
            lo_rows.append(np.array([need - _EPS]))
            up_rows.append(np.array([np.inf]))
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
