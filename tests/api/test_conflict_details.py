"""A stale version gets the same 409 details wherever it is refused (an edit, a status change),
so a client reads one shape: which plan, the stored version, the version sent, who saved."""

from __future__ import annotations

from fastapi.testclient import TestClient

from terraplan.storage.database import Database


def test_stale_versions_give_one_detail_shape(db: Database, client: TestClient) -> None:
    from tests.conftest import seed_region_plan

    seed_region_plan(db, n_accounts=100, seed=5)
    plan = client.get("/plans/P1").json()
    unit = next(iter(plan["territories"]))["id"]
    edit = {"op": "rename", "territory": unit, "name": "Renamed"}
    first = client.post("/plans/P1/edits", json={"edit": edit, "version": plan["version"]})
    assert first.status_code == 200, first.text
    stale_edit = client.post("/plans/P1/edits", json={"edit": edit, "version": plan["version"]})
    stale_status = client.post(
        "/plans/P1/status", json={"status": "in_review", "version": plan["version"]}
    )
    answers = [stale_edit, stale_status]
    assert [a.status_code for a in answers] == [409, 409], [a.text for a in answers]
    details = [a.json()["error"]["details"] for a in answers]
    for detail in details:
        assert set(detail) == {"plan_id", "stored_version", "version", "by"}, detail
        assert detail["plan_id"] == "P1"
        assert detail["stored_version"] == plan["version"] + 1
        assert detail["version"] == plan["version"]
        assert detail["by"] == "planner"
