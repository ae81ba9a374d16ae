"""The starts of the heuristic's multi-start (engine/design/multistart.py)."""

from __future__ import annotations

import numpy as np
import pytest

from terraplan.engine.design import DesignProblem, HeuristicSolver
from terraplan.engine.design.geometry import lattice
from terraplan.engine.design.multistart import StartRun, run_stages
from terraplan.engine.design.problem import prepare
from terraplan.engine.design.report import territory_centres

NO_LABELS = np.zeros(0, dtype=np.int64)


def run(start: int, schedule: tuple[float, ...], loose: dict[float, float]) -> StartRun:
    return StartRun(start, schedule, NO_LABELS, np.zeros((0, 3)), loose=loose)


def test_a_start_beaten_at_the_same_loose_bands_is_dominated() -> None:
    first = run(0, (4.0, 2.0, 1.0), {4.0: 0.0, 2.0: 0.1})
    second = run(1, (8.0, 4.0, 2.0, 1.0), {8.0: 0.0, 4.0: 0.0, 2.0: 0.5})
    assert second.dominated([first, second])
    assert not first.dominated([first, second])


def test_ties_and_other_scales_are_not_dominated() -> None:
    first = run(0, (4.0, 2.0, 1.0), {4.0: 0.0, 2.0: 0.0})
    second = run(1, (8.0, 4.0, 2.0, 1.0), {8.0: 0.0, 4.0: 0.0, 2.0: 0.0})
    assert not first.dominated([first, second]) and not second.dominated([first, second])
    # a start whose last loose stage ran at a scale no other start ran at is kept
    odd = run(2, (3.0, 1.5, 1.0), {3.0: 0.0, 1.5: 9.0})
    assert not odd.dominated([first, second, odd])
    # a start without loose stages has nothing to compare
    plain = run(3, (1.0,), {})
    assert not plain.dominated([first, plain])


def test_stages_record_the_loose_penalties_and_end_at_the_real_bands() -> None:
    coords, adjacency = lattice(8, 8)
    rng = np.random.default_rng(3)
    prep = prepare(
        DesignProblem(
            weights=rng.uniform(1, 3, (64, 2)), n_territories=4, tolerance=0.05,
            coords=coords, adjacency=adjacency, contiguous=True,
        )
    )  # fmt: skip
    labels = np.tile(np.arange(8) // 2, 8).astype(np.int64)
    start = StartRun(0, (4.0, 2.0, 1.0), labels, territory_centres(prep, labels))
    sweeps: list[str] = []

    def on_sweep(_sweep: int, phase: str) -> bool:
        sweeps.append(phase)
        return True

    options = {"deadline": float("inf"), "max_sweeps": 50, "min_improvement": 0.0}
    run_stages(prep, start, (4.0, 2.0), on_sweep=on_sweep, halted=lambda: False, **options)
    assert sorted(start.loose) == [2.0, 4.0]
    assert len(start.holder) == 2
    assert np.allclose(start.holder[-1].prep.tolerance, 0.10)  # the stage ran at 2x bands
    assert start.loose[2.0] == round(start.holder[-1].penalty, 12)
    run_stages(prep, start, (1.0,), on_sweep=on_sweep, halted=lambda: False, **options)
    assert sorted(start.loose) == [2.0, 4.0]  # the real bands are not a loose stage
    assert np.allclose(start.holder[-1].prep.tolerance, 0.05)
    assert np.array_equal(start.labels, start.holder[-1].labels)
    assert sweeps  # every stage reported its sweeps


def test_a_halted_run_stops_after_the_current_stage() -> None:
    coords, adjacency = lattice(6, 6)
    prep = prepare(
        DesignProblem(
            weights=np.ones((36, 1)), n_territories=3, coords=coords, adjacency=adjacency,
            contiguous=True,
        )
    )  # fmt: skip
    labels = np.tile(np.arange(6) // 2, 6).astype(np.int64)
    start = StartRun(0, (4.0, 2.0, 1.0), labels, territory_centres(prep, labels))
    run_stages(
        prep, start, (4.0, 2.0), on_sweep=lambda _s, _p: True, halted=lambda: True,
        deadline=float("inf"), max_sweeps=10, min_improvement=0.0,
    )  # fmt: skip
    assert len(start.holder) == 1 and list(start.loose) == [4.0]


def _skewed_lattice(metrics: int) -> DesignProblem:
    coords, adj = lattice(10, 10)
    rng = np.random.default_rng(5)
    weights = rng.pareto(1.5, size=(100, metrics)) + 1.0  # a few heavy units, as in cities
    return DesignProblem(
        weights=weights, n_territories=5, tolerance=0.1, coords=coords, adjacency=adj
    )


@pytest.mark.parametrize("seed", [0, 3])
def test_default_starts_are_four_with_the_lloyd_start_and_two_elsewhere(seed: int) -> None:
    """With the capacitated Lloyd start (one metric, free centres) the default runs four
    starts, whose first two are the two of ``n_starts=2``: the plan is never less compact."""
    one = _skewed_lattice(1)
    default = HeuristicSolver(random_state=seed).solve(one)
    two = HeuristicSolver(random_state=seed, n_starts=2).solve(one)
    assert default.stats.starts == 4 and two.stats.starts == 2
    assert default.report.balance.all_within and two.report.balance.all_within
    assert default.stats.objective <= two.stats.objective * (1 + 1e-9)
    several = HeuristicSolver(random_state=seed).solve(_skewed_lattice(2))
    assert several.stats.starts == 2
    assert HeuristicSolver(random_state=seed, n_starts=3).solve(one).stats.starts == 3
