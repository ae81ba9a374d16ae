"""What the API refuses on the plan workflow, on the real demo data (both databases): a draft's
rules job while another plan is active, rules of plans that are not drafts, a scope that names
nothing, ids no route reaches, and the id of a deleted plan."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _owners(db: Database) -> dict[str, str | None]:
    with UnitOfWork(db) as uow:
        return {a.id: a.owner_id for a in uow.accounts.list()}


def _error(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    return dict(body["error"])


def test_a_drafts_rules_job_is_refused_while_a_plan_is_active(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner = as_user("planner")
    copied = planner.post("/plans/P1/copy", json={"plan_id": "P10"})
    assert copied.status_code == 201, copied.text
    before = _owners(active_p1)
    error = _error(
        planner.post("/jobs", json={"kind": "rules_apply", "parameters": {"plan_id": "P10"}}), 409
    )
    assert error["code"] == "conflict"
    assert "plan P1 (Regions) is active for the whole market" in str(error["message"])
    assert "activate" in str(error["message"])
    assert _owners(active_p1) == before
    assert planner.get("/jobs").json() == []  # nothing queued


def test_rules_of_a_plan_that_is_not_a_draft_cannot_be_saved(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner = as_user("planner")
    text = planner.get("/plans/P1/rules").json()["document"]
    extra = (
        text.replace("territories:", "territories:\n- {id: NEW, name: New, type: catch_all}", 1)
        + "\ncatch_all: NEW\n"
    )
    error = _error(planner.put("/plans/P1/rules", json={"document": extra}), 409)
    assert "is active: only a draft's rules can change" in str(error["message"])

    assert planner.post("/plans/P1/copy", json={"plan_id": "P3"}).status_code == 201
    for step in ("in_review", "approved"):
        version = planner.get("/plans/P3").json()["version"]
        moved = planner.post("/plans/P3/status", json={"status": step, "version": version})
        assert moved.status_code == 200, moved.text
    territories = planner.get("/plans/P3").json()["territories"]
    error = _error(planner.put("/plans/P3/rules", json={"document": extra}), 409)
    assert "is approved: only a draft's rules can change" in str(error["message"])
    after = planner.get("/plans/P3").json()
    assert (after["status"], after["territories"]) == ("approved", territories)


def test_scopes_and_ids_are_checked_where_plans_are_made(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner = as_user("planner")
    nowhere = _error(planner.post("/plans/P1/copy", json={"scope": "Nowhere"}), 422)
    assert "scope 'Nowhere' names no part of the market" in str(nowhere["message"])
    assert "West" in str(nowhere["message"])
    west = planner.post("/plans/P1/copy", json={"scope": "west"})
    assert (west.status_code, west.json()["scope"]) == (201, "West")

    for plan_id in ("../x", " P7", "P7 ", ".P7"):
        refused = _error(planner.post("/plans/P1/copy", json={"plan_id": plan_id}), 422)
        assert "not a usable id" in str(refused["message"])
    odd = {"name": "Odd", "territories": [{"id": "a/b?c#d", "name": "X"}]}
    refused = _error(planner.post("/plans", json=odd), 422)
    assert str(refused["message"]).startswith("territories[0].id 'a/b?c#d' is not a usable id")
    ok = {"name": "Fine", "plan_id": "FY28.west_v-2", "territories": [{"id": "T-01", "name": "X"}]}
    assert planner.post("/plans", json=ok).status_code == 201, "dots, dashes, underscores pass"


def test_a_deleted_plans_id_is_not_given_again(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner = as_user("planner")
    blank = {"name": "Blank", "territories": [{"id": "W", "name": "West"}]}
    first = planner.post("/plans", json=blank).json()["id"]
    assert planner.delete(f"/plans/{first}").status_code == 204
    second = planner.post("/plans", json=blank).json()["id"]
    assert second != first
    error = _error(planner.post("/plans", json={**blank, "plan_id": first}), 409)
    assert "belonged to a plan that was deleted" in str(error["message"])
