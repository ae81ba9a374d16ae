"""``terraplan plans regions PLAN --from reps``: a plan's regions from its reps, said by name,
with the documented exit codes; KPIs by region then answer."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import TerraplanCli, seed_region_plan

from terraplan.services.plan_edits import edit_plan
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _seeded(tmp_path: Path, *, vacant: str | None = None) -> str:
    """Plan P1, a territory per demo region, each owned by a rep of its region (``vacant``:
    left without one)."""
    url = f"sqlite:///{tmp_path}/regions.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=200, seed=3)
    with UnitOfWork(db) as uow:
        reps = [r for r in uow.reps.list() if r.role.value != "manager"]
        territories = uow.plans.get("P1").territories
    version = 1
    for territory in territories:
        if territory.id == vacant:
            continue
        rep = next(r for r in reps if r.region == territory.name)
        edit = {"op": "set_owners", "territory": territory.id, "reps": [rep.id]}
        version = edit_plan(db, "P1", edit, version=version).plan.version
    db.dispose()
    return url


def test_regions_from_reps_then_kpis_by_region(terraplan_cli: TerraplanCli, tmp_path: Path) -> None:
    url = _seeded(tmp_path)
    empty = terraplan_cli("kpis", "--plan", "P1", "--by", "region", database_url=url)
    said = " ".join((empty.stdout + empty.stderr).split())
    assert "has no regions" in said and "`terraplan plans regions P1 --from reps`" in said

    done = terraplan_cli(
        "plans", "regions", "P1", "--from", "reps", database_url=url, env={"COLUMNS": "80"}
    )
    assert done.returncode == 0, done.stderr
    assert "Plan P1 is now version 5: 3 regions from its reps." in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "…" not in done.stdout

    kpis = terraplan_cli("kpis", "--plan", "P1", "--by", "region", "-f", "json", database_url=url)
    assert kpis.returncode == 0, kpis.stderr
    rows = json.loads(kpis.stdout)
    names = {row["name"] for row in (rows["rows"] if isinstance(rows, dict) else rows)}
    with UnitOfWork(Database(url)) as uow:
        regions = {r.region for r in uow.reps.list() if r.region}
    assert names == regions

    again = terraplan_cli(
        "plans", "regions", "P1", "--from", "reps", "-f", "json", database_url=url
    )
    assert again.returncode == 0, again.stderr
    answer = json.loads(again.stdout)
    assert answer["changed"] is False and answer["version"] == 5
    assert sorted(r["name"] for r in answer["regions"]) == sorted(regions)
    assert all(len(r["territories"]) == 1 for r in answer["regions"])


def test_a_vacant_territory_is_named_and_left_out(
    terraplan_cli: TerraplanCli, tmp_path: Path
) -> None:
    url = _seeded(tmp_path, vacant="T-R1")
    done = terraplan_cli("plans", "regions", "P1", "--from", "reps", database_url=url)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    with UnitOfWork(Database(url)) as uow:
        name = uow.plans.get("P1").territory("T-R1").name
    assert f"{name} has no primary rep, so it is in no region" in said
    assert "terraplan plans owners P1 T-R1 REP" in said
    assert "2 regions from its reps" in done.stdout


def test_refusals_exit_with_the_documented_codes(
    terraplan_cli: TerraplanCli, tmp_path: Path
) -> None:
    url = _seeded(tmp_path)
    missing = terraplan_cli("plans", "regions", "P9", "--from", "reps", database_url=url)
    assert missing.returncode == 4 and "P9" in missing.stderr
    stale = terraplan_cli(
        "plans", "regions", "P1", "--from", "reps", "--version", "1", database_url=url
    )
    assert stale.returncode == 5 and "changed since you loaded it" in stale.stderr
    no_source = terraplan_cli("plans", "regions", "P1", database_url=url)
    assert no_source.returncode == 2 and "--from" in no_source.stderr
    submitted = terraplan_cli("plans", "status", "P1", "submit", database_url=url)
    assert submitted.returncode == 0, submitted.stderr
    frozen = terraplan_cli("plans", "regions", "P1", "--from", "reps", database_url=url)
    assert frozen.returncode == 5
    assert "only drafts can be edited" in " ".join(frozen.stderr.split())


def test_no_rep_with_a_region_exits_3_naming_the_reps(
    terraplan_cli: TerraplanCli, tmp_path: Path
) -> None:
    from sqlalchemy import text

    url = _seeded(tmp_path)
    db = Database(url)
    with db.connect() as connection:
        connection.execute(text("UPDATE reps SET region = ''"))
    db.dispose()
    refused = terraplan_cli("plans", "regions", "P1", "--from", "reps", database_url=url)
    assert refused.returncode == 3
    said = " ".join(refused.stderr.split())
    assert "no territory of plan P1 (Regions) has a primary rep with a region" in said
    assert "has no region" in said
