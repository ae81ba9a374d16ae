"""``terraplan targets -f json`` for scripts: rows by territory and by rep name what they are
about beside the id."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import seed_region_plan

from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_targets_json_names_the_reps_and_territories_of_its_rows(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """The reps' monthly targets (and the monthly and fairness rows by territory) carried
    ids only: a rep's CRM id was all a script could show."""
    from terraplan.services.plan_edits import edit_plan

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=200, seed=5)
    with UnitOfWork(db) as uow:
        territories = {t.id: t.name for t in uow.plans.get("P1").territories}
        reps = {r.id: r.name for r in uow.reps.list()}
    owners = dict(zip(territories, sorted(reps), strict=False))
    for territory, rep_id in owners.items():
        edit_plan(db, "P1", {"op": "set_owners", "territory": territory, "reps": [rep_id]})
    db.dispose()
    done = run_cli("targets", "--plan", "P1", "--growth", "5%", "-f", "json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert {(r["rep_id"], r["name"]) for r in body["reps"]} == {
        (rep_id, reps[rep_id]) for rep_id in owners.values()
    }
    assert body["monthly"] and all(
        r["name"] == territories[r["territory_id"]] for r in body["monthly"]
    )
    rows = body["fairness"]["rows"]
    assert rows and all(r["name"] == territories[r["territory_id"]] for r in rows)


def test_targets_adjust_takes_a_territory_name(run_cli: RunCli, tmp_path: Path) -> None:
    """``--adjust "Territory 05:-250k:churn"`` failed "not a leaf territory of the plan": only
    ids were read, where ``--must`` and ``plans owners`` take names."""
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=200, seed=5)
    with UnitOfWork(db) as uow:
        territory = uow.plans.get("P1").territories[0]
    db.dispose()
    given = f"{territory.name.upper()}:+50k:renewal"
    done = run_cli("targets", "--plan", "P1", "--growth", "5%", "--adjust", given, "-f", "json")
    assert done.returncode == 0, done.stderr
    row = next(
        r for r in json.loads(done.stdout)["territories"] if r["territory_id"] == territory.id
    )
    assert (row["adjustment"], row["reason"]) == (50_000, "renewal")
    by_id = run_cli("targets", "--plan", "P1", "--adjust", f"{territory.id}:+50k:renewal")
    assert by_id.returncode == 0, by_id.stderr
    unknown = run_cli("targets", "--plan", "P1", "--adjust", "Atlantis:+50k:renewal")
    assert unknown.returncode == 2
    assert "adjustment for 'Atlantis': the plan has no territory of that name or id" in (
        " ".join(unknown.stderr.split())
    )
