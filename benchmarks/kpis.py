"""Benchmark: every KPI for every group and period over 10M sales lines and 1M opportunities.

Data: 500 territories (25 regions), 100,000 accounts, 36 months (2023-07 .. 2026-06), written
to Parquet first (outside the timing: "data already stored"). Then, timed in the same run:

- terraplan: ``compute_kpis`` reading the Parquet files lazily — all KPIs, dimensions
  territory/region/rep/segment/industry, periods: every month, quarter, year and YTD;
- baseline: pandas reading the same files and grouping revenue by territory and month
  (the revenue KPI only);
- owner of the day: ``compute_kpis`` by rep with and without the effective-dated ownership
  history (10% of accounts changed rep on 2025-07-01), and the ratio between the two.

Usage: .venv/bin/python benchmarks/kpis.py [--data-dir DIR] [--lines N] [--regenerate]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis

N_TERRITORIES = 500
N_REGIONS = 25
N_ACCOUNTS = 100_000
FIRST = date(2023, 7, 1)
AS_OF = date(2026, 6, 30)
N_DAYS = (AS_OF - FIRST).days + 1


def generate(directory: Path, n_lines: int, n_opps: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    territory_of = rng.integers(0, N_TERRITORIES, N_ACCOUNTS)
    accounts = pl.DataFrame(
        {
            "n": np.arange(N_ACCOUNTS),
            "potential": rng.lognormal(10, 1, N_ACCOUNTS).round(0),
            "workload": rng.uniform(5, 60, N_ACCOUNTS).round(1),
            "segment": rng.choice(["smb", "mid", "ent", "strategic"], N_ACCOUNTS),
            "industry": rng.choice([f"ind{i:02d}" for i in range(12)], N_ACCOUNTS),
            "t": territory_of,
        }
    ).with_columns(pl.format("A{}", pl.col("n").cast(pl.String).str.zfill(6)).alias("id"))
    accounts.select("id", "potential", "workload", "segment", "industry").write_parquet(
        directory / "accounts.parquet"
    )
    accounts.select(
        pl.col("id").alias("account_id"),
        pl.format("T{}", pl.col("t").cast(pl.String).str.zfill(3)).alias("territory_id"),
    ).write_parquet(directory / "alignment.parquet")
    t = np.arange(N_TERRITORIES)
    territories = pl.concat(
        [
            pl.DataFrame(
                {
                    "id": [f"R{r:02d}" for r in range(N_REGIONS)],
                    "parent_id": [None] * N_REGIONS,
                    "owner_id": [f"M{r:02d}" for r in range(N_REGIONS)],
                    "level": ["region"] * N_REGIONS,
                },
                schema_overrides={"parent_id": pl.String},
            ),
            pl.DataFrame(
                {
                    "id": [f"T{i:03d}" for i in t],
                    "parent_id": [f"R{i % N_REGIONS:02d}" for i in t],
                    "owner_id": [f"rep{i:03d}" for i in t],
                    "level": ["territory"] * N_TERRITORIES,
                }
            ),
        ]
    )
    territories.write_parquet(directory / "territories.parquet")
    quarters = [date(2023 + (6 + 3 * q) // 12, (6 + 3 * q) % 12 + 1, 1) for q in range(12)]
    ends = [*(quarters[1:]), date(2026, 7, 1)]
    pl.DataFrame(
        {
            "territory_id": [f"T{i:03d}" for i in t for _ in quarters],
            "rep_id": [None] * (N_TERRITORIES * 12),
            "period_start": [q for _ in t for q in quarters],
            "period_end": [e for _ in t for e in ends],
            "amount": rng.uniform(200_000, 400_000, N_TERRITORIES * 12).round(0),
        },
        schema_overrides={"rep_id": pl.String},
    ).with_columns(pl.col("period_end").dt.offset_by("-1d")).write_parquet(
        directory / "targets.parquet"
    )
    # sales lines: written in chunks to keep memory low
    chunk = 2_000_000
    for k, start in enumerate(range(0, n_lines, chunk)):
        size = min(chunk, n_lines - start)
        account = rng.integers(0, N_ACCOUNTS, size)
        amount = rng.lognormal(6, 1, size).round(2)
        amount[rng.random(size) < 0.03] *= -1  # returns
        pl.DataFrame(
            {
                "id": np.arange(start, start + size),
                "account_id": account,
                "date": pl.Series(rng.integers(0, N_DAYS, size)).cast(pl.Int32),
                "amount": amount,
                "quantity": rng.integers(1, 20, size).astype(float),
            }
        ).with_columns(
            pl.format("S{}", pl.col("id")).alias("id"),
            pl.format("A{}", pl.col("account_id").cast(pl.String).str.zfill(6)).alias("account_id"),
            (pl.lit(FIRST) + pl.duration(days=pl.col("date"))).alias("date"),
        ).write_parquet(directory / f"sales_{k:02d}.parquet")
    created = rng.integers(0, N_DAYS, n_opps)
    cycle = rng.integers(5, 200, n_opps)
    closed_days = created + cycle
    is_closed = closed_days < N_DAYS
    is_won = is_closed & (rng.random(n_opps) < 0.35)
    pl.DataFrame(
        {
            "id": np.arange(n_opps),
            "account_id": rng.integers(0, N_ACCOUNTS, n_opps),
            "created": created.astype(np.int32),
            "closed": closed_days.astype(np.int32),
            "amount": rng.lognormal(9, 1, n_opps).round(0),
            "is_closed": is_closed,
            "is_won": is_won,
        }
    ).select(
        pl.format("O{}", pl.col("id")).alias("id"),
        pl.format("A{}", pl.col("account_id").cast(pl.String).str.zfill(6)).alias("account_id"),
        (pl.lit(FIRST) + pl.duration(days=pl.col("created"))).alias("created_date"),
        pl.when(pl.col("is_closed"))
        .then(pl.lit(FIRST) + pl.duration(days=pl.col("closed")))
        .alias("close_date"),
        pl.when(pl.col("is_won"))
        .then(pl.lit("Closed Won"))
        .when(pl.col("is_closed"))
        .then(pl.lit("Closed Lost"))
        .otherwise(pl.lit("Open"))
        .alias("stage"),
        "amount",
        "is_closed",
        "is_won",
    ).write_parquet(directory / "opportunities.parquet")


MOVE = date(2025, 7, 1)


def write_ownership(directory: Path, seed: int = 11) -> None:
    """Every account owned by its territory's rep from FIRST; 10% had another rep until MOVE."""
    rng = np.random.default_rng(seed)
    alignment = pl.read_parquet(directory / "alignment.parquet")
    today = alignment.select(
        "account_id", ("rep" + pl.col("territory_id").str.slice(1)).alias("owner_id")
    )
    moved = rng.random(today.height) < 0.10
    other = (pl.col("owner_id").str.slice(3).cast(pl.Int64) + 1) % N_TERRITORIES
    before = today.filter(pl.Series(moved)).with_columns(
        pl.format("rep{}", other.cast(pl.String).str.zfill(3)).alias("owner_id"),
        pl.lit(FIRST).alias("valid_from"),
        pl.lit(MOVE - timedelta(days=1)).alias("valid_to"),
    )
    after = today.with_columns(
        pl.when(pl.Series(moved)).then(pl.lit(MOVE)).otherwise(pl.lit(FIRST)).alias("valid_from"),
        pl.lit(None, dtype=pl.Date).alias("valid_to"),
    )
    pl.concat([before, after], how="vertical_relaxed").write_parquet(
        directory / "ownership.parquet"
    )


