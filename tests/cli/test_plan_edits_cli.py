"""``terraplan plans owners|move|lock``: what the data does not hold is refused by name, with the
documented exit code, and the plan is left as it was."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TerraplanCli, seed_region_plan

from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_unknown_reps_and_units_exit_4_and_are_named(
    terraplan_cli: TerraplanCli, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/edits.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=100, seed=2)

    ghost = terraplan_cli("plans", "owners", "P1", "T-R1", "GHOST", database_url=url)
    assert ghost.returncode == 4, ghost.stderr
    assert "GHOST" in ghost.stderr and "not in the rep data" in ghost.stderr
    bogus = terraplan_cli("plans", "lock", "P1", "99999", database_url=url)
    assert bogus.returncode == 4, bogus.stderr
    assert "99999" in bogus.stderr
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
    assert plan.version == 1
    assert plan.parameters.get("locked_units") in (None, [])
    db.dispose()


def test_owners_may_be_named_as_the_user_knows_them(
    terraplan_cli: TerraplanCli, tmp_path: Path
) -> None:
    """A rep named (any case) is the rep; a name two reps share is refused with their ids."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path}/names.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=100, seed=2)
    with UnitOfWork(db) as uow:
        first, second = uow.reps.list(limit=2)
    named = terraplan_cli("plans", "owners", "P1", "T-R1", first.name.upper(), database_url=url)
    assert named.returncode == 0, named.stderr
    with UnitOfWork(db) as uow:
        owners = [o.rep_id for o in uow.plans.get("P1").territory("T-R1").owners]
    assert owners == [first.id]
    with db.connect() as connection:
        connection.execute(
            text("UPDATE reps SET name = :n WHERE id = :i"), {"n": first.name, "i": second.id}
        )
    twice = terraplan_cli("plans", "owners", "P1", "T-R1", first.name, database_url=url)
    assert twice.returncode == 2, twice.stderr
    said = " ".join(twice.stderr.split())
    assert first.id in said and second.id in said and "give the id" in said
    db.dispose()


def test_a_move_reads_whole_at_80_columns(terraplan_cli: TerraplanCli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/move.db"
    db = Database(url)
    migrate.upgrade(db)
    county_territory = seed_region_plan(db, n_accounts=100, seed=2)
    db.dispose()
    county, source = sorted(county_territory.items())[0]
    to = next(t for t in sorted(set(county_territory.values())) if t != source)
    moved = terraplan_cli(
        "plans", "move", "P1", "--units", county, "--to", to, database_url=url,
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert "…" not in moved.stdout
    assert max(len(line) for line in moved.stdout.splitlines()) <= 80
    audit = terraplan_cli(
        "plans", "audit", "--plan", "P1", database_url=url, env={"COLUMNS": "80"}
    )  # fmt: skip
    assert audit.returncode == 0, audit.stderr
    lines = audit.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    edits = [line for line in lines if "│ edit " in line]
    # what happened, by name: the county moved, not the plan's id and a JSON fragment
    assert len(edits) == 1 and "moved" in edits[0] and "County" in audit.stdout, audit.stdout
    import re

    assert re.search(r"│ \d{4}-\d\d-\d\d \d\d:\d\d │", edits[0])  # the minute, whole


def test_an_edit_as_csv_gives_values_not_table_text(
    terraplan_cli: TerraplanCli, tmp_path: Path
) -> None:
    """`plans move -f csv` gave each total as "12.3M" and each deviation as "+10.2%!", the
    table's text, where the JSON of the same edit has the numbers."""
    import csv
    import io
    import json
    import math

    url = f"sqlite:///{tmp_path}/move.db"
    db = Database(url)
    migrate.upgrade(db)
    county_territory = seed_region_plan(db, n_accounts=100, seed=2)
    db.dispose()
    county, source = sorted(county_territory.items())[0]
    to = next(t for t in sorted(set(county_territory.values())) if t != source)
    move = ("plans", "move", "P1", "--units", county, "--to", to)
    done = terraplan_cli(*move, "-f", "csv", database_url=url)
    assert done.returncode == 0, done.stderr
    rows = {r["territory"]: r for r in csv.DictReader(io.StringIO(done.stdout))}
    back = terraplan_cli("plans", "undo", "P1", database_url=url)
    assert back.returncode == 0, back.stderr
    as_json = json.loads(terraplan_cli(*move, "-f", "json", database_url=url).stdout)
    for effect in as_json["effects"]:
        row = rows[effect["territory"]]
        for metric, total in effect["totals"].items():
            assert math.isclose(float(row[metric]), total, rel_tol=1e-9)
            deviation = effect["deviation"].get(metric)
            if deviation is None:
                assert row[f"{metric} dev"] == ""
            else:
                assert math.isclose(float(row[f"{metric} dev"]), deviation, rel_tol=1e-9)
            if deviation is not None:
                assert row[f"{metric} within"] == str(effect["within_tolerance"][metric])
