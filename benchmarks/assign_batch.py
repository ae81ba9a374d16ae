"""Benchmark: vectorised rule assignment of 1,000,000 accounts x 500 rules.

Prints, measured in the same run:
* the Polars batch path (``terraplan.rules.assign_batch``),
* DuckDB executing the compiled SQL (``compile_sql(..., "duckdb")``) over the Arrow table,
* a straightforward per-record Python loop (``route`` for each record) on a sample,
  extrapolated linearly to all records (stated in the output),
and the speed-up of the batch paths over the loop; then, unless ``--spark-accounts 0``, the
same rule set compiled to Spark SQL and run on a local Spark (``local[2]``) over the first
``--spark-accounts`` accounts written as Parquet, compared with the Polars batch result.

Usage: .venv/bin/python benchmarks/assign_batch.py [--accounts 1000000] [--rules 500]
       [--spark-accounts 10000000]   (more than --accounts: the accounts are generated again)
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
import polars as pl

from terraplan.rules import assign_batch, compile_sql, parse_rule_set, route

INDUSTRIES = [
    "Software", "SaaS", "Healthcare", "Biotech", "Retail", "Manufacturing", "Finance",
    "Insurance", "Education", "Government", "Energy", "Media", "Logistics", "Hospitality",
    "Construction", "Agriculture", "Telecom", "Automotive", "Legal", "Nonprofit",
]  # fmt: skip
STATES = ["CA", "NY", "TX", "FL", "WA", "IL", "MA", "GA", "CO", "OR", "AZ", "NC", "PA", "OH"]


def make_accounts(n: int, rng: np.random.Generator) -> pl.DataFrame:
    zips = rng.integers(1000, 100000, n)
    postal = np.char.zfill(zips.astype(str), 5).astype(object)
    plus4 = rng.random(n) < 0.1
    postal[plus4] = [f"{p}-{rng.integers(1000, 9999)}" for p in postal[plus4]]
    postal[rng.random(n) < 0.02] = None
    industry = np.array(INDUSTRIES, dtype=object)[rng.integers(0, len(INDUSTRIES), n)]
    industry[rng.random(n) < 0.05] = None
    casing = rng.random(n) < 0.2
    industry[casing] = [s.lower() if s else s for s in industry[casing]]
    employees = np.round(rng.lognormal(4.0, 1.6, n)).astype(np.int64)
    return pl.DataFrame(
        {
            "id": [f"A{i:07d}" for i in range(n)],
            "postal_code": pl.Series(postal.tolist(), dtype=pl.Utf8),
            "state": np.array(STATES, dtype=object)[rng.integers(0, len(STATES), n)].tolist(),
            "industry": pl.Series(industry.tolist(), dtype=pl.Utf8),
            "employees": employees,
            "annual_revenue": employees * rng.uniform(50_000, 300_000, n),
            "potential": rng.gamma(2.0, 20_000.0, n),
        }
    )


def make_rules(n_rules: int, n_accounts: int, rng: np.random.Generator) -> dict[str, Any]:
    """A realistic mix: 10 named lists, 40 vertical, 50 segment, the rest geo (ranges/prefixes)."""
    territories: list[dict[str, str]] = [{"id": "pool", "type": "catch_all"}]
    rules: list[dict[str, Any]] = []
    named = []
    pinned = rng.choice(n_accounts, size=min(500, n_accounts), replace=False).reshape(10, -1)
    for k in range(10):
        territories.append({"id": f"key{k}", "type": "named"})
        ids = sorted(f"A{int(i):07d}" for i in pinned[k])
        named.append({"territory": f"key{k}", "accounts": ids})
    for k in range(40):
        territories.append({"id": f"vert{k}", "type": "vertical"})
        inds = [str(x) for x in rng.choice(INDUSTRIES, 3, replace=False)]
        low = int(rng.integers(0, 90)) * 1000
        rules.append(
            {
                "id": f"vert{k}",
                "territory": f"vert{k}",
                "when": {
                    "all": [
                        {"field": "industry", "op": "in", "value": inds},
                        {"field": "postal_code", "op": "between", "value": [low, low + 9999]},
                        {"field": "employees", "op": "ge", "value": 1000},
                    ]
                },
            }
        )
    for k in range(50):
        territories.append({"id": f"seg{k}", "type": "segment"})
        low = int(rng.integers(500, 900))
        rules.append(
            {
                "id": f"seg{k}",
                "territory": f"seg{k}",
                "when": {
                    "all": [
                        {"field": "employees", "op": "between", "value": [low, low + 99]},
                        {"field": "state", "op": "equals", "value": STATES[k % len(STATES)]},
                    ]
                },
            }
        )
    n_geo = n_rules - len(rules)
    width = max(100, (99000 // n_geo) // 100 * 100)  # whole 3-digit prefixes
    for k in range(n_geo):
        territories.append({"id": f"geo{k}", "type": "geo"})
        low = 1000 + k * width
        if k % 2 == 0:
            when = {"field": "postal_code", "op": "between", "value": [low, low + width - 1]}
        else:  # the same span written as 3-digit prefixes where possible
            prefixes = sorted({f"{z:05d}"[:3] for z in range(low, low + width, 100)})
            when = {"field": "postal_code", "op": "starts_with", "value": prefixes}
        rules.append({"id": f"geo{k}", "territory": f"geo{k}", "when": when})
    return {
        "territories": territories,
        "named_accounts": named,
        "rules": rules,
        "catch_all": "pool",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--spark-accounts", type=int, default=10_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    accounts = make_accounts(args.accounts, rng)
    rule_set = parse_rule_set(make_rules(args.rules, args.accounts, rng))
    print(
        f"{accounts.height:,} accounts x {len(rule_set.rules)} rules "
        f"(incl. {len(rule_set.named_accounts)} named-account lists); cpus={os.cpu_count()}, "
        f"POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS', 'default')}"
    )

    start = time.perf_counter()
    batch = assign_batch(accounts, rule_set)
    t_polars = time.perf_counter() - start
    print(f"polars batch        : {t_polars:8.2f} s")

    import duckdb

    sql = compile_sql(rule_set, "duckdb")
    con = duckdb.connect()
    con.register("accounts", accounts.to_arrow())
    start = time.perf_counter()
    via_sql = con.sql(sql).pl()
    t_duckdb = time.perf_counter() - start
    print(f"duckdb compiled SQL : {t_duckdb:8.2f} s  ({len(sql) / 1e6:.1f} MB of SQL)")

    sample = accounts.head(args.sample).to_dicts()
    start = time.perf_counter()
    looped = [route(r, rule_set) for r in sample]
    t_sample = time.perf_counter() - start
    t_loop = t_sample / len(sample) * accounts.height
    print(
        f"per-record loop     : {t_loop:8.2f} s  (EXTRAPOLATED from {len(sample):,} records "
        f"measured in {t_sample:.2f} s)"
    )
    print(
        f"speed-up polars vs loop: {t_loop / t_polars:6.1f}x   duckdb vs loop: {t_loop / t_duckdb:6.1f}x"
    )

    head = batch.head(len(sample))
    same_loop = all(
        (res.territory_id, res.rule_id, res.conflict)
        == (row["territory_id"], row["rule_id"], row["conflict"])
        for res, row in zip(looped, head.iter_rows(named=True), strict=True)
    )
    cols = ["id", "territory_id", "rule_id", "conflict", "gap"]
    same_sql = via_sql.select(cols).sort("id").equals(batch.select(cols).sort("id"))
    print(f"agreement: loop sample == batch: {same_loop}; duckdb SQL == batch: {same_sql}")
    counts = batch.select(
        pl.col("gap").sum().alias("gaps"),
        pl.col("conflict").sum().alias("conflicts"),
        pl.col("territory_id").n_unique().alias("territories"),
    ).row(0, named=True)
    print(f"result: {counts}")
    if args.spark_accounts > 0:
        spark_run(args.spark_accounts, args.rules, accounts, rule_set, batch)


def jvm_cpu(spark: Any) -> float:
    """CPU seconds (user + system) of the local Spark's JVM so far (0 when unknown)."""
    from pathlib import Path

    try:
        pid = spark.sparkContext._gateway.proc.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def spark_run(
    n: int, n_rules: int, accounts: pl.DataFrame, rule_set: Any, batch: pl.DataFrame
) -> None:
    """The compiled Spark SQL on a local Spark over ``n`` accounts (Parquet, written in
    chunks to a temporary folder, deleted afterwards)."""
    import shutil
    import tempfile
    from pathlib import Path

    from terraplan.services.warehouse import local_spark

    folder = Path(tempfile.mkdtemp(prefix="assign_spark_"))
    try:
        if n <= accounts.height:
            accounts.head(n).write_parquet(folder / "part-0.parquet")
            reference: pl.DataFrame | None = batch.head(n)
        else:  # generate the accounts again in chunks (same rules), compare on the first chunk
            rng = np.random.default_rng(8)
            done = 0
            reference = None
            while done < n:
                size = min(1_000_000, n - done)
                chunk = make_accounts(size, rng).with_columns(
                    (pl.lit("S") + pl.col("id") + pl.lit(f"-{done}")).alias("id")
                )
                chunk.write_parquet(folder / f"part-{done // 1_000_000:04d}.parquet")
                if reference is None:
                    reference = assign_batch(chunk, rule_set)
                done += size
        start, cpu = time.perf_counter(), time.process_time()
        spark = local_spark(cores=2, shuffle_partitions=4)
        spark.sparkContext.setLogLevel("ERROR")
        started = time.perf_counter() - start
        spark.read.parquet(str(folder)).createOrReplaceTempView("accounts")
        sql = compile_sql(rule_set, "spark")
        start, jvm = time.perf_counter(), jvm_cpu(spark)
        result = spark.sql(sql)
        counts = result.selectExpr(
            "SUM(CASE WHEN gap THEN 1 ELSE 0 END)", "SUM(CASE WHEN conflict THEN 1 ELSE 0 END)"
        ).collect()[0]
        t_spark = time.perf_counter() - start
        print(
            f"spark compiled SQL : {t_spark:8.2f} s over {n:,} accounts x {n_rules} rules "
            f"(local[2]; session start {started:.1f} s; Spark JVM CPU {jvm_cpu(spark) - jvm:.1f} s; "
            f"driver CPU {time.process_time() - cpu:.1f} s; gaps+conflicts "
            f"{counts[0]}+{counts[1]}; load average {os.getloadavg()[0]:.1f})"
        )
        if reference is not None:
            # compared inside Spark: the first chunk's batch result joined on id (the filter
            # on id keeps Spark from assigning the other chunks again), rows that differ counted
            wanted = folder.parent / f"{folder.name}_reference.parquet"
            reference.select("id", "territory_id", "rule_id").write_parquet(wanted)
            spark.read.parquet(str(wanted)).createOrReplaceTempView("reference")
            result.createOrReplaceTempView("assigned")
            compared, differing = spark.sql(
                "SELECT COUNT(*), SUM(CASE WHEN a.territory_id <=> r.territory_id AND "
                "a.rule_id <=> r.rule_id THEN 0 ELSE 1 END) FROM reference AS r "
                "LEFT JOIN (SELECT * FROM assigned WHERE id LIKE '%-0') AS a ON a.id = r.id"
            ).collect()[0]
            wanted.unlink()
            print(
                f"agreement: spark SQL vs batch on {compared:,} of {n:,} accounts: "
                f"{differing} differ"
            )
        spark.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
