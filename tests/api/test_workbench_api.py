"""The planner's workbench through the API, end to end on the real demo data (both databases):
a design job, a copy of the plan, an edit with a stale-version conflict, a comparison,
feedback, review, activation on a date, routing that follows, and the audit of it all."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.conftest import seed_region_plan

from terraplan.domain import RecordKind
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def demo_plan(db: Database) -> Database:
    seed_region_plan(db, n_accounts=300, seed=4)
    return db


def _wait(client: TestClient, job_id: str, seconds: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def test_workbench_end_to_end(demo_plan: Database, as_user: Callable[[str], TestClient]) -> None:
    planner = as_user("planner", job_workers=1)
    rep = as_user("rep")
    manager = as_user("manager")

    # A design run as a job, with progress and a saved draft plan at the end.
    submitted = planner.post(
        "/jobs",
        json={
            "kind": "design",
            "parameters": {
                "units": "counties",
                "states": ["CA"],
                "n_territories": 3,
                "balance": {"count": 0.5},
                "seed": 2,
            },
        },
    )
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["created_at"].endswith("Z")
    job = _wait(planner, submitted.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 1.0
    designed = job["result"]["plan_id"]  # type: ignore[index]
    assert planner.get(f"/plans/{designed}").json()["status"] == "draft"
    assert rep.post("/jobs", json={"kind": "design", "parameters": {}}).status_code == 403

    # Copy the plan and move Los Angeles County to another territory.
    copied = planner.post("/plans/P1/copy", json={"plan_id": "P2", "name": "What if"})
    assert copied.status_code == 201, copied.text
    with UnitOfWork(demo_plan) as uow:
        current = uow.plans.get("P2").alignment_map(RecordKind.GEO_UNIT)["06037"]
    target = next(t for t in ("T-R1", "T-R2", "T-R3") if t != current)
    edit = {"op": "move_units", "units": ["06037"], "to": target}
    moved = planner.post("/plans/P2/edits", json={"edit": edit, "version": 1})
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == 2
    assert {e["territory"] for e in moved.json()["effects"]} == {current, target}
    stale = planner.post("/plans/P2/edits", json={"edit": edit, "version": 1})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert "reload" in stale.json()["error"]["message"]
    assert rep.post("/plans/P2/edits", json={"edit": edit, "version": 2}).status_code in (403, 404)

    compared = planner.get("/plans/P1/compare/P2").json()
    with UnitOfWork(demo_plan) as uow:
        in_la = sum(1 for a in uow.accounts.list() if a.county_fips == "06037")
    assert compared["units_moved"] == 1
    assert compared["accounts_moved"] == in_la
    assert len(compared["moved"]) == in_la

    # Feedback: a manager comments; the planner reviews, approves and activates on a date.
    note = manager.post("/plans/P2/comments", json={"body": "LA moves: fine by me"})
    assert note.status_code in (201, 404)  # managers see plans they have a territory in
    comment = planner.post("/plans/P2/comments", json={"body": "Checked the balance"})
    assert comment.status_code == 201
    for status in ("in_review", "approved"):
        version = planner.get("/plans/P2").json()["version"]
        changed = planner.post("/plans/P2/status", json={"status": status, "version": version})
        assert changed.status_code == 200, changed.text
    version = planner.get("/plans/P2").json()["version"]
    activated = planner.post(
        "/plans/P2/activate", json={"version": version, "effective_from": "2027-01-01"}
    )
    assert activated.status_code == 200, activated.text
    assert activated.json()["status"] == "active"

    # Accounts follow the active plan: its rules ran at activation, LA's accounts moved.
    with UnitOfWork(demo_plan) as uow:
        la = {a.id for a in uow.accounts.list() if a.county_fips == "06037"}
        assigned = {
            a.record_id: a.territory_id for a in uow.assignments.current("P2") if a.record_id in la
        }
    assert assigned and set(assigned.values()) == {target}

    # Ownership is effective-dated: LA's accounts are in the new territory from 2027-01-01.
    some_la = sorted(la)[0]
    periods = planner.get(f"/accounts/{some_la}/owners").json()
    assert [(p["territory_id"], p["valid_from"], p["plan_id"]) for p in periods] == [
        (target, "2027-01-01", "P2")
    ]
    assert planner.get(f"/accounts/{some_la}/owners", params={"on": "2026-12-31"}).json() == []
    assert rep.get(f"/accounts/{some_la}/owners").status_code == 404

    # Routing follows the active plan: a Los Angeles lead goes to the new territory.
    routed = planner.post("/route", json={"company": "Acme", "postal_code": "90012"})
    assert routed.status_code == 200, routed.text
    assert routed.json()["plan_id"] == "P2"
    assert routed.json()["territory_id"] == target

    audit = planner.get("/audit", params={"plan_id": "P2"}).json()
    actions = [(entry["actor"], entry["action"]) for entry in audit]
    assert actions[:2] == [("planner", "copy"), ("planner", "edit")]
    assert ("planner", "activate") in actions
    assert all(entry["at"].endswith("Z") for entry in audit)
    assert rep.get("/audit").status_code == 403
    assert planner.delete("/plans/P2").status_code == 409  # active plans stay


def test_create_a_plan_from_scratch(
    demo_plan: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner = as_user("planner")
    created = planner.post(
        "/plans",
        json={
            "name": "Blank",
            "territories": [{"id": "W", "name": "West"}, {"id": "E", "name": "East"}],
        },
    )
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    moved = planner.post(
        f"/plans/{plan_id}/edits",
        json={"edit": {"op": "move_units", "units": ["06037"], "to": "W"}, "version": 1},
    )
    assert moved.status_code == 200, moved.text
    assert (
        as_user("rep")
        .post("/plans", json={"name": "x", "territories": [{"id": "A", "name": "A"}]})
        .status_code
        == 403
    )
    empty = planner.post("/plans", json={"name": "x", "territories": []})
    assert empty.status_code == 422
    assert set(empty.json()) == {"error"}
