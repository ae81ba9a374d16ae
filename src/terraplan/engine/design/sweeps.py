"""Sweeps of the local search and the search loop over them.

A sweep screens every candidate move of the :class:`~terraplan.engine.design.search.SearchState`
in bulk, orders the useful ones and applies them one by one after an exact re-check. Balance
sweeps accept moves lowering the penalty; flow sweeps pass weight through in-band territories
(lowering the squared deviation without raising the penalty); compactness sweeps accept moves
that keep the penalty from rising and improve the objective (weighted with disruption, or
lexicographically: disruption first). :func:`local_search` runs rounds of balance sweeps
(with swaps and ejection chains from :mod:`compound` when single moves stall) and
compactness sweeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from terraplan.engine.design import compound
from terraplan.engine.design.search import FLOW, PEN_EPS, SearchState

FloatArray = npt.NDArray[np.float64]


def sweep(state: SearchState, phase: str, deadline: float) -> int:
    """One pass of ``phase`` ("balance" or "compact"); returns the moves applied."""
    units, src, dest = state.candidates()
    if units.size == 0:
        return 0
    dpen, dcomp, ddis = state.screen(units, src, dest)
    lexi = state.prep.priority == "lexicographic"
    dweight = state.prep.disruption_weight
    if phase == "balance":
        keep = dpen < -PEN_EPS
        # cheapest compactness per unit of penalty removed first
        cost = (dcomp / state.comp_ref) / np.maximum(-dpen, 1e-300)
        order_keys: tuple[FloatArray, ...] = (cost, ddis) if lexi else (cost,)
    elif phase == "flow":
        flow = dpen + FLOW * state.last_ddev
        keep = (dpen <= PEN_EPS) & (flow < -PEN_EPS)
        cost = (dcomp / state.comp_ref) / np.maximum(-flow, 1e-300)
        order_keys = (cost, ddis) if lexi else (cost,)
    else:
        score = dcomp / state.comp_ref + dweight * ddis / state.d_total
        keep = dpen <= PEN_EPS
        if lexi:
            keep &= (ddis < 0) | ((ddis <= 0) & (dcomp < 0))
            order_keys = (dcomp, ddis)
        else:
            keep &= score < -1e-13
            order_keys = (score,)
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return 0
    order = idx[np.lexsort(tuple(key[idx] for key in order_keys))]
    applied = 0
    u_list, a_list, b_list = units[order].tolist(), src[order].tolist(), dest[order].tolist()
    for pos, (i, a, b) in enumerate(zip(u_list, a_list, b_list, strict=True)):
        if pos % 2048 == 0 and pos and time.perf_counter() > deadline:
            break
        if state.lab[i] != a:
            continue
        dp, ta, tb = state.dpen_one(i, a, b)
        if phase == "balance":
            if dp >= -PEN_EPS:
                continue
        elif phase == "flow":
            ddv = state.dev_val(a, ta) + state.dev_val(b, tb) - state.dev_l[a] - state.dev_l[b]
            if dp > PEN_EPS or dp + FLOW * ddv >= -PEN_EPS:
                continue
        elif dp > PEN_EPS:
            continue
        dd, dn = state.ddis_one(i, a, b)
        if not state.within_budget(dd, dn):
            continue
        dc = state.dcomp_one(i, a, b)
        if phase == "compact":
            if lexi:
                if not (dd < 0 or (dd <= 0 and dc < 0)):
                    continue
            elif dc / state.comp_ref + dweight * dd / state.d_total >= -1e-13:
                continue
        if not state.keeps_contiguity(i, a, b):
            continue
        state.apply(i, a, b, ta, tb, dc, dd, dn)
        applied += 1
    return applied


def local_search(
    state: SearchState,
    *,
    deadline: float,
    max_sweeps: int,
    on_sweep: Callable[[int, str], bool],
    max_rounds: int = 4,
    min_improvement: float = 0.0,
) -> tuple[bool, int]:
    """Rounds of a balance stage (sweeps until the penalty is 0 or no move helps: strict
    moves, then flow through in-band territories, swaps, ejection chains) then a
    compactness stage (sweeps until no move helps or a sweep gains less than
    ``min_improvement`` of the objective); a new round only when the balance penalty fell. Stops at ``max_sweeps``, the deadline, or when ``on_sweep(step, phase)``
    returns False. Returns ``(converged, sweeps)``."""
    sweeps = 0
    converged = False
    for _ in range(max_rounds):
        pen_before = state.penalty
        while state.penalty > PEN_EPS and sweeps < max_sweeps:
            moved = sweep(state, "balance", deadline)
            if moved == 0:
                moved = sweep(state, "flow", deadline)
            if moved == 0:
                moved = compound.swap_sweep(state, deadline)
            if moved == 0:
                moved = compound.chain_sweep(state, deadline)
            sweeps += 1
            if not on_sweep(sweeps, "balance"):
                return False, sweeps
            if moved == 0 or time.perf_counter() > deadline:
                break
        converged = False
        while sweeps < max_sweeps and time.perf_counter() < deadline:
            before_sweep = state.objective
            moved = sweep(state, "compact", deadline)
            if moved == 0 and state.hartigan:
                moved = compound.compact_swap_sweep(state, deadline)
            if not state.hartigan:
                before = state.objective
                state.recentre()
                if state.objective < before - 1e-9 * max(1.0, abs(before)):
                    moved += 1
            sweeps += 1
            if not on_sweep(sweeps, "compact"):
                return False, sweeps
            if moved == 0 or (
                before_sweep - state.objective < min_improvement * abs(before_sweep)
                and state.penalty <= PEN_EPS
            ):
                converged = True
                break
        if time.perf_counter() > deadline or sweeps >= max_sweeps:
            return False, sweeps
        if state.penalty <= PEN_EPS or state.penalty >= pen_before - PEN_EPS:
            break
    return converged, sweeps
