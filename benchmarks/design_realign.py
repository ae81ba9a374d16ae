"""Least-disruption realignment with fixed centres: the heuristic against the exact optimum.

30 random instances (seeded), 20-300 units in a 100 km square, 4-12 reps at fixed bases,
a unit x base travel-cost matrix (straight-line km times a random detour factor 1.0-1.4),
workload per unit uniform in [1, 10]. The current plan is balanced on last year's workload
(designed by the same engine); this year's workload drifts (x lognormal, sigma 0.3), so
some territories leave their window. Windows +-10/15/20 % of the equal share, in turn.
Priority "lexicographic": balance (hard), then fewest units moved, then compactness
(workload-weighted cost).

For each instance: the exact solver's optimum (two stages, proven or not), the heuristic's
plan (``HeuristicSolver``: seeded from the current plan, repaired exactly on the territories
out of band and their neighbours), the gap (units moved above the optimum, else compactness
above it; target <= 1 %), the rings of territories it solved ("all": the last ring
held every territory, so it solved the full model), wall and CPU seconds. A named baseline in the same run: the
current plan itself (how many territories it leaves out of band, column "out"), and on the
instances up to 100 units the boundary search of before (weighted mode with a hand-tuned
``disruption_weight`` of 1,000 on a unit x unit matrix holding the same travel costs).

Run by hand: ``.venv/bin/python benchmarks/design_realign.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from terraplan.engine.design import DesignProblem, ExactSolver, HeuristicSolver
from terraplan.errors import TerraplanError

TOLERANCES = (0.10, 0.15, 0.20)
#: The disruption weight the boundary-search baseline needed to reach least disruption.
BASELINE_WEIGHT = 1000.0
#: The baseline runs on the instances up to this many units (it takes tens of seconds).
BASELINE_MAX_UNITS = 100


def instance(index: int) -> dict[str, object]:
    """Arrays of instance ``index`` (seeded by it)."""
    rng = np.random.default_rng(1_000 + index)
    n = int(20 + round(280 * index / 29)) if index < 30 else 300
    k = int(rng.integers(4, 13))
    points = rng.random((n, 2)) * 100.0
    bases = rng.choice(n, k, replace=False)
    detour = rng.uniform(1.0, 1.4, size=(n, k))
    costs = np.linalg.norm(points[:, None, :] - points[bases][None, :, :], axis=2) * detour
    last_year = rng.uniform(1.0, 10.0, size=n)
    this_year = last_year * rng.lognormal(0.0, 0.3, size=n)
    tolerance = TOLERANCES[(index + index // 3) % 3]
    return {
        "n": n,
        "k": k,
        "points": points,
        "costs": costs,
        "last_year": last_year,
        "this_year": this_year,
        "tolerance": tolerance,
        "bases": bases,
    }


def problem(data: dict[str, object], current: np.ndarray | None) -> DesignProblem:
    year = data["this_year"] if current is not None else data["last_year"]
    return DesignProblem(
        weights=np.asarray(year)[:, None],
        coords=data["points"],
        coords_kind="planar",
        centre_costs=data["costs"],
        tolerance=float(data["tolerance"]),  # type: ignore[arg-type]
        compactness_metric=0,
        distance_power=1,
        current=current,
        priority="lexicographic",
    )


def baseline_problem(data: dict[str, object], current: np.ndarray) -> DesignProblem:
    """The same realignment for the boundary search of before (a unit x unit matrix whose
    base columns are the travel costs, weighted mode with a hand-tuned disruption weight)."""
    points = np.asarray(data["points"])
    matrix = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    bases = np.asarray(data["bases"])
    matrix[:, bases] = np.asarray(data["costs"])
    matrix[bases, :] = np.asarray(data["costs"]).T
    return DesignProblem(
        weights=np.asarray(data["this_year"])[:, None],
        distances=matrix,
        centres=bases,
        tolerance=float(data["tolerance"]),  # type: ignore[arg-type]
        compactness_metric=0,
        distance_power=1,
        current=current,
        disruption_weight=BASELINE_WEIGHT,
    )


def timed(solver: object, prob: DesignProblem) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = solver.solve(prob)  # type: ignore[attr-defined]
    return result, time.perf_counter() - wall, time.process_time() - cpu


def gap(h_moved: int, h_obj: float, e_moved: int, e_obj: float) -> float:
    """Relative gap of the heuristic: on units moved when it moves more, else compactness."""
    if h_moved != e_moved:
        return (h_moved - e_moved) / max(e_moved, 1)
    return (h_obj - e_obj) / max(abs(e_obj), 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 instances instead of 30")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    indices = range(0, 30, 3) if args.quick else range(30)
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    header = (
        f"{'#':>2} {'n':>4} {'k':>3} {'tol':>4} {'out':>3} | {'exact moved':>11} {'proven':>6} "
        f"{'wall':>6} {'cpu':>5} | {'heur moved':>10} {'gap %':>6} {'rings':>5} {'all':>3} "
        f"{'wall':>6} {'cpu':>5}"
    )
    print(header)
    print("-" * len(header))
    gaps: list[float] = []
    proven = 0
    rings_whole = 0
    baseline_rows: list[str] = []
    times: list[tuple[float, float, float, float]] = []
    for index in indices:
        data = instance(index)
        try:
            start, _, _ = timed(HeuristicSolver(time_limit=args.time_limit), problem(data, None))
            current = np.asarray(start.labels)  # type: ignore[attr-defined]
            prob = problem(data, current)
            exact, e_wall, e_cpu = timed(ExactSolver(time_limit=args.time_limit), prob)
            heur, h_wall, h_cpu = timed(HeuristicSolver(time_limit=args.time_limit), prob)
            base = None
            if int(data["n"]) <= BASELINE_MAX_UNITS:  # type: ignore[call-overload]
                base, b_wall, b_cpu = timed(
                    HeuristicSolver(time_limit=args.time_limit), baseline_problem(data, current)
                )
        except TerraplanError as exc:
            print(f"{index:>2} {data['n']:>4} {data['k']:>3}  error: {exc}")
            continue
        totals = np.bincount(current, weights=np.asarray(data["this_year"]), minlength=data["k"])
        share = totals.sum() / int(data["k"])  # type: ignore[call-overload]
        out = int(np.sum(np.abs(totals / share - 1.0) > float(data["tolerance"]) + 1e-9))  # type: ignore[arg-type]
        e_rep, h_rep = exact.report, heur.report  # type: ignore[attr-defined]
        e_moved, h_moved = e_rep.disruption.units_moved, h_rep.disruption.units_moved
        g = gap(h_moved, h_rep.compactness.objective, e_moved, e_rep.compactness.objective)
        is_proven = bool(exact.stats.proven_optimal)  # type: ignore[attr-defined]
        whole = heur.stats.status.startswith("optimal")  # type: ignore[attr-defined]
        rings_whole += whole
        proven += is_proven
        if is_proven:
            gaps.append(g)
        times.append((e_wall, e_cpu, h_wall, h_cpu))
        if base is not None:
            b_moved = base.report.disruption.units_moved  # type: ignore[attr-defined]
            within_b = base.report.balance.all_within  # type: ignore[attr-defined]
            baseline_rows.append(
                f"{index:>2} {data['n']:>4}: boundary search moved {b_moved} (optimum {e_moved}, "
                f"ratio {b_moved / max(e_moved, 1):.2f}), in band {within_b}, "
                f"{b_wall:.2f} s wall / {b_cpu:.2f} s CPU"
            )
        print(
            f"{index:>2} {data['n']:>4} {data['k']:>3} {data['tolerance']:>4.2f} {out:>3} | "
            f"{e_moved:>11} {'yes' if is_proven else 'no':>6} {e_wall:>6.2f} {e_cpu:>5.2f} | "
            f"{h_moved:>10} {100 * g:>6.2f} {heur.stats.iterations:>5} "  # type: ignore[attr-defined]
            f"{'yes' if whole else 'no':>3} {h_wall:>6.2f} {h_cpu:>5.2f}"
        )
    arr = np.array(times)
    within = sum(g <= 0.01 + 1e-12 for g in gaps)
    print()
    print(f"instances: {len(times)}, exact optimum proven: {proven}")
    print(f"heuristic rings grown to every territory (then the full exact model): {rings_whole}")
    if gaps:
        print(
            f"heuristic within 1 % of the proven optimum: {within}/{len(gaps)} "
            f"(worst gap {100 * max(gaps):.2f} %, mean {100 * float(np.mean(gaps)):.3f} %)"
        )
    if arr.size:
        print(
            f"exact: median {np.median(arr[:, 0]):.2f} s wall / {np.median(arr[:, 1]):.2f} s CPU, "
            f"max {arr[:, 0].max():.2f} s wall / {arr[:, 1].max():.2f} s CPU"
        )
        print(
            f"heuristic: median {np.median(arr[:, 2]):.2f} s wall / {np.median(arr[:, 3]):.2f} s "
            f"CPU, max {arr[:, 2].max():.2f} s wall / {arr[:, 3].max():.2f} s CPU"
        )
    if baseline_rows:
        print(
            "\nbaseline, the boundary search of before (weighted mode, disruption_weight "
            f"{BASELINE_WEIGHT:g}, same time limit):"
        )
        print("\n".join(baseline_rows))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
