"""Least-disruption realignment with free centres: the fewest moves first, then compactness.

Priority ``"lexicographic"`` ranks plans by balance, then disruption, then compactness.
Neither of the first two depends on where the centres are, so the heuristic does not design
a new plan around new centres (its boundary search from the current plan moved, on 25
random 10-20-unit cases into 3 territories, more units than the fewest in 19 of them:
balance moves were ordered by compactness gained, and its compactness sweeps started from
there). Instead:

1. price compactness against the current plan's centres (weighted centroids of its
   territories, medoids with a distance matrix; a fixed centre stays where it is), so
   the plan is repaired where it is, not redrawn;
2. repair the current plan exactly on growing rings of territories
   (:func:`~terraplan.engine.design.realign.realign_plan`: least disruption, then the cost
   above, on the territories out of their window and their neighbours; the whole model
   when the rings reach it), units of free centres not pinned;
3. improve compactness with the centres free (the local search's lexicographic sweeps:
   a move or swap is kept only when it moves no more weight than before);
4. again from 2, priced against the centres 3 ended with, while that lowers the
   compactness at no more moves (:data:`ROUNDS`).

The rings get a share of the time limit (with contiguity never the whole model). When
they find no plan (none within the bands, the whole model reached with contiguity, or the
clock) the boundary search designs it as before, in the time left.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist

from terraplan.engine.design.diagnosis import Diagnosis
from terraplan.engine.design.disruption import moved_of
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.realign import REALIGN_RINGS_SHARE, realign_plan
from terraplan.engine.design.report import DesignResult, SolverStats, TraceRow, territory_centres
from terraplan.engine.design.search import SearchState
from terraplan.engine.design.starts import centres_of
from terraplan.engine.design.sweeps import local_search
from terraplan.errors import InfeasibleError, SolverError

log = logging.getLogger(__name__)

#: Largest ``n * k`` repaired by the rings (above, the boundary search as before). On
#: planar units with weights drifted x lognormal 0.3 at +-10 %: 3,000 units into 30
#: territories (90,000 cells) took 5.6 s of CPU for 3 units moved (the search: 9 in
#: 0.03 s); 8,000 into 25 (200,000 cells, the fixed-centre limit) reached half the 60 s
#: limit in its first ring (6 moved, the search 20 in 0.06 s, but cut by the clock).
FREE_MAX_CELLS = 100_000

#: Rounds of rings and search, each priced against the centres the last one ended with. On
#: 25 random cases of 10-20 units into 3 territories (same moves as the exact solver on
#: all), the worst inertia above the exact solver's fell from 5.8 % (seed 9) and 5.1 %
#: (seed 15) with one round to 5.8 % and 3.4 %; 4 of 25 below it.
ROUNDS = 3
#: Largest ``n * k`` given more than one round: on 3,000 planar units into 30 territories
#: the second round gained 0.007 % inertia for as much time again (each round about 5 s of
#: CPU in four MILPs of up to 80,000 binaries).
ROUNDS_MAX_CELLS = 12_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def applies(prep: Prepared, diagnosis: Diagnosis) -> bool:
    """True for a least-disruption realignment with some free centre that the rings can
    repair (no unit x centre cost matrix, budgets or diameter objective; at most
    :data:`FREE_MAX_CELLS` unit x territory cells; bands the
    diagnosis found reachable)."""
    return (
        prep.priority == "lexicographic"
        and prep.current is not None
        and bool(np.any(prep.free_centres))
        and prep.centre_costs is None
        and prep.max_moved_units is None
        and prep.max_moved_share is None
        and not prep.diameter
        and prep.n * prep.k <= FREE_MAX_CELLS
        and diagnosis.feasible
    )


def current_centre_cost(prep: Prepared) -> FloatArray:
    """``(n, k)`` cost ``w_i * d(i, c_t) ** power`` to the current plan's centres: the
    ``compact_w``-weighted centroid of each free territory's units today (km, or the planar
    unit), or its medoid with a distance matrix; a fixed centre where it is. A free
    territory with no unit today (a new rep) is centred on the unit farthest from every
    other centre, one after another (the first stage, fewest moves, does not depend on it;
    the search moves the centre after)."""
    assert prep.current is not None
    has = np.flatnonzero(prep.current >= 0)
    cur = prep.current[has]
    counts = np.bincount(cur, minlength=prep.k)
    empty = np.flatnonzero((counts == 0) & prep.free_centres)
    w = prep.compact_w
    if prep.xyz is not None:
        dist = cdist(prep.xyz, territory_centres(prep, cur, units=has))
        for t in empty.tolist():
            placed = np.delete(np.arange(prep.k), empty[empty >= t])
            far = int(np.argmax(dist[:, placed].min(axis=1))) if placed.size else 0
            dist[:, t] = cdist(prep.xyz, prep.xyz[far : far + 1])[:, 0]
    else:
        assert prep.distances is not None
        units = np.zeros(prep.k, dtype=np.int64)
        for t in range(prep.k):
            if prep.centre_units is not None and not prep.free_centres[t]:
                units[t] = prep.centre_units[t]
                continue
            members = has[cur == t]
            if members.size:
                sub = prep.distances[np.ix_(members, members)] ** prep.power
                units[t] = members[int(np.argmin(w[members] @ sub))]
        for t in empty.tolist():
            placed = units[np.delete(np.arange(prep.k), empty[empty >= t])]
            gap = prep.distances[:, placed].min(axis=1) if placed.size else np.zeros(prep.n)
            units[t] = int(np.argmax(gap))
        dist = prep.distances[:, units]
    return np.asarray(w[:, None] * dist**prep.power, dtype=np.float64)


def realign_free_result(
    prep: Prepared,
    diagnosis: Diagnosis,
    began: float,
    deadline: float,
    rng: np.random.Generator,
    *,
    max_sweeps: int,
    min_improvement: float,
    callback: Callable[[int, float], bool | None] | None,
) -> DesignResult | None:
    """The plan of steps 1-3 (module docstring) as the heuristic's :class:`DesignResult`,
    or None when the boundary search should design it (``began``/``deadline`` are
    :func:`time.perf_counter` instants; ``callback(step, objective)`` after each sweep,
    False stops). Up to :data:`ROUNDS` rounds: each prices the rings against the centres
    the previous round's search ended with, and is kept when it moves no more and is more
    compact."""
    from terraplan.engine.design.results import design_result

    cost = current_centre_cost(prep)
    # with contiguity the rings get a share of the time and never the whole model (as for
    # fixed centres on a large model, realign.py), whatever its size: on an 8 x 8 lattice
    # into 4 territories, every one out of its window, the whole model's first stage found
    # no contiguous plan in 20 s, where the search designs one at once
    whole = not prep.contiguous
    # the rings never take the whole time limit: when they find no plan the search needs
    # time to design one
    rings_end = began + REALIGN_RINGS_SHARE * (deadline - began)
    trace: list[TraceRow] = []
    best: tuple[tuple[float, float], SearchState, bool] | None = None
    rings = sweeps = 0
    cut = stopped = False
    for _ in range(ROUNDS if prep.n * prep.k <= ROUNDS_MAX_CELLS else 1):
        try:
            outcome = realign_plan(prep, rings_end, whole_model=whole, cost=cost)
        except (SolverError, InfeasibleError) as exc:
            if best is None:
                log.info("free-centre realignment rings found no plan (%s): the search designs it", exc)  # fmt: skip
                return None
            break
        rings += outcome.iterations
        cut = cut or outcome.cut
        state = SearchState(prep, outcome.labels, centres_of(prep, outcome.labels, rng))

        def on_sweep(_step: int, phase: str, state: SearchState = state) -> bool:
            nonlocal stopped
            step = len(trace) + 1
            trace.append(TraceRow(step, f"{phase}#realign", state.objective, state.penalty,
                                  time.perf_counter() - began))  # fmt: skip
            stopped = callback is not None and callback(step, state.objective) is False
            return not stopped

        converged, done = local_search(
            state, deadline=deadline, max_sweeps=max_sweeps, on_sweep=on_sweep,
            min_improvement=min_improvement,
        )  # fmt: skip
        sweeps += done
        key = (round(moved_of(prep, state.labels), 9), state.objective)
        better = (
            best is None
            or key[0] < best[0][0]
            or (key[0] == best[0][0] and key[1] < best[0][1] * (1.0 - 1e-9))
        )
        if better:
            best = (key, state, converged)
        cut = cut or time.perf_counter() > deadline
        if not better or stopped or cut:
            break
        cost = _cost_to(prep, state.centres)
    assert best is not None
    _, state, converged = best
    status = "converged" if converged else "sweep_limit"
    stats = SolverStats(
        method="heuristic",
        seconds=time.perf_counter() - began,
        iterations=rings + sweeps,
        objective=state.objective,
        converged=converged and not cut,
        status="stopped" if stopped else "time_limit" if cut else status,
        trace=tuple(trace),
        reproducible=not cut,
    )
    result = design_result(prep, state.labels, diagnosis, stats)
    extras: dict[str, Any] = {"rings": rings, "designed_by": "rings"}
    result.extras["realign"] = extras
    return result


def _cost_to(prep: Prepared, centres: FloatArray) -> FloatArray:
    """``(n, k)`` cost ``w_i * d(i, c_t) ** power`` to a search's ``centres`` (``(k, 3)``
    points, or ``(k,)`` medoid units as floats with a distance matrix)."""
    if prep.distances is not None:
        dist = prep.distances[:, centres.astype(np.int64)]
    else:
        assert prep.xyz is not None
        dist = cdist(prep.xyz, centres)
    return np.asarray(prep.compact_w[:, None] * dist**prep.power, dtype=np.float64)
