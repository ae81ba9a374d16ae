"""Validation of design problems and the geometry helpers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from terraplan.engine.design import (
    DesignProblem,
    HeuristicSolver,
    build_neighbourhood,
    haversine_km,
)
from terraplan.engine.design.geometry import cut_edges, lattice, territory_components
from terraplan.engine.design.problem import prepare
from terraplan.errors import InvalidParameterError


def _base(**extra: object) -> DesignProblem:
    coords, _ = lattice(3, 3)
    params: dict[str, object] = {"weights": np.ones((9, 1)), "n_territories": 3, "coords": coords}
    params.update(extra)
    return DesignProblem(**params)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"weights": -np.ones((9, 1))}, "weights"),
        ({"weights": np.full((9, 1), np.nan)}, "weights"),
        ({"tolerance": 1.5}, "tolerance"),
        ({"tolerance": [0.1, 0.2]}, "tolerance"),
        ({"coords": None}, "coords"),
        ({"distances": np.ones((9, 9))}, "distances"),
        ({"targets": np.ones((2, 1))}, "n_territories"),
        ({"locked": np.full(9, 5)}, "locked"),
        ({"allowed": np.ones((9, 2), dtype=bool)}, "allowed"),
        ({"centres": np.array([0, 0, 1])}, "centres"),
        ({"distance_power": 3}, "distance_power"),
        ({"compactness_metric": 4}, "compactness_metric"),
        ({"adjacency": np.ones((9, 9))}, "adjacency"),
        ({"max_moved_share": 2.0}, "max_moved_share"),
    ],
)
def test_bad_problems_name_the_field(extra: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        prepare(_base(**extra))
    assert info.value.details["field"] == field


def test_prepare_copies_and_defaults() -> None:
    weights = np.arange(9, dtype=float).reshape(9, 1)
    prep = prepare(_base(weights=weights))
    assert prep.weights is not weights
    np.testing.assert_allclose(prep.targets, 12.0)
    np.testing.assert_allclose(prep.upper, 12.6)
    assert prep.free_centres.all()


def test_haversine_one_degree_of_latitude() -> None:
    d = haversine_km(np.array([[40.0, -100.0]]), np.array([[41.0, -100.0]]))
    assert d[0] == pytest.approx(111.2, abs=0.2)


@pytest.mark.parametrize("method", ["delaunay", "knn"])
def test_built_neighbourhood_is_symmetric_and_connected(method: str) -> None:
    rng = np.random.default_rng(0)
    coords = np.column_stack([rng.uniform(30, 45, 300), rng.uniform(-120, -80, 300)])
    coords[:5] += [20, 0]  # a far-away cluster must be bridged
    graph = build_neighbourhood(coords, method=method)
    assert (graph != graph.T).nnz == 0
    assert graph.diagonal().sum() == 0
    n_comp, _ = sparse.csgraph.connected_components(graph, directed=False)
    assert n_comp == 1


def test_components_and_cut_edges_on_a_grid() -> None:
    _, adj = lattice(2, 3)
    labels = np.array([0, 1, 0, 0, 1, 0])  # territory 0 is split by column 1
    assert territory_components(adj, labels, 3).tolist() == [2, 1, 0]
    assert cut_edges(adj, labels) == 4


def test_distance_matrix_mode_and_fixed_centres() -> None:
    coords, adj = lattice(4, 4)
    dist = haversine_km(np.repeat(coords, 16, axis=0), np.tile(coords, (16, 1))).reshape(16, 16)
    problem = DesignProblem(
        weights=np.ones((16, 1)), distances=dist, centres=np.array([0, 15]), adjacency=adj,
        tolerance=0.0,
    )  # fmt: skip
    result = HeuristicSolver(random_state=0).solve(problem)
    assert result.labels[0] == 0 and result.labels[15] == 1
    assert np.bincount(result.labels).tolist() == [8, 8]
    assert result.report.contiguity.all_contiguous
    assert result.report.compactness.centre_units.tolist() == [0, 15]


def test_more_territories_than_units_is_an_error_naming_both_numbers() -> None:
    """65 territories for 60 units gave a plan with 5 empty territories and only a warning:
    no plan can fill them, so the problem itself is refused."""
    coords, _ = lattice(1, 3)
    problem = DesignProblem(weights=np.ones((3, 1)), n_territories=5, coords=coords)
    with pytest.raises(InvalidParameterError, match="5 territories cannot be filled by 3 units"):
        HeuristicSolver().solve(problem)
    with pytest.raises(InvalidParameterError) as info:
        prepare(problem)
    assert info.value.details["field"] == "n_territories"
    # as many territories as units is a plan: one unit each
    same = HeuristicSolver().solve(DesignProblem(weights=np.ones((3, 1)), n_territories=3,
                                                 coords=coords, tolerance=0.0))  # fmt: skip
    assert sorted(same.labels.tolist()) == [0, 1, 2]


def test_transposed_centre_costs_are_named() -> None:
    coords, _ = lattice(3, 3)
    costs = np.ones((9, 3))
    with pytest.raises(InvalidParameterError, match=r"centre_costs.*\(3, 9\).*transposed") as info:
        prepare(DesignProblem(weights=np.ones((9, 1)), coords=coords, n_territories=3,
                              centre_costs=costs.T))  # fmt: skip
    assert info.value.details["field"] == "centre_costs"
    with pytest.raises(InvalidParameterError, match="n_territories 2, centre_costs columns 3"):
        prepare(DesignProblem(weights=np.ones((9, 1)), coords=coords, n_territories=2,
                              centre_costs=costs))  # fmt: skip
