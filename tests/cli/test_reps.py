"""``terraplan capacity`` and ``match`` for scripts: their JSON carries the figures as computed
(tables round them; JSON and CSV must not)."""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import seed_region_plan

from terraplan.storage import migrate
from terraplan.storage.database import Database

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _plan(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=200, seed=5)
    db.dispose()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_capacity_json_carries_the_figures_unrounded(run_cli: RunCli, tmp_path: Path) -> None:
    """FTE, loads, shares and the hiring forecast were rounded to 1, 2 or 4 decimals in JSON:
    a script could not recompute FTE = hours / effective hours from them."""
    _plan(tmp_path)
    done = run_cli("capacity", "--plan", "P1", "--by", "territory", "--hires", "1:2", "-f", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    hours = report["effective_hours_per_rep"]
    limit = report["accounts_per_rep"]  # the seeded reps have an account limit
    assert _close(report["fte_by_hours"], report["total_workload_hours"] / hours)
    assert _close(report["fte_by_accounts"], 200 / limit)
    assert _close(report["fte_needed"], max(report["fte_by_hours"], report["fte_by_accounts"]))
    assert report["groups"]
    for group in report["groups"]:
        by_hours, by_accounts = group["workload_hours"] / hours, group["accounts"] / limit
        assert _close(group["fte_needed"], max(by_hours, by_accounts)), group
    for row in report["marginal"]:
        load = max(row["workload_per_rep"] / hours, row["accounts_per_rep"] / limit)
        assert _close(row["load_vs_capacity"], load), row
        assert _close(row["workload_per_rep"], report["total_workload_hours"] / row["reps"])
    assert report["forecast"]
    for month in report["forecast"]:
        assert _close(month["coverage"], month["productive_fte"] / report["fte_needed"])


def test_match_json_carries_each_cost_unrounded(run_cli: RunCli, tmp_path: Path) -> None:
    """Each pair's cost and its parts were rounded to 4 decimals in JSON: they no longer added
    up to the cost, nor the costs to the total."""
    _plan(tmp_path)
    done = run_cli("match", "--plan", "P1", "-f", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    weights, pairs = result["weights"], result["pairs"]
    assert pairs
    for pair in pairs:
        parts = sum(weights[k] * pair[f"cost_{k}"] for k in weights)
        assert _close(pair["cost"], parts), pair
    assert _close(result["total_cost"], sum(p["cost"] for p in pairs))
