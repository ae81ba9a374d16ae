"""What a plan reaches, on the real demo data (both databases): a manager approves only a plan
whose accounts come from their region (not only one whose territories their reps own), a
scoped plan places only the accounts of its scope, and an activation never rewrites the
ownership history before the plan in force."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _copy_for_review(
    planner: TestClient, plan_id: str, scope: str | None = None, owners: tuple[str, ...] = ("R1",)
) -> int:
    """A copy of P1 submitted for review, its territories owned in turn by ``owners`` (by
    default every one by the West rep R1); returns its version."""
    body: dict[str, object] = {"plan_id": plan_id}
    if scope is not None:
        body["scope"] = scope
    made = planner.post("/plans/P1/copy", json=body)
    assert made.status_code == 201, made.text
    plan = planner.get(f"/plans/{plan_id}").json()
    version = plan["version"]
    for index, territory in enumerate(plan["territories"]):
        reps = [owners[index % len(owners)]]
        edit = {"op": "set_owners", "territory": territory["id"], "reps": reps}
        done = planner.post(f"/plans/{plan_id}/edits", json={"edit": edit, "version": version})
        assert done.status_code == 200, done.text
        version = done.json()["version"]
    moved = planner.post(
        f"/plans/{plan_id}/status", json={"status": "in_review", "version": version}
    )
    assert moved.status_code == 200, moved.text
    return int(moved.json()["version"])


def _owner_regions(db: Database) -> dict[str, str | None]:
    with UnitOfWork(db) as uow:
        regions = {r.id: r.region for r in uow.reps.list()}
        return {a.id: regions.get(a.owner_id or "") for a in uow.accounts.list()}


def test_a_manager_cannot_approve_a_plan_that_takes_other_regions_accounts(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner, manager = as_user("planner"), as_user("manager")
    regions = set(_owner_regions(active_p1).values())
    assert {"East", "Central"} & regions, "the demo's accounts are owned across regions"
    _copy_for_review(planner, "P10")
    # Every territory is owned by a West rep, yet the plan takes every account of the market:
    # the approval, checked in full when sent, is refused.
    version = manager.get("/plans/P10").json()["version"]
    refused = manager.post("/plans/P10/status", json={"status": "approved", "version": version})
    assert refused.status_code == 403, refused.text
    assert "not within region West" in refused.json()["error"]["message"]
    assert planner.get("/plans/P10").json()["status"] == "in_review"
    # Sending it back to draft takes nothing: allowed.
    back = manager.post(
        "/plans/P10/status", json={"status": "draft", "version": version, "reason": "too wide"}
    )
    assert back.status_code == 200, back.text


def test_a_scoped_plan_places_only_its_scopes_accounts(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner, manager = as_user("planner"), as_user("manager")
    before = _owner_regions(active_p1)
    with UnitOfWork(active_p1) as uow:
        owners_before = {a.id: a.owner_id for a in uow.accounts.list()}
    _copy_for_review(planner, "P11", scope="West")
    # Its rules match the whole market, but it places only West's accounts: the West
    # manager may approve it.
    assert "approve_plan" in manager.get("/plans/P11/permissions").json()["actions"]
    version = manager.get("/plans/P11").json()["version"]
    approved = manager.post("/plans/P11/status", json={"status": "approved", "version": version})
    assert approved.status_code == 200, approved.text
    version = planner.get("/plans/P11").json()["version"]
    activated = planner.post("/plans/P11/activate", json={"version": version})
    assert activated.status_code == 200, activated.text
    with UnitOfWork(active_p1) as uow:
        owners_after = {a.id: a.owner_id for a in uow.accounts.list()}
    west = [a for a, region in before.items() if region == "West"]
    others = [a for a, region in before.items() if region in ("East", "Central")]
    assert west and others
    assert all(owners_after[a] == "R1" for a in west)
    assert all(owners_after[a] == owners_before[a] for a in others)
    # The whole-market plan stays active beside it.
    statuses = {p["id"]: p["status"] for p in planner.get("/plans").json()}
    assert statuses["P1"] == "active" and statuses["P11"] == "active"


def test_an_activation_does_not_rewrite_history_before_the_plan_in_force(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner = as_user("planner")
    _copy_for_review(planner, "P12")
    version = planner.get("/plans/P12").json()["version"]
    assert (
        planner.post(
            "/plans/P12/status", json={"status": "approved", "version": version}
        ).status_code
        == 200
    )
    with UnitOfWork(active_p1) as uow:
        before = uow.connection.exec_driver_sql(
            "SELECT record_id, plan_id, valid_from, valid_to FROM ownership_periods "
            "ORDER BY record_id, valid_from"
        ).all()
    version = planner.get("/plans/P12").json()["version"]
    backdated = planner.post(
        "/plans/P12/activate", json={"version": version, "effective_from": "2020-01-01"}
    )
    assert backdated.status_code == 409, backdated.text
    message = backdated.json()["error"]["message"]
    assert "plan P12 cannot take effect on 2020-01-01" in message
    assert "plan P1 (Regions) is in force from" in message
    too_early = planner.post(
        "/plans/P12/activate", json={"version": version, "effective_from": "0001-01-01"}
    )
    assert too_early.status_code == 422, too_early.text
    assert "effective_from 0001-01-01 is too early" in too_early.json()["error"]["message"]
    with UnitOfWork(active_p1) as uow:
        after = uow.connection.exec_driver_sql(
            "SELECT record_id, plan_id, valid_from, valid_to FROM ownership_periods "
            "ORDER BY record_id, valid_from"
        ).all()
    assert after == before
    assert planner.get("/plans/P12").json()["status"] == "approved"


def test_a_regions_manager_decides_a_plan_of_their_region_as_copied(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    """A West copy keeps every territory of its whole-market source, owned by reps of every
    region; its activation places only the West's accounts, so the West manager may approve
    it or send it back. A copy of one state (no region) stays the planners' to decide."""
    planner, manager = as_user("planner"), as_user("manager")

    version = _copy_for_review(planner, "P12", " west ", owners=("R1", "R3"))
    allowed = manager.get("/plans/P12/permissions")
    assert allowed.status_code == 200, allowed.text
    assert "approve_plan" in allowed.json()["actions"]
    approved = manager.post("/plans/P12/status", json={"status": "approved", "version": version})
    assert approved.status_code == 200, approved.text
    state = _copy_for_review(planner, "P13", "CA", owners=("R1", "R3"))
    assert "approve_plan" not in manager.get("/plans/P13/permissions").json()["actions"]
    refused = manager.post("/plans/P13/status", json={"status": "approved", "version": state})
    assert refused.status_code == 403
