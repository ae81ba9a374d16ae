from __future__ import annotations

import gc
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from terraplan.domain import Plan, PlanStatus, Rep, Territory, TerritoryOwner
from terraplan.domain.user import Scope
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services.users import create_token
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
    # A misspelt field is kept as a custom one, and the answer says no rule reads it
    typo = client.post("/route", json={"postalCode": "10001", "plan": "NO-SUCH"}).json()
    assert typo["gap"] is True
    assert typo["notes"] == [
        "plan, postalCode are not lead fields and no rule of plan P reads them "
        "(a misspelling of plan_id or postal_code, say?)"
    ]
    # A CRM's capitalised field name is matched to the field it means.
    capital = client.post("/route", json={"postal_code": "10001", "Industry": "Retail"}).json()
    assert capital["notes"] == [
        "Industry is not a lead field and no rule of plan P reads it "
        "(a misspelling of industry, say?)"
    ]
    assert body["notes"] == []
    # A typed state that contradicts the ZIP gives way to it, as an import decides, and says so.
    mismatch = client.post("/route", json={"postal_code": "10001", "state": "CA"}).json()
    assert (mismatch["territory_id"], mismatch["owner_id"]) == ("E", "R9")
    assert mismatch["explanation"].startswith("state NY")
    assert mismatch["notes"] == [
        "state CA contradicts ZIP 10001 (in NY): the ZIP's state NY is used, as an import uses it"
    ]
    padded = client.post("/route", json={"postal_code": "10001", "county_fips": "36061"}).json()
    assert padded["notes"] == []


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


COUNTY_RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
rules:
  - {id: oxford, territory: E, when: {field: county_fips, op: in, value: ['23017']}}
  - {id: slow, territory: W, when: {field: industry, op: regex, value: '(a+)+$'}}
"""


def _county_plan(db: Database) -> None:
    plan = Plan(
        id="C",
        name="Counties",
        status=PlanStatus.ACTIVE,
        territories=(
            Territory(id="W", name="West", owners=(TerritoryOwner("R0"),)),
            Territory(id="E", name="East", owners=(TerritoryOwner("R9"),)),
        ),
    )
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id="R0", name="Rep 0"), Rep(id="R9", name="Rep 9")])
        stored = uow.plans.add(plan)
        uow.rule_sets.add(
            "C",
            dump_rule_set(load_rule_set(COUNTY_RULES, territories=plan.territories)),
            plan_version=stored.version,
        )
        uow.commit()


def test_a_lead_with_coordinates_routes_by_the_county_of_its_zip(
    client: TestClient, db: Database
) -> None:
    _county_plan(db)
    for body in (
        {"postal_code": "04040", "latitude": 43.9, "longitude": -70.6},
        {"postal_code": 4040},
        {"postal_code": "04040-2211", "latitude": 43.9},
    ):
        answer = client.post("/route", json=body).json()
        assert (answer["territory_id"], answer["owner_name"]) == ("E", "Rep 9"), body
        assert "county FIPS 23017" in answer["explanation"]
    canadian = client.post("/route", json={"postal_code": "04040", "country": "CA"}).json()
    assert canadian["gap"] is True


def test_health_answers_while_a_hostile_route_request_runs(
    db: Database, users: dict[str, str]
) -> None:
    """A live server: a catastrophic-regex routing request never stops /health."""
    import json
    import socket
    import threading
    import time
    import urllib.request

    import uvicorn

    from terraplan.api.app import create_app
    from terraplan.config import Settings
    from terraplan.domain.access import Scope
    from terraplan.services.users import create_token

    _county_plan(db)
    _, token = create_token(db, "planner", frozenset({Scope.ROUTE}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(database_url=db.url)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started
        answers: dict[str, float] = {}

        def hostile() -> None:
            start = time.perf_counter()
            request = urllib.request.Request(
                f"{base}/route",
                data=json.dumps({"industry": "a" * 100_000 + "!"}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
                assert json.load(response)["gap"] is True
            answers["route"] = time.perf_counter() - start

        worker = threading.Thread(target=hostile)
        worker.start()
        start = time.perf_counter()
        with urllib.request.urlopen(f"{base}/health", timeout=5) as health:
            assert health.status == 200
        answers["health"] = time.perf_counter() - start
        worker.join(timeout=30)
        assert answers["health"] < 1.0
        assert answers["route"] < 5.0
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_lead_sent_with_a_token_takes_one_read_and_one_turn(
    anonymous: TestClient, db: Database, users: dict[str, str]
) -> None:
    """The token, the plan and its versions are read in one statement; the turn is the other."""
    _active_plan(db)
    _, secret = create_token(db, "planner", frozenset({Scope.ROUTE}))
    headers = {"Authorization": f"Bearer {secret}"}
    lead = {"company": "Acme", "postal_code": "94105"}  # West: three reps take turns
    first = anonymous.post("/route", json=lead, headers=headers)
    assert first.status_code == 200, first.text
    database = anonymous.app.state.database  # type: ignore[attr-defined]
    engines = [e for e in (database.engine, database._autocommit) if e is not None]
    statements: list[str] = []

    def note(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()))

    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        second = anonymous.post("/route", json=lead, headers=headers)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)
    assert second.status_code == 200
    assert (second.json()["territory_id"], second.json()["turn"]) == ("W", first.json()["turn"] + 1)
    assert len(statements) == 2, statements
    assert "api_tokens" in statements[0] and "rule_sets" in statements[0]
    assert statements[1].startswith("INSERT INTO routing_turns")

    # What the one read answers is checked in the usual order: who (401), may they (403),
    # then which plan (404).
    nowhere = {**lead, "scope": "Nowhere"}
    unknown = anonymous.post("/route", json=nowhere, headers={"Authorization": "Bearer tp_x"})
    assert unknown.status_code == 401
    _, reader = create_token(db, "planner", frozenset({Scope.READ}))
    denied = anonymous.post("/route", json=nowhere, headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403
    missing = anonymous.post("/route", json=nowhere, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == (
        "no active plan for scope 'Nowhere' (active: whole market)"
    )
    other = anonymous.post("/route", json={**lead, "plan_id": "nope"}, headers=headers)
    assert other.status_code == 404 and "no plan with id 'nope'" in other.text


BROKEN_RULES = """
territories:
  - {id: W, name: West, type: geo}
