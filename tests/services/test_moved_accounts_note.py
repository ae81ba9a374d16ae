"""A nightly delta moves accounts to an address in another territory of the active plan: the
import says how many, names one with both territories and says what to run (it said nothing;
they stayed in the old territory, with the old owner, until someone ran the rules)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl
from tests.conftest import TerraplanCli

from terraplan.domain import Plan, Rep, Territory, TerritoryOwner
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services.imports import import_file
from terraplan.services.ownership import apply_rules
from terraplan.services.plan_lifecycle import activate_plan, change_status
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
rules:
  - {id: west, territory: W, when: {field: state, op: in, value: [CA, OR]}}
  - {id: east, territory: E, when: {field: state, op: in, value: [NY, NJ]}}
"""
WEST, EAST = "005Hu00000WWWWWIA2", "005Hu00000EEEEEIA2"
ACCOUNTS = (
    "Id,Name,BillingPostalCode,BillingState,OwnerId\n"
    f"001Hu00000AAAA1IAA,Moving Co,10001,New York,{EAST}\n"
    f"001Hu00000AAAA2IAA,Staying Inc,94107,CA,{WEST}\n"
    f"001Hu00000AAAA4IAA,Across Town LLC,07030,NJ,{EAST}\n"
    f"001Hu00000AAAA5IAA,Also Moving,97201,OR,{WEST}\n"
)
# the night's delta: two accounts move coast (one spelt out, one ZIP+4), one moves within
# its territory, one is new, one only changes its name
DELTA = (
    "Id,Name,BillingPostalCode,BillingState,OwnerId,LastModifiedDate\n"
    f"001Hu00000AAAA1IAA,Moving Co,94107-1234,California,{EAST},2026-12-07T02:00:00.000Z\n"
    f"001Hu00000AAAA4IAA,Across Town LLC,10001,NY,{EAST},2026-12-07T02:00:00.000Z\n"
    f"001Hu00000AAAA5IAA,Also Moving,07030-0001,nj,{WEST},2026-12-07T02:00:00.000Z\n"
    f"001Hu00000AAAA2IAA,Staying Inc.,94107,CA,{WEST},2026-12-07T02:00:00.000Z\n"
    f"001Hu00000AAAA3IAA,Newcomer LLC,07030,NJ,{WEST},2026-12-07T02:00:00.000Z\n"
)


def _active_plan(db: Database, tmp_path: Path) -> None:
    plan = Plan(
        id="P",
        name="FY27",
        territories=(
            Territory(id="W", name="West", owners=(TerritoryOwner(WEST),)),
            Territory(id="E", name="East", owners=(TerritoryOwner(EAST),)),
        ),
    )
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id=WEST, name="Wendy West"), Rep(id=EAST, name="Erin East")])
        stored = uow.plans.add(plan)
        rules = dump_rule_set(load_rule_set(RULES, territories=plan.territories))
        uow.rule_sets.add("P", rules, plan_version=stored.version)
        uow.commit()
    (tmp_path / "Account.csv").write_text(ACCOUNTS, encoding="utf-8")
    import_file(db, tmp_path / "Account.csv", "accounts")
    apply_rules(db, "P")
    change_status(db, "P", "in_review")
    change_status(db, "P", "approved")
    activate_plan(db, "P", effective_from=date(2026, 1, 1))


def test_the_import_counts_accounts_moved_to_another_territory(
    db: Database, tmp_path: Path
) -> None:
    _active_plan(db, tmp_path)
    (tmp_path / "delta.csv").write_text(DELTA, encoding="utf-8")
    outcome = import_file(db, tmp_path / "delta.csv", "accounts")
    moved = [n for n in outcome.notes if "another territory" in n]
    assert len(moved) == 1
    note = moved[0]
    assert note.startswith(
        "2 accounts of the active plan P have an address in this file that its rules place "
        "in another territory (e.g. "
    )
    assert "Moving Co: East -> West" in note or "Also Moving: West -> East" in note
    assert "`terraplan rules apply --plan P`" in note
    # once the rules ran, the same file says nothing more
    apply_rules(db, "P")
    again = import_file(db, tmp_path / "delta.csv", "accounts", reload=True)
    assert not [n for n in again.notes if "another territory" in n]


def test_a_parquet_folder_says_it_too(
    db: Database, tmp_path: Path, terraplan_cli: TerraplanCli
) -> None:
    _active_plan(db, tmp_path)
    folder = tmp_path / "delta"
    folder.mkdir()
    pl.read_csv(io.StringIO(DELTA), infer_schema=False).write_parquet(folder / "part-0.parquet")
    done = terraplan_cli("import", "accounts", str(folder), database_url=db.url)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "2 accounts of the active plan P have an address in this file that its rules" in said
