"""Compound moves of the local search (engine/design/compound.py): ejection chains."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine.design import DesignProblem, compound
from terraplan.engine.design.geometry import lattice, territory_components
from terraplan.engine.design.problem import prepare
from terraplan.engine.design.report import territory_centres
from terraplan.engine.design.search import SearchState


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_chains_lower_the_penalty_and_keep_territories_whole(seed: int) -> None:
    """A chain sweep on stripes outside their bands never raises the balance penalty,
    leaves every territory one piece, and its tallies match the plan it leaves."""
    rows, cols, k = 6, 10, 5
    coords, adjacency = lattice(rows, cols)
    rng = np.random.default_rng(seed)
    x = np.tile(np.arange(cols), rows) / (cols - 1)
    weights = np.column_stack(
        [rng.uniform(1, 3, rows * cols) * (2.0 - x), rng.uniform(1, 3, rows * cols) * (1.0 + x)]
    )
    problem = DesignProblem(
        weights=weights,
        n_territories=k,
        tolerance=np.array([0.05, 0.05]),
        coords=coords,
        adjacency=adjacency,
        contiguous=True,
    )
    prep = prepare(problem)
    labels = np.tile(np.arange(cols) * k // cols, rows).astype(np.int64)
    state = SearchState(prep, labels, territory_centres(prep, labels))
    before = state.penalty
    assert before > 0  # the stripes ignore the skew: there is something to repair
    applied = compound.chain_sweep(state, float("inf"))
    assert state.penalty <= before + 1e-12
    if applied:
        assert state.penalty < before
    assert np.all(territory_components(adjacency, state.labels, k) == 1)
    fresh = SearchState(prep, state.labels, state.centres)
    assert np.allclose(state.tallies, fresh.tallies)
    assert abs(state.penalty - fresh.penalty) < 1e-9
