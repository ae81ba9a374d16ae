"""Behaviour of the heuristic designer beyond the shared contract."""

from __future__ import annotations

import time

import numpy as np
import pytest

from terraplan.engine.design import DesignProblem, HeuristicSolver, evaluate_design
from terraplan.engine.design.geometry import lattice
from terraplan.errors import ConvergenceWarning


def _points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(30, 45, n), rng.uniform(-120, -75, n)])


@pytest.mark.parametrize("seed", [0, 1])
def test_points_without_graph_two_metrics_balanced(seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = np.column_stack([rng.lognormal(0, 0.5, 2000), rng.uniform(1, 3, 2000)])
    problem = DesignProblem(
        weights=weights, n_territories=12, tolerance=[0.03, 0.05], coords=_points(2000, seed),
        compactness_metric=0,
    )  # fmt: skip
    result = HeuristicSolver(random_state=seed, time_limit=30).solve(problem)
    assert result.report.balance.all_within
    assert result.report.contiguity.components is None
    assert result.stats.converged
    # never worse than the start of the search
    assert result.stats.objective <= result.stats.trace[0].objective * (1 + 1e-9)


def test_per_territory_targets_for_reps_of_different_capacity() -> None:
    coords, adj = lattice(10, 10)
    targets = np.array([[20.0], [30.0], [50.0]])
    problem = DesignProblem(
        weights=np.ones((100, 1)), targets=targets, tolerance=0.05, coords=coords, adjacency=adj
    )
    result = HeuristicSolver(random_state=0).solve(problem)
    counts = np.bincount(result.labels, minlength=3)
    assert np.all(np.abs(counts - targets[:, 0]) <= 0.05 * targets[:, 0])
    assert result.report.contiguity.all_contiguous


def test_callback_false_stops_cleanly() -> None:
    coords, adj = lattice(12, 12)
    seen: list[tuple[int, float]] = []

    def stop_at_once(step: int, objective: float) -> bool:
        seen.append((step, objective))
        return False

    problem = DesignProblem(
        weights=np.ones((144, 1)), n_territories=6, coords=coords, adjacency=adj
    )
    result = HeuristicSolver(random_state=0, n_starts=3, callback=stop_at_once).solve(problem)
    assert len(seen) == 1
    assert result.stats.status == "stopped"
    assert result.labels.shape == (144,)


def test_time_limit_zero_still_returns_a_full_plan() -> None:
    coords, adj = lattice(10, 10)
    rng = np.random.default_rng(5)
    problem = DesignProblem(
        weights=rng.uniform(1, 10, (100, 1)), n_territories=5, tolerance=0.001, coords=coords,
        adjacency=adj,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning):
        result = HeuristicSolver(random_state=0, time_limit=0).solve(problem)
    assert result.labels.min() >= 0 and result.labels.max() < 5
    assert not result.stats.converged


def _fixed_centre_problem() -> DesignProblem:
    coords, adj = lattice(14, 14)
    rng = np.random.default_rng(11)
    return DesignProblem(
        weights=rng.uniform(1, 10, (196, 1)), n_territories=4, tolerance=0.03, coords=coords,
        adjacency=adj, contiguous=True, centres=[15, 26, 169, 180],
    )  # fmt: skip


def test_same_seed_same_plan_on_a_slow_machine() -> None:
    """The clock never decides how much search runs: a machine slowed down at every sweep
    (the callback sleeps) gives exactly the plan of a fast one."""
    problem = _fixed_centre_problem()
    fast = HeuristicSolver(random_state=3, n_starts=3).solve(problem)

    sleeps: list[int] = []

    def slow(step: int, _objective: float) -> None:
        sleeps.append(step)
        time.sleep(0.004)

    slowed = HeuristicSolver(random_state=3, n_starts=3, callback=slow).solve(problem)
    assert fast.stats.reproducible and slowed.stats.reproducible
    assert fast.stats.status in {"converged", "sweep_limit"}
    assert len(sleeps) >= 10  # the slowed run really waited at its sweeps
    assert slowed.stats.iterations == fast.stats.iterations
    np.testing.assert_array_equal(slowed.labels, fast.labels)


def test_run_cut_by_the_clock_says_it_is_not_reproducible() -> None:
    def slow(_step: int, _objective: float) -> None:
        time.sleep(0.05)

    coords, adj = lattice(14, 14)
    weights = np.random.default_rng(5).uniform(1, 10, (196, 1))
    problem = DesignProblem(
        weights=weights, n_territories=4, tolerance=0.0005, coords=coords, adjacency=adj
    )
    with pytest.warns(ConvergenceWarning):
        result = HeuristicSolver(random_state=0, time_limit=0.02, callback=slow).solve(problem)
    assert result.stats.status.startswith("time_limit")
    assert not result.stats.reproducible


def test_relax_factor_default_follows_instance_size() -> None:
    solver = HeuristicSolver()
    assert solver._relax_factor(10_000) == 4.0
    assert solver._relax_factor(1_000_000) == 1.0
    assert HeuristicSolver(relax_factor=2.0)._relax_factor(1_000_000) == 2.0


def _realign_problem(**extra: object) -> DesignProblem:
    coords, adj = lattice(8, 8)
    current = np.repeat(np.arange(4), 16)  # four horizontal bands of 2 rows
    weights = np.ones((64, 1))
    weights[:16] = 2.0  # band 0 is twice as heavy: the plan must change
    params: dict[str, object] = {
        "weights": weights, "n_territories": 4, "tolerance": 0.05, "coords": coords,
        "adjacency": adj, "current": current,
    }  # fmt: skip
    params.update(extra)
    return DesignProblem(**params)  # type: ignore[arg-type]


def test_realignment_rebalances_with_few_moves() -> None:
    result = HeuristicSolver(random_state=0).solve(_realign_problem(priority="lexicographic"))
    assert result.report.balance.all_within
    disruption = result.report.disruption
    assert disruption is not None
    # 80 weight over 4 territories: at least 4 heavy units must leave band 0
    assert 4 <= disruption.units_moved <= 20


def test_realignment_budget_is_never_exceeded() -> None:
    with pytest.warns(ConvergenceWarning, match="balance"):
        result = HeuristicSolver(random_state=0).solve(_realign_problem(max_moved_units=2))
    assert result.report.disruption is not None
    assert result.report.disruption.units_moved <= 2


def test_heavy_disruption_weight_keeps_a_balanced_plan_unchanged() -> None:
    coords, adj = lattice(6, 6)
    current = np.repeat(np.arange(3), 12)
    problem = DesignProblem(
        weights=np.ones((36, 1)), n_territories=3, tolerance=0.1, coords=coords, adjacency=adj,
        current=current, disruption_weight=100.0,
    )  # fmt: skip
    result = HeuristicSolver(random_state=0).solve(problem)
    np.testing.assert_array_equal(result.labels, current)


def test_evaluate_design_measures_any_labels() -> None:
    coords, adj = lattice(2, 2)
    problem = DesignProblem(
        weights=np.ones((4, 1)), n_territories=2, coords=coords, adjacency=adj, tolerance=0.0
    )
    report = evaluate_design(problem, np.array([0, 0, 1, 1]))
    assert report.balance.all_within
    assert report.compactness.cut_edges == 2
    assert report.contiguity.all_contiguous
    assert report.compactness.max_diameter == pytest.approx(8.5, abs=0.2)  # 0.1 deg longitude
