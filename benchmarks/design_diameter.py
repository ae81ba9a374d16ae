"""Largest-diameter objective: the heuristic's gap to the exact optimum, per instance.

Seeded planar instances (uniform points in a 100 x 100 km square, workload uniform in
[1, 10], a +-15 % window): 20-40 units into 3-5 territories, with fixed centres (the first
k units) or free centres, with and without contiguity (Delaunay graph). The exact solver
(:mod:`terraplan.engine.design.exact_diameter`) proves the least largest diameter; the
heuristic (``compactness_objective="diameter"``) runs with its default budgets. Printed per
instance: optimum, heuristic diameter, gap, wall and CPU seconds of each; then the median
and worst gap over the instances the exact solver proved.

Run: .venv/bin/python benchmarks/design_diameter.py [--quick]
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

from terraplan.engine.design import DesignProblem, ExactSolver, HeuristicSolver

QUICK = "--quick" in sys.argv


def instances() -> list[tuple[str, DesignProblem]]:
    out = []
    sizes = [(20, 3), (25, 4), (30, 3), (30, 5), (40, 4)]
    for i, (n, k) in enumerate(sizes[:3] if QUICK else sizes):
        for fixed in (True, False):
            for contiguous in (False, True):
                seed = 100 * i + 10 * fixed + contiguous
                rng = np.random.default_rng(seed)
                points = rng.random((n, 2)) * 100.0
                weights = rng.uniform(1.0, 10.0, size=(n, 1))
                extra: dict[str, object] = (
                    {"centres": np.arange(k), "locked": np.r_[np.arange(k), np.full(n - k, -1)]}
                    if fixed
                    else {"n_territories": k}
                )
                problem = DesignProblem(
                    weights=weights, coords=points, coords_kind="planar", tolerance=0.15,
                    contiguous=contiguous, compactness_objective="diameter",
                    **extra,  # type: ignore[arg-type]
                )  # fmt: skip
                name = f"n={n:2d} k={k} {'fixed' if fixed else 'free '} {'contig' if contiguous else 'plain '}"
                out.append((name, problem))
    return out


def timed(solver: object, problem: DesignProblem) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = solver.solve(problem)  # type: ignore[attr-defined]
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(
        f"{'instance':<28} {'optimum':>8} {'heur.':>8} {'gap':>7}   "
        f"{'exact s (cpu)':>14}   {'heur. s (cpu)':>14}"
    )
    gaps = []
    for name, problem in instances():
        try:
            exact, ew, ec = timed(ExactSolver(time_limit=120), problem)
        except Exception as exc:  # infeasible windows on an instance: say so, go on
            print(f"{name:<28} exact: {type(exc).__name__}: {exc}")
            continue
        heur, hw, hc = timed(HeuristicSolver(random_state=0), problem)
        best = exact.report.compactness.max_diameter  # type: ignore[attr-defined]
        found = heur.report.compactness.max_diameter  # type: ignore[attr-defined]
        proven = exact.stats.proven_optimal  # type: ignore[attr-defined]
        within = heur.report.balance.all_within  # type: ignore[attr-defined]
        gap = found / best - 1.0 if best > 0 else 0.0
        if proven:
            gaps.append(gap)
        flag = "" if proven else "  (exact not proven)"
        flag += "" if within else "  (heuristic off balance)"
        print(
            f"{name:<28} {best:8.2f} {found:8.2f} {gap:7.2%}   {ew:6.2f} ({ec:5.2f})   "
            f"{hw:6.2f} ({hc:5.2f}){flag}"
        )
    if gaps:
        arr = np.array(gaps)
        print(
            f"\nproven instances: {arr.size}; heuristic gap median {np.median(arr):.2%}, "
            f"worst {arr.max():.2%}, within 1 %: {int(np.sum(arr <= 0.01))}/{arr.size}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
