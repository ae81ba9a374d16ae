"""Trade-off curves: non-dominance, order, agreement with a brute-force Pareto front."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine.design.pareto import (
    TradeoffPoint,
    balance_curve,
    disruption_curve,
    largest_deviation,
    non_dominated,
    tradeoff_curve,
)
from terraplan.errors import InfeasibleError, InvalidParameterError


def assert_front(points: tuple[TradeoffPoint, ...]) -> None:
    seconds = [p.second for p in points]
    comps = [p.compactness for p in points]
    assert seconds == sorted(seconds)
    assert all(a > b for a, b in itertools.pairwise(comps))
    for p, q in itertools.permutations(points, 2):
        assert not (q.compactness <= p.compactness and q.second <= p.second)


def point(parameter: float, compactness: float, second: float) -> TradeoffPoint:
    return TradeoffPoint(parameter, compactness, second, np.zeros(1, dtype=np.int64))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=15))
def test_non_dominated_filter(pairs) -> None:
    points = [point(i, c, s) for i, (c, s) in enumerate(pairs)]
    front = non_dominated(points)
    assert_front(front)
    for p in points:  # every input is matched or dominated by a kept point
        assert any(q.compactness <= p.compactness and q.second <= p.second for q in front)


def test_ties_keep_the_smallest_parameter() -> None:
    front = non_dominated([point(3, 1.0, 1.0), point(1, 1.0, 1.0), point(2, 2.0, 1.0)])
    assert [p.parameter for p in front] == [1]


def brute_front(cost, current, lower, upper):
    n, k = cost.shape
    values = set()
    for labels in itertools.product(range(k), repeat=n):
        lab = np.array(labels)
        sizes = np.bincount(lab, minlength=k)
        if (sizes < lower).any() or (sizes > upper).any():
            continue
        values.add((float(cost[np.arange(n), lab].sum()), int((lab != current).sum())))
    front = [v for v in values if not any(w != v and w[0] <= v[0] and w[1] <= v[1] for w in values)]
    return sorted(front, key=lambda v: v[1])


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(4, 7))
def test_disruption_curve_is_the_exact_front(seed, n) -> None:
    rng = np.random.default_rng(seed)
    k = 2
    cost = rng.integers(0, 10, size=(n, k)).astype(float)
    current = rng.integers(0, k, size=n)
    lower, upper = 1, n - 1
    curve = disruption_curve(
        cost, np.ones((n, 1)), [float(lower)], [float(upper)], None,
        current=current, budgets=list(range(n + 1)),
    )  # fmt: skip
    assert_front(curve)
    expected = brute_front(cost, current, lower, upper)
    assert [(p.compactness, p.second) for p in curve] == expected
    for p in curve:
        assert p.second <= p.parameter
        assert float(cost[np.arange(n), p.labels].sum()) == p.compactness


def test_disruption_curve_default_budgets() -> None:
    cost = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 3.0], [2.0, 0.0]])
    current = np.zeros(4, dtype=np.int64)
    curve = disruption_curve(cost, np.ones((4, 1)), [0.0], [4.0], None, current=current, n_points=4)
    assert_front(curve)
    assert [(p.second, p.compactness) for p in curve] == [(0, 4), (1, 2), (2, 1), (3, 0)]


def test_balance_curve_price_of_balance() -> None:
    # A compact design puts 3 units in territory 0; balance asks for 2 and 2.
    cost = np.array([[0.0, 5.0], [0.0, 5.0], [0.0, 1.0], [5.0, 0.0]])
    weights = np.ones((4, 1))
    targets = np.full((2, 1), 2.0)
    curve = balance_curve(cost, weights, targets, [0.0, 0.25, 0.5, 1.0])
    assert_front(curve)
    assert [(p.second, p.compactness) for p in curve] == [(0.0, 1.0), (0.5, 0.0)]
    for p in curve:
        assert p.second <= p.parameter + 1e-12
        assert largest_deviation(p.labels, weights, targets) == p.second


def test_generic_solver_and_skipped_infeasible_points() -> None:
    calls = []

    def solve(parameter: float):
        calls.append(parameter)
        if parameter < 1:
            raise InfeasibleError("too tight", details={"constraints": ["x"]})
        return np.array([0, 1]), 10.0 / parameter, parameter

    curve = tradeoff_curve(solve, [0.5, 1.0, 2.0, 4.0])
    assert calls == [0.5, 1.0, 2.0, 4.0]
    assert [p.parameter for p in curve] == [1.0, 2.0, 4.0]
    assert_front(curve)
    with pytest.raises(ValueError):
        curve[0].labels[0] = 5
    with pytest.raises(InfeasibleError):
        tradeoff_curve(solve, [0.1, 0.2])
    with pytest.raises(InvalidParameterError):
        tradeoff_curve(solve, [])
