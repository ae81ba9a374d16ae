"""Property tests: on tiny grids the heuristic matches the brute-force optimum closely."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from terraplan.engine.design import DesignProblem, HeuristicSolver, get_solver
from terraplan.engine.design.geometry import lattice, territory_components, to_xyz
from terraplan.errors import ConvergenceWarning


def brute_force(problem: DesignProblem, k: int) -> float | None:
    """Least unweighted inertia over every balanced, contiguous labelling (None: infeasible)."""
    coords = np.asarray(problem.coords)
    weights = np.asarray(problem.weights)[:, 0]
    n = coords.shape[0]
    xyz = to_xyz(coords)
    labels = np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int64)
    target = weights.sum() / k
    tol = float(problem.tolerance)  # type: ignore[arg-type]
    ok = np.ones(labels.shape[0], dtype=bool)
    inertia = np.zeros(labels.shape[0])
    sq = (xyz**2).sum(axis=1)
    for t in range(k):
        mask = (labels == t).astype(float)
        total = mask @ weights
        ok &= np.abs(total - target) <= tol * target + 1e-9
        count = mask.sum(axis=1)
        m = mask @ xyz
        with np.errstate(divide="ignore", invalid="ignore"):
            inertia += np.where(count > 0, mask @ sq - (m**2).sum(axis=1) / count, 0.0)
    candidates = np.flatnonzero(ok)
    for idx in candidates[np.argsort(inertia[candidates], kind="stable")]:
        if np.all(territory_components(problem.adjacency, labels[idx], k) == 1):  # type: ignore[arg-type]
            return float(inertia[idx])
    return None


@settings(max_examples=12, deadline=None)
@given(
    shape=st.sampled_from([(3, 3), (3, 4), (4, 3), (2, 5), (2, 6), (4, 4)]),
    k=st.integers(2, 3),
    seed=st.integers(0, 10_000),
)
# the search ended at 7/6/9 (band 6-8) with every move blocked by the band, and the tiny
# instances' exact re-splits ran only on plans within the bands; 8/7/7 exists
@example(shape=(2, 5), k=3, seed=454)
def test_heuristic_near_brute_force_optimum(shape: tuple[int, int], k: int, seed: int) -> None:
    rows, cols = shape
    if k ** (rows * cols) > 600_000:
        k = 2
    coords, adj = lattice(rows, cols)
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 6, size=(rows * cols, 1)).astype(float)
    problem = DesignProblem(
        weights=weights, n_territories=k, tolerance=0.2, coords=coords, adjacency=adj
    )
    best = brute_force(problem, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = HeuristicSolver(random_state=seed, n_starts=4).solve(problem)
    assert np.all(result.report.contiguity.components == 1)  # type: ignore[operator]
    if best is None:
        assert not result.report.balance.all_within
        return
    assert result.report.balance.all_within
    assert result.report.compactness.weighted_inertia <= best * 1.10 + 1e-6


@settings(max_examples=10, deadline=None)
@given(
    side=st.sampled_from([(4, 4), (4, 5), (5, 5), (6, 6)]),
    k=st.integers(2, 4),
    seed=st.integers(0, 10_000),
)
def test_heuristic_near_exact_p_median(side: tuple[int, int], k: int, seed: int) -> None:
    """The exact solver's optimum (squared distance to a centre unit) bounds the best
    centroid inertia from above; the heuristic must come within 5 % of it."""
    rows, cols = side
    coords, adj = lattice(rows, cols)
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 6, size=(rows * cols, 1)).astype(float)
    problem = DesignProblem(
        weights=weights, n_territories=k, tolerance=0.15, coords=coords, adjacency=adj
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exact = get_solver("exact", time_limit=20.0).solve(problem)
        heuristic = HeuristicSolver(random_state=seed, n_starts=4).solve(problem)
    if not exact.stats.proven_optimal:
        return
    assert heuristic.report.balance.all_within
    assert heuristic.report.contiguity.all_contiguous
    assert heuristic.report.compactness.weighted_inertia <= exact.stats.objective * 1.05
