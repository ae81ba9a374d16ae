"""Exact splitting of amounts: largest-remainder rounding in whole units.

All amounts here are integer counts of a rounding unit (e.g. 1,000 currency), held in
``int64``, so children always sum EXACTLY to their parent. Each parent's units go to its
children in proportion to their weights; each child first gets the whole units of its
quota, and the units left over go one each to the children with the largest fractional
remainders (ties: lower index first). A parent whose children all weigh 0 splits equally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from terraplan.errors import InvalidParameterError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Largest unit count handled exactly (float64 quotas stay exact to the unit below this).
MAX_UNITS = 2**52


def to_units(amount: float, unit: float) -> int:
    """``amount / unit`` as a whole number; raise if ``amount`` is not a multiple of ``unit``."""
    if not (np.isfinite(unit) and unit > 0):
        raise InvalidParameterError(
            f"rounding unit must be > 0, got {unit!r}", details={"parameter": "unit"}
        )
    if not np.isfinite(amount) or amount < 0:
        raise InvalidParameterError(
            f"amount must be a finite number >= 0, got {amount!r}", details={"parameter": "amount"}
        )
    count = round(amount / unit)
    if abs(count * unit - amount) > 1e-9 * max(1.0, abs(amount)):
        raise InvalidParameterError(
            f"{amount:,.2f} is not a whole multiple of the rounding unit {unit:,g}; "
            f"round it first (e.g. to {count * unit:,.0f}) or pick a smaller unit",
            details={"parameter": "unit", "amount": amount, "unit": unit},
        )
    if count > MAX_UNITS:
        raise InvalidParameterError(
            f"{amount:,.0f} is too many rounding units ({count:,}); pick a larger unit",
            details={"parameter": "unit"},
        )
    return int(count)


def allocate_groups(
    totals: IntArray, group: IntArray, weights: FloatArray
) -> tuple[IntArray, IntArray]:
    """Split ``totals[g]`` units among the members of each group ``g`` by weight.

    ``totals`` ``(g,)`` int >= 0; ``group`` ``(n,)`` group index of each member in
    ``[0, g)``; ``weights`` ``(n,)`` >= 0. Returns ``(units, equal_split)``: ``units``
    ``(n,)`` int summing to ``totals`` per group, and the indices of groups whose members all
    weigh 0 (split equally). A group with units but no members raises.
    """
    tot = np.asarray(totals, dtype=np.int64).reshape(-1)
    grp = np.asarray(group, dtype=np.int64).reshape(-1)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if grp.shape != w.shape:
        raise InvalidParameterError("group and weights must have the same length")
    if np.any(tot < 0):
        raise InvalidParameterError("totals must be >= 0")
    if grp.size and (grp.min() < 0 or grp.max() >= tot.size):
        raise InvalidParameterError("group indices must lie in [0, len(totals))")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise InvalidParameterError("weights must be finite and >= 0")
    members = np.bincount(grp, minlength=tot.size)
    if np.any((members == 0) & (tot > 0)):
        empty = int(np.flatnonzero((members == 0) & (tot > 0))[0])
        raise InvalidParameterError(
            f"group {empty} has {int(tot[empty])} units to share but no members",
            details={"group": empty},
        )
    return _allocate(tot, grp, w, members)


def _allocate(
    tot: IntArray, grp: IntArray, w: FloatArray, members: IntArray
) -> tuple[IntArray, IntArray]:
    n = grp.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    wsum = np.bincount(grp, weights=w, minlength=tot.size)
    zero = (wsum <= 0) & (members > 0)
    w_eff = np.where(zero[grp], 1.0, w)
    wsum_eff = np.where(zero, members.astype(np.float64), wsum)
    quota = tot[grp].astype(np.float64) * (w_eff / wsum_eff[grp])
    base = np.floor(quota).astype(np.int64)
    frac = quota - base
    given = np.zeros(tot.size, dtype=np.int64)
    np.add.at(given, grp, base)
    left = tot - given
    if np.any(left < 0):  # float rounding pushed a floor up; take units back
        base, frac, left = _give_back(base, frac, grp, left)
    order = np.lexsort((np.arange(n), -frac, grp))
    sorted_grp = grp[order]
    first = np.searchsorted(sorted_grp, np.arange(tot.size), side="left")
    position = np.arange(n) - first[sorted_grp]
    extra = np.zeros(n, dtype=np.int64)
    extra[order] = (position < left[sorted_grp]).astype(np.int64)
    return base + extra, np.flatnonzero(zero & (tot > 0)).astype(np.int64)


def _give_back(
    base: IntArray, frac: FloatArray, grp: IntArray, left: IntArray
) -> tuple[IntArray, FloatArray, IntArray]:
    base = base.copy()
    frac = frac.copy()
    for g in np.flatnonzero(left < 0):
        idx = np.flatnonzero((grp == g) & (base > 0))
        take = idx[np.argsort(frac[idx], kind="stable")][: int(-left[g])]
        base[take] -= 1
        frac[take] = 1.0 - 1e-12
        left[g] = 0
    return base, frac, left


def allocate_units(total: int, weights: FloatArray) -> IntArray:
    """Split ``total`` units over ``weights`` ``(n,)``; the result ``(n,)`` sums to ``total``."""
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    units, _ = allocate_groups(
        np.array([total], dtype=np.int64), np.zeros(w.size, dtype=np.int64), w
    )
    return units


def allocate_rows(totals: IntArray, profile: FloatArray) -> IntArray:
    """Split each ``totals[i]`` over the columns of ``profile`` (``(k,)`` or ``(n, k)``).

    Returns ``(n, k)`` int whose rows sum exactly to ``totals`` ``(n,)``.
    """
    tot = np.asarray(totals, dtype=np.int64).reshape(-1)
    prof = np.asarray(profile, dtype=np.float64)
    if prof.ndim == 1:
        prof = np.broadcast_to(prof, (tot.size, prof.size))
    if prof.ndim != 2 or prof.shape[0] != tot.size or prof.shape[1] == 0:
        raise InvalidParameterError(
            f"profile must be (k,) or ({tot.size}, k), got {np.shape(profile)}"
        )
    n, k = prof.shape
    group = np.repeat(np.arange(n, dtype=np.int64), k)
    units, _ = allocate_groups(tot, group, prof.reshape(-1))
    return units.reshape(n, k)


@dataclass(frozen=True, slots=True)
class TreeAllocation:
    """Units per node ``(n,)``; ``depth`` ``(n,)`` (roots 0); ``equal_split`` node indices
    whose children all weighed 0 and shared equally (``-1`` stands for the top total)."""

    units: IntArray
    depth: IntArray
    equal_split: IntArray


def tree_depth(parent: IntArray) -> IntArray:
    """Depth of each node of a forest given ``parent`` ``(n,)`` (-1 for roots); raises on cycles."""
    par = np.asarray(parent, dtype=np.int64).reshape(-1)
    n = par.size
    if n and (par.min() < -1 or par.max() >= n):
        raise InvalidParameterError("parent indices must be -1 or in [0, n)")
    depth = np.zeros(n, dtype=np.int64)
    current = par.copy()
    for _ in range(n + 1):
        active = current >= 0
        if not active.any():
            return depth
        depth[active] += 1
        current[active] = par[current[active]]
    raise InvalidParameterError("the hierarchy has a cycle")


def allocate_tree(total: int, parent: IntArray, leaf_weight: FloatArray) -> TreeAllocation:
    """Top-down split of ``total`` units through a forest, exact at every level.

    ``parent`` ``(n,)`` holds each node's parent index (-1 for the top nodes, which share
    ``total``); ``leaf_weight`` ``(n,)`` >= 0 is read on leaves only — an inner node weighs
    the sum of its leaves. Every node's units equal the sum of its children's units.
    """
    par = np.asarray(parent, dtype=np.int64).reshape(-1)
    w = np.asarray(leaf_weight, dtype=np.float64).reshape(-1)
    if par.shape != w.shape:
        raise InvalidParameterError("parent and leaf_weight must have the same length")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise InvalidParameterError("leaf_weight must be finite and >= 0")
    if total < 0:
        raise InvalidParameterError("total must be >= 0")
    depth = tree_depth(par)
    n = par.size
    is_leaf = np.ones(n, dtype=bool)
    is_leaf[par[par >= 0]] = False
    weight = np.where(is_leaf, w, 0.0)
    max_depth = int(depth.max()) if n else -1
    for d in range(max_depth, 0, -1):
        nodes = np.flatnonzero(depth == d)
        np.add.at(weight, par[nodes], weight[nodes])
    units = np.zeros(n, dtype=np.int64)
    equal: list[IntArray] = []
    for d in range(max_depth + 1):
        nodes = np.flatnonzero(depth == d)
        if d == 0:
            totals = np.array([total], dtype=np.int64)
            group = np.zeros(nodes.size, dtype=np.int64)
            parents = np.array([-1], dtype=np.int64)
        else:
            parents, group = np.unique(par[nodes], return_inverse=True)
            totals = units[parents]
        got, zero = allocate_groups(totals, group.astype(np.int64), weight[nodes])
        units[nodes] = got
        equal.append(parents[zero])
    if n == 0 and total > 0:
        raise InvalidParameterError("there is no territory to receive the total")
    return TreeAllocation(units, depth, np.concatenate([np.zeros(0, np.int64), *equal]))
