"""Moving a territory from a short region to a heavy one (engine/design/region_move.py)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine.design import DesignProblem, ordered_resplit, region_move
from terraplan.engine.design.balance_milp import WorkBudget
from terraplan.engine.design.geometry import lattice, territory_components
from terraplan.engine.design.problem import Prepared, prepare
from terraplan.engine.design.region_move import free_territories
from terraplan.engine.design.search import SearchState
from terraplan.engine.design.tallies import excess, tallies_of


def two_regions(
    rows: int = 4, short_cols: int = 16, heavy_cols: int = 8, noise: float = 0.0, seed: int = 0
) -> tuple[DesignProblem, np.ndarray]:
    """A grid whose left ``short_cols`` columns hold 4 stripe territories and weigh 0.75
    per unit, and whose right ``heavy_cols`` columns hold 2 stripes and weigh 1.5 (both
    metrics, times ``1 +- noise``): the left region holds one territory too many, the right
    one too few (with the default sizes the 6 territories' mean is exactly what 3 left and
    3 right territories would hold)."""
    cols = short_cols + heavy_cols
    coords, adjacency = lattice(rows, cols)
    col = np.tile(np.arange(cols), rows)
    base = np.where(col < short_cols, 0.75, 1.5)
    rng = np.random.default_rng(seed)
    weights = base[:, None] * (1.0 + noise * rng.uniform(-1.0, 1.0, (rows * cols, 2)))
    labels = np.where(
        col < short_cols, col * 4 // short_cols, 4 + (col - short_cols) * 2 // heavy_cols
    ).astype(np.int64)
    problem = DesignProblem(
        weights=weights,
        n_territories=6,
        tolerance=np.array([0.10, 0.15]),
        coords=coords,
        adjacency=adjacency,
        contiguous=True,
    )
    return problem, labels


def one_piece_each(prep: Prepared, labels: np.ndarray) -> bool:
    assert prep.adjacency is not None
    return bool(np.all(territory_components(prep.adjacency, labels, prep.k) == 1))


def test_the_short_region_gives_a_territory_to_the_heavy_one() -> None:
    problem, labels = two_regions()
    prep = prepare(problem)
    before = excess(prep, tallies_of(prep, labels))
    assert np.all(before > 0.05)  # every territory is well outside its band
    moved = region_move.region_move(prep, labels, budget=WorkBudget(1e6), deadline=float("inf"))
    assert moved is not None
    assert excess(prep, tallies_of(prep, moved)).max() <= 1e-9
    assert one_piece_each(prep, moved)
    col = np.tile(np.arange(24), 4)
    # one territory fewer holds units of the short (left) side; all six still exist
    assert len(np.unique(moved[col < 8])) <= 3 < len(np.unique(labels[col < 16]))
    assert sorted(np.unique(moved).tolist()) == list(range(6))


def test_a_plan_within_every_band_is_left_alone() -> None:
    problem, labels = two_regions()
    prep = prepare(problem)
    moved = region_move.region_move(prep, labels, budget=WorkBudget(1e6), deadline=float("inf"))
    assert moved is not None
    budget = WorkBudget(1e6)
    assert region_move.region_move(prep, moved, budget=budget, deadline=float("inf")) is None
    assert budget.used == 0.0  # nothing outside a band: no solve was run


def test_an_empty_budget_moves_nothing() -> None:
    problem, labels = two_regions()
    prep = prepare(problem)
    assert region_move.region_move(prep, labels, budget=WorkBudget(0.0), deadline=0.0) is None


def test_territories_with_a_locked_unit_take_no_part() -> None:
    problem, labels = two_regions()
    locked = np.full(labels.shape[0], -1)
    locked[0] = labels[0]  # territory 0 (the leftmost stripe) is held in place
    prep = prepare(
        DesignProblem(
            weights=problem.weights,
            n_territories=6,
            tolerance=problem.tolerance,
            coords=problem.coords,
            adjacency=problem.adjacency,
            contiguous=True,
            locked=locked,
        )
    )
    assert not free_territories(prep)[0] and free_territories(prep)[1:].all()
    moved = region_move.region_move(prep, labels, budget=WorkBudget(1e6), deadline=float("inf"))
    if moved is not None:
        assert np.array_equal(moved == 0, labels == 0)  # territory 0 kept every unit
        assert one_piece_each(prep, moved)


@settings(max_examples=10, deadline=None)
@given(
    short_cols=st.integers(8, 16),
    heavy_cols=st.integers(4, 10),
    noise=st.floats(0.0, 0.3),
    seed=st.integers(0, 10_000),
)
def test_a_move_keeps_territories_whole_and_is_reproducible(
    short_cols: int, heavy_cols: int, noise: float, seed: int
) -> None:
    problem, labels = two_regions(4, short_cols, heavy_cols, noise, seed)
    prep = prepare(problem)
    before = float(excess(prep, tallies_of(prep, labels)).sum())
    moved = region_move.region_move(prep, labels, budget=WorkBudget(1e5), deadline=float("inf"))
    again = region_move.region_move(prep, labels, budget=WorkBudget(1e5), deadline=float("inf"))
    if moved is None:
        assert again is None
        return
    assert again is not None and np.array_equal(moved, again)  # same input, same plan
    assert moved.shape == labels.shape
    assert sorted(np.unique(moved).tolist()) == list(range(prep.k))  # no territory lost
    assert one_piece_each(prep, moved)
    after = float(excess(prep, tallies_of(prep, moved)).sum())
    assert after < before + region_move.REGION_SLACK


def no_groups(*_args: object, **_kwargs: object) -> Iterator[list[int]]:
    return iter(())


def run_resplit(prep: Prepared, labels: np.ndarray) -> tuple[SearchState, bool] | None:
    return ordered_resplit.resplit_and_search(
        prep, labels, budget=WorkBudget(1e6), deadline=float("inf"), max_sweeps=50,
        min_improvement=0.0, on_sweep=lambda *_: True,
    )  # fmt: skip


def test_the_resplit_phase_moves_a_territory_when_no_group_helps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ordered_resplit, "_candidate_groups", no_groups)
    problem, labels = two_regions()
    prep = prepare(problem)
    found = run_resplit(prep, labels)
    assert found is not None
    state, _ = found
    assert state.penalty <= 1e-9
    assert excess(prep, tallies_of(prep, state.labels)).max() <= 1e-9
    assert one_piece_each(prep, state.labels)
    monkeypatch.setattr(ordered_resplit, "REGION_MOVES", 0)
    assert run_resplit(prep, labels) is None  # without the move, nothing helps
