"""Several skewed metrics balanced at once.

1. The demo's own design: the demo CRM (seed 2026, 20,000 accounts) summed onto the US
   counties, 40 contiguous territories, potential +-10 % and workload +-15 %, solved with
   the heuristic for design seeds 0-9 (target: both bands met for 10 of 10 seeds, each in
   at most 15 s on 2 cores). Printed per seed: worst deviation of each metric, territories
   outside a band, wall and CPU seconds, solver status; then the diagnosis made before the
   search (units given a territory of their own) and which seeds' plans prove the bands
   feasible.
2. 30 generated planar instances as in the delivery-territory-design literature: 500-700
   uniform random points in a square (planar x/y, km), Delaunay adjacency, three
   activities uniform in [4, 20], [15, 400] and [15, 100], 10 contiguous territories,
   every activity within +-5 % (target: 30 of 30 feasible). Printed: feasible count,
   times, and the largest territory diameter (km) of each plan.

Run: .venv/bin/python benchmarks/design_multimetric.py [--demo-only | --planar-only]
     [--seeds N | --seed-list 2,9] [--instances N] [--time-limit S]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from dataclasses import replace

import numpy as np
from scipy import sparse
from scipy.spatial import Delaunay

from terraplan.engine.design import DesignProblem, HeuristicSolver


def demo_units() -> tuple[list, int]:
    """The counties with the demo accounts' potential and workload summed on each."""
    from terraplan.data.counties import load_counties
    from terraplan.data.demo import AS_OF
    from terraplan.data.demo_accounts import build_accounts
    from terraplan.data.demo_people import build_team
    from terraplan.data.demo_zips import load_zip_arrays

    rng = np.random.default_rng(2026)
    team_rng, account_rng, *_ = rng.spawn(6)
    zips = load_zip_arrays()
    _, reps = build_team(team_rng, zips, AS_OF)
    accounts = build_accounts(account_rng, zips, reps, 20_000)
    totals: dict[str, list[float]] = {}
    for account in accounts:
        if account.county_fips is None:
            continue
        row = totals.setdefault(account.county_fips, [0.0, 0.0])
        row[0] += float(account.potential or 0.0)
        row[1] += float(account.workload or 0.0)
    units = load_counties(with_polygons=False)
    sellers = sum(1 for r in reps if r.role.value != "manager")
    out = []
    for u in units:
        pot, work = totals.get(u.id, [0.0, 0.0])
        out.append(replace(u, attributes={**u.attributes, "potential": pot, "workload": work}))
    return out, sellers


def demo_case(seeds: list[int], time_limit: float) -> None:
    from terraplan.planning.design import design_territories

    units, k = demo_units()
    print(
        f"\n== demo design: {len(units)} counties -> {k} contiguous territories, "
        "potential +-10 %, workload +-15 %"
    )
    print(f"  {'seed':>4} {'potential':>9} {'workload':>9} {'outside':>7} {'wall s':>7}"
          f" {'cpu s':>6}  status")  # fmt: skip
    met = 0
    certificates: list[int] = []
    for seed in seeds:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = design_territories(
                units, n_territories=k, balance={"potential": 0.10, "workload": 0.15},
                contiguous=True, seed=seed, time_limit=time_limit, method="heuristic",
            )  # fmt: skip
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        bal = outcome.report.balance
        outside = int(np.sum(~np.all(bal.within, axis=1)))
        ok = bal.all_within and outcome.report.contiguity.all_contiguous is not False
        met += ok
        if ok:
            certificates.append(seed)
        if seed == seeds[0]:
            from terraplan.planning.design import issue_text

            names = [t.name for t in outcome.plan.territories]
            found = [issue_text(i, outcome.unit_names, names) for i in outcome.diagnosis.issues]
            print(f"  diagnosis before the search: {'; '.join(found) or 'no issue'}")
        dev = bal.max_abs_deviation
        print(
            f"  {seed:>4} {dev[0]:>9.1%} {dev[1]:>9.1%} {outside:>7} {wall:>7.1f} {cpu:>6.1f}"
            f"  {outcome.stats.status}"
        )
    print(f"  both bands met: {met} of {len(seeds)} seeds  (load average {os.getloadavg()[0]:.1f})")
    # A plan inside every band is a proof that the bands can be met (no necessary
    # condition can then fail); without one, only the diagnosis above speaks.
    if certificates:
        print(f"  feasibility: proven by the plans of seed(s) {certificates} (every band met)")
    else:
        print("  feasibility: not proven by any plan here; see the diagnosis above")


#: The planar instances run the (opt-in) multi-metric balance phase with this work per unit;
#: the demo case runs the product's defaults (that phase off, the exact group re-splits of
#: ordered_resplit.py on).
PLANAR_BALANCE_WORK = 6.0


def planar_instance(seed: int) -> DesignProblem:
    """500-700 uniform points in a 100 km square, Delaunay graph, three activities."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(500, 701))
    points = rng.random((n, 2)) * 100.0
    weights = np.column_stack(
        [rng.uniform(4, 20, n), rng.uniform(15, 400, n), rng.uniform(15, 100, n)]
    )
    tri = Delaunay(points)
    edges = np.vstack([tri.simplices[:, [a, b]] for a in range(3) for b in range(3) if a != b])
    adjacency = sparse.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    # planar km placed near the equator, where a degree is ~111 km in both directions
    coords = np.column_stack([points[:, 1], points[:, 0]]) / 111.195
    return DesignProblem(
        weights=weights, n_territories=10, tolerance=0.05, coords=coords, adjacency=adjacency,
        contiguous=True, compactness_metric=None, metric_names=("a1", "a2", "a3"),
    )  # fmt: skip


def planar_case(instances: int, time_limit: float) -> None:
    print(f"\n== {instances} planar instances: 500-700 units -> 10 territories, 3 activities +-5 %")
    feasible = 0
    walls, cpus, diameters = [], [], []
    for seed in range(instances):
        problem = planar_instance(seed)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = HeuristicSolver(
                random_state=seed, time_limit=time_limit, balance_work=PLANAR_BALANCE_WORK
            ).solve(problem)
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
        rep = result.report
        ok = rep.balance.all_within and rep.contiguity.all_contiguous is not False
        feasible += ok
        diameters.append(rep.compactness.max_diameter)
        print(
            f"  instance {seed:>2}: n={problem.weights.shape[0]:>3} feasible {ok!s:<5} "  # type: ignore[union-attr]
            f"max|dev| {np.max(rep.balance.max_abs_deviation):6.2%} largest diameter "
            f"{rep.compactness.max_diameter:5.1f} km  {walls[-1]:5.1f} s (cpu {cpus[-1]:.1f})"
            f"  {result.stats.status}"
        )
    print(
        f"  feasible: {feasible} of {instances}; time median {np.median(walls):.1f} s, max "
        f"{max(walls):.1f} s (cpu max {max(cpus):.1f}); largest diameter median "
        f"{np.median(diameters):.1f} km  (load average {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo-only", action="store_true")
    parser.add_argument("--planar-only", action="store_true")
    parser.add_argument("--seeds", type=int, default=10, help="design seeds 0 to N-1")
    parser.add_argument("--seed-list", help="these design seeds instead, e.g. 2,9")
    parser.add_argument("--instances", type=int, default=30)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    if not args.planar_only:
        seeds = list(range(args.seeds))
        if args.seed_list:
            seeds = [int(s) for s in args.seed_list.split(",")]
        demo_case(seeds, args.time_limit)
    if not args.demo_only:
        planar_case(args.instances, args.time_limit)


if __name__ == "__main__":
    main()