def run_by_rep(directory: Path, with_history: bool) -> tuple[float, float, pl.DataFrame]:
    start, cpu = time.perf_counter(), time.process_time()
    inputs = KpiInputs(
        sales_lines=pl.scan_parquet(directory / "sales_*.parquet"),
        opportunities=pl.scan_parquet(directory / "opportunities.parquet"),
        targets=pl.scan_parquet(directory / "targets.parquet"),
        accounts=pl.scan_parquet(directory / "accounts.parquet"),
        alignment=pl.scan_parquet(directory / "alignment.parquet"),
        territories=pl.scan_parquet(directory / "territories.parquet"),
        ownership=pl.scan_parquet(directory / "ownership.parquet") if with_history else None,
    )
    result = compute_kpis(
        inputs, as_of=AS_OF, periods=["month", "quarter", "year", "YTD"], dimensions=["rep"]
    )
    return time.perf_counter() - start, time.process_time() - cpu, result


def run_terraplan(directory: Path) -> tuple[float, float, pl.DataFrame]:
    start, cpu = time.perf_counter(), time.process_time()
    inputs = KpiInputs(
        sales_lines=pl.scan_parquet(directory / "sales_*.parquet"),
        opportunities=pl.scan_parquet(directory / "opportunities.parquet"),
        targets=pl.scan_parquet(directory / "targets.parquet"),
        accounts=pl.scan_parquet(directory / "accounts.parquet"),
        alignment=pl.scan_parquet(directory / "alignment.parquet"),
        territories=pl.scan_parquet(directory / "territories.parquet"),
    )
    result = compute_kpis(inputs, as_of=AS_OF, periods=["month", "quarter", "year", "YTD"])
    return time.perf_counter() - start, time.process_time() - cpu, result


