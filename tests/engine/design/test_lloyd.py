"""The capacitated Lloyd start (engine/design/lloyd.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine.design import DesignProblem, HeuristicSolver
from terraplan.engine.design.geometry import lattice
from terraplan.engine.design.lloyd import (
    MAX_TERRITORIES,
    applies,
    capacitated_lloyd,
    weighted_kmeanspp,
)
from terraplan.engine.design.problem import prepare


def _grid_problem(rows: int, cols: int, k: int, **kwargs: object) -> DesignProblem:
    coords, adj = lattice(rows, cols)
    weights = kwargs.pop("weights", np.ones((rows * cols, 1)))
    return DesignProblem(
        weights=weights, n_territories=k, tolerance=0.05, coords=coords, adjacency=adj,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def _inertia(xyz: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> float:
    total = 0.0
    for t in range(k):
        mine = labels == t
        centre = np.average(xyz[mine], axis=0, weights=w[mine])
        total += float(np.sum(w[mine] * np.sum((xyz[mine] - centre) ** 2, axis=1)))
    return total


def test_applies_to_free_centres_balanced_on_one_metric_only() -> None:
    assert applies(prepare(_grid_problem(6, 6, 4)))
    two = _grid_problem(6, 6, 4, weights=np.ones((36, 2)))
    assert not applies(prepare(two))  # several metrics: the bisection splits them all
    current = _grid_problem(6, 6, 4, current=np.arange(36) % 4)
    assert not applies(prepare(current))
    many = _grid_problem(12, 12, MAX_TERRITORIES + 1)
    assert not applies(prepare(many))
    centres = _grid_problem(6, 6, 4, centres=np.array([0, 5, 30, 35]))
    assert not applies(prepare(centres))


def test_uniform_square_into_four_gives_the_quadrants() -> None:
    """On a uniform 12 x 12 grid the balanced power diagram of 4 cells is the quadrants."""
    prep = prepare(_grid_problem(12, 12, 4))
    assert prep.xyz is not None
    labels, centres = capacitated_lloyd(prep, np.random.default_rng(3))
    loads = np.bincount(labels, minlength=4)
    assert loads.min() >= 30 and loads.max() <= 42  # 36 each, within a few units
    grid = np.arange(144).reshape(12, 12)
    quadrants = np.zeros(144, dtype=np.int64)
    quadrants[grid[:6, 6:].ravel()] = 1
    quadrants[grid[6:, :6].ravel()] = 2
    quadrants[grid[6:, 6:].ravel()] = 3
    w = np.ones(144)
    best = _inertia(prep.xyz, w, quadrants, 4)
    assert _inertia(prep.xyz, w, labels, 4) <= 1.05 * best
    assert centres.shape == (4, 3)


def test_same_seed_same_start() -> None:
    prep = prepare(_grid_problem(10, 10, 5, weights=np.arange(1.0, 101.0)[:, None]))
    a, ca = capacitated_lloyd(prep, np.random.default_rng(11))
    b, cb = capacitated_lloyd(prep, np.random.default_rng(11))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ca, cb)


def test_kmeanspp_never_seeds_on_a_zero_weight_unit_when_others_weigh() -> None:
    xyz = np.column_stack([np.arange(20.0), np.zeros(20), np.zeros(20)])
    weight = np.where(np.arange(20) % 2 == 0, 1.0, 0.0)
    seeds = weighted_kmeanspp(xyz, weight, 5, np.random.default_rng(0))
    assert set((seeds[:, 0] % 2).tolist()) == {0.0}


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(3, 9),
    cols=st.integers(3, 9),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_locked_and_forbidden_units_are_honoured(
    rows: int, cols: int, k: int, seed: int, data: st.DataObject
) -> None:
    n = rows * cols
    rng = np.random.default_rng(seed)
    weights = rng.uniform(1.0, 50.0, size=(n, 1))
    locked = np.full(n, -1, dtype=np.int64)
    unit = data.draw(st.integers(0, n - 1))
    locked[unit] = data.draw(st.integers(0, k - 1))
    allowed = np.ones((n, k), dtype=bool)
    banned = data.draw(st.integers(0, n - 1))
    if banned != unit:
        allowed[banned, data.draw(st.integers(0, k - 1))] = False
    problem = _grid_problem(rows, cols, k, weights=weights, locked=locked, allowed=allowed)
    prep = prepare(problem)
    assert applies(prep)
    labels, _ = capacitated_lloyd(prep, np.random.default_rng(seed))
    assert labels.shape == (n,)
    assert labels.min() >= 0 and labels.max() < k
    assert labels[unit] == locked[unit]
    assert bool(np.all(prep.allowed is None or prep.allowed[np.arange(n), labels]))


def test_skewed_market_gets_small_territories_in_the_city() -> None:
    """A dense city beside a sparse hinterland: the heuristic from this start meets the
    band, stays contiguous, and puts several small territories in the city."""
    coords, adj = lattice(16, 16)  # above the tiny instances' exact p-median repair
    rr, cc = np.divmod(np.arange(256), 16)
    city = (np.abs(rr - 4) <= 2) & (np.abs(cc - 4) <= 2)
    weights = np.where(city, 400.0, 10.0)[:, None]
    problem = DesignProblem(
        weights=weights, n_territories=6, tolerance=0.05, coords=coords, adjacency=adj,
    )  # fmt: skip
    result = HeuristicSolver(random_state=0).solve(problem)
    assert result.report.balance.all_within
    assert result.report.contiguity.all_contiguous
    in_city = {int(t) for t in np.asarray(result.labels)[city]}
    assert len(in_city) >= 3  # the city holds about 80 % of the weight
