from __future__ import annotations

import numpy as np

from terraplan.engine.design import DesignProblem
from terraplan.engine.design.geometry import lattice
from terraplan.engine.design.problem import prepare
from terraplan.engine.design.repair import exact_pair_repair, fixed_centre_costs
from terraplan.engine.design.report import evaluate_design


def test_pair_repair_lowers_cost_and_keeps_balance_contiguity_and_locks() -> None:
    coords, adjacency = lattice(4, 6)
    weights = np.ones((24, 1))
    # Column stripes of 8 units (4 rows x 2 columns): balanced and contiguous, not compact
    # around the centres, which sit at the stripes' ends.
    start = (np.arange(24) % 6) // 2
    centres = np.array([0, 20, 5])
    assert start[centres].tolist() == [0, 1, 2]
    locked = np.full(24, -1)
    locked[centres] = [0, 1, 2]
    problem = DesignProblem(
        weights=weights,
        n_territories=3,
        tolerance=0.13,
        coords=coords,
        adjacency=adjacency,
        contiguous=True,
        centres=centres,
        locked=locked,
    )
    prep = prepare(problem)
    costs = fixed_centre_costs(prep)
    assert costs is not None and costs.shape == (24, 3)
    before = float(costs[np.arange(24), start].sum())
    repaired, cut = exact_pair_repair(prep, start, costs, deadline=float("inf"))
    assert not cut
    after = float(costs[np.arange(24), repaired].sum())
    assert after < before  # the stripes are not optimal around these centres
    assert np.all(repaired[centres] == locked[centres])
    report = evaluate_design(problem, repaired)
    assert report.balance.all_within
    assert report.contiguity.all_contiguous
    # Running it again finds nothing more to gain (pairs and triples are optimal).
    again, _ = exact_pair_repair(prep, repaired, costs, deadline=float("inf"))
    assert float(costs[np.arange(24), again].sum()) == after


def test_no_repair_when_centres_move() -> None:
    coords, adjacency = lattice(3, 3)
    prep = prepare(
        DesignProblem(weights=np.ones((9, 1)), n_territories=3, coords=coords, adjacency=adjacency)
    )
    assert fixed_centre_costs(prep) is None
