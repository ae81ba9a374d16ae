"""The API as a service: body limits, bounded pagination, documented errors, timestamps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from terraplan.api.app import create_app
from terraplan.config import Settings
from terraplan.domain import Plan, Territory
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: The operation ids clients are generated from: renaming one breaks them, so it is deliberate.
OPERATION_IDS = sorted(
    [
        "activate_plan",
        "add_plan_comment",
        "cancel_job",
        "compare_plans",
        "copy_plan",
        "create_plan",
        "decide_change_request",
        "delete_plan",
        "edit_plan",
        "etm_model",
        "get_account",
        "get_account_owners",
        "get_active_plan",
        "get_active_plan_alerts",
        "get_active_plan_kpis",
        "get_health",
        "get_job",
        "get_me",
        "get_plan",
        "get_plan_alerts",
        "get_plan_kpis",
        "get_plan_map",
        "get_plan_outlines",
        "get_plan_permissions",
        "get_rep",
        "list_accounts",
        "list_audit_log",
        "list_jobs",
        "list_kpi_definitions",
        "list_market_scopes",
        "list_plan_comments",
        "list_plans",
        "owner_updates",
        "route_leads",
        "list_reps",
        "login",
        "logout",
        "redo_plan_edit",
        "route_lead",
        "set_plan_regions",
        "submit_import",
        "submit_job",
        "undo_plan_edit",
        "update_plan_status",
        # territory pages, rule texts, team, balance (web UI pages)
        "audit_plan_rule_text",
        "compute_plan_team",
        "get_plan_balance",
        "get_plan_rule_text",
        "get_plan_team",
        "get_territory_notes",
        "get_territory_page",
        "save_plan_rule_text",
        "update_territory_notes",
        "validate_plan_rule_text",
        # stored import mappings
        "delete_import_mapping",
        "get_import_mapping",
        "list_import_mappings",
        "save_import_mapping",
    ]
)


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.fixture
def openapi(anonymous: TestClient) -> dict[str, Any]:
    response = anonymous.get("/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_operation_ids_are_stable(openapi: dict[str, Any]) -> None:
    ids = sorted(op["operationId"] for _, _, op in _operations(openapi))
    assert ids == OPERATION_IDS


def test_every_error_an_operation_can_give_is_documented(openapi: dict[str, Any]) -> None:
    error_ref = {"$ref": "#/components/schemas/ErrorPublic"}
    for path, method, operation in _operations(openapi):
        responses = operation["responses"]
        errors = {code for code in responses if code.startswith(("4", "5"))}
        where = f"{method.upper()} {path}"
        for code in errors:
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == error_ref, where
            assert responses[code]["description"], where
        if path not in ("/health", "/route", "/auth/login"):
            assert {"401", "403", "404"} <= errors, where
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in errors, where
        if method in ("post", "put", "patch", "delete"):
            assert {"404", "409", "413", "422"} <= errors, where
        if "{" in path:
            assert "404" in errors, where
    assert openapi["paths"]["/route"]["post"]["responses"].keys() >= {"404", "413", "422"}
    shape = openapi["components"]["schemas"]["ErrorPublic"]
    assert shape["required"] == ["error"]
    assert "HTTPValidationError" not in openapi["components"]["schemas"]


def _datetime_fields(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for name, schema in openapi["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            variants = spec.get("anyOf", [spec])
            if any(v.get("format") in ("date-time", "date") for v in variants):
                found.append((name, field, spec))
    return found


def test_timestamps_say_date_time_and_carry_a_timezone(
    client: TestClient, db: Database, openapi: dict[str, Any]
) -> None:
    fields = {(name, field) for name, field, _ in _datetime_fields(openapi)}
    for needed in [("PlanPublic", "created_at"), ("JobPublic", "created_at")]:
        assert needed in fields
    with UnitOfWork(db) as uow:
        uow.plans.add(Plan(id="P1", name="FY27", territories=(Territory(id="T1", name="W"),)))
        uow.commit()
    plan = client.get("/plans/P1").json()
    assert plan["created_at"].endswith(("Z", "+00:00")), plan["created_at"]
    me = client.get("/auth/me").json()
    assert me["created_at"].endswith(("Z", "+00:00"))


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/accounts", "offset"),
        ("/reps", "offset"),
        ("/jobs", "offset"),
        ("/audit", "offset"),
        ("/accounts", "limit"),
    ],
)
def test_pagination_out_of_range_is_a_422_in_the_error_shape(
    client: TestClient, path: str, field: str
) -> None:
    response = client.get(path, params={field: 2**63})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["details"]["problems"][0]["path"] == f"query.{field}"
    assert client.get(path, params={"offset": 2**31}).status_code == 200


def test_huge_version_numbers_are_refused_not_crashed(client: TestClient, db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.plans.add(Plan(id="P1", name="FY27", territories=(Territory(id="T1", name="W"),)))
        uow.commit()
    response = client.post("/plans/P1/status", json={"status": "in_review", "version": 2**63})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["problems"][0]["path"] == "body.version"


@pytest.fixture
def small_limit(db: Database) -> Iterator[TestClient]:
    settings = Settings(database_url=db.url, max_body_bytes=2_000, job_workers=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(small_limit: TestClient) -> None:
    big = {"id": "L1", "name": "x" * 5_000}
    response = small_limit.post("/route", json=big)
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "request_too_large",
            "message": "the request body is larger than the limit of 2,000 bytes",
            "details": {"limit_bytes": 2_000, "size_bytes": len(response.request.content)},
        }
    }
    # Without a Content-Length (chunked), the body is counted as it arrives.
    chunks = [b'{"id": "L1", "name": "', b"x" * 1_500, b"x" * 1_500, b'"}']
    chunked = small_limit.post(
        "/route", content=iter(chunks), headers={"content-type": "application/json"}
    )
    assert chunked.status_code == 413
    assert chunked.json()["error"]["details"] == {"limit_bytes": 2_000}
    # Under the limit the request goes through (404: no active plan to route with).
    ok = small_limit.post("/route", json={"id": "L1", "name": "small"})
    assert ok.status_code != 413
    small_chunks = small_limit.post(
        "/route",
        content=iter([b'{"id": "L1", ', b'"name": "s"}']),
        headers={"content-type": "application/json"},
    )
    assert small_chunks.status_code == ok.status_code


def _wait_for(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


def test_an_uploaded_file_is_imported_as_a_job(
    as_user: Callable[..., TestClient], db: Database
) -> None:
    client = as_user("planner", job_workers=1)
    rows = ["id,name,postal_code,state", *(f"A{i},Co {i},94105,CA" for i in range(25))]
    rows.append("A25,,94105,CA")  # no name: a bad row
    body = "\n".join(rows).encode()
    refused = client.post(
        "/imports/accounts",
        params={"filename": "crm-accounts.csv"},
        content=body,
        headers={"content-type": "text/csv"},
    )
    assert refused.status_code == 202
    failed = _wait_for(client, refused.json()["id"])
    assert failed["status"] == "failed"
    assert client.get("/accounts").json()["total"] == 0  # abort: nothing written
    # the caller's file name and the API's parameters, never the server's upload path
    message = failed["error"]["message"]
    assert "crm-accounts.csv:27" in message and "on_error=skip" in message
    assert "terraplan-uploads" not in str(failed["error"]) and "--on-error" not in message
    skipped = client.post(
        "/imports/accounts",
        params={"on_error": "skip"},
        content=body,
        headers={"content-type": "text/csv"},
    )
    job = _wait_for(client, skipped.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["written"] == 25, job["result"]
    assert job["result"]["rejected"] == 1
    assert client.get("/accounts").json()["total"] == 25
    # the refused row is named, as the CLI names it
    (issue,) = job["result"]["issues"]
    assert (issue["file"], issue["row"], issue["field"], issue["severity"]) == (
        "upload.csv", 27, "name", "error"
    )  # fmt: skip
    assert job["result"]["issues_total"] == 1 and job["result"]["warnings"] == []
    # a file whose numbers leave the decimal separator open imports with decimal=...
    amounts = b"id;name;postal_code;state;potential\nB1;Bee;94105;CA;1.200\n"
    ambiguous = _wait_for(client, client.post("/imports/accounts", content=amounts).json()["id"])
    assert ambiguous["status"] == "failed"
    assert "decimal=comma or decimal=point" in ambiguous["error"]["message"]
    declared = client.post("/imports/accounts", params={"decimal": "comma"}, content=amounts)
    assert _wait_for(client, declared.json()["id"])["status"] == "succeeded"
    assert client.get("/accounts/B1").json()["potential"] == 1200.0
    empty = client.post("/imports/accounts", content=b"")
    assert empty.status_code == 422
    assert client.post("/imports/planets", content=body).status_code == 422
