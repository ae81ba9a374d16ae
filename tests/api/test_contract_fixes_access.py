"""Fixes from the API review: hidden plans answer like missing ones on the territory routes
(S1), the permissions agree with what the comment routes allow (W2), plan comments (C7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient


def _plan(
    planner: TestClient, plan_id: str, owners: dict[str, str], scope: str | None = None
) -> None:
    territories = [{"id": t, "name": t} for t in owners]
    body: dict[str, object] = {"name": plan_id, "plan_id": plan_id, "territories": territories}
    if scope is not None:
        body["scope"] = scope
    made = planner.post("/plans", json=body)
    assert made.status_code == 201, made.text
    version = made.json()["version"]
    for territory, rep in owners.items():
        if not rep:
            continue
        edit = {"op": "set_owners", "territory": territory, "reps": [rep]}
        done = planner.post(f"/plans/{plan_id}/edits", json={"edit": edit, "version": version})
        assert done.status_code == 200, done.text
        version = done.json()["version"]


@pytest.mark.parametrize("who", ["rep", "manager"])
@pytest.mark.parametrize("what", ["page", "notes"])
def test_a_hidden_plan_answers_like_a_missing_one_on_territory_routes(
    as_user: Callable[[str], TestClient], who: str, what: str
) -> None:
    _plan(as_user("planner"), "ORCL", {"X1": ""})
    caller = as_user(who)
    hidden = caller.get(f"/plans/ORCL/territories/ANY/{what}")
    missing = caller.get(f"/plans/NOSUCH/territories/ANY/{what}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"] == "no plan with id 'ORCL'"
    assert hidden.json()["error"]["details"] == {"kind": "plans", "id": "ORCL"}
    assert missing.json()["error"]["details"] == {"kind": "plans", "id": "NOSUCH"}
    put = caller.put("/plans/ORCL/territories/X1/notes", json={"revision": 0, "strategy": "x"})
    assert put.status_code == 404
    assert put.json()["error"]["message"] == "no plan with id 'ORCL'"


def test_a_visible_plan_still_names_its_missing_territory(
    as_user: Callable[[str], TestClient],
) -> None:
    _plan(as_user("planner"), "VIS", {"A": "R1"})
    rep = as_user("rep")
    assert rep.get("/plans/VIS/territories/A/notes").status_code == 200
    other = rep.get("/plans/VIS/territories/B/notes")
    assert other.status_code == 404
    assert other.json()["error"]["details"]["kind"] == "territories"


def test_permissions_agree_with_the_comment_routes_on_a_scoped_copy(
    as_user: Callable[[str], TestClient],
) -> None:
    # An East plan that kept a West territory (as a copy of a whole-market plan does).
    _plan(as_user("planner"), "ECP", {"W1": "R1", "E1": "R3"}, scope="East")
    manager = as_user("manager")
    actions = manager.get("/plans/ECP/permissions").json()["actions"]
    assert "comment" in actions and "request_change" in actions
    assert "approve_plan" not in actions  # decided on the plan's region, East
    comment = manager.post("/plans/ECP/comments", json={"body": "manager comment"})
    assert comment.status_code == 201, comment.text
    edit = {"op": "rename", "territory": "W1", "name": "x"}
    change = manager.post("/plans/ECP/comments", json={"body": "CR", "proposed_edit": edit})
    assert change.status_code == 201, change.text
