"""Exact territory design (scipy HiGHS MILP + contiguity cuts) on random planar instances.

For each instance (20-100 units in a 100 km square, Delaunay adjacency, 3-6 fixed
centres spread by D^2 sampling, population balance window +-10% of the equal share,
objective population-weighted squared distance to the centre, contiguity required):

- time to a proven optimum (target: under 5 s each);
- the free-centre p-median with balance and contiguity on smaller instances (time only);
- the heuristic solver (``terraplan.engine.design.HeuristicSolver``) on the same problem,
  its objective against the proven optimum (target: within 1%).

Run by hand: ``.venv/bin/python benchmarks/design_exact.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy import sparse
from scipy.spatial import Delaunay

from terraplan.engine.design.exact import compactness_cost, solve_exact_assignment
from terraplan.engine.design.exact_core import is_contiguous, symmetric_adjacency
from terraplan.engine.design.exact_pmedian import solve_exact_pmedian
from terraplan.errors import TerraplanError

TOLERANCE = 0.10
N_STARTS = 50


def instance(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    points = rng.random((n, 2)) * 100.0
    population = rng.integers(500, 5000, size=n).astype(float)
    tri = Delaunay(points)
    rows, cols = [], []
    for simplex in tri.simplices:
        for a in range(3):
            for b in range(3):
                if a != b:
                    rows.append(simplex[a])
                    cols.append(simplex[b])
    adjacency = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    adjacency.data[:] = 1.0
    dist = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    centres = [int(rng.integers(n))]
    for _ in range(k - 1):
        d2 = dist[:, centres].min(axis=1) ** 2
        centres.append(int(rng.choice(n, p=d2 / d2.sum())))
    return points, population, adjacency, dist, np.array(centres)


def run_exact(population, adjacency, dist, centres, time_limit):
    k = centres.shape[0]
    cost = compactness_cost(dist[:, centres], population, squared=True)
    share = population.sum() / k
    started = time.perf_counter()
    outcome = solve_exact_assignment(
        cost,
        population[:, None],
        np.full((k, 1), share * (1 - TOLERANCE)),
        np.full((k, 1), share * (1 + TOLERANCE)),
        None,
        adjacency=adjacency,
        centre_units=centres,
        time_limit=time_limit,
    )
    return outcome, time.perf_counter() - started, cost


def heuristic_solver():
    try:
        from terraplan.engine.design import DesignProblem, HeuristicSolver
    except ImportError:
        return None
    return DesignProblem, HeuristicSolver


def run_heuristic(classes, population, adjacency, dist, centres, time_limit):
    design_problem, heuristic = classes
    locked = np.full(population.shape[0], -1, dtype=np.int64)
    locked[centres] = np.arange(centres.shape[0])  # the exact model keeps each centre home
    problem = design_problem(
        locked=locked,
        weights=population[:, None],
        n_territories=centres.shape[0],
        tolerance=TOLERANCE,
        distances=dist,
        adjacency=adjacency,
        contiguous=True,
        centres=centres,
        compactness_metric=0,
        distance_power=2,
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = heuristic(time_limit=time_limit, random_state=0, n_starts=N_STARTS).solve(problem)
    return np.asarray(result.labels), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer instances")
    parser.add_argument("--time-limit", type=float, default=60.0, help="exact, per instance")
    parser.add_argument("--heuristic-time", type=float, default=10.0)
    args = parser.parse_args()
    sizes = [(20, 3), (40, 4), (60, 5), (80, 6), (100, 6)]
    seeds = [0] if args.quick else [0, 1, 2]
    classes = heuristic_solver()
    if classes is None:
        print("heuristic not available: exact figures only")
    header = f"{'n':>4} {'k':>2} {'seed':>4} {'exact s':>8} {'proven':>6} {'iters':>5} {'cuts':>5}"
    header += f" {'optimum':>14} {'heur s':>7} {'heur/opt-1':>10}"
    print(header)
    exact_times, ratios, under5 = [], [], 0
    for n, k in sizes:
        for seed in seeds:
            _points, population, adjacency, dist, centres = instance(n, k, seed)
            try:
                outcome, seconds, cost = run_exact(
                    population, adjacency, dist, centres, args.time_limit
                )
            except TerraplanError as exc:
                print(f"{n:>4} {k:>2} {seed:>4} exact failed: {exc}")
                continue
            exact_times.append(seconds)
            under5 += seconds < 5.0
            line = f"{n:>4} {k:>2} {seed:>4} {seconds:>8.2f} {outcome.proven_optimal!s:>6}"
            line += f" {outcome.iterations:>5} {outcome.cuts_added:>5} {outcome.objective:>14.1f}"
            if classes is not None:
                try:
                    labels, h_seconds = run_heuristic(
                        classes, population, adjacency, dist, centres, args.heuristic_time
                    )
                except TerraplanError as exc:
                    line += f"  heuristic failed: {exc}"
                else:
                    h_cost = float(cost[np.arange(n), labels].sum())
                    ratio = h_cost / outcome.objective - 1.0
                    graph = symmetric_adjacency(adjacency, n)
                    share = population.sum() / k
                    totals = np.bincount(labels, weights=population, minlength=k)
                    feasible = is_contiguous(graph, labels) and bool(
                        np.all(np.abs(totals - share) <= TOLERANCE * share + 1e-6)
                    )
                    ratios.append(ratio)
                    line += f" {h_seconds:>7.2f} {ratio:>10.4%}"
                    line += "" if feasible else "  (heuristic plan infeasible)"
            print(line)
    if exact_times:
        times = np.array(exact_times)
        print(
            f"exact: {times.size} instances, median {np.median(times):.2f} s, "
            f"max {times.max():.2f} s, {under5}/{times.size} under 5 s"
        )
    if ratios:
        r = np.array(ratios)
        print(
            f"heuristic vs optimum: median {np.median(r):.3%}, max {r.max():.3%}, "
            f"{int((r <= 0.01 + 1e-12).sum())}/{r.size} within 1%"
        )
    print("free centres (p-median + balance + contiguity):")
    for n, k in [(30, 3), (50, 4), (70, 5)]:
        _points, population, adjacency, dist, _centres = instance(n, k, 0)
        share = population.sum() / k
        started = time.perf_counter()
        try:
            outcome = solve_exact_pmedian(
                dist**2,
                population[:, None],
                k,
                [share * (1 - TOLERANCE)],
                [share * (1 + TOLERANCE)],
                unit_weight=population,
                adjacency=adjacency,
                time_limit=args.time_limit,
            )
        except TerraplanError as exc:
            print(f"{n:>4} {k:>2} p-median failed: {exc}")
            continue
        print(
            f"{n:>4} {k:>2} {time.perf_counter() - started:>8.2f} s "
            f"proven={outcome.proven_optimal} iterations={outcome.iterations}"
        )


if __name__ == "__main__":
    main()
