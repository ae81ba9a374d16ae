"""Import 1,000,000 accounts from CSV: read, validate, geocode; beside pandas.read_csv.

Usage: ``python benchmarks/import_accounts.py [--rows N] [--seed S] [--keep FILE]``

The file is generated (seeded) from real ZIP codes of the bundled ZIP table; 30 % of rows
carry coordinates, about 0.5 % carry a deliberate error. Figures: wall time per phase and
peak resident memory (``ru_maxrss``; polars allocates outside Python, so tracemalloc would
miss it). The baseline is a plain ``pandas.read_csv`` of the same file in the same run;
it runs in a child process so that its memory does not mix with ours.

The import is :func:`terraplan.services.imports.import_file` with ``on_error="skip"`` into
a new SQLite file (or ``--database-url``): read, validate, geocode, then one transaction.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from terraplan.domain import Rep
from terraplan.io.geocoding import ZipDirectory
from terraplan.services.imports import import_file
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

INDUSTRIES = ["Manufacturing", "Retail", "Healthcare", "Finance", "Software", "Logistics"]
TYPES = ["Customer", "Prospect", "Partner"]


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB.

    Reads ``VmHWM`` from ``/proc/self/status`` (reset by exec, so a spawned child reports
    its own peak); falls back to ``ru_maxrss`` (KiB on Linux) elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_accounts_csv(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` Salesforce-shaped account rows to ``path`` (vectorised, seeded)."""
    rng = np.random.default_rng(seed)
    zips = ZipDirectory().table
    codes = np.asarray(zips["zip"].to_pylist(), dtype=object)
    lat = zips["lat"].to_numpy()
    lon = zips["lon"].to_numpy()
    pick = rng.integers(0, len(codes), rows)
    with_coords = rng.random(rows) < 0.3
    jitter = rng.normal(0, 0.01, (rows, 2))
    lat_text = np.where(with_coords, np.round(lat[pick] + jitter[:, 0], 6).astype(str), "")
    lon_text = np.where(with_coords, np.round(lon[pick] + jitter[:, 1], 6).astype(str), "")
    postal = codes[pick].astype(str)
    employees = rng.integers(1, 5000, rows).astype(str)
    potential = np.round(rng.lognormal(10, 1, rows), 2).astype(str)
    # A few bad rows: unparsable numbers, unknown ZIPs, negative potential.
    bad = rng.random(rows)
    employees = np.where(bad < 0.002, "many", employees)
    postal = np.where((bad >= 0.002) & (bad < 0.004), "00000", postal)
    potential = np.where((bad >= 0.004) & (bad < 0.005), "-5", potential)
    ids = np.char.add("001", np.char.zfill(np.arange(rows).astype(str), 12))
    owners = np.char.add("005", np.char.zfill(rng.integers(0, 500, rows).astype(str), 12))
    frame = pl.DataFrame(
        {
            "Id": ids,
            "Name": np.char.add("Company ", np.arange(rows).astype(str)),
            "BillingPostalCode": postal,
            "BillingCountry": np.where(rng.random(rows) < 0.5, "US", ""),
            "BillingLatitude": lat_text,
            "BillingLongitude": lon_text,
            "Industry": np.asarray(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), rows)],
            "Type": np.asarray(TYPES)[rng.integers(0, len(TYPES), rows)],
            "NumberOfEmployees": employees,
            "AnnualRevenue": np.round(rng.lognormal(14, 1.5, rows), 2).astype(str),
            "OwnerId": owners,
            "Potential__c": potential,
            "Tier__c": np.asarray(["Gold", "Silver", "Bronze"])[rng.integers(0, 3, rows)],
        }
    )
    frame.write_csv(path)


def _import_into_database(path: Path, url: str) -> dict[str, object]:
    """Import ``path`` with :func:`import_file` (on_error=skip); seconds per phase."""
    db = Database(url)
    migrate.upgrade(db)
    with UnitOfWork(db) as uow:
        uow.reps.delete_all()
        uow.reps.add_many(Rep(id=f"005{i:012d}", name=f"Rep {i}") for i in range(500))
        uow.commit()
    marks: list[tuple[str, float]] = []

    def progress(step: str, done: int, total: int | None) -> None:
        if not marks or marks[-1][0] != step:
            marks.append((step, time.perf_counter()))

    start = time.perf_counter()
    outcome = import_file(db, path, "accounts", on_error="skip", progress=progress)
    end = time.perf_counter()
    db.dispose()
    phases: dict[str, object] = {}
    for (step, at), (_, until) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        phases[step.split()[0]] = until - at
    phases["total"] = end - start
    phases["report"] = outcome.report
    return phases


def _pandas_read(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    seconds = time.perf_counter() - start
    queue.put((seconds, len(frame), peak_rss_mb()))


def _in_child(target, *args):  # type: ignore[no-untyped-def]
    """Run ``target(*args, queue)`` in a spawned process; return what it puts."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _generate(path: str, rows: int, seed: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    generate_accounts_csv(Path(path), rows, seed)
    queue.put(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="write the CSV here")
    parser.add_argument(
        "--database-url", default=None, help="database to import into (default: a new SQLite file)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "accounts.csv"
        start = time.perf_counter()
        _in_child(_generate, str(path), args.rows, args.seed)
        size_mb = path.stat().st_size / 1e6
        print(
            f"generate  {time.perf_counter() - start:7.2f} s  ({args.rows:,} rows, {size_mb:.0f} MB)"
        )

        pandas_seconds, pandas_rows, pandas_rss = _in_child(_pandas_read, str(path))
        rss_before = peak_rss_mb()

        phases = _import_into_database(path, args.database_url or f"sqlite:///{tmp}/bench.db")
        total = phases.pop("total")
        report = phases.pop("report")
        for name, seconds in phases.items():
            print(f"{name:<9} {seconds:7.2f} s")
        print(
            f"import    {total:7.2f} s  total: read + validate + geocode + write, one transaction "
            f"({report.accepted:,} accepted, {report.rejected:,} rejected, {report.geocoded:,} geocoded)"
        )
        print(
            f"peak RSS  {peak_rss_mb():7.0f} MB  (before import: {rss_before:.0f} MB; "
            "generation and pandas ran in child processes)"
        )
        print(
            f"pandas.read_csv(dtype=str) {pandas_seconds:.2f} s for {pandas_rows:,} rows, "
            f"peak RSS {pandas_rss:.0f} MB (child process)"
        )
        print(f"ratio import / pandas.read_csv: {total / pandas_seconds:.2f}x")
        print(
            f"targets: total < 30 s -> {'met' if total < 30 else 'NOT met'}; "
            f"peak < 2048 MB -> {'met' if peak_rss_mb() < 2048 else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
