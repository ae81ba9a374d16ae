"""GET /scopes: the regions, segments and states a planner may scope a plan to."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_a_planner_lists_every_scope_the_data_names_and_each_one_copies(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    from tests.conftest import seed_region_plan

    seed_region_plan(db, n_accounts=120, seed=3)
    with UnitOfWork(db) as uow:
        regions = {r.region for r in uow.reps.list() if r.region}
        accounts = uow.accounts.list()
    segments = {a.segment for a in accounts if a.segment}
    states = {a.state for a in accounts if a.state}
    assert regions and segments and states

    planner = as_user("planner")
    answer = planner.get("/scopes")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {c["value"] for c in body["regions"]} == regions
    assert {c["value"] for c in body["segments"]} == segments
    assert {c["value"] for c in body["states"]} == states
    labels = {c["value"]: c["label"] for c in body["states"]}
    assert labels.get("CA", "California (CA)") == "California (CA)"
    assert all(label.endswith(f"({code})") for code, label in labels.items())
    shown = [c["label"] for c in body["states"]]
    assert shown == sorted(shown, key=str.casefold)

    # every listed scope is one a copy accepts, a segment and a state too
    for kind in ("segments", "states"):
        value = body[kind][0]["value"]
        copied = planner.post("/plans/P1/copy", json={"scope": value})
        assert copied.status_code == 201, copied.text
        assert copied.json()["scope"] == value


def test_only_those_who_make_plans_list_scopes(
    as_user: Callable[[str], TestClient], anonymous: TestClient
) -> None:
    assert anonymous.get("/scopes").status_code == 401
    for role in ("manager", "rep"):
        answer = as_user(role).get("/scopes")
        assert answer.status_code == 403, (role, answer.text)
        assert answer.json()["error"]["code"]
