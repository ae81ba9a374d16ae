"""Realignment with fixed centres: start from the current plan, repair exactly where needed.

Used by the heuristic solver when every centre is fixed and the plan is a realignment in
least-disruption mode (``priority="lexicographic"``), or when the problem gives a unit x
centre cost matrix. The method:

1. start from ``current`` (units without a territory, locked or not allowed where they are
   go to their cheapest allowed territory; centre units to their own territory); in the
   weighted mode, or without a current plan, from the cheapest assignment (disruption
   priced in);
2. find the territories out of their balance window (or in pieces, with contiguity);
3. solve the exact model (:mod:`terraplan.engine.design.exact_lexicographic`: least
   disruption, then compactness; or the weighted cost) restricted to those territories and
   their neighbouring territories, every other unit staying where it is;
4. while the restricted model is infeasible, or the last growth still improved the plan,
   add the next ring of neighbouring territories and solve again. Once the ring covers every
   territory the restricted model is the full exact model, so the answer is the optimum.

Each growth keeps the previous plan feasible in the larger model, so the objective never gets
worse. Neighbouring territories: joined by an edge of the unit graph, or (without a graph)
holding a unit whose cheapest other territory is the other.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.diagnosis import Diagnosis
from terraplan.engine.design.disruption import moved_table
from terraplan.engine.design.exact import solve_exact_assignment
from terraplan.engine.design.exact_core import is_contiguous, piece_ids
from terraplan.engine.design.exact_costs import allowed_pairs as _allowed
from terraplan.engine.design.exact_costs import fixed_cost
from terraplan.engine.design.exact_costs import weighted_disruption_cost as _disruption_cost
from terraplan.engine.design.exact_lexicographic import solve_lexicographic
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import DesignResult, SolverStats
from terraplan.errors import InfeasibleError, SolverError

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Cheapest other territories of a unit that count as neighbours of its own (no unit
#: graph): 1 gives a sparse, Delaunay-like territory graph, so rings grow gradually.
NEAREST = 1

#: Largest ``n * k`` realigned this way when the boundary search could do it instead (a
#: ring may grow to the whole model).
MAX_CELLS = 200_000


#: Above this many unit x territory cells with contiguity (the size up to which the ``auto``
#: solver expects the exact model with contiguity to be quick), the rings get
#: :data:`REALIGN_RINGS_SHARE` of the time limit and never the whole model; when they find
#: no plan the boundary search designs it (``HeuristicSolver``). On 500 planar units into 6
#: territories with two absolute windows, a cost matrix to reps' bases and contiguity, the
#: first ring was the whole model (every territory of the cheapest assignment out of its
#: window) and HiGHS found no contiguous plan in 150 s.
REALIGN_CONTIGUOUS_CELLS = 1_000
#: Share of the time limit the rings get on such a model.
REALIGN_RINGS_SHARE = 0.5


@dataclass(frozen=True, slots=True, eq=False)
class RealignOutcome:
    """``labels (n,)``; ``objective`` compactness cost (lexicographic) or weighted cost;
    ``disruption`` moved weight; ``iterations`` restricted solves; ``proven`` the last
    solve covered every territory and was proven optimal; ``cut`` the clock stopped it."""

    labels: IntArray
    objective: float
    disruption: float
    iterations: int
    proven: bool
    cut: bool


def realign_applies(prep: Prepared) -> bool:
    """True when :func:`realign_plan` should design ``prep`` (every centre fixed, and a
    least-disruption realignment or a unit x centre cost matrix)."""
    fixed = prep.centre_costs is not None or (
        (prep.centre_units is not None or prep.centre_points is not None)
        and not bool(np.any(prep.free_centres))
    )
    if not fixed:
        return False
    if prep.centre_costs is None:
        budgets = prep.max_moved_units is not None or prep.max_moved_share is not None
        if budgets or prep.n * prep.k > MAX_CELLS:
            return False  # the boundary search keeps budgets and scales further
    lexicographic = prep.priority == "lexicographic" and prep.current is not None
    return lexicographic or prep.centre_costs is not None


def realign_plan(
    prep: Prepared, deadline: float, *, whole_model: bool = True, cost: FloatArray | None = None
) -> RealignOutcome:
    """Repair the current (or cheapest) plan exactly on growing rings of territories.

    ``deadline`` is a :func:`time.perf_counter` instant. ``cost (n, k)``: the compactness
    cost of each unit in each territory (default :func:`fixed_cost`; free centres: the cost
    to the current plan's centres, :mod:`realign_free`); only the units of fixed centres are
    pinned to their territories. ``whole_model=False``: a ring
    holding every territory (the full exact model) is not solved; the best plan of a smaller
    ring is returned, or :class:`SolverError` (``details["reason"] == "whole_model"``) raised
    when there is none. Raises :class:`SolverError` when no feasible plan is found before
    the deadline, :class:`InfeasibleError` when even the full model has none.
    """
    cost = fixed_cost(prep) if cost is None else cost
    allowed = _allowed(prep)
    lexicographic = prep.priority == "lexicographic" and prep.current is not None
    if not lexicographic and prep.current is not None:
        cost = cost + _disruption_cost(prep, cost)
    labels = _start(prep, cost, allowed, from_current=lexicographic)
    moved_w = moved_table(prep)
    links = _territory_links(prep, labels, cost, allowed)
    chosen = _unfit(prep, labels)
    if not chosen.any():
        return RealignOutcome(labels, *_measure(cost, moved_w, labels), 0, False, False)
    best_key: tuple[float, float] | None = None
    iterations = 0
    proven = False
    while True:
        grown = chosen | links[chosen].any(axis=0)
        if grown.sum() == chosen.sum() and not grown.all():
            grown[:] = True  # the territory graph is not connected: take everything
        chosen = grown
        if chosen.all() and not whole_model:
            if best_key is None:
                raise SolverError(
                    "the realignment's rings reached the whole model before a plan within "
                    "the bands",
                    details={"reason": "whole_model", "iterations": iterations},
                )
            return RealignOutcome(labels, best_key[1], best_key[0], iterations, False, False)
        remaining = deadline - time.perf_counter()
        if remaining <= 1e-3:
            if best_key is None:
                raise SolverError(
                    "time limit reached before the realignment found a plan within the bands",
                    details={"reason": "time_limit", "iterations": iterations},
                )
            return RealignOutcome(labels, best_key[1], best_key[0], iterations, False, True)
        iterations += 1
        try:
            found, sub_proven = _solve_ring(
                prep, cost, allowed, labels, chosen, lexicographic, remaining, moved_w
            )
        except InfeasibleError:
            if chosen.all():
                raise
            continue
        except SolverError:
            if best_key is None:
                raise
            return RealignOutcome(labels, best_key[1], best_key[0], iterations, False, True)
        objective, disruption = _measure(cost, moved_w, found)
        key = (disruption, objective) if lexicographic else (0.0, objective)
        improved = best_key is None or _better(key, best_key)
        if improved:
            labels, best_key = found, key
        proven = bool(chosen.all() and sub_proven)
        log.debug("realign ring of %d territories: %s", int(chosen.sum()), key)
        if chosen.all() or not improved:
            assert best_key is not None
            return RealignOutcome(labels, best_key[1], best_key[0], iterations, proven, False)


def match_to_centres(prep: Prepared, labels: IntArray, cost: FloatArray) -> IntArray:
    """``labels`` with its territories renumbered to the fixed centres at the least total
    ``cost (n, k)`` (a plan designed with movable centres), when the territories are
    interchangeable (the same windows and allowed pairs, no lock); else unchanged."""
    from scipy.optimize import linear_sum_assignment

    same = np.allclose(prep.lower, prep.lower[:1]) and np.allclose(prep.upper, prep.upper[:1])
    if prep.allowed is not None:
        same = same and bool(np.all(prep.allowed == prep.allowed[:, :1]))
    if not same or bool(np.any(prep.locked >= 0)):
        return labels
    totals = np.zeros((prep.k, prep.k))  # territory of the plan x centre
    np.add.at(totals, labels, cost)
    rows, cols = linear_sum_assignment(totals)
    renumber = np.empty(prep.k, dtype=np.int64)
    renumber[rows] = cols
    out: IntArray = renumber[labels]
    return out


def _better(key: tuple[float, float], best: tuple[float, float]) -> bool:
    """``key`` beats ``best`` lexicographically (disruption, then cost); gains below a
    relative 1e-9 are noise, so an equal disruption falls through to the cost."""
    noise = [1e-9 * max(1.0, abs(b)) for b in best]
    if key[0] < best[0] - noise[0]:
        return True
    return key[0] <= best[0] + noise[0] and key[1] < best[1] - noise[1]


def _measure(cost: FloatArray, moved_w: FloatArray, labels: IntArray) -> tuple[float, float]:
    rows = np.arange(labels.shape[0])
    return float(cost[rows, labels].sum()), float(moved_w[rows, labels].sum())


def _start(prep: Prepared, cost: FloatArray, allowed: BoolArray, *, from_current: bool) -> IntArray:
    """The current plan made admissible (least disruption), or the cheapest allowed
    assignment (the weighted cost, disruption price included, is then the best start)."""
    cheapest: IntArray = np.argmin(np.where(allowed, cost, np.inf), axis=1).astype(np.int64)
    if prep.current is None or not from_current:
        labels = cheapest
    else:
        labels = prep.current.copy()
        rows = np.arange(prep.n)
        bad = (labels < 0) | ~allowed[rows, np.maximum(labels, 0)]
        labels[bad] = cheapest[bad]
    if prep.centre_units is not None:
        pinned = np.flatnonzero(~prep.free_centres)
        labels[prep.centre_units[pinned]] = pinned
    return labels


def _unfit(prep: Prepared, labels: IntArray) -> BoolArray:
    """``(k,)`` territories out of a balance window, or in pieces when contiguity is asked."""
    totals = np.zeros((prep.k, prep.m))
    np.add.at(totals, labels, prep.weights)
    slack = 1e-9 * np.maximum(np.abs(prep.targets), 1.0)
    out = np.any((totals < prep.lower - slack) | (totals > prep.upper + slack), axis=1)
    if prep.contiguous and prep.adjacency is not None and not is_contiguous(prep.adjacency, labels):
        ids = piece_ids(prep.adjacency, labels)
        for t in range(prep.k):
            if np.unique(ids[labels == t]).shape[0] > 1:
                out[t] = True
    return np.asarray(out, dtype=np.bool_)


def _territory_links(
    prep: Prepared, labels: IntArray, cost: FloatArray, allowed: BoolArray
) -> BoolArray:
    """``(k, k)`` symmetric: territories that can trade units directly."""
    k = prep.k
    links = np.zeros((k, k), dtype=np.bool_)
    if prep.adjacency is not None:
        coo = prep.adjacency.tocoo()
        links[labels[coo.row], labels[coo.col]] = True
    if prep.adjacency is None or not prep.contiguous:
        price = np.where(allowed, cost, np.inf)
        price[np.arange(prep.n), labels] = np.inf
        near = np.argsort(price, axis=1)[:, : min(NEAREST, k - 1)]
        for j in range(near.shape[1]):
            links[labels, near[:, j]] = True
    links |= links.T
    np.fill_diagonal(links, False)
    return links


def _solve_ring(
    prep: Prepared,
    cost: FloatArray,
    allowed: BoolArray,
    labels: IntArray,
    chosen: BoolArray,
    lexicographic: bool,
    seconds: float,
    moved_w: FloatArray,
) -> tuple[IntArray, bool]:
    """Re-solve the units of the ``chosen`` territories exactly; the others stay put
    (``moved_w (n, k)``: the disruption weight moved by each unit in each territory)."""
    terr = np.flatnonzero(chosen)
    members = np.flatnonzero(chosen[labels])
    column = np.full(prep.k, -1, dtype=np.int64)
    column[terr] = np.arange(terr.shape[0])
    sub_allowed = allowed[np.ix_(members, terr)]
    graph = None
    if prep.contiguous and prep.adjacency is not None:
        graph = prep.adjacency[members][:, members].tocsr()
    centres = None
    if prep.centre_units is not None:
        local = np.full(prep.n, -1, dtype=np.int64)
        local[members] = np.arange(members.shape[0])
        # a free centre (realign_free.py) prices compactness only: its unit may move
        centres = np.where(prep.free_centres[terr], -1, local[prep.centre_units[terr]])
    common: dict[str, Any] = {
        "adjacency": graph,
        "centre_units": centres,
        "time_limit": max(seconds, 1e-3),
        "explain_infeasible": False,
    }
    sub_cost = cost[np.ix_(members, terr)]
    weights = prep.weights[members]
    lower, upper = prep.lower[terr], prep.upper[terr]
    if lexicographic:
        assert prep.current is not None
        now = prep.current[members]
        sub_current = np.where(now >= 0, column[np.maximum(now, 0)], -1)
        # the moved-weight table, not a weight per unit: a split keep-together group moves
        # only the members that leave their territory (disruption.py)
        outcome, _ = solve_lexicographic(
            sub_cost, weights, lower, upper, sub_allowed, current=sub_current,
            disruption_weight=moved_w[np.ix_(members, terr)], **common,
        )  # fmt: skip
    else:
        outcome = solve_exact_assignment(
            sub_cost, weights, lower, upper, sub_allowed, **common
        )  # fmt: skip
    out = labels.copy()
    out[members] = terr[np.asarray(outcome.labels, dtype=np.int64)]
    return out, bool(outcome.proven_optimal)


def realign_result(
    prep: Prepared,
    diagnosis: Diagnosis,
    began: float,
    deadline: float,
    *,
    whole_model: bool = True,
) -> DesignResult:
    """:func:`realign_plan` wrapped as the heuristic's :class:`DesignResult`
    (``began``/``deadline`` are :func:`time.perf_counter` instants)."""
    from terraplan.engine.design.results import design_result

    outcome = realign_plan(prep, deadline, whole_model=whole_model)
    if prep.diameter:
        from terraplan.engine.design.diameter_search import reduce_max_diameter

        narrow, cut = reduce_max_diameter(prep, outcome.labels, deadline)
        outcome = replace(outcome, labels=narrow, cut=outcome.cut or cut)
    status = "time_limit" if outcome.cut else "optimal" if outcome.proven else "converged"
    stats = SolverStats(
        method="heuristic",
        seconds=time.perf_counter() - began,
        iterations=outcome.iterations,
        objective=outcome.objective,
        converged=not outcome.cut,
        status=status,
        reproducible=not outcome.cut,
        proven_optimal=outcome.proven,
    )
    return design_result(prep, outcome.labels, diagnosis, stats)
