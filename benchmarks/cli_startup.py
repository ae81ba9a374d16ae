"""Benchmark: how long the ``terraplan`` command takes to start.

Runs ``terraplan --version``, ``terraplan --help`` and ``terraplan design --help`` as fresh
processes (what a user waits for), and, as the baseline measured in the same run, a process
that only imports the database and migration stack (``terraplan.storage.migrate``) and the
data frames (polars) — what every command paid before they were imported inside the commands.
Prints the median and the worst of N runs, and the heavy modules each command imported.

Usage: .venv/bin/python benchmarks/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

HEAVY = ("sqlalchemy", "alembic", "polars", "pyarrow", "numpy", "scipy", "fastapi", "uvicorn")
TARGET_S = 0.5


def _time(argv: list[str], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env={**os.environ, "COLUMNS": "100"})
        seconds.append(time.perf_counter() - start)
    return seconds


def _heavy_imports(args: list[str]) -> list[str]:
    code = (
        "import sys\n"
        f"sys.argv = ['terraplan', *{args!r}]\n"
        "from terraplan.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    line = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    return [m for m in line.split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    python = sys.executable
    cases = {
        "terraplan --version": ([python, "-m", "terraplan", "--version"], ["--version"]),
        "terraplan --help": ([python, "-m", "terraplan", "--help"], ["--help"]),
        "terraplan design --help": (
            [python, "-m", "terraplan", "design", "--help"],
            ["design", "--help"],
        ),
    }
    baseline = [python, "-c", "import terraplan.storage.migrate, polars"]
    print(f"load average {os.getloadavg()[0]:.1f}; {runs} runs each; target < {TARGET_S} s")
    print(f"{'command':<34} {'median s':>9} {'max s':>7}  heavy modules imported")
    for name, (argv, args) in cases.items():
        seconds = _time(argv, runs)
        heavy = ", ".join(_heavy_imports(args)) or "none"
        print(f"{name:<34} {statistics.median(seconds):>9.3f} {max(seconds):>7.3f}  {heavy}")
    seconds = _time(baseline, runs)
    base = statistics.median(seconds)
    print(
        f"{'baseline: import storage + polars':<34} {base:>9.3f} {max(seconds):>7.3f}"
        "  (what every command paid before)"
    )


if __name__ == "__main__":
    main()
