"""Exact fixed-centre assignment: brute-force optimality, constraints, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from terraplan.engine.design import exact_loop
from terraplan.engine.design.exact import (
    compactness_cost,
    disruption_cost,
    solve_exact_assignment,
)
from terraplan.engine.design.exact_core import MilpAnswer, is_contiguous, symmetric_adjacency
from terraplan.errors import InfeasibleError, InvalidParameterError, SolverError

# ----------------------------------------------------------------------------- helpers


def grid_adjacency(rows: int, cols: int) -> sparse.csr_matrix:
    """Rook adjacency of a rows x cols grid (unit r * cols + c)."""
    edges = []
    for r in range(rows):
        for c in range(cols):
            u = r * cols + c
            if c + 1 < cols:
                edges.append((u, u + 1))
            if r + 1 < rows:
                edges.append((u, u + cols))
    a, b = zip(*edges, strict=True)
    n = rows * cols
    return sparse.csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))


def connected(labels: np.ndarray, graph: sparse.csr_matrix) -> bool:
    return is_contiguous(symmetric_adjacency(graph, labels.shape[0]), labels)


def brute_force(
    cost, weights, lower, upper, allowed, *, graph=None, centres=None, current=None,
    moved=None, budget=None,
):  # fmt: skip
    """Minimum cost over all k**n labellings meeting every constraint (None if none)."""
    n, k = cost.shape
    labels = np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int64)
    ok = allowed[np.arange(n), labels].all(axis=1)
    for j in range(k):
        totals = (labels == j).astype(float) @ weights
        ok &= ((totals >= lower[j] - 1e-9) & (totals <= upper[j] + 1e-9)).all(axis=1)
    if centres is not None:
        for j, centre in enumerate(centres):
            if centre >= 0:
                ok &= labels[:, centre] == j
    if budget is not None:
        left = (current >= 0) & (labels != current)
        ok &= (left * moved).sum(axis=1) <= budget + 1e-9
    values = cost[np.arange(n), labels].sum(axis=1)
    for index in np.flatnonzero(ok)[np.argsort(values[ok], kind="stable")]:
        if graph is None or connected(labels[index], graph):
            return float(values[index])
    return None


@st.composite
def instances(draw, *, with_graph: bool):
    if with_graph:
        rows, cols = draw(st.sampled_from([(2, 3), (2, 4), (3, 3)]))
        n = rows * cols
        graph = grid_adjacency(rows, cols)
    else:
        n = draw(st.integers(3, 8))
        graph = None
    k = draw(st.integers(2, 3))
    m = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 20, size=(n, k)).astype(float)
    weights = rng.integers(1, 10, size=(n, m)).astype(float)
    share = weights.sum(axis=0) / k
    tol = draw(st.sampled_from([0.15, 0.3, 0.6, 1.0]))
    lower = np.tile(share * (1 - tol), (k, 1)) + 0.5
    upper = np.tile(share * (1 + tol), (k, 1)) + 0.5
    allowed = rng.random((n, k)) < 0.8
    allowed[np.arange(n), rng.integers(0, k, n)] = True
    centres = None
    if with_graph:
        centres = rng.choice(n, size=k, replace=False)
        allowed[centres, np.arange(k)] = True
        if draw(st.booleans()):
            centres[draw(st.integers(0, k - 1))] = -1  # a territory without a centre
    current = moved = budget = None
    if draw(st.booleans()):
        current = rng.integers(-1, k, size=n)
        moved = rng.integers(0, 4, size=n).astype(float)
        budget = float(draw(st.integers(0, 8)))
    return dict(
        cost=cost, weights=weights, lower=lower, upper=upper, allowed=allowed, graph=graph,
        centres=centres, current=current, moved=moved, budget=budget,
    )  # fmt: skip


def run(case, **extra):
    return solve_exact_assignment(
        case["cost"], case["weights"], case["lower"], case["upper"], case["allowed"],
        adjacency=case["graph"], centre_units=case["centres"], current=case["current"],
        moved_weight=case["moved"], max_moved_weight=case["budget"], time_limit=20.0, **extra,
    )  # fmt: skip


def check_against_brute_force(case) -> None:
    best = brute_force(
        case["cost"], case["weights"], case["lower"], case["upper"], case["allowed"],
        graph=case["graph"], centres=case["centres"], current=case["current"],
        moved=case["moved"], budget=case["budget"],
    )  # fmt: skip
    if best is None:
        with pytest.raises(InfeasibleError) as info:
            run(case)
        assert info.value.details["constraints"]
        return
    out = run(case)
    n, k = case["cost"].shape
    labels = out.labels
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert out.proven_optimal and out.status == "optimal"
    assert out.objective == pytest.approx(best, abs=1e-6)
    assert out.bound <= out.objective + 1e-6
    assert case["allowed"][np.arange(n), labels].all()
    for j in range(k):
        totals = case["weights"][labels == j].sum(axis=0)
        assert (totals >= case["lower"][j] - 1e-6).all()
        assert (totals <= case["upper"][j] + 1e-6).all()
    if case["graph"] is not None:
        assert connected(labels, case["graph"])
        has = case["centres"] >= 0
        assert (labels[case["centres"][has]] == np.arange(k)[has]).all()
    if case["budget"] is not None:
        left = (case["current"] >= 0) & (labels != case["current"])
        assert case["moved"][left].sum() <= case["budget"] + 1e-9


# ----------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(instances(with_graph=False))
def test_matches_brute_force_without_contiguity(case) -> None:
    check_against_brute_force(case)


@settings(max_examples=30, deadline=None)
@given(instances(with_graph=True))
def test_matches_brute_force_with_contiguity(case) -> None:
    check_against_brute_force(case)


# ----------------------------------------------------------------------------- contiguity


def test_cut_loop_turns_a_split_optimum_into_the_contiguous_one() -> None:
    # Path 0-1-2-3-4; territory 0 centred at 0, territory 1 at 2. Unit 4 prefers
    # territory 0, which it can only join by cutting territory 1's centre off.
    graph = grid_adjacency(1, 5)
    cost = np.array([[0, 9], [0, 1], [9, 0], [1, 0], [0, 10]], dtype=float)
    weights = np.ones((5, 1))
    lower, upper = np.zeros((2, 1)), np.full((2, 1), 5.0)
    free = solve_exact_assignment(cost, weights, lower, upper, None, centre_units=[0, 2])
    assert free.labels.tolist() == [0, 0, 1, 1, 0]
    assert not connected(free.labels, graph)
    out = solve_exact_assignment(
        cost, weights, lower, upper, None, adjacency=graph, centre_units=[0, 2]
    )
    assert out.labels.tolist() == [0, 0, 1, 1, 1]
    assert out.objective == pytest.approx(10.0)
    assert out.iterations >= 2 and out.cuts_added > 0
    assert out.proven_optimal


def test_grid_optimum_is_contiguous_and_matches_brute_force() -> None:
    # 3x3 grid, centres in two corners; the cost pulls the far corner (8) to territory 0.
    graph = grid_adjacency(3, 3)
    cost = np.array(
        [[0, 9], [1, 5], [5, 1], [1, 5], [3, 3], [5, 1], [5, 1], [3, 2], [0, 30]], dtype=float
    )
    weights = np.ones((9, 1))
    lower, upper = np.full((2, 1), 3.5), np.full((2, 1), 5.5)
    free = solve_exact_assignment(cost, weights, lower, upper, None, centre_units=[0, 6])
    assert not connected(free.labels, graph)
    out = solve_exact_assignment(
        cost, weights, lower, upper, None, adjacency=graph, centre_units=[0, 6]
    )
    allowed = np.ones((9, 2), dtype=bool)
    best = brute_force(cost, weights, lower, upper, allowed, graph=graph, centres=np.array([0, 6]))
    assert connected(out.labels, graph)
    assert out.objective == pytest.approx(best)


def test_contiguity_without_centres_uses_largest_piece() -> None:
    graph = grid_adjacency(1, 6)
    cost = np.array([[0, 5], [0, 5], [5, 0], [5, 0], [0, 5], [5, 0]], dtype=float)
    weights = np.ones((6, 1))
    out = solve_exact_assignment(
        cost, weights, np.full((2, 1), 1.0), np.full((2, 1), 5.0), None, adjacency=graph
    )
    assert connected(out.labels, graph)
    assert out.objective == pytest.approx(
        brute_force(cost, weights, np.ones((2, 1)), np.full((2, 1), 5.0),
                    np.ones((6, 2), dtype=bool), graph=graph)
    )  # fmt: skip


# ----------------------------------------------------------------------------- constraints


def test_locks_and_forbidden_pairs_are_respected() -> None:
    rng = np.random.default_rng(3)
    cost = rng.random((8, 3))
    allowed = np.ones((8, 3), dtype=bool)
    allowed[0] = [False, False, True]  # lock unit 0 to territory 2
    allowed[1, 0] = False  # forbid unit 1 in territory 0
    cost[0, 2] = 50.0
    cost[1, 0] = -5.0
    out = solve_exact_assignment(
        cost, np.ones((8, 1)), np.zeros((3, 1)), np.full((3, 1), 8.0), allowed
    )
    assert out.labels[0] == 2
    assert out.labels[1] != 0


def test_inf_cost_forbids_a_pair() -> None:
    cost = np.array([[np.inf, 1.0], [0.0, 1.0]])
    out = solve_exact_assignment(cost, np.ones((2, 1)), [0.0], [2.0], None)
    assert out.labels.tolist() == [1, 0]


def test_budget_limits_moved_units() -> None:
    cost = np.array([[1.0, 0.0]] * 4)  # every unit prefers territory 1
    current = np.zeros(4, dtype=np.int64)
    out = solve_exact_assignment(
        cost, np.ones((4, 1)), [0.0], [4.0], None, current=current, max_moved_weight=2
    )
    assert int((out.labels != current).sum()) == 2
    weighted = solve_exact_assignment(
        cost, np.ones((4, 1)), [0.0], [4.0], None, current=current,
        moved_weight=np.array([1.0, 1.0, 3.0, 3.0]), max_moved_weight=2.5,
    )  # fmt: skip
    assert weighted.labels.tolist() == [1, 1, 0, 0]


def test_cost_builders() -> None:
    dist = np.array([[1.0, 2.0], [3.0, 0.5]])
    weight = np.array([2.0, 1.0])
    assert compactness_cost(dist, weight, squared=False).tolist() == [[2.0, 4.0], [3.0, 0.5]]
    assert compactness_cost(dist, weight, squared=True).tolist() == [[2.0, 8.0], [9.0, 0.25]]
    moved = disruption_cost(np.array([0, -1, 2]), np.array([1.0, 5.0, 2.0]), k=3)
    assert moved.tolist() == [[0, 1, 1], [0, 0, 0], [2, 2, 0]]
    assert disruption_cost([1, 0], [1.0, 1.0]).shape == (2, 2)


# ----------------------------------------------------------------------------- errors


def test_infeasible_balance_window_is_named() -> None:
    with pytest.raises(InfeasibleError) as info:
        solve_exact_assignment(
            np.zeros((4, 2)), np.ones((4, 2)), [[0.0, 0.0], [0.0, 0.0]],
            [[9.0, 1.0], [9.0, 1.0]], None,
        )  # fmt: skip
    assert "balance window of metric 1" in str(info.value)
    assert info.value.details["constraints"] == ["balance window of metric 1"]


def test_infeasible_budget_is_named() -> None:
    allowed = np.array([[False, True]] * 3)  # every unit must leave territory 0
    with pytest.raises(InfeasibleError) as info:
        solve_exact_assignment(
            np.zeros((3, 2)), np.ones((3, 1)), [0.0], [3.0], allowed,
            current=np.zeros(3, dtype=np.int64), max_moved_weight=1.0,
        )  # fmt: skip
    assert "moved-weight budget" in str(info.value)


def test_infeasible_combination_with_contiguity_is_named() -> None:
    # Path 0-1-2-3 with centres 0 and 1: territory 0 cannot grow past unit 1, so two
    # units each is possible without contiguity ({0, 2}) but not with it.
    graph = grid_adjacency(1, 4)
    with pytest.raises(InfeasibleError) as info:
        solve_exact_assignment(
            np.zeros((4, 2)), np.ones((4, 1)), [1.5], [2.5], None,
            adjacency=graph, centre_units=[0, 1],
        )  # fmt: skip
    assert info.value.details["constraints"] == [
        "balance window of metric 0",
        "contiguity of every territory",
    ]
    assert "together" in str(info.value)


def test_unit_without_allowed_territory_is_infeasible() -> None:
    allowed = np.array([[True, False], [False, False]])
    with pytest.raises(InfeasibleError, match="unit 1"):
        solve_exact_assignment(np.zeros((2, 2)), np.ones((2, 1)), [0.0], [2.0], allowed)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"time_limit": 0.0}, "time_limit"),
        ({"mip_gap": 1.5}, "mip_gap"),
        ({"centre_units": [0, 0]}, "centre_units"),
        ({"max_moved_weight": 1.0}, "current"),
        ({"adjacency": sparse.eye(3, format="csr")}, "adjacency"),
    ],
)
def test_invalid_parameters(kwargs, name) -> None:
    with pytest.raises(InvalidParameterError) as info:
        solve_exact_assignment(np.zeros((4, 2)), np.ones((4, 1)), [0.0], [4.0], None, **kwargs)
    assert info.value.details["parameter"] == name


def test_invalid_shapes_and_windows() -> None:
    with pytest.raises(InvalidParameterError):
        solve_exact_assignment(np.zeros((4, 2)), np.ones((3, 1)), [0.0], [4.0], None)
    with pytest.raises(InvalidParameterError):
        solve_exact_assignment(np.zeros((4, 2)), np.ones((4, 1)), [5.0], [4.0], None)
    with pytest.raises(InvalidParameterError):
        solve_exact_assignment(np.full((4, 2), np.nan), np.ones((4, 1)), [0.0], [4.0], None)


def test_time_limit_with_incumbent_returns_unproven(monkeypatch) -> None:
    def limited(cost, rows, lo, hi, *, time_limit, mip_gap, node_limit=None):
        x = np.array([1.0, 0.0, 0.0, 1.0])
        return MilpAnswer(1, x, float(cost @ x), 0.5, "time limit reached")

    monkeypatch.setattr(exact_loop, "run_milp", limited)
    out = solve_exact_assignment(
        np.array([[1.0, 2.0], [3.0, 1.0]]), np.ones((2, 1)), [0], [2], None
    )
    assert out.status == "time_limit" and not out.proven_optimal
    assert out.objective == 2.0 and out.bound == 0.5
    assert out.gap == pytest.approx(0.75)


def test_time_limit_without_incumbent_raises(monkeypatch) -> None:
    monkeypatch.setattr(
        exact_loop, "run_milp", lambda *a, **k: MilpAnswer(1, None, np.nan, -np.inf, "limit")
    )
    with pytest.raises(SolverError) as info:
        solve_exact_assignment(np.zeros((2, 2)), np.ones((2, 1)), [0], [2], None)
    assert info.value.details["reason"] == "time_limit"


def test_real_time_limit_on_a_hard_instance() -> None:
    rng = np.random.default_rng(0)
    n, k = 60, 6
    weights = rng.integers(50, 150, size=(n, 1)).astype(float)
    share = weights.sum() / k
    try:
        out = solve_exact_assignment(
            rng.random((n, k)), weights, [share - 0.5], [share + 0.5], None, time_limit=0.05
        )
    except (SolverError, InfeasibleError) as exc:
        assert exc.details
    else:
        if not out.proven_optimal:
            assert out.status == "time_limit" and out.gap >= 0


def test_backend_exception_is_translated(monkeypatch) -> None:
    import scipy.optimize

    def boom(*args, **kwargs):
        raise ValueError("backend exploded")

    monkeypatch.setattr(scipy.optimize, "milp", boom)
    with pytest.raises(SolverError, match="backend exploded"):
        solve_exact_assignment(np.zeros((2, 2)), np.ones((2, 1)), [0], [2], None)


def test_callback_sees_each_solve_and_can_stop() -> None:
    seen: list[tuple[int, float]] = []
    graph = grid_adjacency(1, 5)
    cost = np.array([[0, 9], [0, 1], [9, 0], [1, 0], [0, 10]], dtype=float)
    args = (cost, np.ones((5, 1)), [0.0], [5.0], None)
    solve_exact_assignment(
        *args, adjacency=graph, centre_units=[0, 2], callback=lambda s, o: seen.append((s, o))
    )
    assert [s for s, _ in seen] == list(range(1, len(seen) + 1)) and len(seen) >= 2
    with pytest.raises(SolverError, match="callback"):
        solve_exact_assignment(
            *args, adjacency=graph, centre_units=[0, 2], callback=lambda s, o: False
        )


def test_inputs_are_not_mutated_and_outcome_is_frozen() -> None:
    rng = np.random.default_rng(7)
    cost = rng.random((6, 2))
    weights = np.ones((6, 1))
    lower, upper = np.full((2, 1), 2.0), np.full((2, 1), 4.0)
    allowed = np.ones((6, 2), dtype=bool)
    graph = grid_adjacency(2, 3)
    current = np.array([0, 0, 0, 1, 1, 1])
    copies = [a.copy() for a in (cost, weights, lower, upper, allowed, current)]
    dense = graph.toarray()
    out = solve_exact_assignment(
        cost, weights, lower, upper, allowed, adjacency=graph, centre_units=[0, 5],
        current=current, max_moved_weight=2.0,
    )  # fmt: skip
    for before, after in zip(copies, (cost, weights, lower, upper, allowed, current), strict=True):
        assert np.array_equal(before, after)
    assert np.array_equal(dense, graph.toarray())
    with pytest.raises(ValueError):
        out.labels[0] = 1
    again = solve_exact_assignment(
        cost, weights, lower, upper, allowed, adjacency=graph, centre_units=[0, 5],
        current=current, max_moved_weight=2.0,
    )  # fmt: skip
    assert np.array_equal(out.labels, again.labels)
