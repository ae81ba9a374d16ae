"""``terraplan plans``: the scenario verbs on a real SQLite file, as a user types them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from terraplan.domain import AlignmentEntry, GeoKind, Plan, RecordKind, Territory
from terraplan.rules import dump_rule_set
from terraplan.services.demo import load_demo
from terraplan.services.ownership import rules_for_design
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/plans.db"
    db = Database(url)
    migrate.upgrade(db)
    dataset, _ = load_demo(db, n_accounts=300, seed=3)
    region_of = {state: region for region in dataset.regions for state in region.states}
    plan = Plan(
        id="P1",
        name="Regions",
        territories=tuple(Territory(f"T-{r.id}", r.name) for r in dataset.regions),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, f"T-{region_of[u.state].id}")
            for u in dataset.geo_units
            if u.kind is GeoKind.COUNTY and u.state in region_of
        ),
        parameters={"units": "counties"},
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        rules = rules_for_design(stored, list(dataset.geo_units))
        uow.rule_sets.add("P1", dump_rule_set(rules), plan_version=1)
        uow.commit()
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
