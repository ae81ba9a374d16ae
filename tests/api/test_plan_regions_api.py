"""``POST /plans/{id}/regions``: a draft's regions from its reps, as ``terraplan plans
regions --from reps``: a typed answer, the plan-edit permissions, the one error shape."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.api.test_response_schemas import Checker
from tests.conftest import seed_region_plan

from terraplan.services.plan_edits import edit_plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _owned(db: Database) -> None:
    seed_region_plan(db, n_accounts=200, seed=7)
    with UnitOfWork(db) as uow:
        reps = [r for r in uow.reps.list() if r.role.value != "manager"]
        territories = uow.plans.get("P1").territories
    version = 1
    for territory in territories:
        rep = next(r for r in reps if r.region == territory.name)
        edit = {"op": "set_owners", "territory": territory.id, "reps": [rep.id]}
        version = edit_plan(db, "P1", edit, version=version).plan.version


def test_a_planner_sets_the_regions_and_kpis_by_region_follow(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    _owned(db)
    planner = as_user("planner")
    check = Checker(planner.get("/openapi.json").json())
    version = planner.get("/plans/P1").json()["version"]
    # read (and cached) before: the answer after setting the regions must not be this one
    assert planner.get("/plans/P1/kpis?by=region").json()["rows"] == []

    misspelt = planner.post("/plans/P1/regions", json={"from": "rules", "version": version})
    assert misspelt.status_code == 422 and set(misspelt.json()) == {"error"}
    stale = planner.post("/plans/P1/regions", json={"from": "reps", "version": version - 1})
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["stored_version"] == version

    answer = check(planner.post("/plans/P1/regions", json={"from": "reps", "version": version}))
    assert answer["changed"] is True and answer["version"] == version + 1
    assert answer["unplaced"] == [] and answer["removed"] == []
    regions = {r["name"]: r for r in answer["regions"]}
    assert all(r["added"] and len(r["territory_names"]) == 1 for r in regions.values())
    kpis = check(planner.get("/plans/P1/kpis?by=region"))
    assert {row["name"] for row in kpis["rows"]} == set(regions)

    again = check(
        planner.post("/plans/P1/regions", json={"from": "reps", "version": answer["version"]})
    )
    assert again["changed"] is False and again["version"] == answer["version"]


def test_only_who_may_edit_the_plan_sets_its_regions(
    db: Database, as_user: Callable[[str], TestClient], anonymous: TestClient
) -> None:
    _owned(db)
    body = {"from": "reps", "version": 4}
    assert anonymous.post("/plans/P1/regions", json=body).status_code == 401
    # a rep does not see a plan of others' territories; a manager sees it, may not edit it
    for role, status in (("rep", 404), ("manager", 403)):
        refused = as_user(role).post("/plans/P1/regions", json=body)
        assert refused.status_code == status, (role, refused.text)
        assert set(refused.json()) == {"error"}
    assert as_user("admin").post("/plans/P1/regions", json=body).status_code == 200
