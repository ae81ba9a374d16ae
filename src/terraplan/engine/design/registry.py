"""Registry of territory design solvers by method name, and the ``auto`` choice."""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from terraplan.engine.design.exact_adapter import ExactSolver
from terraplan.engine.design.heuristic import HeuristicSolver
from terraplan.engine.design.params import (
    DEFAULT_TIME_LIMIT,
    Param,
    is_random_state,
    validate_params,
)
from terraplan.engine.design.problem import DesignProblem, Prepared, prepare
from terraplan.engine.design.report import DesignResult
from terraplan.errors import ConvergenceWarning, InfeasibleError, InvalidParameterError, SolverError

#: Fixed centres: the exact model has ``n * k`` binaries; HiGHS proves optima of this many
#: (with balance windows, without contiguity) in about a second on one core.
AUTO_FIXED_CELLS = 12_000
#: ... with contiguity cuts the re-solves multiply: a smaller model.
AUTO_FIXED_CONTIGUOUS_CELLS = 1_000
#: Free centres: the p-median model has ``n**2`` binaries; at most this many units ...
AUTO_FREE_MAX_UNITS = 80
#: ... and ``n * k`` at most this.
AUTO_FREE_CELLS = 600


class DesignSolver(Protocol):
    name: str

    def solve(self, problem: DesignProblem) -> DesignResult: ...

    def get_params(self) -> dict[str, Any]: ...


def exact_is_quick(prep: Prepared) -> bool:
    """True when the exact solver should prove an optimum of ``prep`` quickly (model size).

    Every centre fixed: ``n * k`` up to :data:`AUTO_FIXED_CELLS` (or
    :data:`AUTO_FIXED_CONTIGUOUS_CELLS` with contiguity); free centres: up to
    :data:`AUTO_FREE_MAX_UNITS` units and :data:`AUTO_FREE_CELLS` unit-territory pairs
    (the same for the diameter objective, whatever the centres).
    """
    cells = prep.n * prep.k
    if prep.diameter:  # one conflict row per far pair and territory: small instances only
        return prep.n <= AUTO_FREE_MAX_UNITS and cells <= AUTO_FREE_CELLS
    fixed = prep.centre_costs is not None or (
        (prep.centre_units is not None or prep.centre_points is not None)
        and not bool(np.any(prep.free_centres))
    )
    if fixed:
        return cells <= (AUTO_FIXED_CONTIGUOUS_CELLS if prep.contiguous else AUTO_FIXED_CELLS)
    return prep.n <= AUTO_FREE_MAX_UNITS and cells <= AUTO_FREE_CELLS


AUTO_PARAMETERS: tuple[Param, ...] = (
    Param("time_limit", (int, float), low=1e-3, doc="seconds for the whole solve"),
    Param(
        "random_state",
        (int, np.random.Generator),
        optional=True,
        check=is_random_state,
        doc="must be a non-negative int, a numpy Generator or None",
    ),
    Param("callback", (object,), optional=True, check=callable, doc="must be callable"),
)


#: Share of the time limit the ``auto`` solver gives its exact attempt, and its cap in
#: seconds: an instance that is small but hard (a p-median root node over many equal
#: distances) must not eat the whole limit and leave an unproven incumbent where the
#: heuristic would have designed a good plan in a second.
AUTO_EXACT_SHARE = 0.5
AUTO_EXACT_CAP = 30.0


