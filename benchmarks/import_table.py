"""Import accounts from a database table and a Parquet folder in batches, beside the file import.

Usage: ``python benchmarks/import_table.py [--rows N] [--batch-rows B] [--seed S]``

The rows are those of ``import_accounts.py`` (real ZIPs, about 0.5 % deliberate errors),
written once as a CSV file, as a table of a SQLite database and as a folder of four Parquet
files. Each import runs in its own spawned process into a new SQLite file with
``on_error="skip"``, so that each prints its own peak resident memory (``VmHWM``): the named
baseline is :func:`terraplan.services.imports.import_file` of the CSV file (the whole file in
memory); the table and the folder go through
:func:`terraplan.services.source_imports.import_source`, ``--batch-rows`` records at a time.
Prints wall and CPU seconds, peak memory and the accepted/rejected counts of each (they must
agree), and the ratios against the baseline.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import runpy
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent


def _peak_rss_mb() -> float:
    return runpy.run_path(str(HERE / "import_accounts.py"))["peak_rss_mb"]()  # type: ignore[no-any-return]


def _generate(folder: str, rows: int, seed: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    generate = runpy.run_path(str(HERE / "import_accounts.py"))["generate_accounts_csv"]
    csv = Path(folder) / "accounts.csv"
    generate(csv, rows, seed)
    frame = pl.read_csv(csv, infer_schema=False)
    parts = Path(folder) / "parquet"
    parts.mkdir()
    step = -(-frame.height // 4)
    for index in range(4):
        frame.slice(index * step, step).write_parquet(parts / f"part-{index}.parquet")
    with sqlite3.connect(Path(folder) / "crm.db") as connection:
        columns = ", ".join(f'"{c}" TEXT' for c in frame.columns)
        connection.execute(f"CREATE TABLE accounts (pk INTEGER PRIMARY KEY, {columns})")
        marks = ", ".join("?" * (frame.width + 1))
        connection.executemany(
            f"INSERT INTO accounts VALUES ({marks})",
            ((i + 1, *row) for i, row in enumerate(frame.iter_rows())),
        )
    queue.put(None)


def _run(mode: str, folder: str, batch_rows: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from terraplan.domain import Rep
    from terraplan.io.table_source import parse_source
    from terraplan.services.imports import import_file
    from terraplan.services.source_imports import import_source
    from terraplan.storage import migrate
    from terraplan.storage.database import Database
    from terraplan.storage.unit_of_work import UnitOfWork

    db = Database(f"sqlite:///{folder}/{mode}.db")
    migrate.upgrade(db)
    with UnitOfWork(db) as uow:
        uow.reps.add_many(Rep(id=f"005{i:012d}", name=f"Rep {i}") for i in range(500))
        uow.commit()
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "file":
        outcome = import_file(db, Path(folder) / "accounts.csv", "accounts", on_error="skip")
    else:
        text = (
            f"sqlite:///{folder}/crm.db?table=accounts" if mode == "table" else f"{folder}/parquet"
        )
        source = parse_source(text)
        assert source is not None
        outcome = import_source(db, source, "accounts", on_error="skip", batch_rows=batch_rows)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report = outcome.report
    db.dispose()
    queue.put((wall, cpu, _peak_rss_mb(), report.accepted, report.rejected))


def _in_child(target, *args):  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        _in_child(_generate, tmp, args.rows, args.seed)
        print(
            f"generate {time.perf_counter() - start:7.1f} s ({args.rows:,} rows: CSV, table, folder)"
        )
        results = {}
        for mode, label in (
            ("file", "CSV file, import_file (baseline)"),
            ("table", f"SQLite table, batches of {args.batch_rows:,}"),
            ("folder", f"Parquet folder, batches of {args.batch_rows:,}"),
        ):
            wall, cpu, rss, accepted, rejected = _in_child(_run, mode, tmp, args.batch_rows)
            results[mode] = (wall, cpu, rss)
            print(
                f"{label:<40} wall {wall:6.1f} s  cpu {cpu:6.1f} s  peak {rss:6.0f} MB  "
                f"({accepted:,} accepted, {rejected:,} rejected)"
            )
        base = results["file"]
        for mode in ("table", "folder"):
            wall, cpu, rss = results[mode]
            print(
                f"{mode} / file: wall {wall / base[0]:.2f}x, cpu {cpu / base[1]:.2f}x,"
                f" peak memory {rss / base[2]:.2f}x"
            )
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
