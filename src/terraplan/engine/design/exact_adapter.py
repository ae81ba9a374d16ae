"""The exact designer behind the common solver interface.

:class:`ExactSolver` turns a :class:`DesignProblem` into the arrays of the exact MILP
solvers (:mod:`terraplan.engine.design.exact` for fixed centres,
:mod:`terraplan.engine.design.exact_pmedian` for free centres) and wraps their outcome
in the same frozen :class:`DesignResult` as the heuristic. Meant for small instances
(about 100 units with free centres, a few hundred with fixed centres).

Compactness cost of unit ``i`` in territory ``t``: ``w_i * d(i, c_t) ** power`` with the
chord distance in km (coords) or the given matrix; centres are units (free: chosen by the
MILP, a p-median; fixed points: as given). Disruption (``disruption_weight > 0``) adds
``disruption_weight * w_disrupt_i * mean_cost / mean_w_disrupt`` when ``t`` differs from the
unit's current territory; budgets become the MILP's moved-weight limit.
With ``priority="lexicographic"`` and a current plan the fixed-centre model is solved in
two stages instead (:mod:`terraplan.engine.design.exact_lexicographic`: least disruption,
then compactness), and ``compactness_objective="diameter"`` minimises the largest
territory diameter (:mod:`terraplan.engine.design.exact_diameter`). ``centre_costs``
replace the distances to fixed centres; keep-together groups are solved on the contracted
problem (:mod:`terraplan.engine.design.groups`).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist

from terraplan.engine.design.diagnosis import Diagnosis, diagnose, explain_infeasible
from terraplan.engine.design.disruption import moved_table
from terraplan.engine.design.exact_costs import allowed_pairs as _allowed
from terraplan.engine.design.exact_costs import fixed_cost
from terraplan.engine.design.exact_costs import weighted_disruption_cost as _disruption_cost
from terraplan.engine.design.groups import solve_grouped
from terraplan.engine.design.params import DEFAULT_TIME_LIMIT, Param, validate_params
from terraplan.engine.design.problem import DesignProblem, Prepared, prepare
from terraplan.engine.design.report import DesignResult, SolverStats
from terraplan.engine.design.results import design_result, report_diagnosis
from terraplan.engine.design.starts import one_unit_each
from terraplan.errors import InfeasibleError, InvalidParameterError, SolverError

FloatArray = npt.NDArray[np.float64]

#: Most units of an exact model whose variables or rows pair every unit with every unit
#: (free centres: the p-median; the diameter objective). HiGHS's own clock is checked between
#: steps, so above this the model's size alone overruns the time limit and fills memory.
MAX_PAIRWISE_UNITS = 600

EXACT_PARAMETERS: tuple[Param, ...] = (
    Param("time_limit", (int, float), low=1e-3, doc="seconds for the whole solve"),
    Param("mip_gap", (int, float), low=0.0, high=1.0),
    Param("callback", (object,), optional=True, check=callable, doc="must be callable"),
)


class ExactSolver:
    """MILP territory design (HiGHS through SciPy): proven optimum or bound and gap.

    Parameters (validated when :meth:`solve` runs): ``time_limit`` seconds, ``mip_gap``
    relative gap, ``callback(step, objective) -> bool | None``.
    """

    name = "exact"
    parameters = EXACT_PARAMETERS

    def __init__(
        self,
        *,
        time_limit: float = DEFAULT_TIME_LIMIT,
        mip_gap: float = 1e-6,
        callback: Any = None,
    ) -> None:
        self.time_limit = time_limit
        self.mip_gap = mip_gap
        self.callback = callback

    def get_params(self) -> dict[str, Any]:
        return {p.name: getattr(self, p.name) for p in self.parameters}

    def solve(self, problem: DesignProblem) -> DesignResult:
        """Solve ``problem`` exactly (within the time limit); never mutates it."""
        validate_params(self.parameters, self.get_params())
        prep = prepare(problem)
        if prep.groups is not None:
            return solve_grouped(prep, self._solve_prepared)
        diagnosis, prep = diagnose(prep)
        report_diagnosis(diagnosis)
        try:
            return self._solve_prepared(prep, diagnosis)
        except InfeasibleError as exc:  # told with the findings, metrics by name
            raise explain_infeasible(exc, diagnosis, prep.metric_names) from None

    def _solve_prepared(self, prep: Prepared, diagnosis: Diagnosis | None = None) -> DesignResult:
        """The core on a validated problem (diagnosed here when ``diagnosis`` is None)."""
        began = time.perf_counter()
        if diagnosis is None:
            diagnosis, prep = diagnose(prep)
        if prep.n <= prep.k:
            labels = one_unit_each(prep)
            stats = SolverStats("exact", time.perf_counter() - began, 0, 0.0, True, "trivial")
            return design_result(prep, labels, diagnosis, stats)
        fixed = (
            ~prep.free_centres
            if (
                prep.centre_units is not None
                or prep.centre_points is not None
                or prep.centre_costs is not None
            )
            else np.zeros(prep.k, dtype=bool)
        )
        pairwise = prep.diameter or not fixed.all()
        if pairwise and prep.n > MAX_PAIRWISE_UNITS:
            raise InvalidParameterError(
                f"the exact model with free centres or the diameter objective grows with the "
                f"square of the units: {prep.n:,} units make {prep.n**2:,} unit pairs, beyond "
                f"the {MAX_PAIRWISE_UNITS:,} units it is meant for (1,500 units took 3 GB and "
                f"twice the time limit without a plan); use the 'heuristic' or 'auto' method",
                details={"parameter": "method", "units": prep.n, "limit": MAX_PAIRWISE_UNITS},
            )
        if prep.diameter:
            outcome = self._diameter(prep, bool(fixed.all()))
            labels = np.asarray(outcome.labels, dtype=np.int64)
        elif fixed.all():
            outcome = self._fixed(prep)
            labels = np.asarray(outcome.labels, dtype=np.int64)
        else:
            labels, outcome = self._free(prep, fixed, [u for u, _ in diagnosis.dedicated])
        stats = SolverStats(
            method="exact",
            seconds=time.perf_counter() - began,
            iterations=int(outcome.iterations),
            objective=float(outcome.objective),
            converged=bool(outcome.proven_optimal),
            status=str(outcome.status),
            lower_bound=float(outcome.bound),
            gap=float(outcome.gap),
            proven_optimal=bool(outcome.proven_optimal),
        )
        return design_result(prep, labels, diagnosis, stats)

    # -- fixed centres: assignment MILP --------------------------------------------------
    def _fixed(self, prep: Prepared, *, pin_centres: bool = True) -> Any:
        """``pin_centres`` False: the centres price compactness only, their units may go to
        any territory (medoids of a start plan, not reps' bases)."""
        from terraplan.engine.design.exact import solve_exact_assignment

        cost = fixed_cost(prep)
        if prep.priority == "lexicographic" and prep.current is not None:
            from terraplan.engine.design.exact_lexicographic import solve_lexicographic

            budget = _budget_args(prep)
            budget.pop("current", None)
            # a table, not a weight per unit: a split keep-together group moves only the
            # members that leave their territory (disruption.py)
            outcome, _ = solve_lexicographic(
                cost, prep.weights, prep.lower, prep.upper, _allowed(prep),
                current=prep.current, disruption_weight=moved_table(prep),
                adjacency=prep.adjacency if prep.contiguous else None,
                centre_units=prep.centre_units if pin_centres else None, **budget,
                time_limit=float(self.time_limit), mip_gap=float(self.mip_gap),
                callback=self.callback,
            )  # fmt: skip
            return outcome
        cost = cost + _disruption_cost(prep, cost)
        return solve_exact_assignment(
            cost, prep.weights, prep.lower, prep.upper, _allowed(prep),
            adjacency=prep.adjacency if prep.contiguous else None,
            centre_units=prep.centre_units, **_budget_args(prep),
            time_limit=float(self.time_limit), mip_gap=float(self.mip_gap),
            callback=self.callback,
        )  # fmt: skip

    # -- largest diameter: bisection on conflict models ------------------------------------
    def _diameter(self, prep: Prepared, fixed: bool) -> Any:
        """Least largest diameter; then, with fixed centres, the ``distance_power`` cost
        (free centres: any plan of least diameter, territories without a centre)."""
        from terraplan.engine.design.exact_diameter import solve_min_diameter
        from terraplan.engine.design.objectives import pair_distances

        cost = fixed_cost(prep) if fixed else np.zeros((prep.n, prep.k))
        outcome, _ = solve_min_diameter(
            pair_distances(prep), cost, prep.weights, prep.lower, prep.upper, _allowed(prep),
            adjacency=prep.adjacency if prep.contiguous else None,
            centre_units=prep.centre_units if fixed else None,
            time_limit=float(self.time_limit), mip_gap=float(self.mip_gap),
        )  # fmt: skip
        return outcome

    # -- free centres: p-median MILP ---------------------------------------------------------
    def _free(
        self, prep: Prepared, fixed: npt.NDArray[np.bool_], dedicated: list[int]
    ) -> tuple[Any, Any]:
        from terraplan.engine.design.exact_pmedian import solve_exact_pmedian

        if prep.centre_points is not None and fixed.any():
            raise InvalidParameterError(
                "the exact solver takes fixed centres as unit indices when some are free",
                details={"parameter": "centres"},
            )
        if prep.current is not None and (
            prep.priority == "lexicographic"
            or prep.disruption_weight > 0
            or prep.max_moved_units is not None
            or prep.max_moved_share is not None
        ):
            return self._alternate(prep)
        k = prep.k
        fixed_terr = [t for t in range(k) if fixed[t]]
        fixed_units = (
            [int(prep.centre_units[t]) for t in fixed_terr] if prep.centre_units is not None else []
        )
        for u in dedicated:
            t = int(prep.locked[u])
            if t not in fixed_terr:
                fixed_terr.append(t)
                fixed_units.append(u)
        free_terr = [t for t in range(k) if t not in fixed_terr]
        order = fixed_terr + free_terr
        allowed = _allowed(prep)[:, order]
        lower, upper = prep.lower[order], prep.upper[order]
        if free_terr:
            columns = allowed[:, len(fixed_terr) :]
            rows_lo, rows_hi = lower[len(fixed_terr) :], upper[len(fixed_terr) :]
            if not (
                np.all(columns == columns[:, :1])
                and np.allclose(rows_lo, rows_lo[:1])
                and np.allclose(rows_hi, rows_hi[:1])
            ):
                return self._alternate(prep)
        if prep.xyz is not None:
            dist = cdist(prep.xyz, prep.xyz) ** prep.power
        else:
            assert prep.distances is not None
            dist = prep.distances**prep.power
        outcome = solve_exact_pmedian(
            dist, prep.weights, k, lower, upper, allowed,
            unit_weight=prep.compact_w,
            adjacency=prep.adjacency if prep.contiguous else None,
            fixed_centres=np.array(fixed_units, dtype=np.int64) if fixed_units else None,
            time_limit=float(self.time_limit), mip_gap=float(self.mip_gap),
            callback=self.callback,
        )  # fmt: skip
        labels = np.asarray(order, dtype=np.int64)[np.asarray(outcome.labels, dtype=np.int64)]
        return labels, outcome

    def _alternate(self, prep: Prepared) -> tuple[Any, Any]:
        """Territories that are not interchangeable (locks, forbidden pairs, per-territory
        targets, disruption): alternate exact assignments and medoid centres, starting from
        the heuristic plan. Optimal for the final centres only (``proven_optimal`` False)."""
        from terraplan.engine.design.heuristic import HeuristicSolver

        deadline = time.perf_counter() + float(self.time_limit)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = HeuristicSolver(random_state=0, time_limit=float(self.time_limit) / 4)
            labels = np.asarray(start._solve_prepared(prep).labels, dtype=np.int64)
        centres = _medoid_units(prep, labels)
        outcome: Any = None
        for _ in range(8):
            remaining = deadline - time.perf_counter()
            if remaining <= 0.05:
                break
            fixed = replace(
                prep,
                centre_units=centres,
                centre_points=None,
                free_centres=np.zeros(prep.k, dtype=bool),
            )
            # Balance first, then the fewest moves: neither depends on where the centres
            # are, so the medoids of the start price compactness but are not pinned (a
            # medoid that the start had moved forced a second move where one sufficed).
            outcome = ExactSolver(time_limit=remaining, mip_gap=float(self.mip_gap))._fixed(
                fixed, pin_centres=prep.priority != "lexicographic"
            )
            labels = np.asarray(outcome.labels, dtype=np.int64)
            new = _medoid_units(prep, labels)
            if np.array_equal(new, centres):
                break
            centres = new
        if outcome is None:
            raise SolverError(
                "the exact solver ran out of time", details={"time_limit": self.time_limit}
            )
        return labels, _not_proven(outcome)


def _medoid_units(prep: Prepared, labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = np.zeros(prep.k, dtype=np.int64)
    for t in range(prep.k):
        members = np.flatnonzero(labels == t)
        if prep.xyz is not None:
            d = cdist(prep.xyz[members], prep.xyz[members]) ** prep.power
        else:
            assert prep.distances is not None
            d = prep.distances[np.ix_(members, members)] ** prep.power
        out[t] = members[int(np.argmin(prep.compact_w[members] @ d))]
    return out


def _not_proven(outcome: Any) -> Any:
    class _Outcome:
        labels = outcome.labels
        objective = outcome.objective
        bound = outcome.bound
        gap = outcome.gap
        proven_optimal = False
        status = f"{outcome.status}_for_centres"
        iterations = outcome.iterations

    return _Outcome


def _budget_args(prep: Prepared) -> dict[str, Any]:
    """The realignment budget as the MILP's ``(n, k)`` moved-weight table and cap (units
    moved count members, not keep-together groups)."""
    if prep.current is None:
        return {}
    if prep.max_moved_units is not None:
        return {
            "current": prep.current,
            "moved_weight": moved_table(prep, units=True),
            "max_moved_weight": float(prep.max_moved_units),
        }
    if prep.max_moved_share is not None:
        return {
            "current": prep.current,
            "moved_weight": moved_table(prep),
            "max_moved_weight": float(prep.max_moved_share * prep.disrupt_w.sum()),
        }
    return {}
