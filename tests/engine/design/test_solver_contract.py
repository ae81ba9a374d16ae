"""The contract every design solver keeps (run on each registered solver)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from terraplan.engine.design import SOLVERS, DesignProblem, get_solver
from terraplan.engine.design.geometry import lattice as grid
from terraplan.engine.design.geometry import territory_components
from terraplan.errors import DataQualityWarning, InfeasibleError, InvalidParameterError

METHODS = sorted(SOLVERS)


def _solver(method: str, **extra: object):
    params: dict[str, object] = {"time_limit": 20.0}
    if method == "heuristic":
        params["random_state"] = 3
    params.update(extra)
    return get_solver(method, **params)


def _problem(
    rows: int = 5, cols: int = 5, k: int = 3, seed: int = 0, **extra: object
) -> DesignProblem:
    coords, adj = grid(rows, cols)
    rng = np.random.default_rng(seed)
    weights = rng.integers(5, 15, size=(rows * cols, 1)).astype(float)
    return DesignProblem(
        weights=weights, n_territories=k, tolerance=0.15, coords=coords, adjacency=adj, **extra
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("method", METHODS)
def test_each_unit_labelled_once_balanced_and_contiguous(method: str) -> None:
    problem = _problem()
    result = _solver(method).solve(problem)
    labels = result.labels
    assert labels.shape == (25,)
    assert set(np.unique(labels)) == {0, 1, 2}
    assert result.report.balance.all_within
    assert result.report.contiguity.all_contiguous
    comps = territory_components(problem.adjacency, np.asarray(labels), 3)  # type: ignore[arg-type]
    assert comps.tolist() == [1, 1, 1]
    totals = np.bincount(labels, weights=np.asarray(problem.weights)[:, 0], minlength=3)
    np.testing.assert_allclose(totals, result.report.balance.totals[:, 0])
    assert not labels.flags.writeable


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_labels_and_inputs_untouched(method: str) -> None:
    problem = _problem(seed=1)
    weights_before = np.array(problem.weights, copy=True)
    coords_before = np.array(problem.coords, copy=True)
    adj_before = problem.adjacency.copy()  # type: ignore[union-attr]
    solver = _solver(method)
    params_before = solver.get_params()
    first = solver.solve(problem)
    second = _solver(method).solve(problem)
    np.testing.assert_array_equal(first.labels, second.labels)
    np.testing.assert_array_equal(problem.weights, weights_before)
    np.testing.assert_array_equal(problem.coords, coords_before)
    assert (problem.adjacency != adj_before).nnz == 0  # type: ignore[union-attr]
    assert solver.get_params() == params_before


@pytest.mark.parametrize("method", METHODS)
def test_locks_and_forbidden_pairs_respected(method: str) -> None:
    n, k = 25, 3
    locked = np.full(n, -1)
    locked[0] = 2
    locked[24] = 0
    allowed = np.ones((n, k), dtype=bool)
    allowed[12, 1] = False
    allowed[6, 0] = False
    result = _solver(method).solve(_problem(locked=locked, allowed=allowed))
    assert result.labels[0] == 2
    assert result.labels[24] == 0
    assert result.labels[12] != 1
    assert result.labels[6] != 0
    assert result.report.contiguity.all_contiguous


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("param", "value"),
    [("time_limit", -1.0), ("time_limit", "fast"), ("callback", 3)],
)
def test_parameters_validated_when_solving(method: str, param: str, value: object) -> None:
    solver = _solver(method, **{param: value})  # __init__ only stores
    with pytest.raises(InvalidParameterError) as info:
        solver.solve(_problem())
    assert info.value.details["parameter"] == param


@pytest.mark.parametrize("method", METHODS)
def test_oversize_unit_is_diagnosed_and_given_its_own_territory(method: str) -> None:
    coords, adj = grid(5, 5)
    weights = np.full((25, 1), 10.0)
    weights[12, 0] = 200.0  # 440 total, 3 territories: 147 each, the centre unit is 1.36x
    problem = DesignProblem(
        weights=weights, n_territories=3, tolerance=0.1, coords=coords, adjacency=adj
    )
    with pytest.warns(DataQualityWarning, match="territory .* of its own"):
        result = _solver(method).solve(problem)
    assert [issue.code for issue in result.diagnosis.issues] == ["oversize_unit"]
    unit, territory = result.diagnosis.dedicated[0]
    assert unit == 12
    assert np.flatnonzero(result.labels == territory).tolist() == [12]
    others = [t for t in range(3) if t != territory]
    # the rest is balanced around the mean of the remaining territories (240 / 2)
    np.testing.assert_allclose(result.report.balance.targets[others, 0], 120.0)
    assert result.report.balance.all_within


@pytest.mark.parametrize("method", METHODS)
def test_unit_without_allowed_territory_is_infeasible(method: str) -> None:
    allowed = np.ones((25, 3), dtype=bool)
    allowed[4] = False
    with pytest.raises(InfeasibleError) as info:
        _solver(method).solve(_problem(allowed=allowed))
    assert "allowed" in info.value.details["constraints"]


def test_locked_weight_over_band_is_reported() -> None:
    locked = np.full(25, -1)
    locked[:15] = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _solver("heuristic").solve(_problem(locked=locked))
    codes = [issue.code for issue in result.diagnosis.issues]
    assert "locked_over_band" in codes
    assert not result.diagnosis.feasible
    assert np.all(result.labels[:15] == 0)
    assert any(issubclass(w.category, DataQualityWarning) for w in caught)
