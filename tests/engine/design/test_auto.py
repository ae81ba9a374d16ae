"""The ``auto`` solver: the exact attempt within its share of the time, then the heuristic,
and the better plan of the two."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from terraplan.engine.design import DesignProblem, ExactSolver, get_solver
from terraplan.engine.design.problem import prepare
from terraplan.engine.design.registry import AUTO_EXACT_SHARE, exact_is_quick, plan_rank
from terraplan.engine.design.report import evaluate_design
from terraplan.errors import InvalidParameterError, SolverError


def _lattice_problem() -> DesignProblem:
    """80 equal units on a 10 x 8 grid into 7 territories: small enough for the exact
    p-median by size, but its many equal distances keep the root node busy for seconds."""
    xs, ys = np.meshgrid(np.arange(10.0), np.arange(8.0))
    return DesignProblem(
        weights=np.ones((80, 1)),
        coords=np.c_[xs.ravel(), ys.ravel()],
        coords_kind="planar",
        n_territories=7,
        tolerance=0.05,
    )


def test_a_small_hard_instance_falls_back_to_the_heuristic_with_a_better_plan() -> None:
    problem = _lattice_problem()
    prep = prepare(problem)
    assert exact_is_quick(prep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = get_solver("auto", time_limit=2, random_state=0).solve(problem)
        try:
            alone = ExactSolver(time_limit=2 * AUTO_EXACT_SHARE).solve(problem)
        except SolverError:
            alone = None
    note = result.extras["auto"]
    assert isinstance(note, dict)
    assert note["exact"] in ("unproven", "no plan")
    assert result.stats.method == "heuristic"
    assert not result.stats.reproducible
    assert result.report.balance.all_within
    if alone is not None:  # the exact attempt's incumbent would have been the answer before
        assert not alone.stats.proven_optimal
        assert plan_rank(prep, result) < plan_rank(prep, alone)


def test_a_proven_exact_plan_is_returned_as_such() -> None:
    rng = np.random.default_rng(4)
    points = rng.random((40, 2)) * 30.0
    problem = DesignProblem(
        weights=rng.integers(1, 5, size=(40, 1)).astype(float),
        coords=points,
        coords_kind="planar",
        centres=[0, 10, 20, 30],
        tolerance=0.2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = get_solver("auto", time_limit=30).solve(problem)
    assert result.stats.method == "exact" and result.stats.proven_optimal
    assert result.stats.reproducible
    assert result.extras["auto"] == {
        "exact": "proven",
        "exact_seconds": result.extras["auto"]["exact_seconds"],  # type: ignore[index]
    }


def test_plan_rank_orders_bands_then_moved_units_then_compactness() -> None:
    rng = np.random.default_rng(2)
    points = rng.random((12, 2)) * 10.0
    current = np.repeat(np.arange(3), 4)
    problem = DesignProblem(
        weights=np.ones((12, 1)),
        coords=points,
        coords_kind="planar",
        centres=[0, 4, 8],
        current=current,
        priority="lexicographic",
        tolerance=0.1,
    )
    prep = prepare(problem)
    exact = ExactSolver(time_limit=10).solve(problem)
    best = plan_rank(prep, exact)
    assert best[0] == 0.0

    def rank_of(labels: np.ndarray) -> tuple[float, float, float]:
        report = evaluate_design(problem, labels, centre_units=np.array([0, 4, 8]))
        return plan_rank(prep, type(exact)(labels, report, exact.diagnosis, exact.stats))

    lopsided = current.copy()
    lopsided[[5, 6]] = 0  # territory 0 over its band, 1 under
    assert rank_of(lopsided) > best
    assert rank_of(current) <= best  # the current plan is balanced and moves nothing


def test_the_exact_solver_refuses_a_pairwise_model_far_beyond_its_size() -> None:
    # 1,500 free-centre units used to take 3 GB and twice a 5 s limit, to find no plan
    rng = np.random.default_rng(0)
    problem = DesignProblem(
        weights=np.ones((601, 1)),
        coords=rng.random((601, 2)) * 100.0,
        coords_kind="planar",
        n_territories=5,
    )
    with pytest.raises(InvalidParameterError, match="601 units make 361,201 unit pairs") as info:
        ExactSolver(time_limit=5).solve(problem)
    assert info.value.details == {"parameter": "method", "units": 601, "limit": 600}
    fixed = DesignProblem(
        weights=np.ones((601, 1)),
        coords=rng.random((601, 2)) * 100.0,
        coords_kind="planar",
        centres=[0, 100, 200, 300, 400],
    )
    assert ExactSolver(time_limit=30).solve(fixed).stats.proven_optimal  # n x k: fine