class AutoSolver:
    """The exact solver when it can prove an optimum quickly (:func:`exact_is_quick`),
    else the heuristic.

    The exact attempt gets :data:`AUTO_EXACT_SHARE` of the time limit (at most
    :data:`AUTO_EXACT_CAP` seconds). When it proves no optimum in that time, the heuristic
    designs with the rest, and the better of the two plans is returned (:func:`plan_rank`).
    ``stats.method`` says which solver designed the plan (``stats.reproducible`` is false
    after a stopped exact attempt); ``extras["auto"]`` says what the exact attempt did (``"proven"``, ``"unproven"``, ``"no plan"`` or ``"skipped"``) and
    how long it took.
    """

    name = "auto"
    parameters = AUTO_PARAMETERS

    def __init__(
        self,
        *,
        time_limit: float = DEFAULT_TIME_LIMIT,
        random_state: int | np.random.Generator | None = None,
        callback: Any = None,
    ) -> None:
        self.time_limit = time_limit
        self.random_state = random_state
        self.callback = callback

    def get_params(self) -> dict[str, Any]:
        return {p.name: getattr(self, p.name) for p in self.parameters}

    def solve(self, problem: DesignProblem) -> DesignResult:
        """Design ``problem`` with the solver :func:`exact_is_quick` picks."""
        validate_params(self.parameters, self.get_params())
        began = time.perf_counter()
        limit = float(self.time_limit)
        prep = prepare(problem)
        exact: DesignResult | None = None
        attempt = "skipped"
        # each solver warns about the same data (the diagnosis): the caller hears it once,
        # and only the convergence warning of the plan returned
        exact_said: list[warnings.WarningMessage] = []
        if exact_is_quick(prep):
            budget = min(limit * AUTO_EXACT_SHARE, AUTO_EXACT_CAP)
            try:
                with warnings.catch_warnings(record=True) as exact_said:
                    warnings.simplefilter("always")
                    exact = ExactSolver(time_limit=budget, callback=self.callback).solve(problem)
            except SolverError:
                attempt = "no plan"
            except InfeasibleError:
                _say(exact_said)
                raise
            else:
                attempt = "proven" if exact.stats.proven_optimal else "unproven"
        exact_seconds = time.perf_counter() - began
        note = {"exact": attempt, "exact_seconds": round(exact_seconds, 3)}
        if exact is not None and attempt == "proven":
            _say(exact_said)
            return _noted(exact, note)
        rest = max(limit - exact_seconds, 1e-3)
        with warnings.catch_warnings(record=True) as heuristic_said:
            warnings.simplefilter("always")
            heuristic = HeuristicSolver(
                time_limit=rest, random_state=self.random_state, callback=self.callback
            ).solve(problem)
        chosen = heuristic
        if exact is not None and plan_rank(prep, exact) < plan_rank(prep, heuristic):
            chosen = exact
        _say(exact_said + heuristic_said, keep=exact_said if chosen is exact else heuristic_said)
        if attempt != "skipped":  # the clock stopped the exact attempt: a faster machine differs
            chosen = replace(chosen, stats=replace(chosen.stats, reproducible=False))
        return _noted(chosen, note)


def _say(
    said: list[warnings.WarningMessage], keep: list[warnings.WarningMessage] | None = None
) -> None:
    """Warn ``said`` again for the caller, each message once; a :class:`ConvergenceWarning`
    only when it is in ``keep`` (it is about the plan returned)."""
    seen: set[tuple[type[Warning], str]] = set()
    for found in said:
        key = (found.category, str(found.message))
        if key in seen:
            continue
        if (
            keep is not None
            and issubclass(found.category, ConvergenceWarning)
            and not any(found is other for other in keep)
        ):
            continue
        seen.add(key)
        warnings.warn(found.message, found.category, stacklevel=3)


def plan_rank(prep: Prepared, result: DesignResult) -> tuple[float, float, float]:
    """Sort key of a plan of ``prep`` (lower is better): territory-metric cells out of
    their band, then (least-disruption mode) units moved, then the compactness objective.
    A weighted realignment prices disruption into its objective, which the report does not
    add up: its plans are ranked on the bands only."""
    report = result.report
    missed = float(np.count_nonzero(~np.asarray(report.balance.within)))
    if prep.priority != "lexicographic" and prep.current is not None and prep.disruption_weight:
        return (missed, 0.0, 0.0)
    moved = 0.0
    if prep.priority == "lexicographic" and report.disruption is not None:
        moved = float(report.disruption.units_moved)
    return (missed, moved, float(report.compactness.objective))


def _noted(result: DesignResult, note: dict[str, object]) -> DesignResult:
    return replace(result, extras={**result.extras, "auto": note})


SOLVERS: dict[str, type[Any]] = {
    "heuristic": HeuristicSolver,
    "exact": ExactSolver,
    "auto": AutoSolver,
}


def get_solver(method: str, **params: Any) -> DesignSolver:
    """A solver instance for ``method`` ("heuristic", "exact" or "auto") with keyword
    ``params``.

    ``seed`` is accepted as another name of ``random_state`` (the name ``terraplan.frames``
    and ``design_territories`` use); the exact solver is deterministic and ignores it. An
    unknown parameter raises :class:`InvalidParameterError` listing the solver's parameters.
    """
    try:
        cls = SOLVERS[method]
    except KeyError:
        raise InvalidParameterError(
            f"unknown design method {method!r}; choose from {sorted(SOLVERS)}",
            details={"parameter": "method"},
        ) from None
    accepted = [p.name for p in cls.parameters]
    params = dict(params)
    if "seed" in params:
        seed = params.pop("seed")
        if "random_state" in params:
            raise InvalidParameterError(
                "give seed or random_state, not both (seed is another name of random_state)",
                details={"parameter": "seed"},
            )
        if not is_random_state(seed):
            raise InvalidParameterError(
                f"parameter 'seed' must be a non-negative int, a numpy Generator or None "
                f"(got {seed!r})",
                details={"parameter": "seed"},
            )
        if "random_state" in accepted:
            params["random_state"] = seed
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise InvalidParameterError(
            f"the {method!r} solver has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters: {', '.join(accepted)} (and seed, another name of random_state)",
            details={"parameter": unknown[0], "accepted": accepted},
        )
    solver: DesignSolver = cls(**params)
    return solver
