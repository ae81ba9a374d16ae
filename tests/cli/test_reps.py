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


def test_match_tells_reps_who_share_a_name_apart(run_cli: RunCli, tmp_path: Path) -> None:
    """Two active reps named "Alex Kim": ``--must "Alex Kim:..."`` said "unknown rep 'Alex
    Kim' (not an active selling rep)", and the table showed two bare "Alex Kim" rows."""
    from dataclasses import replace

    from terraplan.domain import RepRole
    from terraplan.storage.unit_of_work import UnitOfWork

    _plan(tmp_path)
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    with UnitOfWork(db) as uow:
        sellers = [r for r in uow.reps.list() if r.active and r.role is not RepRole.MANAGER]
        twins = sorted(sellers, key=lambda r: r.id)[:2]
        uow.reps.add_many([replace(r, name="Alex Kim") for r in twins])
        territory = uow.plans.get("P1").territories[0].name
        uow.commit()
    db.dispose()
    ids = ", ".join(r.id for r in twins)
    done = run_cli("match", "--plan", "P1", "--must", f"alex kim:{territory}")
    assert done.returncode == 2
    assert f"must: 2 reps are named 'alex kim' ({ids}): give the id" in " ".join(
        done.stderr.split()
    )
    shown = run_cli("match", "--plan", "P1")
    assert shown.returncode == 0, shown.stderr
    for rep in twins:
        assert f"Alex Kim ({rep.id})" in shown.stdout
    picked = run_cli("match", "--plan", "P1", "--must", f"{twins[0].id}:{territory}", "-f", "json")
    assert picked.returncode == 0, picked.stderr
    pairs = json.loads(picked.stdout)["pairs"]
    assert {p["rep"] for p in pairs if p["rep_id"] in ids} == {"Alex Kim"}  # JSON: the name


def test_match_gives_the_weighted_parts_that_add_up_to_the_cost(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """``cost_skill`` and the other parts are unweighted: as given they did not add up to
    ``cost`` (0.498 + 0.286 + 2.743 + 0.786 against 3.727), and CSV had no parts at all."""
    import csv
    import io

    _plan(tmp_path)
    done = run_cli("match", "--plan", "P1", "-f", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for pair in result["pairs"]:
        for part, weight in result["weights"].items():
            assert _close(pair[f"weighted_{part}"], weight * pair[f"cost_{part}"]), pair
        assert _close(pair["cost"], sum(pair[f"weighted_{k}"] for k in result["weights"]))
    as_csv = run_cli("match", "--plan", "P1", "-f", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows and all(
        _close(float(r["cost"]), sum(float(r[f"weighted_{k}"]) for k in result["weights"]))
        for r in rows
        if r["cost"]
    )


def test_match_names_the_vacant_territory_in_its_summary(run_cli: RunCli, tmp_path: Path) -> None:
    """A rep left: the summary read "1 vacant territories; 0 reps unassigned." without saying
    which territory is open headcount; it now names it (and counts in the singular)."""
    from dataclasses import replace

    from terraplan.domain import RepRole
    from terraplan.storage.unit_of_work import UnitOfWork

    _plan(tmp_path)
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    with UnitOfWork(db) as uow:
        sellers = [r for r in uow.reps.list() if r.active and r.role is not RepRole.MANAGER]
        territories = [t for t in uow.plans.get("P1").territories if t.level == "territory"]
        # one territory more than active reps: one is left vacant
        gone = sorted(sellers, key=lambda r: r.id)[: len(sellers) - len(territories) + 1]
        uow.reps.add_many([replace(r, active=False) for r in gone])
        uow.commit()
    db.dispose()
    done = run_cli("match", "--plan", "P1", "-f", "json")
    assert done.returncode == 0, done.stderr
    (vacant,) = json.loads(done.stdout)["vacant_territory_names"]
    shown = run_cli("match", "--plan", "P1")
    assert shown.returncode == 0, shown.stderr
    summary = " ".join(shown.stdout.split())
    assert f"1 vacant territory ({vacant}); 0 reps unassigned." in summary
