from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient

from terraplan.api.errors import HTTP_STATUS, error_body, status_for
from terraplan.domain import Account, Plan, Territory, TerritoryOwner
from terraplan.errors import ConflictError, DataError, NotFoundError, TerraplanError
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _seed(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account(id=f"A{i}", name=f"Co {i}", owner_id="R1" if i < 3 else None)
                for i in range(5)
            ]
        )
        uow.plans.add(
            Plan(
                id="P1",
                name="FY27",
                territories=(Territory(id="T1", name="West", owners=(TerritoryOwner("R1"),)),),
            )
        )
        uow.commit()


def test_health_reports_database_and_schema(client: TestClient, db: Database) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == db.dialect
    assert body["schema_revision"] is not None
    assert body["schema_expected"] == body["schema_revision"]


def test_health_says_when_the_schema_is_not_the_codes(client: TestClient, db: Database) -> None:
    """The database downgraded (or migrated by a newer version) under a running server: it
    said "ok" while imports failed on a missing column."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0010'")
    body = client.get("/health").json()
    assert (body["status"], body["schema_revision"]) == ("schema_mismatch", "0010")
    assert body["schema_expected"] != "0010"


def test_error_body_shape_is_pinned(client: TestClient) -> None:
    response = client.get("/plans/NOPE")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "no plan with id 'NOPE'",
            "details": {"kind": "plans", "id": "NOPE"},
        }
    }
    response = client.get("/accounts", params={"limit": 0})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_parameter"
    assert body["details"]["problems"][0]["path"] == "query.limit"


def test_error_status_table() -> None:
    assert status_for(NotFoundError("x")) == 404
    assert status_for(ConflictError("x")) == 409
    assert status_for(DataError("x")) == 422
    assert status_for(TerraplanError("x")) == 500
    assert set(HTTP_STATUS) >= {NotFoundError, ConflictError, DataError}
    assert error_body("c", "m") == {"error": {"code": "c", "message": "m", "details": {}}}


def test_accounts_are_paginated_and_filtered(client: TestClient, db: Database) -> None:
    _seed(db)
    page = client.get("/accounts", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5
    assert [a["id"] for a in page["items"]] == ["A1", "A2"]
    owned = client.get("/accounts", params={"owner_id": "R1"}).json()
    assert owned["total"] == 3
    assert client.get("/accounts/A4").json()["name"] == "Co 4"


def test_closed_accounts_are_listed_on_request(client: TestClient, db: Database) -> None:
    from sqlalchemy import text

    _seed(db)
    with db.connect() as connection:
        connection.execute(text("UPDATE accounts SET closed_on = '2026-11-30' WHERE id = 'A1'"))
        connection.commit()
    listed = client.get("/accounts").json()
    assert (listed["total"], "A1" in [a["id"] for a in listed["items"]]) == (4, False)
    closed = client.get("/accounts", params={"status": "closed"}).json()
    assert [(a["id"], a["closed_on"]) for a in closed["items"]] == [("A1", "2026-11-30")]
    assert client.get("/accounts", params={"status": "all"}).json()["total"] == 5
    assert client.get("/accounts/A1").json()["closed_on"] == "2026-11-30"


def test_plan_status_workflow_with_stale_version_conflict(client: TestClient, db: Database) -> None:
    _seed(db)
    plan = client.get("/plans/P1").json()
    assert plan["status"] == "draft"
    assert plan["territories"][0]["owners"] == [{"rep_id": "R1", "role": "primary", "share": 1.0}]

    moved = client.post("/plans/P1/status", json={"status": "in_review", "version": 1})
    assert moved.status_code == 200
    assert (moved.json()["status"], moved.json()["version"]) == ("in_review", 2)
    # The signed-in user is recorded, not a free-text name.
    assert moved.json()["updated_by"] == "planner"

    stale = client.post("/plans/P1/status", json={"status": "approved", "version": 1})
    assert stale.status_code == 409
    said = stale.json()["error"]["message"]
    # the plan by name, who and when in words; the versions in the details only
    assert said.startswith(
        'the plan "FY27" was changed since you loaded it (last changed by planner at '
    )
    assert "version" not in said, said
    assert stale.json()["error"]["details"]["by"] == "planner"
    assert stale.json()["error"]["details"]["stored_version"] == 2

    skipped = client.post("/plans/P1/status", json={"status": "active", "version": 2})
    assert skipped.status_code == 409
    assert skipped.json()["error"]["details"] == {
        "plan_id": "P1",
        "from": "in_review",
        "to": "active",
    }


@pytest.mark.parametrize("path", ["/plans", "/accounts"])
def test_listing_an_empty_database(client: TestClient, path: str) -> None:
    body = client.get(path).json()
    items = body if isinstance(body, list) else body["items"]
    assert items == []
    # Only the reps the test users are linked to.
    assert [r["id"] for r in client.get("/reps").json()["items"]] == ["M1", "R1", "R2", "R3"]


def test_a_server_process_loads_routing_data_and_freezes_its_start_up_heap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's factory prepares the process (ZIP look-up loaded, start-up objects out of the
    collector's sight); an app built inside another program leaves the process alone."""
    from terraplan.api.app import app_from_environment, create_app
    from terraplan.config import Settings
    from terraplan.services.locations import zip_locator

    monkeypatch.setenv("TERRAPLAN_DATABASE_URL", db.url)
    gc.unfreeze()
    zip_locator.cache_clear()
    try:
        with TestClient(create_app(Settings(database_url=db.url))):
            assert gc.get_freeze_count() == 0
            assert zip_locator.cache_info().currsize == 0
        with TestClient(app_from_environment()) as served:
            assert gc.get_freeze_count() > 10_000
            assert zip_locator.cache_info().currsize == 1
            assert served.get("/health").status_code == 200
    finally:
        gc.unfreeze()


def test_a_write_that_lost_a_race_is_a_409_in_the_error_shape() -> None:
    """Two writers taking the same key at once: the database refuses one (a plain-text 500
    reached the client)."""
    from fastapi import FastAPI
    from sqlalchemy.exc import IntegrityError

    from terraplan.api.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    class UniqueViolationError(Exception):
        sqlstate = "23505"  # as PostgreSQL's driver says it

    class ForeignKeyViolationError(Exception):
        sqlstate = "23503"

    @app.get("/collide")
    def collide() -> None:
        raise IntegrityError("INSERT ...", {}, UniqueViolationError("duplicate key value"))

    @app.get("/dangling")
    def dangling() -> None:
        raise IntegrityError("INSERT ...", {}, ForeignKeyViolationError("violates foreign key"))

    client = TestClient(app, raise_server_exceptions=False)
    answer = client.get("/collide")
    assert answer.status_code == 409
    assert answer.json() == {
        "error": {
            "code": "conflict",
            "message": "someone else saved a change at the same moment; reload and try again",
            "details": {},
        }
    }
    # Any other integrity error is no race: retrying would not help, so it is not said to.
    other = client.get("/dangling")
    assert other.status_code == 500
    assert other.json()["error"]["code"] == "internal_error"
