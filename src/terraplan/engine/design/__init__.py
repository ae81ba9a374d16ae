"""Territory design engine: problem arrays in, frozen labelled plans and reports out.

Entry points: :class:`DesignProblem`, :class:`HeuristicSolver` (and the registry
:func:`get_solver`), :func:`evaluate_design`.
"""

from terraplan.engine.design.diagnosis import Diagnosis, Issue, diagnose_problem
from terraplan.engine.design.exact_adapter import ExactSolver
from terraplan.engine.design.geometry import build_neighbourhood, haversine_km
from terraplan.engine.design.heuristic import HeuristicSolver
from terraplan.engine.design.problem import DesignProblem
from terraplan.engine.design.registry import SOLVERS, get_solver
from terraplan.engine.design.report import (
    BalanceReport,
    CompactnessReport,
    ContiguityReport,
    DesignReport,
    DesignResult,
    DisruptionReport,
    SolverStats,
    TraceRow,
    evaluate_design,
)

__all__ = [
    "SOLVERS",
    "BalanceReport",
    "CompactnessReport",
    "ContiguityReport",
    "DesignProblem",
    "DesignReport",
    "DesignResult",
    "Diagnosis",
    "DisruptionReport",
    "ExactSolver",
    "HeuristicSolver",
    "Issue",
    "SolverStats",
    "TraceRow",
    "build_neighbourhood",
    "diagnose_problem",
    "evaluate_design",
    "get_solver",
    "haversine_km",
]
