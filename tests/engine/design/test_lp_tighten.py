"""Tightening a loose-band plan to the real bands with one LP (engine/design/lp_tighten.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path

from terraplan.engine.design import DesignProblem, HeuristicSolver
from terraplan.engine.design.geometry import lattice
from terraplan.engine.design.lp_tighten import HOPS, applies, tighten_to_bands
from terraplan.engine.design.problem import Prepared, prepare

FAR = 1e9  # no deadline in these tests


def _strips(rows: int, cols: int, widths: list[int]) -> np.ndarray:
    """Vertical strips of the given column widths, as labels ``(rows * cols,)``."""
    column_label = np.repeat(np.arange(len(widths)), widths)
    return np.tile(column_label, rows).astype(np.int64)


def _problem(rows: int, cols: int, k: int, weights: np.ndarray, **kwargs: object) -> DesignProblem:
    coords, adj = lattice(rows, cols)
    return DesignProblem(
        weights=weights, n_territories=k, tolerance=0.05, coords=coords, adjacency=adj,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def _excess(prep: Prepared, labels: np.ndarray) -> float:
    """Total band excess of ``labels`` (0 when every territory is within its band)."""
    totals = np.bincount(labels, weights=prep.weights[:, 0], minlength=prep.k)
    lower, upper = prep.lower[:, 0], prep.upper[:, 0]
    return float(np.sum(np.maximum(lower - totals, 0) + np.maximum(totals - upper, 0)))


def test_applies_only_with_the_lloyd_start_and_the_inertia_objective() -> None:
    assert applies(prepare(_problem(6, 6, 3, np.ones((36, 1)))))
    assert not applies(prepare(_problem(6, 6, 3, np.ones((36, 2)))))
    assert not applies(prepare(_problem(6, 6, 3, np.ones((36, 1)), current=np.arange(36) % 3)))


def test_unequal_strips_are_balanced_in_one_step() -> None:
    """Strips 2, 4 and 6 columns wide (24, 48 and 72 units; band 45.6-50.4) become three
    territories of 48 units: unit weights make the LP's vertices whole plans."""
    prep = prepare(_problem(12, 12, 3, np.ones((144, 1))))
    start = _strips(12, 12, [2, 4, 6])
    out = tighten_to_bands(prep, start, FAR)
    assert out is not None
    assert _excess(prep, start) == pytest.approx(45.6 - 24 + 72 - 50.4)
    assert _excess(prep, out) == 0.0


def test_a_heavy_unit_is_rounded_whole_and_the_others_make_room() -> None:
    """One unit weighs 30 (a city); its strip is overfull. The city's territory keeps
    little else beside it, and the plan misses the bands by at most what rounding the LP's
    last split units can cost (before: more than 40 units)."""
    weights = np.ones((100, 1))
    heavy = 4 * 10 + 2  # row 4, column 2: in the first strip
    weights[heavy] = 30.0
    prep = prepare(_problem(10, 10, 4, weights))
    start = _strips(10, 10, [3, 2, 2, 3])
    out = tighten_to_bands(prep, start, FAR)
    assert out is not None
    totals = np.bincount(out, weights=weights[:, 0], minlength=4)
    city = out[heavy]
    # 30 plus 1-3 units meets the band; rounding the last split units of weight 1 may
    # leave any territory one unit beyond it (the search then balances)
    assert prep.lower[city, 0] - 1.0 <= totals[city] <= prep.upper[city, 0] + 1.0
    assert _excess(prep, start) > 40.0
    assert _excess(prep, out) <= 2 * (4 - 1) * 1.0


def test_only_units_near_a_boundary_move_and_pins_hold() -> None:
    weights = np.ones((144, 1))
    locked = np.full(144, -1)
    locked[0] = 0
    allowed = np.ones((144, 3), dtype=bool)
    allowed[5, 2] = False
    prep = prepare(_problem(12, 12, 3, weights, locked=locked, allowed=allowed))
    start = _strips(12, 12, [2, 4, 6])
    start[0] = 0
    out = tighten_to_bands(prep, start, FAR)
    assert out is not None
    assert out[0] == 0 and out[5] != 2
    assert prep.adjacency is not None
    hops = shortest_path(prep.adjacency, unweighted=True)
    boundary = np.flatnonzero(
        [np.any(start[prep.adjacency[i].indices] != start[i]) for i in range(144)]
    )
    near = hops[:, boundary].min(axis=1) <= HOPS
    assert np.all(out[~near] == start[~near])


def test_no_split_plan_meeting_the_bands_gives_none() -> None:
    """Territory 2 may take only the last column (12 units; band 45.6-50.4): even units
    split between territories cannot fill it."""
    allowed = np.ones((144, 3), dtype=bool)
    allowed[:, 2] = False
    allowed[np.arange(11, 144, 12), 2] = True
    prep = prepare(_problem(12, 12, 3, np.ones((144, 1)), allowed=allowed))
    start = np.where(np.arange(144) % 12 == 11, 2, np.where(np.arange(144) % 12 < 5, 0, 1))
    assert tighten_to_bands(prep, start, FAR) is None


def test_a_passed_deadline_gives_none() -> None:
    prep = prepare(_problem(12, 12, 3, np.ones((144, 1))))
    assert tighten_to_bands(prep, _strips(12, 12, [2, 4, 6]), 0.0) is None


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=4, max_size=4),
    st.integers(0, 2**16),
)
def test_valid_labels_and_within_band_for_unit_weights(widths: list[int], seed: int) -> None:
    """Any strips of a 10-row lattice with unit weights: the tightened plan keeps every
    unit in a territory, and misses the bands by at most what rounding the LP's split units
    (at most k - 1, each of weight 1, moving two territories' loads) can cost; the
    heuristic that uses it returns plans within the band."""
    cols = sum(widths)
    prep = prepare(_problem(10, cols, 4, np.ones((10 * cols, 1))))
    start = _strips(10, cols, widths)
    out = tighten_to_bands(prep, start, FAR)
    if out is not None:
        assert out.shape == start.shape and out.min() >= 0 and out.max() < 4
        assert _excess(prep, out) <= 2 * (4 - 1) * 1.0 + 1e-9
    result = HeuristicSolver(random_state=seed % 7).solve(
        _problem(10, cols, 4, np.ones((10 * cols, 1)))
    )
    assert result.report.balance.all_within


def test_without_a_unit_graph_the_nearest_units_stand_in_for_neighbours() -> None:
    """No adjacency (territories need not be contiguous): the LP still re-assigns only
    units near a boundary, here judged by each unit's six nearest units, so a unit five
    columns or more from every other strip keeps its territory."""
    coords, _ = lattice(12, 24)
    prep = prepare(
        DesignProblem(weights=np.ones((288, 1)), n_territories=3, tolerance=0.05, coords=coords)
    )
    start = _strips(12, 24, [6, 8, 10])
    out = tighten_to_bands(prep, start, FAR)
    assert out is not None
    assert _excess(prep, start) > 0 and _excess(prep, out) == 0.0
    column = np.tile(np.arange(24), 12)
    borders = np.array([6, 14])  # first column of strips 1 and 2
    far = np.min(np.abs(column[:, None] - (borders[None, :] - 0.5)), axis=1) >= 5
    assert far.any()
    assert np.all(out[far] == start[far])
