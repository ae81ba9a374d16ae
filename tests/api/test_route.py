from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from terraplan.domain import Plan, PlanStatus, Rep, Territory, TerritoryOwner
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
rules:
  - {id: west, territory: W, when: {field: postal_code, op: between, value: [90000, 96199]}}
  - {id: east, territory: E, when: {field: state, op: in, value: [NY, NJ]}}
"""


def _active_plan(db: Database) -> None:
    plan = Plan(
        id="P",
        name="Live",
        status=PlanStatus.ACTIVE,
        territories=(
            Territory(id="W", name="West", owners=tuple(TerritoryOwner(f"R{i}") for i in range(3))),
            Territory(id="E", name="East", owners=(TerritoryOwner("R9"),)),
        ),
    )
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id=f"R{i}", name=f"Rep {i}") for i in (0, 1, 2, 9)])
        stored = uow.plans.add(plan)
        uow.rule_sets.add(
            "P",
            dump_rule_set(load_rule_set(RULES, territories=plan.territories)),
            plan_version=stored.version,
        )
        uow.commit()


def test_route_returns_territory_owner_and_explanation(client: TestClient, db: Database) -> None:
    _active_plan(db)
    response = client.post("/route", json={"company": "Acme", "postal_code": "10001"})
    assert response.status_code == 200
    body = response.json()
    assert (body["plan_id"], body["territory_id"], body["owner_id"], body["owner_name"]) == (
        "P",
        "E",
        "R9",
        "Rep 9",
    )
    assert body["explanation"].startswith("state NY")  # geocoded from ZIP 10001
    gap = client.post("/route", json={"postal_code": "60601"}).json()
    assert gap["gap"] is True and gap["territory_id"] is None


def test_concurrent_requests_share_the_rotation_fairly(client: TestClient, db: Database) -> None:
    _active_plan(db)

    def one(i: int) -> tuple[str, int]:
        body = client.post("/route", json={"id": f"L{i}", "postal_code": "94107"}).json()
        return body["owner_id"], body["turn"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, range(30)))
    turns = sorted(turn for _, turn in results)
    assert turns == list(range(1, 31))  # no two requests got the same turn
    assert Counter(owner for owner, _ in results) == {"R0": 10, "R1": 10, "R2": 10}


def test_route_validation_errors_use_the_error_shape(client: TestClient, db: Database) -> None:
    _active_plan(db)
    response = client.post("/route", json={"latitude": 123})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["problems"][0]["path"] == "body.latitude"
    missing = client.post("/route", json={"plan_id": "NOPE", "postal_code": "10001"})
    assert missing.status_code == 404
