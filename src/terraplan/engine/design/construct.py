"""Seeded construction of a starting plan.

0. :func:`recursive_bisection` (free centres): split the units along their principal axis
   at the weighted quantile matching the territory counts of the two halves, recursively;
   balanced by construction, compact (k-d-tree-like cells), O(n log k).
1. :func:`spread_seeds` picks spread-out centres (weighted k-means++ on a sample).
2. :func:`balanced_allocation` is a balanced location-allocation: units go to the centre
   minimising squared distance plus a per-territory price; prices rise on heavy
   territories and fall on light ones, and free centres move to their centroids
   (a power-diagram / capacitated Lloyd scheme, vectorised over ``L`` nearest centres).
3. :func:`repair_contiguity` keeps each territory's main piece and hands every detached
   piece to an adjacent territory by flood fill.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SAMPLE = 20_000
_CANDIDATES = 12


def recursive_bisection(
    prep: Prepared, rng: np.random.Generator, *, jitter: float = 0.15
) -> IntArray:
    """``(n,)`` labels from weighted recursive bisection (coords mode).

    The balance weight of a unit is the sum over metrics of its share of the metric's total
    (scaled by the territories' targets when they differ). ``jitter`` tilts each cut by a
    random amount so that multi-start explores different plans.
    """
    assert prep.xyz is not None
    n, k = prep.n, prep.k
    tot = prep.weights.sum(axis=0)
    bal = (prep.weights / np.where(tot > 0, tot, 1.0)).sum(axis=1)
    tshare = (
        prep.targets / np.where(prep.targets.sum(axis=0) > 0, prep.targets.sum(axis=0), 1.0)
    ).mean(axis=1)
    if not np.any(bal > 0):
        bal = np.ones(n)
    labels = np.zeros(n, dtype=np.int64)
    stack: list[tuple[IntArray, int, int]] = [(np.arange(n, dtype=np.int64), 0, k)]
    while stack:
        idx, first, count = stack.pop()
        if count == 1 or idx.size <= 1:
            labels[idx] = first
            continue
        k1 = count // 2
        share = float(
            tshare[first : first + k1].sum() / max(tshare[first : first + count].sum(), 1e-300)
        )
        pts = prep.xyz[idx]
        centred = pts - pts.mean(axis=0)
        _, vecs = np.linalg.eigh(centred.T @ centred)
        direction = vecs[:, 2] + jitter * rng.normal() * vecs[:, 1]
        order = idx[np.argsort(centred @ direction, kind="stable")]
        cum = np.cumsum(bal[order])
        cut = int(np.searchsorted(cum, share * cum[-1]))
        # the unit at the cut goes to whichever side leaves the smaller error
        if cut < order.size and abs(cum[cut] - share * cum[-1]) < abs(
            (cum[cut - 1] if cut else 0.0) - share * cum[-1]
        ):
            cut += 1
        cut = min(
            max(cut, k1 if order.size >= count else 1),
            order.size - (count - k1 if order.size >= count else 1),
        )
        stack.append((order[:cut], first, k1))
        stack.append((order[cut:], first + k1, count - k1))
    return labels


def spread_seeds(prep: Prepared, rng: np.random.Generator) -> FloatArray:
    """``(k, 3)`` starting centres (km); fixed centres kept, free ones by weighted k-means++.

    In distance-matrix mode returns unit indices as floats in column 0 (see :func:`seed_units`).
    """
    assert prep.xyz is not None
    k = prep.k
    xyz = prep.xyz
    w = prep.compact_w + 1e-9 * (prep.compact_w.sum() / prep.n + 1.0)
    sample = (
        np.arange(prep.n)
        if prep.n <= _SAMPLE
        else np.sort(rng.choice(prep.n, _SAMPLE, replace=False))
    )
    pts, pw = xyz[sample], w[sample]
    centres = np.zeros((k, 3))
    chosen = np.zeros(k, dtype=bool)
    if prep.centre_points is not None:
        centres[:] = prep.centre_points
        chosen[:] = True
    elif prep.centre_units is not None:
        centres[:] = xyz[prep.centre_units]
        chosen[:] = True
    locked_units = np.flatnonzero(prep.locked >= 0)
    for t in range(k):
        if not chosen[t]:
            mine = locked_units[prep.locked[locked_units] == t]
            if mine.size:
                centres[t] = xyz[mine].mean(axis=0)
                chosen[t] = True
    if chosen.all():
        return centres
    if chosen.any():
        d2 = np.min(((pts[:, None, :] - centres[None, chosen, :]) ** 2).sum(axis=2), axis=1)
    else:
        first = int(rng.choice(pts.shape[0], p=pw / pw.sum()))
        free_first = int(np.flatnonzero(~chosen)[0])
        centres[free_first] = pts[first]
        chosen[free_first] = True
        d2 = ((pts - pts[first]) ** 2).sum(axis=1)
    for t in np.flatnonzero(~chosen).tolist():
        prob = pw * d2
        total = prob.sum()
        idx = (
            int(rng.choice(pts.shape[0], p=prob / total))
            if total > 0
            else int(rng.integers(pts.shape[0]))
        )
        centres[t] = pts[idx]
        d2 = np.minimum(d2, ((pts - pts[idx]) ** 2).sum(axis=1))
    return centres


def seed_units(prep: Prepared, rng: np.random.Generator) -> IntArray:
    """``(k,)`` starting centre units in distance-matrix mode (fixed ones kept, k-means++)."""
    assert prep.distances is not None
    k, n = prep.k, prep.n
    out = np.full(k, -1, dtype=np.int64)
    if prep.centre_units is not None:
        out[:] = prep.centre_units
        return out
    w = prep.compact_w + 1e-9
    for t in range(k):
        mine = np.flatnonzero(prep.locked == t)
        if mine.size:
            out[t] = mine[0]
    if np.all(out < 0):
        out[0] = int(rng.choice(n, p=w / w.sum()))
    d = np.min(prep.distances[:, out[out >= 0]], axis=1) ** 2
    for t in np.flatnonzero(out < 0).tolist():
        prob = w * d
        prob[out[out >= 0]] = 0
        total = prob.sum()
        pick = int(rng.choice(n, p=prob / total)) if total > 0 else int(rng.integers(n))
        out[t] = pick
        d = np.minimum(d, prep.distances[:, pick] ** 2)
    return out


def candidate_centres(prep: Prepared, centres: FloatArray, size: int = _CANDIDATES) -> IntArray:
    """``(n, L)`` indices of each unit's ``L`` nearest centres (coords mode)."""
    assert prep.xyz is not None
    size = min(size, prep.k)
    _, idx = cKDTree(centres).query(prep.xyz, k=size)
    return np.asarray(idx, dtype=np.int64).reshape(prep.n, size)


def balanced_allocation(
    prep: Prepared, centres: FloatArray, *, iterations: int = 60, lloyd_every: int = 5
) -> tuple[IntArray, FloatArray]:
    """Balanced location-allocation in coords mode. Returns ``labels (n,)`` and centres ``(k, 3)``."""
    assert prep.xyz is not None
    n, k = prep.n, prep.k
    xyz = prep.xyz
    target = np.where(prep.targets > 0, prep.targets, np.inf)
    price = np.zeros(k)
    centres = centres.copy()
    lock_mask = prep.locked >= 0
    labels = np.zeros(n, dtype=np.int64)
    cand = candidate_centres(prep, centres)
    for it in range(iterations):
        if it and it % lloyd_every == 0:
            centres = _lloyd(prep, labels, centres)
            cand = candidate_centres(prep, centres)
        diff = xyz[:, None, :] - centres[cand]
        cost = np.einsum("ijk,ijk->ij", diff, diff) + price[cand]
        if prep.allowed is not None:
            cost = np.where(np.take_along_axis(prep.allowed, cand, axis=1), cost, np.inf)
        pick = np.argmin(cost, axis=1)
        labels = cand[np.arange(n), pick]
        stuck = ~np.isfinite(cost[np.arange(n), pick])
        if stuck.any():
            labels[stuck] = _nearest_allowed(prep, np.flatnonzero(stuck), centres)
        labels[lock_mask] = prep.locked[lock_mask]
        totals = np.zeros((k, prep.m))
        for j in range(prep.m):
            totals[:, j] = np.bincount(labels, weights=prep.weights[:, j], minlength=k)
        load = np.max(totals / target, axis=1)
        d2 = np.einsum("ij,ij->i", xyz - centres[labels], xyz - centres[labels])
        spread = np.bincount(labels, weights=d2, minlength=k) / np.maximum(
            np.bincount(labels, minlength=k), 1
        )
        scale = np.where(
            spread > 0, spread, np.median(spread[spread > 0]) if np.any(spread > 0) else 1.0
        )
        step = 0.5 if it < iterations // 2 else 0.25
        price += step * scale * np.clip(load - 1.0, -1.0, 1.0)
    return labels, centres


def matrix_allocation(prep: Prepared, seeds: IntArray, *, iterations: int = 40) -> IntArray:
    """Balanced allocation in distance-matrix mode (centres are units, medoids updated)."""
    assert prep.distances is not None
    n, k = prep.n, prep.k
    target = np.where(prep.targets > 0, prep.targets, np.inf)
    price = np.zeros(k)
    cost0 = prep.distances[:, seeds] ** 2
    scale = float(np.median(cost0)) or 1.0
    lock_mask = prep.locked >= 0
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iterations):
        cost = cost0 + price
        if prep.allowed is not None:
            cost = np.where(prep.allowed, cost, np.inf)
        labels = np.argmin(cost, axis=1).astype(np.int64)
        labels[lock_mask] = prep.locked[lock_mask]
        totals = np.zeros((k, prep.m))
        for j in range(prep.m):
            totals[:, j] = np.bincount(labels, weights=prep.weights[:, j], minlength=k)
        load = np.max(totals / target, axis=1)
        price += (0.2 if it < iterations // 2 else 0.1) * scale * np.clip(load - 1.0, -1.0, 1.0)
    return labels


def repair_contiguity(prep: Prepared, labels: IntArray, centres: FloatArray | None) -> IntArray:
    """Make every territory one piece: keep its main piece, flood the rest to neighbours.

    The main piece holds the territory's locked units or else carries the most weight.
    Units that no allowed adjacent territory can take go to the nearest allowed centre
    (the report will then show a non-contiguous territory).
    """
    adj = prep.adjacency
    assert adj is not None
    n = prep.n
    labels = labels.copy()
    coo = adj.tocoo()
    same = labels[coo.row] == labels[coo.col]
    inner = sparse.csr_matrix(
        (np.ones(int(same.sum()), dtype=bool), (coo.row[same], coo.col[same])), shape=(n, n)
    )
    _, comp = connected_components(inner, directed=False)
    score = np.bincount(comp, weights=prep.compact_w + 1e-6, minlength=comp.max() + 1)
    locked_comp = np.zeros(comp.max() + 1, dtype=bool)
    locked_comp[comp[prep.locked >= 0]] = True
    score = score + locked_comp * (score.sum() + 1.0)
    # the best piece of each territory
    order = np.lexsort((-score[comp], labels))
    first = np.ones(n, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    main = np.zeros(comp.max() + 1, dtype=bool)
    main[comp[order[first]]] = True
    main |= locked_comp
    labels[~main[comp]] = -1
    return flood_fill(prep, labels, centres)


def flood_fill(prep: Prepared, labels: IntArray, centres: FloatArray | None) -> IntArray:
    """Give every unlabelled unit (-1) the territory of a labelled neighbour, nearest centre first."""
    adj = prep.adjacency
    labels = labels.copy()
    if adj is not None:
        coo = adj.tocoo()
        rows, cols = coo.row.astype(np.int64), coo.col.astype(np.int64)
        while True:
            open_ = (labels[rows] < 0) & (labels[cols] >= 0)
            if not open_.any():
                break
            r, t = rows[open_], labels[cols[open_]]
            if prep.allowed is not None:
                ok = prep.allowed[r, t]
                r, t = r[ok], t[ok]
                if r.size == 0:
                    break
            cost = _unit_centre_cost(prep, r, t, centres)
            order = np.lexsort((cost, r))
            r, t = r[order], t[order]
            keep = np.ones(r.size, dtype=bool)
            keep[1:] = r[1:] != r[:-1]
            labels[r[keep]] = t[keep]
    rest = np.flatnonzero(labels < 0)
    if rest.size:
        labels[rest] = _nearest_allowed(prep, rest, centres)
    return labels


def _unit_centre_cost(
    prep: Prepared, units: IntArray, terr: IntArray, centres: FloatArray | None
) -> FloatArray:
    if prep.xyz is not None and centres is not None:
        diff = prep.xyz[units] - centres[terr]
        return np.asarray(np.einsum("ij,ij->i", diff, diff), dtype=np.float64)
    if prep.distances is not None and centres is not None:
        return prep.distances[units, centres[terr].astype(np.int64)]
    return np.zeros(units.shape[0])


def _nearest_allowed(prep: Prepared, units: IntArray, centres: FloatArray | None) -> IntArray:
    out = np.zeros(units.shape[0], dtype=np.int64)
    for pos, u in enumerate(units):
        if prep.locked[u] >= 0:
            out[pos] = prep.locked[u]
            continue
        allowed = np.ones(prep.k, dtype=bool) if prep.allowed is None else prep.allowed[u]
        terr = np.flatnonzero(allowed)
        cost = _unit_centre_cost(prep, np.full(terr.size, u), terr, centres)
        out[pos] = terr[int(np.argmin(cost))]
    return out


def _lloyd(prep: Prepared, labels: IntArray, centres: FloatArray) -> FloatArray:
    assert prep.xyz is not None
    k = prep.k
    w = prep.compact_w + 1e-12
    sw = np.bincount(labels, weights=w, minlength=k)
    new = centres.copy()
    for d in range(3):
        s = np.bincount(labels, weights=w * prep.xyz[:, d], minlength=k)
        new[:, d] = np.where(sw > 0, s / np.where(sw > 0, sw, 1.0), centres[:, d])
    fixed = ~prep.free_centres
    if prep.centre_points is not None or prep.centre_units is not None:
        new[fixed] = centres[fixed]
    return new
