"""The local search's state (engine/design/search.py): its memo of contiguity checks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine.design import DesignProblem
from terraplan.engine.design.geometry import lattice
from terraplan.engine.design.problem import prepare
from terraplan.engine.design.report import territory_centres
from terraplan.engine.design.search import SearchState


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_memoised_contiguity_checks_match_fresh_ones(seed: int) -> None:
    """After any sequence of moves (some undone, as swaps and chains do), the memoised
    answer of ``removable`` is the one a fresh state computes from the same plan."""
    coords, adjacency = lattice(6, 8)
    rng = np.random.default_rng(seed)
    problem = DesignProblem(
        weights=rng.uniform(1, 3, (48, 2)),
        n_territories=4,
        tolerance=0.10,
        coords=coords,
        adjacency=adjacency,
        contiguous=True,
    )
    prep = prepare(problem)
    labels = np.tile(np.arange(8) // 2, 6).astype(np.int64)
    state = SearchState(prep, labels, territory_centres(prep, labels))
    for _ in range(60):
        units, src, dest = state.candidates()
        pick = int(rng.integers(units.size))
        i, a, b = int(units[pick]), int(src[pick]), int(dest[pick])
        if state.keeps_contiguity(i, a, b):
            _, ta, tb = state.dpen_one(i, a, b)
            state.apply(i, a, b, ta, tb, state.dcomp_one(i, a, b), 0.0, 0)
            if rng.random() < 0.3:  # undo, back to a plan seen before
                _, tb2, ta2 = state.dpen_one(i, b, a)
                state.apply(i, b, a, tb2, ta2, state.dcomp_one(i, b, a), 0.0, 0)
        fresh = SearchState(prep, state.labels, state.centres)
        for j in rng.choice(48, size=8, replace=False).tolist():
            t = int(state.labels[j])
            assert state.removable(j, t) == fresh.removable(j, t)
