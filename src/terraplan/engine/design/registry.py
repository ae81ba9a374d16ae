"""Registry of territory design solvers by method name, and the ``auto`` choice."""

from __future__ import annotations

import time
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
from terraplan.errors import InvalidParameterError, SolverError

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


class AutoSolver:
    """The exact solver when it can prove an optimum quickly (:func:`exact_is_quick`),
    else the heuristic; when the exact solver finds no plan in its time the heuristic
    gets the rest of the time. ``stats.method`` says which one designed the plan."""

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
        if exact_is_quick(prepare(problem)):
            try:
                return ExactSolver(time_limit=limit, callback=self.callback).solve(problem)
            except SolverError:
                limit = max(limit - (time.perf_counter() - began), 1e-3)
        return HeuristicSolver(
            time_limit=limit, random_state=self.random_state, callback=self.callback
        ).solve(problem)


SOLVERS: dict[str, type[Any]] = {
    "heuristic": HeuristicSolver,
    "exact": ExactSolver,
    "auto": AutoSolver,
}


def get_solver(method: str, **params: Any) -> DesignSolver:
    """A solver instance for ``method`` ("heuristic", "exact" or "auto") with keyword
    ``params``."""
    try:
        cls = SOLVERS[method]
    except KeyError:
        raise InvalidParameterError(
            f"unknown design method {method!r}; choose from {sorted(SOLVERS)}",
            details={"parameter": "method"},
        ) from None
    solver: DesignSolver = cls(**params)
    return solver
