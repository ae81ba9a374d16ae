"""Exact p-median with balance: brute-force optimality, fixed centres, contiguity, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from terraplan.engine.design.exact_core import is_contiguous, symmetric_adjacency
from terraplan.engine.design.exact_pmedian import solve_exact_pmedian
from terraplan.errors import InfeasibleError, InvalidParameterError, SolverError


def path_or_grid(rows: int, cols: int) -> sparse.csr_matrix:
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


def brute_force(dist, weights, k, lower, upper, unit_weight, *, graph=None, fixed=()):
    """Least cost over every centre set and labelling (centre t labelled t)."""
    n = dist.shape[0]
    labels = np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int64)
    sym = None if graph is None else symmetric_adjacency(graph, n)
    best = None
    for centres in itertools.combinations(range(n), k):
        if not set(fixed) <= set(centres):
            continue
        cen = np.array(centres)
        ok = (labels[:, cen] == np.arange(k)).all(axis=1)
        for j in range(k):
            totals = (labels == j).astype(float) @ weights
            ok &= ((totals >= lower - 1e-9) & (totals <= upper + 1e-9)).all(axis=1)
        values = (unit_weight * dist[np.arange(n), cen[labels]]).sum(axis=1)
        for index in np.flatnonzero(ok)[np.argsort(values[ok], kind="stable")]:
            if best is not None and values[index] >= best:
                break
            if sym is None or is_contiguous(sym, labels[index]):
                best = float(values[index])
                break
    return best


@st.composite
def instances(draw):
    with_graph = draw(st.booleans())
    if with_graph:
        rows, cols = draw(st.sampled_from([(1, 5), (2, 3), (1, 6), (2, 3)]))
        n = rows * cols
        graph = path_or_grid(rows, cols)
    else:
        n = draw(st.integers(3, 7))
        graph = None
    k = draw(st.integers(2, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 10, size=(n, 2)).astype(float)
    dist = np.abs(points[:, None, :] - points[None, :, :]).sum(axis=2)
    weights = rng.integers(1, 6, size=(n, 1)).astype(float)
    share = weights.sum() / k
    tol = draw(st.sampled_from([0.2, 0.5, 1.0]))
    lower = np.array([share * (1 - tol) + 0.5])
    upper = np.array([share * (1 + tol) + 0.5])
    unit_weight = rng.integers(1, 4, size=n).astype(float)
    fixed = tuple(draw(st.lists(st.integers(0, n - 1), max_size=1, unique=True)))
    return dict(
        dist=dist, weights=weights, k=k, lower=lower, upper=upper, unit_weight=unit_weight,
        graph=graph, fixed=fixed,
    )  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(instances())
def test_matches_brute_force(case) -> None:
    best = brute_force(
        case["dist"], case["weights"], case["k"], case["lower"], case["upper"],
        case["unit_weight"], graph=case["graph"], fixed=case["fixed"],
    )  # fmt: skip
    call = dict(
        unit_weight=case["unit_weight"], adjacency=case["graph"],
        fixed_centres=list(case["fixed"]) or None, time_limit=20.0,
    )  # fmt: skip
    args = (case["dist"], case["weights"], case["k"], case["lower"], case["upper"])
    if best is None:
        with pytest.raises(InfeasibleError):
            solve_exact_pmedian(*args, **call)
        return
    out = solve_exact_pmedian(*args, **call)
    n, k = case["dist"].shape[0], case["k"]
    assert out.proven_optimal
    assert out.objective == pytest.approx(best, abs=1e-6)
    assert out.centres.shape == (k,) and np.unique(out.centres).shape == (k,)
    assert (out.labels[out.centres] == np.arange(k)).all()
    assert list(out.centres[: len(case["fixed"])]) == list(case["fixed"])
    cost = (case["unit_weight"] * case["dist"][np.arange(n), out.centres[out.labels]]).sum()
    assert cost == pytest.approx(out.objective)
    for j in range(k):
        total = case["weights"][out.labels == j].sum()
        assert case["lower"][0] - 1e-6 <= total <= case["upper"][0] + 1e-6
    if case["graph"] is not None:
        assert is_contiguous(symmetric_adjacency(case["graph"], n), out.labels)


def test_contiguity_changes_the_optimum_on_a_path() -> None:
    # Units on a path 0..5 at positions making 5 close to 0 in distance, far on the graph.
    pos = np.array([0.0, 3.0, 4.0, 5.0, 6.0, 0.5])
    dist = np.abs(pos[:, None] - pos[None, :])
    graph = path_or_grid(1, 6)
    args = (dist, np.ones((6, 1)), 2, [3.0], [3.0])
    free = solve_exact_pmedian(*args)
    assert not is_contiguous(symmetric_adjacency(graph, 6), free.labels)
    out = solve_exact_pmedian(*args, adjacency=graph)
    assert is_contiguous(symmetric_adjacency(graph, 6), out.labels)
    assert out.objective == pytest.approx(
        brute_force(dist, np.ones((6, 1)), 2, np.array([3.0]), np.array([3.0]), np.ones(6),
                    graph=graph)
    )  # fmt: skip
    assert out.objective > free.objective


def test_per_territory_windows_and_allowed_columns() -> None:
    pos = np.arange(6, dtype=float)
    dist = np.abs(pos[:, None] - pos[None, :])
    lower = np.array([[4.0], [1.0], [1.0]])
    upper = np.array([[4.0], [2.0], [2.0]])
    allowed = np.ones((6, 3), dtype=bool)
    allowed[5, 0] = False  # unit 5 may not join the fixed territory
    out = solve_exact_pmedian(dist, np.ones((6, 1)), 3, lower, upper, allowed, fixed_centres=[0])
    assert out.centres[0] == 0
    assert int((out.labels == 0).sum()) == 4
    assert out.labels[5] != 0


def test_infeasible_balance_is_named() -> None:
    dist = np.ones((4, 4)) - np.eye(4)
    with pytest.raises(InfeasibleError) as info:
        solve_exact_pmedian(dist, np.ones((4, 1)), 2, [3.0], [3.0])
    assert "balance window of metric 0" in str(info.value)


def test_invalid_parameters() -> None:
    dist = np.ones((4, 4)) - np.eye(4)
    with pytest.raises(InvalidParameterError):
        solve_exact_pmedian(dist, np.ones((4, 1)), 5, [0.0], [4.0])
    with pytest.raises(InvalidParameterError):
        solve_exact_pmedian(dist, np.ones((4, 1)), 2, [0.0], [4.0], fixed_centres=[0, 1, 2])
    with pytest.raises(InvalidParameterError):
        solve_exact_pmedian(dist, np.ones((4, 1)), 3, [[0.0], [0.0], [1.0]], [[4.0]] * 3)
    with pytest.raises(InvalidParameterError):
        solve_exact_pmedian(dist[:3], np.ones((4, 1)), 2, [0.0], [4.0])


def test_inputs_not_mutated() -> None:
    rng = np.random.default_rng(1)
    dist = rng.random((6, 6))
    weights = np.ones((6, 1))
    copies = (dist.copy(), weights.copy())
    solve_exact_pmedian(dist, weights, 2, [2.0], [4.0], adjacency=path_or_grid(2, 3))
    assert np.array_equal(copies[0], dist) and np.array_equal(copies[1], weights)


def test_callback_is_called_per_solve() -> None:
    pos = np.array([0.0, 3.0, 4.0, 5.0, 6.0, 0.5])
    dist = np.abs(pos[:, None] - pos[None, :])
    seen: list[int] = []
    out = solve_exact_pmedian(
        dist, np.ones((6, 1)), 2, [3.0], [3.0], adjacency=path_or_grid(1, 6),
        callback=lambda step, objective: seen.append(step),
    )  # fmt: skip
    assert seen == list(range(1, out.iterations + 1))


def test_node_limit_stops_a_hard_solve_with_counted_work() -> None:
    # 80 equal units on a grid into 7 territories: far more than a few nodes to prove
    xs, ys = np.meshgrid(np.arange(10.0), np.arange(8.0))
    points = np.c_[xs.ravel(), ys.ravel()]
    dist = ((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    args = (dist, np.ones((80, 1)), 7, [80 / 7 * 0.9], [80 / 7 * 1.1])
    try:
        out = solve_exact_pmedian(*args, time_limit=60.0, node_limit=1)
    except SolverError as exc:  # no plan within one node: said so, not blamed on the clock
        assert exc.details["reason"] == "node_limit"
        return
    assert out.status == "node_limit" and not out.proven_optimal
    sizes = np.bincount(np.asarray(out.labels), minlength=7)
    assert np.all((sizes >= 80 / 7 * 0.9) & (sizes <= 80 / 7 * 1.1))
