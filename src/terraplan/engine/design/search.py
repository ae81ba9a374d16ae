"""The local search's working state: boundary moves with incrementally updated tallies.

A move sends unit ``i`` from territory ``a`` to ``b``. Candidate moves are screened in
bulk with numpy (every boundary pair, or each unit's nearest centres when there is no
graph), then applied one by one after an exact O(m) re-check against the live tallies:

- balance penalty ``sum_t sum_j e + e^2`` with ``e`` the relative excess of territory
  ``t`` beyond its band in metric ``j`` (0 inside the band); the square term lets weight
  flow through territories sitting at a band edge;
- compactness: ``sum_i w_i |x_i - c_t|^p``; with squared distances and free centres the
  exact change (Hartigan's formula) is used and centroids follow each move in O(1);
  otherwise centres are held during a sweep and re-estimated between sweeps;
- contiguity: the destination must touch the unit; the source must stay connected, which
  is only searched when the unit has >= 2 same-territory neighbours not linked among
  themselves (one breadth-first search from each, in turns, until they all meet or one
  runs dry);
- disruption against the current alignment and the moved-units / moved-share budgets
  (for units standing for keep-together groups split today, the members that leave their
  territory: the tables of :mod:`disruption`).

The sweeps that choose the moves, and the search loop, are in :mod:`sweeps`.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.construct import candidate_centres
from terraplan.engine.design.contiguity_memo import ContiguityMemo
from terraplan.engine.design.disruption import moved_of, moved_table
from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PEN_EPS = 1e-12
#: Weight of the squared deviation from target during balance sweeps: it lets territories
#: inside their band pass weight on (making room for an over-full neighbour).
FLOW = 0.1


class SearchState:
    """Mutable working state of one local search (private to the engine)."""

    def __init__(self, prep: Prepared, labels: IntArray, centres: FloatArray) -> None:
        self.prep = prep
        k, m = prep.k, prep.m
        self.k = k
        self.labels = labels.astype(np.int64).copy()
        self.lab: list[int] = self.labels.tolist()
        self.weights = prep.weights
        self.upper = prep.upper
        self.lower = prep.lower
        tot = prep.weights.sum(axis=0)
        self.scale = np.where(tot > 0, tot / k, 1.0)
        self.tallies = np.zeros((k, m))
        for j in range(m):
            self.tallies[:, j] = np.bincount(self.labels, weights=prep.weights[:, j], minlength=k)
        self.count = np.bincount(self.labels, minlength=k).astype(np.int64)
        self.targets = prep.targets
        self.pen = self.pen_rows(self.tallies, np.arange(k))
        self.dev = self.dev_rows(self.tallies, np.arange(k))
        self.cw = prep.compact_w
        self.matrix = prep.distances is not None
        self.hartigan = not self.matrix and prep.power == 2
        self.free = prep.free_centres.copy()
        if prep.centre_units is None and prep.centre_points is None:
            self.free[:] = True
        self.centres = centres.copy()  # (k, 3) km, or (k,) medoid units as float in matrix mode
        if not self.matrix:
            assert prep.xyz is not None
            self.xyz = prep.xyz
            self.sw = np.bincount(self.labels, weights=self.cw, minlength=k)
            self.swx = np.zeros((k, 3))
            for d in range(3):
                self.swx[:, d] = np.bincount(
                    self.labels, weights=self.cw * self.xyz[:, d], minlength=k
                )
            if self.hartigan:
                self._refresh_centroids(np.arange(k))
        self.adj: list[list[int]] | None = None
        if prep.contiguous and prep.adjacency is not None:
            a = prep.adjacency
            indptr, indices = a.indptr.tolist(), a.indices.tolist()
            self.adj = [indices[indptr[i] : indptr[i + 1]] for i in range(prep.n)]
        self.movable = prep.locked < 0
        self.current = prep.current
        self.dw = prep.disrupt_w
        self.d_total = float(self.dw.sum()) or 1.0
        # contracted groups (one may be split today): moved weight and units by table; single
        # units by their current territory (no n x k tables on large plain instances)
        self.moved_w: FloatArray | None = None
        self.moved_n: FloatArray | None = None
        if self.current is not None and prep.held is not None:
            self.moved_w = moved_table(prep)
            self.moved_n = moved_table(prep, units=True)
        self.moved_units = round(moved_of(prep, self.labels, units=True))
        self.moved_amount = moved_of(prep, self.labels)
        # plain-Python mirrors for the scalar re-checks (numpy scalars are slow one by one)
        self.w_l: list[list[float]] = prep.weights.tolist()
        self.tal_l: list[list[float]] = self.tallies.tolist()
        self.up_l: list[list[float]] = self.upper.tolist()
        self.lo_l: list[list[float]] = self.lower.tolist()
        self.tg_l: list[list[float]] = self.targets.tolist()
        self.sc_l: list[float] = self.scale.tolist()
        self.pen_l: list[float] = self.pen.tolist()
        self.dev_l: list[float] = self.dev.tolist()
        self.cw_l: list[float] = self.cw.tolist()
        self.free_l: list[bool] = self.free.tolist()
        if not self.matrix:
            self.xyz_l: list[list[float]] = self.xyz.tolist()
            self.cen_l: list[list[float]] = self.centres.tolist()
            self.sw_l: list[float] = self.sw.tolist()
        self.objective = self.compute_objective()
        self.comp_ref = self.objective if self.objective > 0 else 1.0
        self.moves = 0
        # sweeps, swaps and chains re-check the same moves: remember the contiguity checks
        self._contiguity = ContiguityMemo(self.lab, k)

    # ---- measures -------------------------------------------------------------------
    def pen_rows(self, tallies: FloatArray, terr: IntArray) -> FloatArray:
        over = np.maximum(tallies - self.upper[terr], self.lower[terr] - tallies)
        e = np.maximum(over, 0.0) / self.scale
        return np.asarray((e + e * e).sum(axis=1), dtype=np.float64)

    def dev_rows(self, tallies: FloatArray, terr: IntArray | int) -> FloatArray:
        d = (tallies - self.targets[terr]) / self.scale
        return np.asarray((d * d).sum(axis=-1), dtype=np.float64)

    @property
    def penalty(self) -> float:
        return float(self.pen.sum())

    def compute_objective(self) -> float:
        lab = self.labels
        if self.matrix:
            assert self.prep.distances is not None
            cu = self.centres.astype(np.int64)
            d = self.prep.distances[np.arange(self.prep.n), cu[lab]]
        else:
            diff = self.xyz - self.centres[lab]
            d2 = np.einsum("ij,ij->i", diff, diff)
            d = d2 if self.prep.power == 2 else np.sqrt(d2)
            return float(np.dot(self.cw, d))
        return float(np.dot(self.cw, d**self.prep.power))

    def _refresh_centroids(self, terr: IntArray | list[int]) -> None:
        for t in terr:
            if not self.free[t]:
                continue
            if self.sw[t] > 0:
                self.centres[t] = self.swx[t] / self.sw[t]
                if hasattr(self, "cen_l"):
                    self.cen_l[t] = self.centres[t].tolist()

    def recentre(self) -> None:
        """Re-estimate free centres (between sweeps): centroids, or medoids with a matrix."""
        if self.matrix:
            from terraplan.engine.design.report import medoids

            med = medoids(self.prep, self.labels)
            free = self.free & (med >= 0)
            self.centres[free] = med[free]
        else:
            self._refresh_centroids(np.arange(self.k))
        self.objective = self.compute_objective()

    # ---- bulk screening ---------------------------------------------------------------
    def candidates(self) -> tuple[IntArray, IntArray, IntArray]:
        """Candidate moves ``(unit, from, to)``: boundary pairs or nearest other centres."""
        lab = self.labels
        prep = self.prep
        if prep.contiguous and prep.adjacency is not None:
            coo = prep.adjacency.tocoo()
            r, c = coo.row.astype(np.int64), coo.col.astype(np.int64)
            cross = lab[r] != lab[c]
            units, dest = r[cross], lab[c[cross]]
            key = np.unique(units * self.k + dest)
            units, dest = key // self.k, key % self.k
        else:
            if self.matrix:
                assert prep.distances is not None
                cu = self.centres.astype(np.int64)
                size = min(8, self.k)
                near = (
                    np.argpartition(prep.distances[:, cu], size - 1, axis=1)[:, :size]
                    if size < self.k
                    else np.tile(np.arange(self.k), (prep.n, 1))
                )
            else:
                near = candidate_centres(prep, self.centres, size=min(8, self.k))
            units = np.repeat(np.arange(prep.n, dtype=np.int64), near.shape[1])
            dest = near.ravel().astype(np.int64)
            keep = dest != lab[units]
            units, dest = units[keep], dest[keep]
        keep = self.movable[units]
        if prep.allowed is not None:
            keep &= prep.allowed[units, dest]
        units, dest = units[keep], dest[keep]
        return units, lab[units], dest

    def screen(
        self, units: IntArray, src: IntArray, dest: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Vectorised ``(d_penalty, d_compactness, d_disruption)`` of candidate moves."""
        w = self.weights[units]
        new_a = self.pen_rows(self.tallies[src] - w, src)
        new_b = self.pen_rows(self.tallies[dest] + w, dest)
        dpen = new_a + new_b - self.pen[src] - self.pen[dest]
        self.last_ddev = (
            self.dev_rows(self.tallies[src] - w, src)
            + self.dev_rows(self.tallies[dest] + w, dest)
            - self.dev[src]
            - self.dev[dest]
        )
        dcomp = self.dcomp_bulk(units, src, dest)
        ddis = np.zeros(units.shape[0])
        if self.moved_w is not None:
            ddis = self.moved_w[units, dest] - self.moved_w[units, src]
        elif self.current is not None:
            cur = self.current[units]
            ddis = self.dw[units] * ((dest != cur).astype(float) - (src != cur).astype(float))
            ddis[cur < 0] = 0.0
        return dpen, dcomp, ddis

    def dcomp_bulk(self, units: IntArray, src: IntArray, dest: IntArray) -> FloatArray:
        cw = self.cw[units]
        if self.matrix:
            assert self.prep.distances is not None
            cu = self.centres.astype(np.int64)
            p = self.prep.power
            d = self.prep.distances
            return np.asarray(
                cw * (d[units, cu[dest]] ** p - d[units, cu[src]] ** p), dtype=np.float64
            )
        x = self.xyz[units]
        db = np.einsum("ij,ij->i", x - self.centres[dest], x - self.centres[dest])
        da = np.einsum("ij,ij->i", x - self.centres[src], x - self.centres[src])
        if not self.hartigan:
            return np.asarray(cw * (np.sqrt(db) - np.sqrt(da)), dtype=np.float64)
        sb, sa = self.sw[dest], self.sw[src]
        fb = np.where(self.free[dest], sb / np.maximum(sb + cw, 1e-300), 1.0)
        rest = sa - cw
        fa = np.where(
            self.free[src],
            np.where(rest > 1e-12 * np.maximum(sa, 1.0), sa / np.where(rest > 0, rest, 1.0), 1.0),
            1.0,
        )
        return np.asarray(cw * (fb * db - fa * da), dtype=np.float64)

    # ---- single moves -------------------------------------------------------------------
    def dcomp_one(self, i: int, a: int, b: int) -> float:
        if self.matrix:
            arr = np.array([i], dtype=np.int64)
            return float(self.dcomp_bulk(arr, np.array([a]), np.array([b]))[0])
        x0, x1, x2 = self.xyz_l[i]
        ca, cb = self.cen_l[a], self.cen_l[b]
        da = (x0 - ca[0]) ** 2 + (x1 - ca[1]) ** 2 + (x2 - ca[2]) ** 2
        db = (x0 - cb[0]) ** 2 + (x1 - cb[1]) ** 2 + (x2 - cb[2]) ** 2
        c = self.cw_l[i]
        if not self.hartigan:
            return c * (math.sqrt(db) - math.sqrt(da))
        fb = fa = 1.0
        if self.free_l[b]:
            sb = self.sw_l[b]
            fb = sb / max(sb + c, 1e-300)
        if self.free_l[a]:
            sa = self.sw_l[a]
            rest = sa - c
            fa = sa / rest if rest > 1e-12 * max(sa, 1.0) else 1.0
        return c * (fb * db - fa * da)

    def pen_val(self, t: int, row: list[float]) -> float:
        up, lo, sc = self.up_l[t], self.lo_l[t], self.sc_l
        total = 0.0
        for j, x in enumerate(row):
            e = x - up[j] if x > up[j] else (lo[j] - x if x < lo[j] else 0.0)
            if e > 0:
                e /= sc[j]
                total += e + e * e
        return total

    def dev_val(self, t: int, row: list[float]) -> float:
        tg, sc = self.tg_l[t], self.sc_l
        return sum(((x - tg[j]) / sc[j]) ** 2 for j, x in enumerate(row))

    def dpen_one(self, i: int, a: int, b: int) -> tuple[float, list[float], list[float]]:
        w = self.w_l[i]
        ta = [x - y for x, y in zip(self.tal_l[a], w, strict=True)]
        tb = [x + y for x, y in zip(self.tal_l[b], w, strict=True)]
        dp = self.pen_val(a, ta) + self.pen_val(b, tb) - self.pen_l[a] - self.pen_l[b]
        return dp, ta, tb

    def ddis_one(self, i: int, a: int, b: int) -> tuple[float, int]:
        if self.current is None:
            return 0.0, 0
        if self.moved_w is not None and self.moved_n is not None:
            dn = round(float(self.moved_n[i, b] - self.moved_n[i, a]))
            return float(self.moved_w[i, b] - self.moved_w[i, a]), dn
        cur = int(self.current[i])
        if cur < 0:
            return 0.0, 0
        dn = int(b != cur) - int(a != cur)
        return float(self.dw[i]) * dn, dn

    def within_budget(self, ddis: float, dn: int) -> bool:
        prep = self.prep
        if (
            prep.max_moved_units is not None
            and dn > 0
            and self.moved_units + dn > prep.max_moved_units
        ):
            return False
        return not (
            prep.max_moved_share is not None
            and ddis > 0
            and self.moved_amount + ddis > prep.max_moved_share * self.d_total + 1e-9
        )

    def keeps_contiguity(self, i: int, a: int, b: int) -> bool:
        """True when ``b`` touches ``i`` and ``a`` stays one non-empty piece without ``i``."""
        if self.count[a] <= 1:
            return False
        if self.adj is None:
            return True
        if not any(self.lab[j] == b for j in self.adj[i]):
            return False
        return self.removable(i, a)

    def removable(self, i: int, a: int) -> bool:
        """True when territory ``a`` stays connected without unit ``i`` (memoised)."""
        found = self._contiguity.get(i, a)
        if found is None:
            found = self._contiguity.put(i, a, self._connected_without(i, a))
        return found

    def _connected_without(self, i: int, a: int) -> bool:
        adj, lab = self.adj, self.lab
        if adj is None:
            return True
        nbrs = adj[i]
        same = [j for j in nbrs if lab[j] == a]
        if len(same) <= 1:
            return True
        # common case first: the same-territory neighbours are linked among themselves
        ring = set(same)
        reach = {same[0]}
        stack = [same[0]]
        while stack:
            u = stack.pop()
            for v in adj[u]:
                if v in ring and v not in reach:
                    reach.add(v)
                    stack.append(v)
        if len(reach) == len(ring):
            return True
        return _pieces_meet(adj, lab, a, i, same)

    def apply(
        self,
        i: int,
        a: int,
        b: int,
        ta: list[float],
        tb: list[float],
        dcomp: float,
        ddis: float,
        dn: int,
    ) -> None:
        self.labels[i] = b
        self.lab[i] = b
        self.tallies[a] = ta
        self.tallies[b] = tb
        self.tal_l[a] = ta
        self.tal_l[b] = tb
        pa, pb = self.pen_val(a, ta), self.pen_val(b, tb)
        self.pen[a] = self.pen_l[a] = pa
        self.pen[b] = self.pen_l[b] = pb
        va, vb = self.dev_val(a, ta), self.dev_val(b, tb)
        self.dev[a] = self.dev_l[a] = va
        self.dev[b] = self.dev_l[b] = vb
        self.count[a] -= 1
        self.count[b] += 1
        if not self.matrix:
            c = self.cw_l[i]
            sa = self.sw_l[a] - c
            sb = self.sw_l[b] + c
            self.swx[a] -= c * self.xyz[i]
            self.swx[b] += c * self.xyz[i]
            if sa <= 1e-12 * max(1.0, c):
                sa = 0.0
                self.swx[a] = 0.0
            self.sw[a] = self.sw_l[a] = sa
            self.sw[b] = self.sw_l[b] = sb
            if self.hartigan:
                self._refresh_centroids([a, b])
        self.objective += dcomp
        self.moved_units += dn
        self.moved_amount += ddis
        self.moves += 1
        self._contiguity.moved(i, a, b)

    def fill_empty(self) -> None:
        """Give every empty territory one unit: the nearest movable, allowed unit whose
        removal keeps its own territory non-empty and connected."""
        prep = self.prep
        for t in np.flatnonzero(self.count == 0):
            if self.matrix:
                assert prep.distances is not None
                dist = prep.distances[:, int(self.centres[t])]
            else:
                dist = np.einsum("ij,ij->i", self.xyz - self.centres[t], self.xyz - self.centres[t])
            ok = self.movable.copy()
            if prep.allowed is not None:
                ok &= prep.allowed[:, t]
            for i in np.flatnonzero(ok)[np.argsort(dist[ok], kind="stable")][:5000].tolist():
                a = self.lab[i]
                if self.count[a] > 1 and self.removable(i, a):
                    _, ta, tb = self.dpen_one(i, a, int(t))
                    dd, dn = self.ddis_one(i, a, int(t))
                    self.apply(i, a, int(t), ta, tb, self.dcomp_one(i, a, int(t)), dd, dn)
                    if self.matrix:
                        self.centres[t] = i
                    break
        self.objective = self.compute_objective()


