"""Salesforce territory model in and out through the stored plan: export, import, apply, diff."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from tests.conftest import TerraplanCli

from terraplan.domain import (
    AlignmentEntry,
    GeoKind,
    Plan,
    PlanStatus,
    RecordKind,
    Territory,
    TerritoryOwner,
)
from terraplan.errors import ConflictError, DataError
from terraplan.rules import dump_rule_set
from terraplan.services.crm_etm import OWNER_FILE, diff_model, export_model, import_model
from terraplan.services.demo import load_demo
from terraplan.services.ownership import apply_rules, rules_for_design
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def approved_plan(db: Database) -> Database:
    """The demo (400 accounts) and an approved plan: regions > one territory per region, by county."""
    dataset, _ = load_demo(db, n_accounts=400, seed=3)
    region_of = {state: region for region in dataset.regions for state in region.states}
    reps = [r.id for r in dataset.reps]
    territories: list[Territory] = []
    for i, region in enumerate(dataset.regions):
        territories.append(Territory(f"R-{region.id}", f"{region.name} region", level="region"))
        territories.append(
            Territory(
                f"T-{region.id}",
                region.name,
                parent_id=f"R-{region.id}",
                owners=(TerritoryOwner(reps[i]),),
            )
        )
    alignment = tuple(
        AlignmentEntry(RecordKind.GEO_UNIT, unit.id, f"T-{region_of[unit.state].id}")
        for unit in dataset.geo_units
        if unit.kind is GeoKind.COUNTY and unit.state in region_of
    )
    plan = Plan(
        id="P1",
        name="FY27 regions",
        territories=tuple(territories),
        alignment=alignment,
        status=PlanStatus.APPROVED,
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        rule_set = rules_for_design(stored, list(dataset.geo_units))
        uow.rule_sets.add("P1", dump_rule_set(rule_set), plan_version=stored.version)
        uow.commit()
    apply_rules(db, "P1")
    return db


def test_export_import_apply_round_trip(approved_plan: Database, tmp_path: Path) -> None:
    db = approved_plan
    out = tmp_path / "etm"
    exported = export_model(db, "P1", out)
    names = sorted(p.name for p in exported.files)
    assert names == sorted(
        [
            "Territory2Model.csv",
            "Territory2Type.csv",
            "Territory2.csv",
            "UserTerritory2Association.csv",
            "ObjectTerritory2Association.csv",
            "ObjectTerritory2AssignmentRule.csv",
            "ObjectTerritory2AssignmentRuleItem.csv",
            "ObjectTerritory2AssignmentRule_BooleanFilter.csv",
            "RuleTerritory2Association.csv",
            OWNER_FILE,
        ]
    )
    model = exported.model
    assert model.ties == ()
    # the notes name territories (a tie reads "Acme (Strategic / West)", not ids)
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
    assert {t.id: model.territory_names[t.id] for t in plan.territories} == {
        t.id: t.name for t in plan.territories
    }
    # Virginia's independent cities have no ZIP centroid of their own: said, not hidden.
    assert [p.split(" (")[0] for p in model.problems] == [
        "10 counties have no ZIP in the ZIP-county table"
    ]
    owners = _rows(out / OWNER_FILE)
    assert owners and set(owners[0]) == {"Id", "OwnerId"}
    assert model.owner_rows == len(owners)
    territories = _rows(out / "Territory2.csv")
    assert len(territories) == 6
    assert {
        r["ParentTerritory2Id"] for r in territories if r["DeveloperName"].startswith("T_")
    } == {r["DeveloperName"] for r in territories if r["DeveloperName"].startswith("R_")}
    with pytest.raises(ConflictError, match="use --force"):
        export_model(db, "P1", out)

    imported = import_model(db, out)
    assert imported.plan.id == "P001" and imported.rule_set_version == 1
    assert len(imported.plan.territories) == 6
    assert imported.problems == ()
    apply_rules(db, "P001")
    with UnitOfWork(db) as uow:
        before = {a.record_id: a.territory_id for a in uow.assignments.current("P1")}
        after = {a.record_id: a.territory_id for a in uow.assignments.current("P001")}
    developer = {r["Name"]: r["DeveloperName"] for r in territories}
    with UnitOfWork(db) as uow:
        p1 = {t.id: t.name for t in uow.plans.get("P1").territories}
    others = {a: (t, after.get(a)) for a, t in before.items() if developer[p1[t]] != after.get(a)}
    assert len(before) == 400
    assert (len(before) - len(others)) / len(before) >= 0.999, others

    # The diff of the exported model against its own plan: nothing to deploy.
    diff = diff_model(db, out, "P1")
    assert diff.diff.added == diff.diff.removed == diff.diff.renamed == ()
    assert diff.diff.users == ()
    assert len(diff.diff.accounts) <= len(others)


def test_diff_against_a_changed_plan(approved_plan: Database, tmp_path: Path) -> None:
    db = approved_plan
    out = tmp_path / "etm"
    export_model(db, "P1", out)
    with UnitOfWork(db) as uow:
        p1 = uow.plans.get("P1")
        leaves = sorted(t.id for t in p1.leaves())
        kept = [t for t in p1.territories if t.id != leaves[0] and t.id != f"R-{leaves[0][2:]}"]
        renamed = [
            Territory(t.id, "Renamed " + t.name, parent_id=t.parent_id, owners=t.owners)
            if t.id == leaves[1]
            else t
            for t in kept
        ]
        alignment = tuple(
            AlignmentEntry(
                e.record_kind,
                e.record_id,
                leaves[1] if e.territory_id == leaves[0] else e.territory_id,
            )
            for e in p1.alignment
        )
        uow.plans.add(Plan("P3", "Merged", territories=tuple(renamed), alignment=alignment))
        uow.commit()
    outcome = diff_model(db, out, "P3")
    diff = outcome.diff
    removed_dev = leaves[0].replace("-", "_")
    assert set(diff.removed) == {removed_dev, "R_" + leaves[0][2:]}
    assert diff.added == ()
    assert [d for d, _, _ in diff.renamed] == [leaves[1].replace("-", "_")]
    moved_to = {new for _, old, new in diff.accounts if old == removed_dev}
    assert moved_to == {leaves[1].replace("-", "_")}
    assert any(user for user, left, _ in diff.users if left == (removed_dev,))
    assert {u for u, _, _ in diff.users} <= set(outcome.user_names)  # reps: shown by name


def test_export_needs_an_approved_plan(db: Database, tmp_path: Path) -> None:
    with UnitOfWork(db) as uow:
        uow.plans.add(Plan("D1", "Draft", territories=(Territory("a", "A"),)))
        uow.commit()
    with pytest.raises(ConflictError, match="is draft; export an approved or active plan"):
        export_model(db, "D1", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_import_names_a_missing_folder_or_file(db: Database, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder"):
        import_model(db, tmp_path / "nope")
    (tmp_path / "Territory2Model.csv").write_text("DeveloperName,Name\nM,M\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no Territory2\.csv"):
        import_model(db, tmp_path)
    (tmp_path / "territory2.CSV").write_bytes(b"DeveloperName,Name\nA,\xff\n")
    with pytest.raises(DataError, match="not UTF-8"):
        import_model(db, tmp_path)
    with UnitOfWork(db) as uow:
        assert uow.plans.list() == []


def test_cli_import_and_export(
    approved_plan: Database, database_url: str, tmp_path: Path, terraplan_cli: TerraplanCli
) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return terraplan_cli(*args, database_url=database_url, env={"COLUMNS": "80"})

    out = tmp_path / "load"
    done = run("crm", "export-etm", "--plan", "P1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Wrote ") == 10 and "Traceback" not in done.stderr
    notes = " ".join(done.stderr.split())
    assert notes.count("note:") == 2 and "10 counties have no ZIP" in notes, notes
    assert "lost its leading zero" in notes  # New England's ZIPs start with 0
    again = run("crm", "export-etm", "--plan", "P1", "--out", str(out))
    assert again.returncode != 0 and again.stderr.startswith("Error: ")
    done = run("crm", "import-etm", str(out), "--plan-id", "SF1")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "as plan SF1: 6 territories (3 leaves), 3 user assignments, 0 named accounts" in said
    rules_only = tmp_path / "rules"
    done = run("rules", "export-etm", "--plan", "P1", "--out", str(rules_only))
    assert done.returncode == 0, done.stderr
    items = _rows(rules_only / "ObjectTerritory2AssignmentRuleItem.csv")
    assert {r["Field"] for r in items} == {"Account.BillingPostalCode"}
    assert max(len(r["Value"]) for r in items) <= 255
    done = run("crm", "diff", str(out), "--plan", "SF1")
    assert done.returncode == 0, done.stderr
    assert "0 added, 0 removed, 0 renamed, 0 moved territories" in " ".join(done.stdout.split())
    assert all(len(line) <= 80 for line in done.stdout.splitlines())
