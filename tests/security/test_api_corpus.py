"""Hostile API requests (the users and reps of tests/api/conftest.py): wrong types, unicode,
deep JSON, oversized values, ids that don't exist and other users' ids. Each gets its
documented status and the one error shape, with a message naming the parameter, and the
database is left as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from security_corpus import Seeded, api_fixtures

from terraplan.api.app import create_app
from terraplan.config import Settings

pytestmark = pytest.mark.timeout(20)


@pytest.fixture(scope="module")
def clients(seeded: Seeded) -> Iterator[dict[str, TestClient]]:
    """One signed-in client per role (and an anonymous one) on the module's seeded database."""
    made: dict[str, TestClient] = {}
    for name in (*api_fixtures.TEST_USERS, "anonymous"):
        client = TestClient(
            create_app(Settings(database_url=seeded.url, session_cookie_secure=True)),
            base_url="https://testserver",
        )
        client.__enter__()
        made[name] = client if name == "anonymous" else api_fixtures.login(client, name)
    yield made
    for client in made.values():
        client.__exit__(None, None, None)


def _deep(levels: int) -> str:
    return '{"company": "x", "extra": ' + "[" * levels + "]" * levels + "}"


# (id, user, method, path, body (object, or raw text), status, fragments of the message)
CASES: list[tuple[str, str, str, str, Any, int, tuple[str, ...]]] = [
    # --- POST /route: wrong types, bounds, unicode, deep JSON -------------------------------
    ("route-lat-text", "planner", "POST", "/route", {"latitude": "north"}, 422, ("body.latitude",)),
    ("route-lat-91", "planner", "POST", "/route", {"latitude": 91}, 422, ("body.latitude",)),
    ("route-lon-181", "planner", "POST", "/route", {"longitude": -181}, 422, ("body.longitude",)),
    ("route-lat-nan", "planner", "POST", "/route", '{"latitude": NaN}', 422, ()),
    ("route-lat-inf", "planner", "POST", "/route", '{"latitude": Infinity}', 422, ()),
    (
        "route-employees-negative",
        "planner",
        "POST",
        "/route",
        {"employees": -1},
        422,
        ("body.employees",),
    ),
    (
        "route-employees-fraction",
        "planner",
        "POST",
        "/route",
        {"employees": 2.5},
        422,
        ("body.employees",),
    ),
    (
        "route-revenue-negative",
        "planner",
        "POST",
        "/route",
        {"annual_revenue": -5},
        422,
        ("body.annual_revenue",),
    ),
    (
        "route-revenue-text",
        "planner",
        "POST",
        "/route",
        {"annual_revenue": "lots"},
        422,
        ("body.annual_revenue",),
    ),
    ("route-method", "planner", "POST", "/route", {"method": "chaos"}, 422, ("body.method",)),
    ("route-company-list", "planner", "POST", "/route", {"company": ["a"]}, 422, ("body.company",)),
    (
        "route-company-object",
        "planner",
        "POST",
        "/route",
        {"company": {"$gt": ""}},
        422,
        ("body.company",),
    ),
    (
        "route-industry-number",
        "planner",
        "POST",
        "/route",
        {"industry": 12},
        422,
        ("body.industry",),
    ),
    (
        "route-plan-unknown",
        "planner",
        "POST",
        "/route",
        {"plan_id": "NOPE", "postal_code": "94107"},
        404,
        ("NOPE",),
    ),
    (
        "route-plan-unicode",
        "planner",
        "POST",
        "/route",
        {"plan_id": "P\u202e\u0000🙂", "postal_code": "94107"},
        404,
        (),
    ),
    (
        "route-plan-huge",
        "planner",
        "POST",
        "/route",
        {"plan_id": "P" * 100_000, "postal_code": "94107"},
        404,
        (),
    ),
    ("route-array-body", "planner", "POST", "/route", [1, 2, 3], 422, ("body",)),
    ("route-string-body", "planner", "POST", "/route", '"hello"', 422, ("body",)),
    ("route-bad-json", "planner", "POST", "/route", '{"company": ', 422, ()),
    ("route-empty-body", "planner", "POST", "/route", "", 422, ()),
    ("route-deep-json", "planner", "POST", "/route", _deep(100_000), 422, ("body",)),
    ("route-as-rep", "rep", "POST", "/route", {"company": "x"}, 403, ()),
    ("route-anonymous", "anonymous", "POST", "/route", {"company": "x"}, 401, ()),
    # --- plans: status changes, edits, copies ------------------------------------------------
    (
        "status-unknown-plan",
        "planner",
        "POST",
        "/plans/NOPE/status",
        {"status": "archived", "version": 1},
        404,
        ("NOPE",),
    ),
    (
        "status-bad-status",
        "planner",
        "POST",
        "/plans/P/status",
        {"status": "exploded", "version": 1},
        422,
        ("body.status",),
    ),
    (
        "status-version-text",
        "planner",
        "POST",
        "/plans/P/status",
        {"status": "archived", "version": "one"},
        422,
        ("body.version",),
    ),
    (
        "status-version-negative",
        "planner",
        "POST",
        "/plans/P/status",
        {"status": "archived", "version": -1},
        422,
        ("version",),
    ),
    (
        "status-version-huge",
        "planner",
        "POST",
        "/plans/P/status",
        {"status": "archived", "version": 10**30},
        422,
        ("body.version",),
    ),
    (
        "status-stale-version",
        "planner",
        "POST",
        "/plans/P/status",
        {"status": "archived", "version": 99},
        409,
        (),
    ),
    ("status-missing-fields", "planner", "POST", "/plans/P/status", {}, 422, ("body.status",)),
    (
        "status-as-rep",
        "rep",
        "POST",
        "/plans/P/status",
        {"status": "archived", "version": 1},
        403,
        (),
    ),
    (
        "edit-unknown-op",
        "planner",
        "POST",
        "/plans/P/edits",
        {"edit": {"op": "teleport"}, "version": 1},
        409,
        ("only drafts",),
    ),
    (
        "edit-not-object",
        "planner",
        "POST",
        "/plans/P/edits",
        {"edit": "move", "version": 1},
        422,
        ("body.edit",),
    ),
    (
        "edit-version-zero",
        "planner",
        "POST",
        "/plans/P/edits",
        {"edit": {"op": "move_units"}, "version": 0},
        422,
        ("body.version",),
    ),
    (
        "edit-unknown-plan",
        "planner",
        "POST",
        "/plans/NOPE/edits",
        {"edit": {"op": "move_units", "units": ["1"], "to": "W"}, "version": 1},
        404,
        ("NOPE",),
    ),
    (
        "edit-as-manager",
        "manager",
        "POST",
        "/plans/P/edits",
        {"edit": {"op": "move_units", "units": ["1"], "to": "W"}, "version": 1},
        403,
        (),
    ),
    (
        "copy-id-too-long",
        "planner",
        "POST",
        "/plans/P/copy",
        {"plan_id": "C" * 101},
        422,
        ("body.plan_id",),
    ),
    (
        "copy-name-too-long",
        "planner",
        "POST",
        "/plans/P/copy",
        {"name": "N" * 256},
        422,
        ("body.name",),
    ),
    ("copy-id-number", "planner", "POST", "/plans/P/copy", {"plan_id": 7}, 422, ("body.plan_id",)),
    ("copy-onto-itself", "planner", "POST", "/plans/P/copy", {"plan_id": "P"}, 409, ()),
    ("copy-unknown-plan", "planner", "POST", "/plans/NOPE/copy", {}, 404, ("NOPE",)),
    ("copy-as-rep", "rep", "POST", "/plans/P/copy", {}, 403, ()),
    ("undo-nothing", "planner", "POST", "/plans/P/undo", {"version": 1}, 409, ()),
    ("delete-active-plan", "planner", "DELETE", "/plans/P", None, 409, ()),
    ("delete-unknown-plan", "planner", "DELETE", "/plans/NOPE", None, 404, ("NOPE",)),
    ("comment-not-text", "planner", "POST", "/plans/P/comments", {"body": ["a"]}, 422, ("body",)),
    ("comment-unknown-plan", "planner", "POST", "/plans/NOPE/comments", {"body": "hi"}, 404, ()),
    (
        "decision-unknown",
        "planner",
        "POST",
        "/comments/999999/decision",
        {"decision": "accepted"},
        422,
        (),
    ),
    (
        "decision-id-text",
        "planner",
        "POST",
        "/comments/abc/decision",
        {"decision": "accepted"},
        422,
        ("path.comment_id",),
    ),
    # --- jobs --------------------------------------------------------------------------------
    (
        "job-unknown-kind",
        "planner",
        "POST",
        "/jobs",
        {"kind": "mine_bitcoin", "parameters": {}},
        422,
        ("body.kind",),
    ),
    (
        "job-parameters-list",
        "planner",
        "POST",
        "/jobs",
        {"kind": "design", "parameters": [1]},
        422,
        ("body.parameters",),
    ),
    ("job-unknown", "planner", "GET", "/jobs/999999", None, 404, ()),
    ("job-id-text", "planner", "GET", "/jobs/abc", None, 404, ("'abc'",)),
    ("job-cancel-unknown", "planner", "POST", "/jobs/999999/cancel", None, 404, ()),
    ("job-as-rep", "rep", "POST", "/jobs", {"kind": "design", "parameters": {}}, 403, ()),
    # --- reads: pagination, unknown ids, other users' ids ---------------------------------
    (
        "accounts-limit-negative",
        "planner",
        "GET",
        "/accounts?limit=-1",
        None,
        422,
        ("query.limit",),
    ),
    ("accounts-limit-text", "planner", "GET", "/accounts?limit=ten", None, 422, ("query.limit",)),
    (
        "accounts-limit-huge",
        "planner",
        "GET",
        "/accounts?limit=100000000",
        None,
        422,
        ("query.limit",),
    ),
    (
        "accounts-offset-negative",
        "planner",
        "GET",
        "/accounts?offset=-5",
        None,
        422,
        ("query.offset",),
    ),
    (
        "accounts-offset-overflow",
        "planner",
        "GET",
        "/accounts?offset=" + "9" * 40,
        None,
        422,
        ("query.offset",),
    ),
    ("account-unknown", "planner", "GET", "/accounts/NOPE", None, 404, ("NOPE",)),
    ("account-unicode", "planner", "GET", "/accounts/%F0%9F%99%82%E2%80%AE", None, 404, ()),
    ("account-traversal", "planner", "GET", "/accounts/..%2F..%2Fetc%2Fpasswd", None, 404, ()),
    ("account-huge-id", "planner", "GET", "/accounts/" + "A" * 5_000, None, 404, ()),
    ("account-of-another-rep", "rep", "GET", "/accounts/A2", None, 404, ("A2",)),
    ("account-of-another-region", "manager", "GET", "/accounts/A3", None, 404, ("A3",)),
    ("rep-of-another-region", "manager", "GET", "/reps/R3", None, 404, ("R3",)),
    ("rep-another-rep", "rep", "GET", "/reps/R2", None, 404, ("R2",)),
    ("rep-unknown", "planner", "GET", "/reps/NOPE", None, 404, ("NOPE",)),
    ("plan-unknown", "planner", "GET", "/plans/NOPE", None, 404, ("NOPE",)),
    ("compare-unknown", "planner", "GET", "/plans/P/compare/NOPE", None, 404, ("NOPE",)),
    (
        "compare-limit-negative",
        "planner",
        "GET",
        "/plans/P/compare/P?moved_limit=-1",
        None,
        422,
        ("query.moved_limit",),
    ),
    ("kpis-unknown-plan", "planner", "GET", "/plans/NOPE/kpis", None, 404, ("NOPE",)),
    ("alerts-unknown-plan", "planner", "GET", "/plans/NOPE/alerts", None, 404, ("NOPE",)),
    ("audit-as-rep", "rep", "GET", "/audit", None, 403, ()),
    ("accounts-anonymous", "anonymous", "GET", "/accounts", None, 401, ()),
    # --- sign-in ------------------------------------------------------------------------------
    (
        "login-wrong-password",
        "anonymous",
        "POST",
        "/auth/login",
        {"username": "planner", "password": "x" * 9},
        401,
        (),
    ),
    (
        "login-unknown-user",
        "anonymous",
        "POST",
        "/auth/login",
        {"username": "ghost\u0000", "password": "x" * 9},
        401,
        (),
    ),
    (
        "login-password-list",
        "anonymous",
        "POST",
        "/auth/login",
        {"username": "planner", "password": ["x"]},
        422,
        ("body.password",),
    ),
    (
        "login-huge-password",
        "anonymous",
        "POST",
        "/auth/login",
        {"username": "planner", "password": "p" * 1_000_000},
        422,
        ("body.password", "1024"),
    ),
    ("login-deep-json", "anonymous", "POST", "/auth/login", _deep(100_000), 422, ("body",)),
]


@pytest.mark.parametrize(
    ("user", "method", "path", "body", "status", "expected"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_hostile_request_gets_its_status_and_one_error_shape(
    clients: dict[str, TestClient],
    unchanged: Seeded,
    user: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    expected: tuple[str, ...],
) -> None:
    client = clients[user]
    if body is None:
        response = client.request(method, path)
    elif isinstance(body, str):
        response = client.request(
            method, path, content=body.encode(), headers={"Content-Type": "application/json"}
        )
    else:
        response = client.request(method, path, json=body)
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and error["message"]
    assert "Traceback" not in response.text
    # ids are quoted back as sent (a URL or body that long is the client's own); nothing more
    assert len(response.content) < 3 * len(path + json.dumps(body)) + 2_000
    for fragment in expected:
        assert fragment in error["message"], (fragment, error["message"][:300])
    json.dumps(error["details"])
