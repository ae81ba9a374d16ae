"""Registry of territory design solvers by method name."""

from __future__ import annotations

from typing import Any, Protocol

from terraplan.engine.design.exact_adapter import ExactSolver
from terraplan.engine.design.heuristic import HeuristicSolver
from terraplan.engine.design.problem import DesignProblem
from terraplan.engine.design.report import DesignResult
from terraplan.errors import InvalidParameterError


class DesignSolver(Protocol):
    name: str

    def solve(self, problem: DesignProblem) -> DesignResult: ...

    def get_params(self) -> dict[str, Any]: ...


SOLVERS: dict[str, type[Any]] = {"heuristic": HeuristicSolver, "exact": ExactSolver}


def get_solver(method: str, **params: Any) -> DesignSolver:
    """A solver instance for ``method`` ("heuristic" or "exact") with keyword ``params``."""
    try:
        cls = SOLVERS[method]
    except KeyError:
        raise InvalidParameterError(
            f"unknown design method {method!r}; choose from {sorted(SOLVERS)}",
            details={"parameter": "method"},
        ) from None
    solver: DesignSolver = cls(**params)
    return solver
