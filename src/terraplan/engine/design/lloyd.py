"""Capacitated Lloyd start for free centres: a balanced power diagram.

Minimising weighted inertia under a balance band has, with units split freely, an optimum
whose territories are the cells of a power diagram: unit ``i`` goes to the centre ``t``
minimising ``|x_i - c_t|^2 + price_t``, and each centre is its territory's weighted
centroid. :func:`capacitated_lloyd` alternates the two conditions from weighted k-means++
seeds: prices are raised on heavy territories and lowered on light ones until the loads
settle, then centres move to their centroids. On the 3,109 US counties into 30
territories at +-5 % this start led the search to 3 % lower inertia than the recursive
bisection (whose strips fix how many territories each region gets) in half the time; into
50 territories, 16 % lower.

Work is counted, never timed: ``outer`` centre moves, each with a fixed number of price
rounds over the ``L`` nearest centres of every unit (``O(n L)`` each).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Centre moves (Lloyd steps) of one start.
OUTER_STEPS = 30
#: Price rounds before the first centre move (prices start at zero) and after each later
#: one (prices carry over, so fewer rounds settle them again).
FIRST_PRICE_ROUNDS = 60
PRICE_ROUNDS = 60
#: Nearest centres considered for each unit.
CANDIDATES = 12
#: Most territories this start is used for. Above, the price rounds leave many territories
#: far outside their band (10,000 ZIPs into 119 territories: a quarter outside twice the
#: band) and the search spends longer balancing than the start saves (8 % higher inertia
#: in twice the time); the recursive bisection, balanced by construction, starts there.
#: Below (3,000-5,000 ZIPs into 36-60 territories, the counties into 30 or 50) this start
#: gave 7-30 % lower inertia than the bisection in about the same time.
MAX_TERRITORIES = 60


def applies(prep: Prepared) -> bool:
    """Free centres in coordinates, no current plan, one balance metric (locked units keep
    their territories; units go only to territories they are allowed in)."""
    return (
        prep.xyz is not None
        and prep.distances is None
        and prep.current is None
        and prep.m == 1
        and bool(np.all(prep.free_centres))
        and 2 <= prep.k <= MAX_TERRITORIES
    )


def weighted_kmeanspp(
    xyz: FloatArray, weight: FloatArray, k: int, rng: np.random.Generator
) -> FloatArray:
    """``(k, 3)`` seeds: each next seed drawn with probability ``weight * d^2`` to the
    nearest seed so far (``weight (n,)`` >= 0; uniform when every weight is 0)."""
    n = xyz.shape[0]
    w = weight + 1e-12 * (float(weight.sum()) / n + 1.0)
    seeds = np.empty((k, 3))
    seeds[0] = xyz[int(rng.choice(n, p=w / w.sum()))]
    d2 = np.einsum("ij,ij->i", xyz - seeds[0], xyz - seeds[0])
    for t in range(1, k):
        prob = w * d2
        total = float(prob.sum())
        pick = int(rng.choice(n, p=prob / total)) if total > 0 else int(rng.integers(n))
        seeds[t] = xyz[pick]
        diff = xyz - seeds[t]
        d2 = np.minimum(d2, np.einsum("ij,ij->i", diff, diff))
    return seeds


def capacitated_lloyd(prep: Prepared, rng: np.random.Generator) -> tuple[IntArray, FloatArray]:
    """Balanced power-diagram labels ``(n,)`` and centres ``(k, 3)`` (km, or the caller's
    planar unit) for a problem where :func:`applies` holds.

    The loads are in the one balance metric, relative to each territory's target; the
    price step is scaled by the median squared distance of a unit to its nearest centre
    (so it is free of the coordinate unit) and halves in the second half of each price
    phase. The labels are the last price round's, not necessarily within the band (the
    search that follows balances them).
    """
    assert prep.xyz is not None
    xyz, cw = prep.xyz, prep.compact_w
    n, k = prep.n, prep.k
    balance = prep.weights[:, 0]
    target = np.where(prep.targets[:, 0] > 0, prep.targets[:, 0], np.inf)
    centres = weighted_kmeanspp(xyz, cw if cw.sum() > 0 else balance, k, rng)
    size = min(CANDIDATES, k)
    price = np.zeros(k)
    labels = np.zeros(n, dtype=np.int64)
    rows = np.arange(n)
    lock = prep.locked >= 0
    # units allowed in none of their nearest centres' territories: the first they may join
    stranded = np.zeros(0, dtype=np.int64)
    fallback = np.zeros(0, dtype=np.int64)
    for step in range(OUTER_STEPS):
        _, near = cKDTree(centres).query(xyz, k=size)
        near = np.asarray(near, dtype=np.int64).reshape(n, size)
        diff = xyz[:, None, :] - centres[near]
        d2 = np.einsum("ijk,ijk->ij", diff, diff)
        scale = float(np.median(d2[:, 0])) or 1.0
        if prep.allowed is not None:
            d2 = np.where(np.take_along_axis(prep.allowed, near, axis=1), d2, np.inf)
            stranded = np.flatnonzero(~np.isfinite(d2).any(axis=1))
            fallback = np.argmax(prep.allowed[stranded], axis=1).astype(np.int64)
        rounds = FIRST_PRICE_ROUNDS if step == 0 else PRICE_ROUNDS
        for r in range(rounds):
            labels = near[rows, np.argmin(d2 + price[near], axis=1)]
            labels[lock] = prep.locked[lock]
            if stranded.size:
                labels[stranded] = fallback
            excess = np.bincount(labels, weights=balance, minlength=k) / target - 1.0
            rate = 0.3 if r < rounds // 2 else 0.15
            price += rate * scale * np.clip(excess, -1.0, 1.0)
        mass = np.bincount(labels, weights=cw, minlength=k)
        for d in range(3):
            moment = np.bincount(labels, weights=cw * xyz[:, d], minlength=k)
            centres[:, d] = np.where(
                mass > 0, moment / np.where(mass > 0, mass, 1.0), centres[:, d]
            )
    return labels, centres
