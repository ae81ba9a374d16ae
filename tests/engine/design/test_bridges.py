"""A caller's adjacency in pieces: joined for the solvers, never silently.

The engine needs one connected graph for contiguity; a graph given in pieces (an island, a
sea a rep cannot cross) is joined by nearest-pair edges. The diagnosis says so (one
:class:`DataQualityWarning`, the units apart named), and the report lists the edges added
and the pieces of each territory on the caller's own graph.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from terraplan.engine.design import DesignProblem, diagnose_problem, get_solver
from terraplan.engine.design.geometry import lattice, territory_components
from terraplan.engine.design.problem import prepare
from terraplan.errors import DataQualityWarning


def _cut_off(adjacency: sparse.csr_matrix, units: list[int]) -> sparse.csr_matrix:
    """``adjacency`` with every edge of ``units`` removed (each an island)."""
    keep = np.ones(adjacency.shape[0])
    keep[units] = 0.0
    mask = sparse.diags(keep)
    return sparse.csr_matrix(mask @ adjacency @ mask, dtype=bool)


def _pieces(graph: sparse.csr_matrix, labels: np.ndarray, k: int) -> list[int]:
    """Pieces of each territory on ``graph``, counted independently of the engine."""
    out = []
    for t in range(k):
        members = np.flatnonzero(labels == t)
        sub = graph[members][:, members]
        out.append(int(connected_components(sub, directed=False)[0]) if members.size else 0)
    return out


@settings(max_examples=8, deadline=None)
@given(
    st.lists(st.integers(0, 24), min_size=1, max_size=3, unique=True),
    st.integers(2, 3),
    st.sampled_from(["heuristic", "auto"]),
    st.integers(0, 1_000),
)
def test_islands_are_bridged_said_once_and_reported(
    islands: list[int], k: int, method: str, seed: int
) -> None:
    coords, grid = lattice(5, 5)
    given_graph = _cut_off(grid, islands)
    weights = np.random.default_rng(seed).uniform(1.0, 2.0, size=(25, 1))
    problem = DesignProblem(weights=weights, coords=coords, n_territories=k,
                            adjacency=given_graph, tolerance=0.3)  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = get_solver(method, time_limit=10, seed=seed).solve(problem)
    said = [w for w in caught if issubclass(w.category, DataQualityWarning)]
    assert len(said) == 1, [str(w.message) for w in said]
    message = str(said[0].message)
    assert f"{len(islands)} unit(s) lie apart from the largest piece" in message
    assert all(str(u) in message for u in islands)
    issue = next(i for i in result.diagnosis.issues if i.code == "disconnected_adjacency")
    assert sorted(issue.units) == sorted(islands) and issue.remedied
    contiguity = result.report.contiguity
    bridges = np.asarray(contiguity.bridges)
    assert bridges.shape == (len(islands), 2)
    assert set(bridges[:, 0].tolist()) == set(islands)  # each island joined once
    assert not any(given_graph[a, b] for a, b in bridges.tolist())  # edges the caller lacks
    # the report's pieces on the caller's own graph are the true ones
    assert contiguity.unbridged_components is not None
    labels = np.asarray(result.labels)
    assert contiguity.unbridged_components.tolist() == _pieces(given_graph, labels, k)
    assert np.all(contiguity.unbridged_components >= contiguity.components)


def test_a_connected_graph_adds_nothing_and_says_nothing() -> None:
    coords, grid = lattice(4, 4)
    problem = DesignProblem(weights=np.ones((16, 1)), coords=coords, n_territories=2,
                            adjacency=grid, tolerance=0.2)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = get_solver("heuristic", time_limit=10).solve(problem)
        assert diagnose_problem(problem).ok
    assert result.report.contiguity.bridges.shape == (0, 2)
    assert result.report.contiguity.unbridged_components is None


def test_two_halves_of_a_graph_are_joined_by_their_nearest_pair() -> None:
    coords, grid = lattice(4, 6)
    left = np.arange(24) % 6 < 3
    halves = sparse.csr_matrix(grid.multiply(np.equal.outer(left, left)), dtype=bool)
    prep = prepare(DesignProblem(weights=np.ones((24, 1)), coords=coords, n_territories=4,
                                 adjacency=halves))  # fmt: skip
    assert prep.bridges is not None and prep.bridges.shape == (1, 2)
    a, b = prep.bridges[0].tolist()
    assert left[a] != left[b] and abs(a - b) == 1  # grid neighbours across the cut
    assert prep.detached is not None and prep.detached.shape == (12,)
    assert connected_components(prep.adjacency, directed=False)[0] == 1
    # with groups too, the finding is on the full problem's units
    groups = np.full(24, -1)
    groups[[0, 1]] = 0
    diagnosis = diagnose_problem(DesignProblem(weights=np.ones((24, 1)), coords=coords,
                                               n_territories=4, adjacency=halves, groups=groups))  # fmt: skip
    issue = next(i for i in diagnosis.issues if i.code == "disconnected_adjacency")
    assert sorted(issue.units) == prep.detached.tolist()
    assert territory_components(halves, np.where(left, 0, 1), 2).tolist() == [1, 1]
