"""Territory totals, band excess and the territory graph (engine/design/tallies.py)."""

from __future__ import annotations

import numpy as np

from terraplan.engine.design import DesignProblem
from terraplan.engine.design.geometry import lattice
from terraplan.engine.design.problem import prepare
from terraplan.engine.design.tallies import excess, metric_scale, tallies_of, territory_graph


def stripes_problem(contiguous: bool = True) -> tuple[DesignProblem, np.ndarray]:
    """A 3 x 6 grid in 3 vertical stripes of 2 columns; metric 1 is 1 per unit, metric 2
    is 0 everywhere."""
    coords, adjacency = lattice(3, 6)
    weights = np.column_stack([np.ones(18), np.zeros(18)])
    labels = np.tile(np.arange(6) // 2, 3).astype(np.int64)
    problem = DesignProblem(
        weights=weights,
        n_territories=3,
        tolerance=0.10,
        coords=coords,
        adjacency=adjacency if contiguous else None,
        contiguous=contiguous,
    )
    return problem, labels


def test_tallies_sum_each_territory() -> None:
    problem, labels = stripes_problem()
    prep = prepare(problem)
    assert np.array_equal(tallies_of(prep, labels), [[6.0, 0.0], [6.0, 0.0], [6.0, 0.0]])


def test_an_all_zero_metric_has_scale_one() -> None:
    prep = prepare(stripes_problem()[0])
    assert np.allclose(metric_scale(prep), [6.0, 1.0])


def test_excess_is_zero_inside_the_bands_and_in_target_shares_outside() -> None:
    problem, labels = stripes_problem()
    prep = prepare(problem)
    assert np.all(excess(prep, tallies_of(prep, labels)) == 0.0)
    moved = labels.copy()
    moved[[0, 6, 12]] = 1  # territory 0 gives its first column to territory 1: 3 vs 9 units
    ex = excess(prep, tallies_of(prep, moved))
    # 3 units is 2.4 below territory 0's lower band (5.4), 9 is 2.4 above 6.6; mean target 6
    assert np.allclose(ex, [0.4, 0.4, 0.0])


def test_territory_graph_links_stripes_side_by_side() -> None:
    problem, labels = stripes_problem()
    graph = territory_graph(prepare(problem), labels)
    assert graph == {0: {1}, 1: {0, 2}, 2: {1}}


def test_without_a_unit_graph_every_territory_touches_every_other() -> None:
    problem, labels = stripes_problem(contiguous=False)
    graph = territory_graph(prepare(problem), labels)
    assert graph == {0: {1, 2}, 1: {0, 2}, 2: {0, 1}}