rules:
  - {id: west, territory: W, when: {field: state, op: in, value: [CA]}}
  - {id: geo, territory: W, when: {field: county_fips, op: in_geography, value: W}}
"""


def test_a_server_starts_when_an_active_plans_rules_no_longer_load(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored rule set that no longer loads (here: a geography the plan's territory lost)
    fails routing with that plan, with the reason; the server still starts and answers."""
    from terraplan.api.app import app_from_environment

    _active_plan(db)
    with UnitOfWork(db) as uow:
        uow.rule_sets.add("P", BROKEN_RULES, plan_version=uow.plans.get("P").version)
        uow.commit()
    monkeypatch.setenv("TERRAPLAN_DATABASE_URL", db.url)
    try:
        with TestClient(app_from_environment()) as served:
            assert served.get("/health").status_code == 200
            assert served.app.state.rule_cache == {}  # type: ignore[attr-defined]
    finally:
        gc.unfreeze()
    refused = client.post("/route", json={"postal_code": "94105"})
    assert refused.status_code == 422
    assert "geography" in refused.json()["error"]["message"]


def test_a_plan_id_no_database_can_hold_is_checked_after_the_token(
    anonymous: TestClient, db: Database, users: dict[str, str]
) -> None:
    _active_plan(db)
    _, secret = create_token(db, "planner", frozenset({Scope.ROUTE}))
    lead = '{"postal_code": "94105", "plan_id": "a\\u0000b"}'
    json_body = {"content-type": "application/json"}
    unknown = {**json_body, "Authorization": "Bearer tp_unknown"}
    valid = {**json_body, "Authorization": f"Bearer {secret}"}
    assert anonymous.post("/route", content=lead, headers=unknown).status_code == 401
    missing = anonymous.post("/route", content=lead, headers=valid)
    assert missing.status_code == 404 and "no plan with id" in missing.text
    surrogate = '{"postal_code": "94105", "plan_id": "\\ud800"}'
    for headers in (unknown, valid):
        refused = anonymous.post("/route", content=surrogate, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["error"]["details"]["problems"][0]["path"] == "body.plan_id"


def test_route_reads_a_typed_state_name_as_its_code(client: TestClient, db: Database) -> None:
    _active_plan(db)
    body = client.post("/route", json={"company": "Acme", "state": " New York "}).json()
    assert (body["territory_id"], body["owner_id"]) == ("E", "R9")
    assert body["explanation"].startswith("state NY")


def test_a_wrong_method_has_its_own_code(client: TestClient) -> None:
    answer = client.get("/route")
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_a_batch_routes_each_lead_as_one_request_would_and_takes_turns_in_order(
    client: TestClient, db: Database
) -> None:
    _active_plan(db)  # West shared by R0, R1, R2 in turns; East R9
    leads = [
        {"id": "L1", "company": "Acme", "postal_code": "10001"},
        {"id": "L2", "postal_code": "94105"},
        {"id": "L3", "postal_code": "94110"},
        {"id": "L4", "postal_code": "60601"},
        {"id": "L5", "postal_code": "94107", "industry": "Software"},
    ]
    batch = client.post("/route/batch", json={"leads": leads})
    assert batch.status_code == 200, batch.text
    answers = batch.json()["results"]
    assert batch.json()["plan_id"] == "P"
    assert [a["territory_id"] for a in answers] == ["E", "W", "W", None, "W"]
    assert answers[3]["gap"] is True
    # West's reps take their turns in the order the leads were sent, and the next single
    # request goes on from there
    west = [a["owner_id"] for a in answers if a["territory_id"] == "W"]
    assert len(set(west)) == 3
    single = client.post("/route", json={"postal_code": "94105"}).json()
    assert single["owner_id"] == west[0]
    assert single["explanation"] == answers[1]["explanation"]
    # the plan is the batch's: a lead naming one is refused, as an empty batch is
    per_lead = client.post("/route/batch", json={"leads": [{"postal_code": "1", "plan_id": "P"}]})
    assert per_lead.status_code == 422
    message = per_lead.json()["error"]["message"]
    assert "a batch routes with one plan_id: give it beside `leads`, not in a lead" in message
    assert "Input should be None" not in message
    assert client.post("/route/batch", json={"leads": []}).status_code == 422
