"""`route` and `POST /route` name the plan that routed the lead, and its last day when a plan
activated from a later day takes over after it (they gave its id in JSON only, and the table
not at all: with next year's plan "active", which one routed was a guess)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from tests.conftest import TerraplanCli

from terraplan.domain import Plan, Rep, Territory, TerritoryOwner
from terraplan.rules import dump_rule_set, load_rule_set
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


def _plan(db: Database, plan_id: str, name: str, west_rep: str) -> None:
    plan = Plan(
        id=plan_id,
        name=name,
        territories=(
            Territory(id="W", name="West", owners=(TerritoryOwner(west_rep),)),
            Territory(id="E", name="East", owners=(TerritoryOwner("R2"),)),
        ),
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        rules = dump_rule_set(load_rule_set(RULES, territories=plan.territories))
        uow.rule_sets.add(plan_id, rules, plan_version=stored.version)
        uow.commit()
    change_status(db, plan_id, "in_review")
    change_status(db, plan_id, "approved")


def _two_plans(db: Database) -> date:
    """FY26 in force from 1 January; FY27 activated from a later day: FY26 routes until then."""
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id=f"R{i}", name=f"Rep {i}") for i in (1, 2, 3)])
        uow.commit()
    _plan(db, "P1", "FY26 West", "R1")
    activate_plan(db, "P1", effective_from=date(2026, 1, 1))
    _plan(db, "P2", "FY27 West", "R3")
    later = date.today() + timedelta(days=30)
    activate_plan(db, "P2", effective_from=later)
    return later - timedelta(days=1)


def test_the_route_answer_names_the_plan(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    last = _two_plans(db)
    answer = as_user("planner").post("/route", json={"company": "Acme", "postal_code": "94107"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["plan_id"], body["plan_name"]) == ("P1", "FY26 West")
    assert body["plan_in_force_to"] == last.isoformat()
    assert body["owner_name"] == "Rep 1"


def test_the_route_command_names_the_plan(db: Database, terraplan_cli: TerraplanCli) -> None:
    last = _two_plans(db)
    done = terraplan_cli(
        "route", "--postal-code", "94107", "--company", "Acme", database_url=db.url
    )
    assert done.returncode == 0, done.stderr
    assert f"Plan: P1 (FY26 West), in force to {last}" in " ".join(done.stdout.split())