def _pieces_meet(adj: list[list[int]], lab: list[int], a: int, i: int, same: list[int]) -> bool:
    """True when ``same`` (the neighbours of ``i`` in territory ``a``) stay linked in ``a``
    without ``i``.

    One breadth-first search grows from each neighbour, in turns of one unit each; searches
    that meet are merged. When ``i`` is a cut vertex one side is usually a small pocket, and
    its search runs dry after walking only that pocket (the answer is then False), where a
    single search would walk the whole remaining territory to learn the same.
    """
    group = list(range(len(same)))  # union-find over the searches

    def root(s: int) -> int:
        while group[s] != s:
            group[s] = group[group[s]]
            s = group[s]
        return s

    owner: dict[int, int] = {i: -1}
    frontier: list[deque[int]] = []
    for s, j in enumerate(same):
        owner[j] = s
        frontier.append(deque([j]))
    groups = len(same)
    active = list(range(len(same)))
    while True:
        for s in active:
            if group[s] != s:
                continue
            queue = frontier[s]
            if not queue:
                return False  # this side is closed and holds only some of the neighbours
            u = queue.popleft()
            for v in adj[u]:
                if lab[v] != a:
                    continue
                t = owner.get(v)
                if t is None:
                    owner[v] = s
                    queue.append(v)
                elif t >= 0:
                    r = root(t)
                    if r != s:
                        group[r] = s
                        queue.extend(frontier[r])
                        frontier[r].clear()
                        groups -= 1
                        if groups == 1:
                            return True
        active = [s for s in active if group[s] == s]
