"""The heuristic territory designer for large instances.

Seeded construction (spread seeds, balanced location-allocation, contiguity repair; or the
current alignment when realigning), then local search on boundary moves
(:mod:`terraplan.engine.design.search`), multi-start, time limit and progress callback.
A least-disruption realignment repairs the current plan exactly on rings of territories
instead (:mod:`realign` with fixed centres, :mod:`realign_free` with free ones).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from terraplan.engine.design import realign_free
from terraplan.engine.design.balance_milp import WorkBudget, balance_repair
from terraplan.engine.design.diagnosis import Diagnosis, diagnose, explain_infeasible
from terraplan.engine.design.diameter_search import reduce_max_diameter
from terraplan.engine.design.exact_costs import fixed_cost, weighted_disruption_cost
from terraplan.engine.design.groups import solve_grouped
from terraplan.engine.design.lloyd import applies as lloyd_applies
from terraplan.engine.design.multistart import StartRun, run_stages
from terraplan.engine.design.ordered_resplit import applies as resplit_applies
from terraplan.engine.design.ordered_resplit import resplit_and_search
from terraplan.engine.design.params import (
    DEFAULT_TIME_LIMIT,
    Param,
    is_random_state,
    make_rng,
    validate_params,
)
from terraplan.engine.design.pmedian_repair import WORK_PER_UNIT as PMEDIAN_WORK_PER_UNIT
from terraplan.engine.design.pmedian_repair import applies as pmedian_applies
from terraplan.engine.design.pmedian_repair import balance_by_pmedian, inertia_of, pmedian_repair
from terraplan.engine.design.problem import DesignProblem, Prepared, prepare
from terraplan.engine.design.realign import (
    REALIGN_CONTIGUOUS_CELLS,
    REALIGN_RINGS_SHARE,
    match_to_centres,
    realign_applies,
    realign_result,
)
from terraplan.engine.design.repair import (
    centroid_costs,
    centroid_repair,
    exact_pair_repair,
    fixed_centre_costs,
)
from terraplan.engine.design.report import (
    DesignResult,
    SolverStats,
    TraceRow,
    territory_centres,
)
from terraplan.engine.design.results import design_result, report_diagnosis
from terraplan.engine.design.search import SearchState
from terraplan.engine.design.starts import (
    RELAX_CYCLE,
    RELAX_MAX_UNITS,
    band_schedule,
    construct_start,
    one_unit_each,
)
from terraplan.engine.design.sweeps import local_search
from terraplan.errors import ConvergenceWarning, InfeasibleError, SolverError

logger = logging.getLogger(__name__)

Callback = Callable[[int, float], bool | None]

#: Default counted work of the balance phases per unit (binary variables over all their MILP
#: solves, all starts together): off. Measured on the demo (3,109 counties, 39 territories,
#: potential +-10 %, workload +-15 %, seed 2026): off 5.8 s, worst deviations 16.8 % / 17.1 %,
#: 5 territories outside; at 2 per unit 18.4 s (near the demo's 20 s limit), 12.0 % / 17.1 %,
#: 9 outside. Opt in with ``HeuristicSolver(balance_work=...)``.
BALANCE_WORK_PER_UNIT = 0.0

#: Default counted work per unit (binary variables over all MILP solves) of the exact group
#: re-splits with hop-ordered contiguity (:mod:`ordered_resplit`) that run when the search
#: leaves territories outside a band. On the demo's counties (3,109 units, 40 territories,
#: potential +-10 %, workload +-15 %, design seeds 0-9) the plans meet both bands on 10 of
#: 10 seeds (before: 0), with the paths and the region move of :mod:`region_move`, in
#: 2.6-13.2 s of CPU for the whole solve (seeds 2 and 9 the slowest, 12.9 and 13.2 s).
RESPLIT_WORK_PER_UNIT = 8.0

#: Starts by default (``n_starts=None``) where the capacitated Lloyd start applies (free
#: centres, one balance metric, up to 60 territories): its k-means++ seeds lead to very
#: different plans. On the counties into 30 territories at +-5 % (design seeds 0-29) two
#: starts ended between 0.92x and 1.81x the inertia of a 60-second ReCom chain (four seeds
#: above 1.0x: a heavy county such as Los Angeles stuck in an overfull territory, and the
#: balance stage reshaping half the map to fix it); four starts between 0.92x and 0.95x, in
#: 1.4-2.9 s instead of 0.7-2.1 s. Elsewhere :data:`DEFAULT_STARTS`.
LLOYD_STARTS = 4
#: Starts by default on every other instance.
DEFAULT_STARTS = 2

HEURISTIC_PARAMETERS: tuple[Param, ...] = (
    Param("time_limit", (int, float), low=0.0, doc="seconds for the whole solve"),
    Param(
        "n_starts",
        (int,),
        low=1,
        high=1000,
        optional=True,
        doc="independent constructions tried (None: by instance)",
    ),
    Param("max_sweeps", (int,), low=1, high=100_000, doc="local-search sweeps per search stage"),
    Param("allocation_iterations", (int,), low=1, high=10_000),
    Param(
        "relax_factor",
        (int, float),
        low=1.0,
        high=100.0,
        optional=True,
        doc="first-stage band scale (None: by instance size)",
    ),
    Param(
        "min_improvement",
        (int, float),
        low=0.0,
        high=1.0,
        doc="stop a compactness stage when a sweep gains less than this share",
    ),
    Param(
        "random_state",
        (int, np.random.Generator),
        optional=True,
        check=is_random_state,
        doc="must be a non-negative int, a numpy Generator or None",
    ),
    Param("callback", (object,), optional=True, check=callable, doc="must be callable"),
    Param(
        "balance_work",
        (int, float),
        low=0.0,
        high=1_000.0,
        doc="counted work per unit of the multi-metric balance phase (0: off)",
    ),
    Param(
        "resplit_work",
        (int, float),
        low=0.0,
        high=1_000.0,
        doc="counted work per unit of the exact group re-splits for balance (0: off)",
    ),
)


class HeuristicSolver:
    """Construction + boundary-move local search; deterministic per ``random_state``.

    Parameters (validated when :meth:`solve` runs): ``time_limit`` seconds (the best plan
    so far is returned when it runs out), ``n_starts`` constructions (None: four where the
    capacitated Lloyd start applies, two elsewhere; every start runs its
    loose-band stages first; one that ended its last loose stage with a higher penalty than
    another start at the same bands skips its final stage, :mod:`multistart`),
    ``max_sweeps`` per search stage, ``allocation_iterations`` of the balanced allocation,
    ``min_improvement`` (a compactness stage ends when a sweep gains less than this share
    of the objective),
    ``relax_factor`` (a first search stage runs with bands this many times wider, so the
    plan can reorganise before the real bands are enforced; 1 disables; None picks 4 up to
    :data:`RELAX_MAX_UNITS` units and 1 above, where each extra stage costs minutes),
    ``random_state``, ``callback(step, objective) -> bool | None`` called after each
    sweep (False stops), and ``balance_work``: the counted work per unit (binary variables
    over all MILP solves) of the multi-metric balance phase that re-splits groups of
    neighbouring territories still outside a band (:mod:`balance_milp`); 0, the default,
    leaves it off (on the demo's counties it tripled the run time for a lower worst
    potential deviation but more territories just outside a band); ``resplit_work``: the
    counted work per unit of the exact group re-splits with hop-ordered contiguity
    (:mod:`ordered_resplit`) run on the best plan when territories are still outside a
    band (0 turns them off).

    Determinism: how much search runs is set by the budgets (``n_starts``,
    ``max_sweeps``, ``min_improvement``), never by the clock, so the same problem and
    ``random_state`` give the same plan on any machine, fast or slow, loaded or quiet,
    as long as the run ends before ``time_limit``. The time limit is a safety stop: when
    it cuts the run, ``stats.status`` starts with ``"time_limit"`` and
    ``stats.reproducible`` is False (the plan then depends on the machine's speed).

    Objective in the weighted mode: ``compactness / compactness_of_start +
    disruption_weight * disruption / total_disruption_metric``.
    """

    name = "heuristic"
    parameters = HEURISTIC_PARAMETERS

    def __init__(
        self,
        *,
        time_limit: float = DEFAULT_TIME_LIMIT,
        n_starts: int | None = None,
        max_sweeps: int = 200,
        allocation_iterations: int = 60,
        min_improvement: float = 1e-5,
        relax_factor: float | None = None,
        random_state: int | np.random.Generator | None = None,
        callback: Callback | None = None,
        balance_work: float = BALANCE_WORK_PER_UNIT,
        resplit_work: float = RESPLIT_WORK_PER_UNIT,
    ) -> None:
        self.time_limit = time_limit
        self.balance_work = balance_work
        self.resplit_work = resplit_work
        self.n_starts = n_starts
        self.max_sweeps = max_sweeps
        self.allocation_iterations = allocation_iterations
        self.min_improvement = min_improvement
        self.relax_factor = relax_factor
        self.random_state = random_state
        self.callback = callback

    def get_params(self) -> dict[str, Any]:
        return {p.name: getattr(self, p.name) for p in self.parameters}

    def _starts(self, prep: Prepared) -> int:
        """``n_starts``, or by instance when None (:data:`LLOYD_STARTS`, :data:`DEFAULT_STARTS`)."""
        if self.n_starts is not None:
            return int(self.n_starts)
        return LLOYD_STARTS if lloyd_applies(prep) else DEFAULT_STARTS

    def _relax_factor(self, n_units: int) -> float:
        if self.relax_factor is not None:
            return float(self.relax_factor)
        return 4.0 if n_units <= RELAX_MAX_UNITS else 1.0

    def solve(self, problem: DesignProblem) -> DesignResult:
        """Design territories for ``problem``; never mutates it or the solver."""
        validate_params(self.parameters, self.get_params())
        prep = prepare(problem)
        if prep.groups is not None:  # keep-together groups: solve the contraction (groups.py)
            return solve_grouped(prep, self._solve_prepared)
        diagnosis, prep = diagnose(prep)
        report_diagnosis(diagnosis)
        try:
            return self._solve_prepared(prep, diagnosis)
        except InfeasibleError as exc:  # told with the findings, metrics by name
            raise explain_infeasible(exc, diagnosis, prep.metric_names) from None

    def _balance_phase(
        self,
        prep: Prepared,
        state: SearchState,
        deadline: float,
        on_sweep: Callable[[int, str], bool],
        holder: list[SearchState],
        budget: WorkBudget,
    ) -> SearchState:
        """Exact multi-metric re-splits of territory groups around the out-of-band
        territories (:mod:`~terraplan.engine.design.balance_milp`), then a compactness
        search that keeps the bands; returns the better of the two states. ``budget``
        counts the MILP work (it scales with the instance)."""
        outcome = balance_repair(prep, state.labels, budget=budget, deadline=deadline)
        if outcome.groups == 0:
            return state
        logger.debug(
            "balance phase: %d groups re-split in %d solves (work %.0f of %.0f)",
            outcome.groups, outcome.solves, budget.used, budget.total,
        )  # fmt: skip
        repaired = SearchState(prep, outcome.labels, territory_centres(prep, outcome.labels)
                               if prep.xyz is not None else state.centres)  # fmt: skip
        holder.append(repaired)
        local_search(
            repaired,
            deadline=deadline,
            max_sweeps=self.max_sweeps,
            on_sweep=on_sweep,
            min_improvement=float(self.min_improvement),
        )
        if round(repaired.penalty, 12) < round(state.penalty, 12):
            return repaired
        return state

    def _resplit_phase(
        self,
        prep: Prepared,
        best: tuple[float, float, np.ndarray[Any, Any], bool, int],
        deadline: float,
        budget: WorkBudget,
        trace: list[TraceRow],
        began: float,
    ) -> tuple[float, float, np.ndarray[Any, Any], bool, int]:
        """:func:`resplit_and_search` on the best plan; the new best when it is better."""

        def on_sweep(_sweep: int, phase: str, state: SearchState) -> bool:
            row = TraceRow(len(trace) + 1, f"{phase}#resplit", state.objective, state.penalty,
                           time.perf_counter() - began)  # fmt: skip
            trace.append(row)
            return self.callback is None or self.callback(row.step, state.objective) is not False

        found = resplit_and_search(
            prep, best[2], budget=budget, deadline=deadline, max_sweeps=self.max_sweeps,
            min_improvement=float(self.min_improvement), on_sweep=on_sweep,
        )  # fmt: skip
        if found is None:
            return best
        state, converged = found
        key = (round(state.penalty, 12), state.objective)
        if key < best[:2]:
            return (key[0], key[1], state.labels.copy(), converged, best[4] + state.moves)
        return best

    #: Counted work of the exact group repair per unit (units x territories over all the
    #: groups it re-splits): the repair grows with the instance, never with the clock.
    #: Fixed centres: costs never change, the repair converges in a few passes.
    _REPAIR_WORK_PER_UNIT = 200
    #: Free centres: every round re-splits towards new centroids, so the repair is kept short
    #: (about 1 ms of CPU per unit: 1 % lower inertia on the counties cost 6x the search).
    _CENTROID_REPAIR_WORK_PER_UNIT = 4

    def _search_for_fixed_costs(
        self,
        prep: Prepared,
        diagnosis: Diagnosis,
        began: float,
        deadline: float,
        reason: SolverError,
    ) -> DesignResult:
        """Design a fixed-centre problem (a cost matrix, or a least-disruption realignment)
        whose exact rings found no plan: the boundary search designs it (the local search
        knows distances, not a cost matrix: each centre of a cost matrix is put at the unit
        where its costs are least, a rep's base, or, when two share one, the centres move
        and the territories are matched to the centres at least cost afterwards). No exact
        re-split follows: with contiguity, on 500 units into 6 territories, 23 s of them
        gained nothing and 150 s gained 2.3 % of the cost."""
        free = prep.centre_units is None and prep.centre_points is None
        search_prep = replace(prep, centre_costs=None)
        if free and prep.centre_costs is not None:
            proxy = np.argmin(prep.centre_costs, axis=0).astype(np.int64)
            if np.unique(proxy).shape[0] == prep.k:
                search_prep = replace(search_prep, centre_units=proxy)
                free = False
            else:
                search_prep = replace(search_prep, free_centres=np.ones(prep.k, dtype=bool))
        with warnings.catch_warnings():  # the plan returned is told below, on ``prep``
            warnings.simplefilter("ignore", ConvergenceWarning)
            searched = self._solve_prepared(search_prep, diagnosis, realign=False, polish=False)
        labels = np.asarray(searched.labels, dtype=np.int64).copy()
        cost = fixed_cost(prep)
        if free and prep.current is None:
            labels = match_to_centres(prep, labels, cost)
        if prep.current is not None and prep.priority != "lexicographic":
            cost = cost + weighted_disruption_cost(prep, cost)
        stats = replace(
            searched.stats,
            seconds=time.perf_counter() - began,
            objective=float(cost[np.arange(prep.n), labels].sum()),
            status=searched.stats.status.split(":")[0],
        )
        result = design_result(prep, labels, diagnosis, stats)
        result.extras["realign"] = {"rings": str(reason), "designed_by": "search"}
        return result

    def _solve_prepared(
        self,
        prep: Prepared,
        diagnosis: Diagnosis | None = None,
        *,
        realign: bool = True,
        polish: bool = True,
    ) -> DesignResult:
        """The core on an already validated (and diagnosed) problem (``realign=False``: never
        the exact rings of :mod:`realign`; ``polish=False``: no exact re-splits for
        compactness after the search)."""
        began = time.perf_counter()
        if diagnosis is None:
            diagnosis, prep = diagnose(prep)
        deadline = began + float(self.time_limit)
        rng = make_rng(self.random_state)
        if prep.n <= prep.k:
            labels = one_unit_each(prep)
            stats = SolverStats("heuristic", time.perf_counter() - began, 0, 0.0, True, "trivial")
            return design_result(prep, labels, diagnosis, stats)
        if realign and realign_applies(prep):  # fixed centres: exact repair (realign.py)
            if not (prep.contiguous and prep.n * prep.k > REALIGN_CONTIGUOUS_CELLS):
                return realign_result(prep, diagnosis, began, deadline)
            # a large model with contiguity: the rings get a share of the time and never
            # the whole model; without a plan from them the search designs it
            rings_end = began + REALIGN_RINGS_SHARE * (deadline - began)
            try:
                return realign_result(prep, diagnosis, began, rings_end, whole_model=False)
            except SolverError as exc:
                logger.info("realignment rings found no plan (%s): the search designs it", exc)
                return self._search_for_fixed_costs(prep, diagnosis, began, deadline, exc)
        if realign and realign_free.applies(prep, diagnosis):  # fewest moves (realign_free.py)
            found = realign_free.realign_free_result(
                prep, diagnosis, began, deadline, rng, max_sweeps=self.max_sweeps,
                min_improvement=float(self.min_improvement), callback=self.callback,
            )  # fmt: skip
            if found is not None:
                return found
        trace: list[TraceRow] = []
        step = 0
        stopped = False
        best: tuple[float, float, np.ndarray[Any, Any], bool, int] | None = None
        starts = 1 if prep.current is not None else self._starts(prep)
        done = 0
        # one counted budget for the balance phases of all starts (it scales with the units)
        balance = WorkBudget(float(self.balance_work) * prep.n)
        runs: list[StartRun] = []

        def halted() -> bool:
            return stopped

        search: dict[str, Any] = {
            "deadline": deadline, "max_sweeps": self.max_sweeps,
            "min_improvement": float(self.min_improvement), "halted": halted,
        }  # fmt: skip

        def on_sweep(_sweep: int, phase: str, run: StartRun) -> bool:
            nonlocal step, stopped
            state = run.holder[-1]
            step += 1
            trace.append(TraceRow(step, f"{phase}#{run.start}", state.objective, state.penalty,
                                  time.perf_counter() - began))  # fmt: skip
            logger.debug("start %d step %d %s objective %.6g penalty %.3g",
                         run.start, step, phase, state.objective, state.penalty)  # fmt: skip
            if self.callback is not None and self.callback(step, state.objective) is False:
                stopped = True
                return False
            return True

        # Every start runs its loose-band stages first, then its final stage at the real
        # bands, the starts that no other beat at their last loose bands first. A beaten start
        # (higher penalty there than another's) skips its final stage while the best plan
        # so far misses the bands: balance then decides, and the final stage costs the most
        # (on the demo's counties 1-2 s a start). On the demo's design seeds 0-29 a start was
        # beaten on 13 seeds and would have ended best on one (seed 29, within the bands
        # either way). Once a plan meets the bands compactness decides, and all go on (on
        # the single-metric counties a start beaten at the loose bands was the most compact).
        for start in range(starts):
            labels, centres = construct_start(prep, rng, self.allocation_iterations, start)
            relax = self._relax_factor(prep.n) * RELAX_CYCLE[start % len(RELAX_CYCLE)]
            run = StartRun(start, band_schedule(relax, prep.current is not None), labels, centres)
            runs.append(run)
            run_stages(prep, run, run.schedule[:-1], on_sweep=partial(on_sweep, run=run), **search)
            if stopped or time.perf_counter() > deadline:
                break
        beaten = {run.start for run in runs if not stopped and run.dominated(runs)}
        for run in sorted(runs, key=lambda r: r.start in beaten):
            if run.start in beaten and best is not None and best[0] > 0 and not stopped:
                logger.debug("start %d: final stage skipped (loose %s)", run.start, run.loose)
                continue
            sweep_fn = partial(on_sweep, run=run)
            if not stopped:
                run_stages(prep, run, run.schedule[-1:], on_sweep=sweep_fn, **search)
            if not run.holder:  # stopped before this start searched at all
                continue
            state = run.holder[-1]
            if state.penalty > 0 and not stopped and time.perf_counter() < deadline:
                state = self._balance_phase(prep, state, deadline, sweep_fn, run.holder, balance)
            done += 1
            key = (round(state.penalty, 12), state.objective)
            if best is None or key < best[:2]:
                best = (key[0], key[1], state.labels.copy(), run.converged, state.moves)
            if not stopped and time.perf_counter() > deadline:
                break
        assert best is not None
        resplit = WorkBudget(float(self.resplit_work) * prep.n)
        resplit_ran = best[0] > 0 and not stopped and resplit_applies(prep) and resplit.total > 0
        if resplit_ran:
            best = self._resplit_phase(prep, best, deadline, resplit, trace, began)
        # the diameter objective reshapes territories in its own descent below: the repairs
        # that lower the distance sum first cost up to 5 s on 30 units and no diameter
        costs = (
            fixed_centre_costs(prep)
            if polish and not stopped and best[0] == 0 and not prep.diameter
            else None
        )
        repair_cut = False
        per_unit = (
            self._REPAIR_WORK_PER_UNIT if costs is not None else self._CENTROID_REPAIR_WORK_PER_UNIT
        )
        budget = WorkBudget(per_unit * prep.n)
        pmedian = WorkBudget(PMEDIAN_WORK_PER_UNIT * prep.n)
        if best[0] > 0 and not stopped and not prep.diameter and pmedian_applies(prep):
            inside, repair_cut = balance_by_pmedian(prep, best[2], deadline, pmedian)
            if inside is not None:  # within the bands now: compactness decides below
                whole = np.arange(prep.n)
                best = (0.0, inertia_of(prep, inside, whole), inside, best[3], best[4])
        if costs is not None:
            # Re-split adjacent pairs exactly: moves and swaps stop short of what a joint split finds.
            repaired, repair_cut = exact_pair_repair(prep, best[2], costs, deadline, budget=budget)
            objective = float(costs[np.arange(prep.n), repaired].sum())
            if objective < best[1]:
                best = (best[0], objective, repaired, best[3], best[4])
        elif (
            polish
            and not stopped
            and not prep.diameter
            and (not resplit_ran or pmedian_applies(prep))
            and (pmedian_applies(prep) or not lloyd_applies(prep))
            and best[0] == 0
            and centroid_costs(prep, best[2]) is not None
        ):
            # Not after the re-split phase (but on tiny instances): its territories sit at
            # band edges, where each exact pair re-split needs many contiguity cuts (on the
            # demo's counties the polish took 50 s of CPU for about 1 % lower inertia).
            # Not after a capacitated Lloyd start either (but on tiny instances): it gained
            # 0.2-1 % there while its MILP solves took from 0.4 s to 11 s (5,000 ZIPs).
            start_labels = best[2]
            if pmedian_applies(prep):
                # tiny instances: the band blocks the moves that would reshape territories,
                # and re-splits towards this plan's own centroids keep its shape; choose
                # new centres by exact p-median re-splits of adjacent groups first
                start_labels, repair_cut = pmedian_repair(prep, start_labels, deadline, pmedian)
            repaired, objective, repair_cut2 = centroid_repair(
                prep, start_labels, deadline, budget=budget
            )
            repair_cut = repair_cut or repair_cut2
            if objective < best[1]:
                best = (best[0], objective, repaired, best[3], best[4])
        if prep.diameter and not stopped:  # largest-diameter objective (diameter_search.py)
            narrow, cut = reduce_max_diameter(prep, best[2], deadline)
            best, repair_cut = (best[0], best[1], narrow, best[3], best[4]), repair_cut or cut
        # Every clock check compares against the deadline: a run that ends before it was
        # never cut by the clock, so its plan is the same on any machine.
        timed_out = repair_cut or time.perf_counter() > deadline
        if stopped:
            status = "stopped"
        elif timed_out:
            status = "time_limit"
        else:
            status = "converged" if best[3] else "sweep_limit"
        stats = SolverStats(
            method="heuristic",
            seconds=time.perf_counter() - began,
            iterations=step,
            objective=best[1],
            converged=best[3],
            status=status,
            starts=done,
            trace=tuple(trace),
            reproducible=not timed_out
            and not budget.capped
            and not balance.capped
            and not resplit.capped
            and not pmedian.capped,
        )
        result = design_result(prep, best[2], diagnosis, stats)
        result.extras["work"] = {
            "balance": balance.used,
            "balance_budget": balance.total,
            "repair": budget.used,
            "repair_budget": budget.total,
            "resplit": resplit.used,
            "resplit_budget": resplit.total,
            "pmedian": pmedian.used,
            "pmedian_budget": pmedian.total,
        }
        return result
