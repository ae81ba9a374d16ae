"""Benchmark: the compiled KPI query in place (DuckDB, Spark) beside the in-process Polars path.

Generates (seeded, in chunks of one million lines) ``--lines`` sales lines as a folder of
Parquet files, with accounts, 500 territories under 25 regions, opportunities and targets,
spread over 36 months; then prints, measured in the same run:

* DuckDB running the compiled SQL over all ``--lines`` (every KPI, 500 territories x 36
  months): wall time, this process's CPU time and peak memory (target: <= 30 s on 2 cores),
* on the first ``--small-lines``: the in-process Polars path (``compute_kpis``), DuckDB again
  (the ratio between the two) and, unless ``--spark-lines 0``, the same SQL on a local Spark
  (``local[2]``, run as the steps of ``compile_kpi_steps``) over ``--spark-lines``; each
  result is compared with the Polars one.

The data is deleted afterwards. Usage:
  .venv/bin/python benchmarks/kpis_warehouse.py [--lines 100000000] [--small-lines 10000000]
      [--spark-lines 10000000] [--accounts 200000] [--dir /tmp] [--ownership]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.services.warehouse import local_spark, warehouse_kpis

CHUNK = 1_000_000
FIRST = date(2023, 11, 1)  # 36 months: 2023-11 .. 2026-10
AS_OF = date(2026, 10, 31)
N_DAYS = (AS_OF - FIRST).days + 1
TERRITORIES, REGIONS = 500, 25


def dates(days: np.ndarray) -> pl.Series:
    """Dates ``days`` after :data:`FIRST`."""
    offset = (FIRST - date(1970, 1, 1)).days
    return pl.Series((days + offset).astype("datetime64[D]")).cast(pl.Date)


def write_tables(folder: Path, n_lines: int, n_accounts: int, small_lines: int) -> Path:
    """Write the inputs to ``folder/all`` and the first ``small_lines`` to ``folder/small``
    (other tables linked); return ``folder``."""
    rng = np.random.default_rng(2026)
    everything, small = folder / "all", folder / "small"
    for place in (everything / "sales_lines", small / "sales_lines"):
        place.mkdir(parents=True)
    ids = np.arange(n_accounts, dtype=np.int64)
    pl.DataFrame(
        {
            "id": ids,
            "segment": np.array(["smb", "mid", "ent"])[rng.integers(0, 3, n_accounts)],
            "industry": np.array(["software", "retail", "health", "finance"])[
                rng.integers(0, 4, n_accounts)
            ],
            "potential": np.round(rng.gamma(2.0, 40_000.0, n_accounts), 2),
        }
    ).write_parquet(everything / "accounts.parquet")
    pl.DataFrame(
        {"account_id": ids, "territory_id": [f"T{i % TERRITORIES:03d}" for i in range(n_accounts)]}
    ).write_parquet(everything / "alignment.parquet")
    pl.DataFrame(
        {
            "id": [f"T{i:03d}" for i in range(TERRITORIES)] + [f"R{r:02d}" for r in range(REGIONS)],
            "parent_id": [f"R{i % REGIONS:02d}" for i in range(TERRITORIES)] + [None] * REGIONS,
            "owner_id": [f"rep{i:03d}" for i in range(TERRITORIES)] + [None] * REGIONS,
        }
    ).write_parquet(everything / "territories.parquet")
    n_opps = n_accounts * 2
    created = rng.integers(0, N_DAYS, n_opps)
    closed = rng.random(n_opps) < 0.7
    pl.DataFrame(
        {
            "id": np.arange(n_opps),
            "account_id": rng.integers(0, n_accounts, n_opps),
            "created_date": dates(created),
            "close_date": dates(np.where(closed, created + rng.integers(10, 200, n_opps), 0)),
            "amount": np.round(rng.lognormal(9.5, 1.0, n_opps), 2),
            "is_closed": closed,
            "is_won": closed & (rng.random(n_opps) < 0.35),
        }
    ).with_columns(
        pl.when(pl.col("is_closed")).then(pl.col("close_date")).otherwise(None).alias("close_date")
    ).write_parquet(everything / "opportunities.parquet")
    pl.DataFrame(
        {
            "territory_id": [f"T{i:03d}" for i in range(TERRITORIES) for _ in range(3)],
            "rep_id": [None] * (TERRITORIES * 3),
            "period_start": [date(y, 1, 1) for _ in range(TERRITORIES) for y in (2024, 2025, 2026)],
            "period_end": [date(y, 12, 31) for _ in range(TERRITORIES) for y in (2024, 2025, 2026)],
            "amount": rng.uniform(2e6, 6e6, TERRITORIES * 3).round(2),
        },
        schema_overrides={"rep_id": pl.String},
    ).write_parquet(everything / "targets.parquet")
    # ownership history, in its own folder (read only by the --ownership run): every 50th
    # account was owned by the next territory's rep until 2025-06-30
    history = folder / "history"
    history.mkdir()
    moved = ids[::50]
    switch = date(2025, 7, 1)
    today = [f"rep{i % TERRITORIES:03d}" for i in moved]
    before = [f"rep{(i + 1) % TERRITORIES:03d}" for i in moved]
    pl.DataFrame(
        {
            "account_id": np.concatenate([moved, moved]),
            "owner_id": before + today,
            "valid_from": [date(2020, 1, 1)] * len(moved) + [switch] * len(moved),
            "valid_to": [date(2025, 6, 30)] * len(moved) + [None] * len(moved),
        }
    ).write_parquet(history / "ownership.parquet")
    for name in ("accounts", "alignment", "territories", "opportunities", "targets"):
        (small / f"{name}.parquet").symlink_to(everything / f"{name}.parquet")
        (history / f"{name}.parquet").symlink_to(everything / f"{name}.parquet")
    (history / "sales_lines").symlink_to(everything / "sales_lines")
    done = 0
    while done < n_lines:
        size = min(CHUNK, n_lines - done)
        amount = np.round(rng.lognormal(6.0, 1.2, size), 2)
        amount[rng.random(size) < 0.03] *= -1  # returns and credit notes
        chunk = pl.DataFrame(
            {
                "account_id": rng.integers(0, n_accounts, size),
                "date": dates(rng.integers(0, N_DAYS, size)),
                "amount": amount,
            }
        )
        path = everything / "sales_lines" / f"part-{done // CHUNK:05d}.parquet"
        chunk.write_parquet(path)
        if done < small_lines:
            (small / "sales_lines" / path.name).symlink_to(path)
        done += size
    return folder


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def differences(want: pl.DataFrame, got: pl.DataFrame) -> int:
    """Cells that differ (nulls must match; floats within 1e-9 relative)."""
    if want.height != got.height or want.columns != got.columns:
        return -1
    bad = 0
    for column in want.columns[6:]:
        for a, b in zip(want[column], got[column], strict=True):
            if (a is None) != (b is None) or (
                a is not None and not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
            ):
                bad += 1
    return bad


def jvm_cpu(spark: object) -> float:
    """CPU seconds (user + system) of the local Spark's JVM so far (0 when unknown)."""
    try:
        pid = spark.sparkContext._gateway.proc.pid  # type: ignore[attr-defined]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def timed(label: str, run: object, spark: object = None) -> tuple[object, float, float]:
    """Run ``run`` and print its wall time, this process's CPU time (plus the Spark JVM's
    when ``spark`` is given), peak RSS and the load average (other work shares the cores)."""
    start, cpu = time.perf_counter(), time.process_time()
    jvm = jvm_cpu(spark) if spark is not None else 0.0
    result = run() if callable(run) else run
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    extra = ""
    if spark is not None:
        extra = f" (+ {jvm_cpu(spark) - jvm:.1f} s CPU in the Spark JVM)"
    print(
        f"{label:<44}: {wall:7.1f} s wall, {used:7.1f} s CPU{extra}, peak RSS "
        f"{peak_mb():,.0f} MB, load average {os.getloadavg()[0]:.1f}"
    )
    return result, wall, used


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000_000)
    parser.add_argument("--small-lines", type=int, default=10_000_000)
    parser.add_argument("--spark-lines", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument(
        "--ownership",
        action="store_true",
        help="also time reps credited with the owner of the day (2%% of accounts re-owned) "
        "beside reps credited with today's owner, over all --lines",
    )
    args = parser.parse_args()
    small_lines = min(args.small_lines, args.lines)
    folder = Path(tempfile.mkdtemp(prefix="kpis_warehouse_", dir=args.dir))
    load = os.getloadavg()
    print(
        f"{args.lines:,} sales lines, {args.accounts:,} accounts, {TERRITORIES} territories x 36 "
        f"months; cpus={os.cpu_count()}, load average {load[0]:.1f}"
    )
    try:
        timed(
            "generate Parquet (chunks of 1M lines)",
            lambda: write_tables(folder, args.lines, args.accounts, small_lines),
        )
        size = sum(p.stat().st_size for p in (folder / "all").rglob("*.parquet"))
        print(f"  {size / 1e9:.2f} GB of Parquet in {folder}")
        options = {"periods": ["month"], "dimensions": ["territory"], "as_of": AS_OF}
        run, big_wall, _ = timed(
            f"duckdb compiled SQL, {args.lines:,} lines",
            lambda: warehouse_kpis("duckdb", str(folder / "all"), **options),
        )
        print(f"  {run.frame.height:,} rows (territory x month), target <= 30 s: "
              f"{'met' if big_wall <= 30 else 'NOT met'}")  # fmt: skip
        if args.ownership:
            reps = {"periods": ["month"], "dimensions": ["territory", "rep"], "as_of": AS_OF}
            timed(
                f"duckdb, territories and reps, {args.lines:,} lines",
                lambda: warehouse_kpis("duckdb", str(folder / "all"), **reps),
            )
            timed(
                "  the same, reps with the owner of the day",
                lambda: warehouse_kpis("duckdb", str(folder / "history"), **reps),
            )
        small = folder / "small"
        inputs = KpiInputs(
            **{
                name: pl.scan_parquet(small / f"{name}.parquet")
                for name in ("accounts", "alignment", "territories", "opportunities", "targets")
            },
            sales_lines=pl.scan_parquet(small / "sales_lines" / "*.parquet"),
        )
        want, t_polars, _ = timed(
            f"in-process polars, {small_lines:,} lines",
            lambda: compute_kpis(inputs, as_of=AS_OF, periods=["month"], dimensions=["territory"]),
        )
        got, t_duck, _ = timed(
            f"duckdb compiled SQL, {small_lines:,} lines",
            lambda: warehouse_kpis("duckdb", str(small), **options).frame,
        )
        assert isinstance(want, pl.DataFrame) and isinstance(got, pl.DataFrame)
        print(f"  duckdb / polars time: {t_duck / t_polars:.2f}; differing cells: "
              f"{differences(want, got)}")  # fmt: skip
        if args.spark_lines > 0:
            spark_lines = min(args.spark_lines, small_lines)
            if spark_lines != small_lines:
                print(
                    f"  (spark runs on the {small_lines:,}-line set: --spark-lines <= --small-lines)"
                )
            spark, _, _ = timed("spark session start (local[2])", lambda: local_spark(2, 8))
            spark.sparkContext.setLogLevel("ERROR")  # type: ignore[attr-defined]
            on_spark, _, _ = timed(
                f"spark compiled SQL, {small_lines:,} lines",
                lambda: warehouse_kpis("spark", str(small), spark=spark, **options).frame,
                spark,
            )
            assert isinstance(on_spark, pl.DataFrame)
            print(f"  spark differing cells vs polars: {differences(want, on_spark)}")
            spark.stop()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"deleted {folder}")


if __name__ == "__main__":
    main()
