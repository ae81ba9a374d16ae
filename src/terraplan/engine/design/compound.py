"""Compound moves for the local search: swaps and ejection chains.

Used when single boundary moves are stuck: :func:`swap_sweep` (balance by exchanging
two units between neighbouring territories), :func:`compact_swap_sweep` (the same for
compactness), :func:`chain_sweep` (ejection chains through several territories). Every
compound move is verified exactly against the live tallies and undone if it does not
help.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.search import FLOW, PEN_EPS, SearchState

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def swap_sweep(state: SearchState, deadline: float, *, cap: int = 200, tries: int = 4) -> int:
    """Balance by exchanging a unit of ``a`` with a unit of a neighbouring ``b`` (both
    moves checked for contiguity and budget); used when single moves are stuck."""
    units, src, dest = state.candidates()
    if units.size == 0:
        return 0
    k = state.k
    key = src * k + dest
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.searchsorted(key_sorted, np.arange(k * k + 1)) if k * k <= 4_000_000 else None
    if starts is None:
        return 0
    applied = 0
    pairs = np.unique(np.minimum(src, dest) * k + np.maximum(src, dest))
    for pair in pairs.tolist():
        if time.perf_counter() > deadline:
            break
        a, b = divmod(pair, k)
        if state.pen[a] <= PEN_EPS and state.pen[b] <= PEN_EPS:
            continue
        ab = units[order[starts[a * k + b] : starts[a * k + b + 1]]][:cap]
        ba = units[order[starts[b * k + a] : starts[b * k + a + 1]]][:cap]
        ab = ab[np.asarray([state.lab[i] == a for i in ab.tolist()], dtype=bool)] if ab.size else ab
        ba = ba[np.asarray([state.lab[j] == b for j in ba.tolist()], dtype=bool)] if ba.size else ba
        if ab.size == 0 or ba.size == 0:
            continue
        dw = state.weights[ab][:, None, :] - state.weights[ba][None, :, :]
        ta = state.tallies[a] - dw
        tb = state.tallies[b] + dw
        pa = _pen_grid(state, ta, a)
        pb = _pen_grid(state, tb, b)
        dpen = pa + pb - state.pen[a] - state.pen[b]
        ddev = state.dev_rows(ta, a) + state.dev_rows(tb, b) - state.dev[a] - state.dev[b]
        delta = np.where(dpen <= PEN_EPS, dpen + FLOW * ddev, np.inf)
        flat = np.argsort(delta, axis=None, kind="stable")[:tries]
        for f in flat.tolist():
            if delta.flat[f] >= -PEN_EPS:
                break
            i, j = int(ab[f // ba.size]), int(ba[f % ba.size])
            if _try_swap(state, i, j, a, b):
                applied += 1
                break
    return applied


def compact_swap_sweep(
    state: SearchState, deadline: float, *, cap: int = 60, tries: int = 3
) -> int:
    """Exchange a unit of ``a`` with a unit of neighbouring ``b`` when the pair improves
    compactness (or the weighted objective) without raising the balance penalty; tried
    when no single move helps. Each exchange is verified exactly and undone if not."""
    units, src, dest = state.candidates()
    if units.size == 0:
        return 0
    dpen0, dcomp, ddis = state.screen(units, src, dest)
    del dpen0
    k = state.k
    key = src * k + dest
    order = np.argsort(key, kind="stable")
    if k * k > 4_000_000:
        return 0
    starts = np.searchsorted(key[order], np.arange(k * k + 1))
    gain = dcomp / state.comp_ref + state.prep.disruption_weight * ddis / state.d_total
    applied = 0
    pairs = np.unique(np.minimum(src, dest) * k + np.maximum(src, dest))
    for pair in pairs.tolist():
        if time.perf_counter() > deadline:
            break
        a, b = divmod(pair, k)
        sel_ab = order[starts[a * k + b] : starts[a * k + b + 1]]
        sel_ba = order[starts[b * k + a] : starts[b * k + a + 1]]
        if sel_ab.size == 0 or sel_ba.size == 0:
            continue
        sel_ab = sel_ab[np.argsort(gain[sel_ab], kind="stable")[:cap]]
        sel_ba = sel_ba[np.argsort(gain[sel_ba], kind="stable")[:cap]]
        approx = gain[sel_ab][:, None] + gain[sel_ba][None, :]
        if approx.min() >= 0:
            continue
        dw = state.weights[units[sel_ab]][:, None, :] - state.weights[units[sel_ba]][None, :, :]
        dpen = (
            _pen_grid(state, state.tallies[a] - dw, a)
            + _pen_grid(state, state.tallies[b] + dw, b)
            - state.pen[a]
            - state.pen[b]
        )
        approx = np.where(dpen <= PEN_EPS, approx, np.inf)
        for f in np.argsort(approx, axis=None, kind="stable")[:tries].tolist():
            if approx.flat[f] >= 0:
                break
            i = int(units[sel_ab[f // sel_ba.size]])
            j = int(units[sel_ba[f % sel_ba.size]])
            if state.lab[i] == a and state.lab[j] == b and _try_compact_swap(state, i, j, a, b):
                applied += 1
                break
    return applied


def _try_compact_swap(state: SearchState, i: int, j: int, a: int, b: int) -> bool:
    pen0, obj0 = state.penalty, state.objective
    moved0, amount0 = state.moved_units, state.moved_amount
    if not _try_swap(state, i, j, a, b):
        return False
    lexi = state.prep.priority == "lexicographic"
    ddis = state.moved_amount - amount0
    dobj = state.objective - obj0
    score = dobj / state.comp_ref + state.prep.disruption_weight * ddis / state.d_total
    good = state.penalty <= pen0 + PEN_EPS and (
        (ddis < 0 or (ddis <= 0 and dobj < 0)) if lexi else score < -1e-13
    )
    if good:
        return True
    # undo: j back to b, then i back to a
    d2, n2 = state.ddis_one(j, a, b)
    _, ta, tb = state.dpen_one(j, a, b)
    state.apply(j, a, b, ta, tb, state.dcomp_one(j, a, b), d2, n2)
    d1, n1 = state.ddis_one(i, b, a)
    _, tb2, ta2 = state.dpen_one(i, b, a)
    state.apply(i, b, a, tb2, ta2, state.dcomp_one(i, b, a), d1, n1)
    state.moves -= 4
    state.moved_units, state.moved_amount = moved0, amount0
    return False


def chain_sweep(state: SearchState, deadline: float, *, depth: int = 4, width: int = 5) -> int:
    """Ejection chains for out-of-band territories: move a unit out of (into) it, and if
    that pushes the neighbour out of band, continue from the neighbour, up to ``depth``
    moves; kept only if the total penalty falls, otherwise undone."""
    units, src, dest = state.candidates()
    if units.size == 0:
        return 0
    chains = _Chains(state, units, src, dest, width)
    applied = 0
    for t in np.argsort(-state.pen, kind="stable").tolist():
        if state.pen[t] <= PEN_EPS or time.perf_counter() > deadline:
            break
        if chains.eject(t, depth, {t}, state.penalty):
            applied += 1
    return applied


class _Chains:
    """The ejection chains of one :func:`chain_sweep`, with each territory's candidate moves
    out and in as arrays (as at the sweep's start, in candidate order), so that a chain
    step orders its pool with one vectorised sum instead of one per candidate."""

    def __init__(
        self, state: SearchState, units: IntArray, src: IntArray, dest: IntArray, width: int
    ) -> None:
        self.state, self.width = state, width
        order = np.argsort(src, kind="stable")
        self.out = _split_by(src[order], units[order], dest[order], state.k)
        order = np.argsort(dest, kind="stable")
        self.into = _split_by(dest[order], units[order], src[order], state.k)

    def move(self, i: int, a: int, b: int, dd: float, dn: int) -> None:
        """Move unit ``i`` from ``a`` to ``b`` (``dd``, ``dn``: its disruption change)."""
        state = self.state
        _, ta, tb = state.dpen_one(i, a, b)
        state.apply(i, a, b, ta, tb, state.dcomp_one(i, a, b), dd, dn)

    def eject(self, t: int, depth: int, visited: set[int], start: float) -> bool:
        """Try chains from out-of-band ``t`` (``depth`` moves at most, never through the
        ``visited`` territories); True once the total penalty is below ``start``, else every
        move tried is undone."""
        state = self.state
        over = bool(np.any(state.tallies[t] > state.upper[t]))
        pool_units, pool_other = self.out[t] if over else self.into[t]
        if pool_units.size == 0:
            return False
        # the units whose move brings ``t`` closest to its target first
        gap = state.tallies[t] - state.targets[t]
        sign = -1.0 if over else 1.0
        closeness = (np.abs(gap + sign * state.weights[pool_units]) / state.scale).sum(axis=1)
        order = np.argsort(closeness, kind="stable")
        tried = 0
        for i, other in zip(pool_units[order].tolist(), pool_other[order].tolist(), strict=True):
            if tried >= self.width:
                break
            a, b = (t, other) if over else (other, t)
            if state.lab[i] != a or other in visited:
                continue
            dd, dn = state.ddis_one(i, a, b)
            if not state.within_budget(dd, dn) or not state.keeps_contiguity(i, a, b):
                continue
            tried += 1
            self.move(i, a, b, dd, dn)
            if state.penalty < start - 1e-9:
                return True
            if depth > 1:
                flipped = bool(np.any(state.tallies[t] > state.upper[t])) != over
                for nxt in (other, t):
                    if state.pen[nxt] <= PEN_EPS or (nxt == t and not flipped):
                        continue
                    if nxt != t and nxt in visited:
                        continue
                    if self.eject(nxt, depth - 1, visited | {nxt}, start):
                        return True
            self.move(i, b, a, -dd, -dn)
            state.moves -= 2
        return False


def _split_by(
    owner: IntArray, units: IntArray, other: IntArray, k: int
) -> list[tuple[IntArray, IntArray]]:
    """``(units, other)`` of each territory ``0..k-1``, from arrays sorted by ``owner``."""
    cuts = np.searchsorted(owner, np.arange(k + 1))
    return [(units[cuts[t] : cuts[t + 1]], other[cuts[t] : cuts[t + 1]]) for t in range(k)]


def _pen_grid(state: SearchState, tallies: FloatArray, t: int) -> FloatArray:
    over = np.maximum(tallies - state.upper[t], state.lower[t] - tallies)
    e = np.maximum(over, 0.0) / state.scale
    return np.asarray((e + e * e).sum(axis=-1), dtype=np.float64)


def _try_swap(state: SearchState, i: int, j: int, a: int, b: int) -> bool:
    d1, n1 = state.ddis_one(i, a, b)
    d2, n2 = state.ddis_one(j, b, a)
    if not state.within_budget(d1 + d2, n1 + n2):
        return False
    if not state.keeps_contiguity(i, a, b):
        return False
    _, ta, tb = state.dpen_one(i, a, b)
    state.apply(i, a, b, ta, tb, state.dcomp_one(i, a, b), d1, n1)
    if state.keeps_contiguity(j, b, a):
        _, tb2, ta2 = state.dpen_one(j, b, a)
        state.apply(j, b, a, tb2, ta2, state.dcomp_one(j, b, a), d2, n2)
        return True
    _, tb3, ta3 = state.dpen_one(i, b, a)
    state.apply(i, b, a, tb3, ta3, state.dcomp_one(i, b, a), -d1, -n1)
    state.moves -= 2
    return False