def run_pandas(directory: Path) -> tuple[float, float, object]:
    import pandas as pd

    start, cpu = time.perf_counter(), time.process_time()
    sales = pd.concat(
        pd.read_parquet(p, columns=["account_id", "date", "amount"])
        for p in sorted(directory.glob("sales_*.parquet"))
    )
    alignment = pd.read_parquet(directory / "alignment.parquet")
    merged = sales.merge(alignment, on="account_id", how="inner")
    merged["month"] = pd.to_datetime(merged["date"]).dt.to_period("M")
    revenue = merged.groupby(["territory_id", "month"], observed=True)["amount"].sum()
    return time.perf_counter() - start, time.process_time() - cpu, revenue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/terraplan-kpi-bench"))
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.regenerate or not (args.data_dir / "opportunities.parquet").exists():
        t = time.perf_counter()
        generate(args.data_dir, args.lines, args.opportunities)
        print(f"generated data in {time.perf_counter() - t:.1f} s (not timed)")
    lines = pl.scan_parquet(args.data_dir / "sales_*.parquet").select(pl.len()).collect().item()
    print(
        f"sales lines {lines:,}, territories {N_TERRITORIES}, months 36, threads {pl.thread_pool_size()}"
    )
    ours = [run_terraplan(args.data_dir) for _ in range(args.repeat)]
    rss_after_terraplan = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    theirs = [run_pandas(args.data_dir) for _ in range(args.repeat)]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, cpu, result = min(ours, key=lambda r: r[0])
    pandas_seconds, pandas_cpu, pandas_revenue = min(theirs, key=lambda r: r[0])
    pandas_rows = len(pandas_revenue)
    expected = pandas_revenue.reset_index()  # type: ignore[attr-defined]
    expected["month"] = expected["month"].astype(str)
    check = pl.from_pandas(expected).select(
        pl.col("territory_id").alias("key"),
        pl.col("month").alias("period"),
        pl.col("amount").alias("expected"),
    )
    ours_monthly = result.filter(
        (pl.col("dimension") == "territory") & (pl.col("grain") == "month")
    )
    compared = ours_monthly.join(check, on=["key", "period"], how="inner")
    worst = (compared["revenue"] - compared["expected"]).abs().max()
    print(
        f"check: {compared.height:,} territory-months compared with pandas, "
        f"largest revenue difference {worst:.2e}"
    )
    groups = result.select("dimension", "key").unique().height
    print(
        f"terraplan compute_kpis (best of {args.repeat}): {seconds:.2f} s wall, {cpu:.2f} s CPU "
        f"for {result.height:,} rows x {result.width - 6} KPIs ({groups:,} groups, "
        f"{result['period'].n_unique()} periods); all runs "
        f"{', '.join(f'{r[0]:.2f}' for r in ours)} s; peak RSS {rss_after_terraplan:,.0f} MB"
    )
    print(
        f"pandas revenue-only groupby, territory x month (best of {args.repeat}): "
        f"{pandas_seconds:.2f} s wall, {pandas_cpu:.2f} s CPU for {pandas_rows:,} rows; "
        f"peak RSS so far {rss:,.0f} MB"
    )
    print(
        f"ratio all-KPIs terraplan / revenue-only pandas: wall {seconds / pandas_seconds:.2f}, "
        f"CPU {cpu / pandas_cpu:.2f}"
    )
    write_ownership(args.data_dir)
    plain = [run_by_rep(args.data_dir, False) for _ in range(args.repeat)]
    dated = [run_by_rep(args.data_dir, True) for _ in range(args.repeat)]
    p_wall, p_cpu, p_result = min(plain, key=lambda r: r[0])
    d_wall, d_cpu, d_result = min(dated, key=lambda r: r[0])
    shifted = (
        p_result.filter(pl.col("grain") == "year")
        .join(d_result.filter(pl.col("grain") == "year"), on=["key", "period"], suffix="_dated")
        .select((pl.col("revenue") - pl.col("revenue_dated")).abs().sum())
        .item()
    )
    print(
        f"KPIs by rep, today's owner (best of {args.repeat}): {p_wall:.2f} s wall, "
        f"{p_cpu:.2f} s CPU; owner of the day: {d_wall:.2f} s wall, {d_cpu:.2f} s CPU; "
        f"ratio wall {d_wall / p_wall:.2f}, CPU {d_cpu / p_cpu:.2f}; "
        f"yearly revenue moved between reps: {shifted / 2:,.0f}"
    )
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
