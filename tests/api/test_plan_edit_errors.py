"""``POST /plans/{id}/edits`` and change requests refuse what the data does not hold, in the one
error shape: unknown reps, units and accounts 404; misspelt fields and long names 422; an
inactive rep 409 (both databases)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import seed_region_plan

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def planner(db: Database, as_user: Callable[[str], TestClient]) -> TestClient:
    seed_region_plan(db, n_accounts=200, seed=7)
    return as_user("planner")


def _post(client: TestClient, edit: dict[str, Any]) -> Any:
    version = client.get("/plans/P1").json()["version"]
    return client.post("/plans/P1/edits", json={"edit": edit, "version": version})


@pytest.mark.parametrize(
    ("edit", "status", "code", "words"),
    [
        (
            {"op": "set_owners", "territory": "T-R1", "reps": ["GHOST-REP"]},
            404,
            "not_found",
            ("GHOST-REP",),
        ),
        (
            {"op": "set_owners", "territory": "T-R1", "owners": ["X"]},
            422,
            "invalid_parameter",
            ("'owners'", "'reps'"),
        ),
        ({"op": "move_units", "units": ["99999"], "to": "T-R1"}, 404, "not_found", ("99999",)),
        ({"op": "lock", "units": ["99999"]}, 404, "not_found", ("99999",)),
        ({"op": "move_accounts", "accounts": ["NOPE"], "to": "T-R1"}, 404, "not_found", ("NOPE",)),
        (
            {"op": "rename", "territory": "T-R1", "name": "x" * 100_000},
            422,
            "invalid_parameter",
            ("255",),
        ),
    ],
)
def test_bad_edits_answer_in_the_one_error_shape(
    planner: TestClient, edit: dict[str, Any], status: int, code: str, words: tuple[str, ...]
) -> None:
    before = planner.get("/plans/P1").json()
    answer = _post(planner, edit)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    for word in words:
        assert word in error["message"]
    after = planner.get("/plans/P1").json()
    assert after["version"] == before["version"]
    assert after["territories"] == before["territories"]


def test_an_inactive_rep_is_refused_by_name(planner: TestClient, db: Database) -> None:
    with UnitOfWork(db) as uow:
        left = uow.reps.list(limit=1)[0]
        uow.reps.add_many([replace(left, active=False)])
        uow.commit()
    answer = _post(planner, {"op": "set_owners", "territory": "T-R1", "reps": [left.id]})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["message"].startswith(f"{left.name} is inactive")


def test_a_change_request_with_a_malformed_edit_is_refused_when_made(planner: TestClient) -> None:
    body = {"body": "please", "proposed_edit": {"op": "frobnicate"}}
    answer = planner.post("/plans/P1/comments", json=body)
    assert answer.status_code == 422, answer.text
    assert "frobnicate" in answer.json()["error"]["message"]
    assert planner.get("/plans/P1/comments").json() == []


def test_a_change_request_nested_too_deep_is_refused_and_the_comments_still_list(
    planner: TestClient,
) -> None:
    """Batches of batches 200 deep were stored, then broke the plan's comment list (a 500 for
    everyone): refused when made, 422, and nothing stored."""
    edit: dict[str, Any] = {"op": "lock", "units": ["06037"]}
    for _ in range(200):
        edit = {"op": "batch", "edits": [edit]}
    answer = planner.post("/plans/P1/comments", json={"body": "deep", "proposed_edit": edit})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"] == "batches nest at most 8 deep"
    listed = planner.get("/plans/P1/comments")
    assert listed.status_code == 200 and listed.json() == []
    wide = {"op": "batch", "edits": [{"op": "lock", "units": ["06037"]}] * 10_001}
    refused = _post(planner, wide)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == "an edit holds at most 10,000 steps"
    # a batch within both limits still goes through
    shallow = {
        "op": "batch",
        "edits": [{"op": "batch", "edits": [{"op": "lock", "units": ["06037"]}]}],
    }
    assert _post(planner, shallow).status_code == 200


def test_a_misspelt_field_beside_the_edit_is_refused_not_ignored(planner: TestClient) -> None:
    """``versoin`` beside ``edit`` used to be dropped silently: 422 naming it."""
    got = planner.post(
        "/plans/P1/edits",
        json={"edit": {"op": "rename", "territory": "T", "name": "N"}, "versoin": 1},
    )
    assert got.status_code == 422
    assert "versoin" in got.text
