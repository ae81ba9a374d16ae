"""``terraplan plans``: the scenario verbs on a real SQLite file, as a user types them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import seed_region_plan

from terraplan.storage import migrate
from terraplan.storage.database import Database

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/plans.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=300, seed=3)
    db.dispose()
    return url


def test_plans_verbs(run_cli: RunCli, tmp_path: Path) -> None:
    url = _database(tmp_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, database_url=url)

    copied = cli("plans", "copy", "P1", "--plan-id", "P2", "--name", "What if")
    assert copied.returncode == 0, copied.stderr
    assert "P2" in copied.stdout and "draft copy of P1" in copied.stdout
    listed = json.loads(cli("plans", "list", "-f", "json").stdout)
    assert [(p["plan"], p["status"]) for p in listed] == [("P1", "draft"), ("P2", "draft")]

    compared = json.loads(cli("plans", "compare", "P1", "P2", "-f", "json").stdout)
    assert compared["accounts"] == 300
    assert (compared["accounts_moved"], compared["units_moved"]) == (0, 0)

    shown = json.loads(cli("plans", "show", "P2", "-f", "json").stdout)
    assert shown["based_on_plan_id"] == "P1"
    assert len(shown["territories"]) == 3

    import sqlite3

    with sqlite3.connect(tmp_path / "plans.db") as connection:
        (current,) = connection.execute(
            "SELECT territory_id FROM alignments WHERE plan_id = 'P2' AND record_id = '06037'"
        ).fetchone()
    territories = [t["territory"] for t in shown["territories"] if t["territory"] != current]
    moved = cli("plans", "move", "P2", "--units", "06037", "--to", territories[0], "-f", "json")
    assert moved.returncode == 0, moved.stderr
    effects = json.loads(moved.stdout)["effects"]
    assert {e["territory"] for e in effects} == {territories[0], current}
    assert any(e["units_moved"] == 1 for e in effects)
    compared = json.loads(cli("plans", "compare", "P1", "P2", "-f", "json").stdout)
    assert compared["units_moved"] == 1
    undone = cli("plans", "undo", "P2", "-f", "json")
    assert undone.returncode == 0, undone.stderr
    assert json.loads(undone.stdout)["can_redo"] is True
    neither = cli("plans", "move", "P2", "--to", territories[0])
    assert neither.returncode == 2

    assert cli("plans", "status", "P2", "submit").returncode == 0
    stale = cli("plans", "status", "P2", "approve", "--version", "1")
    assert stale.returncode == 5
    assert "version" in stale.stderr
    assert cli("plans", "status", "P2", "approve").returncode == 0
    activated = cli("plans", "activate", "P2", "--effective", "2027-01-01")
    assert activated.returncode == 0, activated.stderr
    assert "active from 2027-01-01" in activated.stdout
    refused = cli("plans", "delete", "P2")
    assert refused.returncode == 5
    assert "Traceback" not in refused.stderr
    bad_date = cli("plans", "activate", "P1", "--effective", "tomorrow")
    assert bad_date.returncode == 2
    assert cli("plans", "delete", "P1").returncode == 0
    missing = cli("plans", "show", "P1")
    assert missing.returncode == 4
