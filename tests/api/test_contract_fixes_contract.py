"""Fixes from the API review: wrong JSON types refused (C1), days only as YYYY-MM-DD (C2),
schemas that say what the server enforces (C5), rule texts as long as the schema says (C6),
plan comments (C7), list limits and unknown query parameters (C8), and the cosmetic ones
(K1, K2, K4-K8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from tests.api.test_route import _active_plan

from terraplan.storage.database import Database


def _problem_path(answer: object) -> str:
    body = answer.json()  # type: ignore[attr-defined]
    return str(body["error"]["details"]["problems"][0]["path"])


def _draft(planner: TestClient, plan_id: str, territories: list[dict[str, str]]) -> int:
    made = planner.post(
        "/plans", json={"name": plan_id, "plan_id": plan_id, "territories": territories}
    )
    assert made.status_code == 201, made.text
    return int(made.json()["version"])


# C1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "field"),
    [
        ({"postal_code": "94107", "annual_revenue": False}, "body.annual_revenue"),
        ({"postal_code": "94107", "employees": True}, "body.employees"),
        # text is read as an import reads it ("1,000"), so only text that is no number fails
        ({"postal_code": "94107", "employees": "12 people"}, "body.employees"),
        ({"postal_code": "94107", "latitude": "12"}, "body.latitude"),
        ({"postal_code": "94107", "annual_revenue": "1e5"}, "body.annual_revenue"),
        ({"postal_code": True}, "body.postal_code"),
        ({"county_fips": False}, "body.county_fips"),
    ],
)
def test_route_refuses_wrong_json_types(
    client: TestClient, lead: dict[str, object], field: str
) -> None:
    answer = client.post("/route", json=lead)
    assert answer.status_code == 422, answer.text
    assert _problem_path(answer).startswith(field)
    batch = client.post("/route/batch", json={"leads": [lead]})
    assert batch.status_code == 422, batch.text
    assert _problem_path(batch).startswith("body.leads.0." + field.removeprefix("body."))


def test_route_still_takes_a_zip_as_text_or_number(client: TestClient, db: Database) -> None:
    _active_plan(db)
    for zip_code in ("94107", 94107, "94107-1234"):
        lead = {"postal_code": zip_code, "employees": 12, "annual_revenue": 100, "latitude": 37}
        answer = client.post("/route", json=lead)
        assert answer.status_code == 200, answer.text
        assert answer.json()["territory_id"] == "W"


def test_versions_and_revisions_must_be_integers(as_user: Callable[[str], TestClient]) -> None:
    planner = as_user("planner")
    version = _draft(planner, "TYPES", [{"id": "A", "name": "A"}])
    edit = {"op": "rename", "territory": "A", "name": "B"}
    answer = planner.post("/plans/TYPES/edits", json={"edit": edit, "version": str(version)})
    assert answer.status_code == 422, answer.text
    assert _problem_path(answer) == "body.version"
    notes = planner.put(
        "/plans/TYPES/territories/A/notes", json={"revision": True, "strategy": "x"}
    )
    assert notes.status_code == 422, notes.text
    assert _problem_path(notes) == "body.revision"
    status = planner.post("/plans/TYPES/status", json={"status": "in_review", "version": True})
    assert status.status_code == 422, status.text
    assert (
        planner.post("/plans/TYPES/edits", json={"edit": edit, "version": version}).status_code
        == 200
    )


# C5: versions beyond 2^31-1 are a 422 naming the field -----------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/plans/BIG/rules", {"document": "x", "version": 2**63}, "body.version"),
        (
            "PUT",
            "/plans/BIG/territories/A/notes",
            {"revision": 10**23, "strategy": "x"},
            "body.revision",
        ),
    ],
)
def test_huge_versions_are_invalid_parameters(
    as_user: Callable[[str], TestClient],
    method: str,
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    planner = as_user("planner")
    _draft(planner, "BIG", [{"id": "A", "name": "A"}])
    answer = planner.request(method, path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_parameter"
    assert _problem_path(answer) == field


def test_request_schemas_say_what_the_server_enforces(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert set(schemas["CommentCreate"]["properties"]["target_kind"]["enum"]) == {
        "plan", "territory", "move", "unit", "account"
    }  # fmt: skip
    assert "catch_all" in schemas["TerritoryCreate"]["properties"]["type"]["enum"]
    for name in ("PlanCreate", "PlanCopyCreate"):
        assert schemas[name]["properties"]["plan_id"]["pattern"].startswith("^[A-Za-z0-9_-]")
    edit = schemas["EditRequest"]["properties"]["edit"]
    assert edit["required"] == ["op"] and "move_units" in edit["properties"]["op"]["enum"]
    kpis = {
        p["name"]: p["schema"]
        for p in document["paths"]["/plans/{plan_id}/kpis"]["get"]["parameters"]
    }
    assert kpis["by"]["enum"] == ["territory", "region", "rep", "segment", "industry"]
    assert "pattern" in kpis["period"]
    imports = document["paths"]["/imports/{kind}"]["post"]["parameters"]
    currency = next(p for p in imports if p["name"] == "currency")["schema"]
    assert "[A-Za-z]{3}" in str(currency)
    rules = schemas["RuleTextSave"]["properties"]["version"]["anyOf"][0]
    assert rules["maximum"] == 2**31 - 1


def test_the_period_pattern_matches_what_the_kpis_take(client: TestClient) -> None:
    import re

    from terraplan.api.monitoring_params import PERIOD_PATTERN

    for good in (
        "2026Q3",
        "2026-Q3",
        "2026-07",
        "2026",
        "YTD",
        "ytd",
        "month",
        "FY2027Q1",
        "CY2026",
    ):
        assert re.fullmatch(PERIOD_PATTERN, good), good
    for bad in (">_9W", "2026Q5", "Q3"):
        assert not re.fullmatch(PERIOD_PATTERN, bad), bad


# C2 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/plans/P/kpis?as_of=0", "query.as_of"),
        ("/active-plan/kpis?as_of=86400", "query.as_of"),
        ("/plans/P/kpis?as_of=2026-1-5", "query.as_of"),
        ("/accounts/ACC-1/owners?on=0", "query.on"),
    ],
)
def test_days_are_only_taken_as_yyyy_mm_dd(client: TestClient, url: str, parameter: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 422, answer.text
    assert _problem_path(answer) == parameter


def test_a_day_in_a_body_is_only_taken_as_yyyy_mm_dd(as_user: Callable[[str], TestClient]) -> None:
    planner = as_user("planner")
    version = _draft(planner, "DAYS", [{"id": "A", "name": "A"}])
    answer = planner.post("/plans/DAYS/activate", json={"version": version, "effective_from": 0})
    assert answer.status_code == 422, answer.text
    assert _problem_path(answer) == "body.effective_from"


# K5 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["9999", "1899", "2999Q1", "1899-12"])
def test_periods_are_range_checked_like_as_of(client: TestClient, period: str) -> None:
    for url in (f"/plans/P/kpis?period={period}", f"/plans/P/alerts?period={period}"):
        answer = client.get(url)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"]["field"] == "period"
        assert "no fact lies there" in answer.json()["error"]["message"]


# C6 ------------------------------------------------------------------------------------------


def test_a_rule_text_as_long_as_the_schema_allows_is_not_a_413(
    as_user: Callable[[str], TestClient],
) -> None:
    from terraplan.api.routes.rule_texts import MAX_RULE_TEXT

    planner = as_user("planner")
    _draft(planner, "RULEBIG", [{"id": "A", "name": "A"}])
    document = "#" + "x\n" * 499_000  # as long as the schema allows, with an escape a line
    answer = planner.post("/plans/RULEBIG/rules/validate", json={"document": document})
    assert answer.status_code != 413, answer.text[:300]
    too_long = planner.post(
        "/plans/RULEBIG/rules/validate", json={"document": "#" * (MAX_RULE_TEXT + 1)}
    )
    assert too_long.status_code == 422, too_long.text[:300]
    # other routes keep the general limit
    other = planner.post("/plans/RULEBIG/comments", json={"body": "x" * 2_000_000})
    assert other.status_code == 413
    # nor do the rule routes hold more than twice the longest text before the sender is known
    huge = planner.post("/plans/RULEBIG/rules/validate", json={"document": "x" * 2_100_000})
    assert huge.status_code == 413


# C7 ------------------------------------------------------------------------------------------


def test_a_plan_comment_takes_no_target_id_and_needs_visible_text(
    as_user: Callable[[str], TestClient],
) -> None:
    planner = as_user("planner")
    _draft(planner, "CMT", [{"id": "A", "name": "A"}])
    answer = planner.post(
        "/plans/CMT/comments", json={"body": "x", "target_kind": "plan", "target_id": "nothing"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"]["field"] == "target_id"
    for junk in ("\u0000", "\u0000\u0001 \t", "\u0007"):
        refused = planner.post("/plans/CMT/comments", json={"body": junk})
        assert refused.status_code == 422, (junk, refused.text)
        assert refused.json()["error"]["message"] == "a comment needs some text"
    assert planner.get("/plans/CMT/comments").json() == []
    fine = planner.post("/plans/CMT/comments", json={"body": "ok", "target_kind": "plan"})
    assert fine.status_code == 201, fine.text


# C8 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name", "suggestion"),
    [
        ("/accounts?owner=REP-002", "owner", "owner_id"),
        ("/reps?region=East", "region", None),
        ("/jobs?stauts=failed", "stauts", "status"),
        ("/audit?limt=5", "limt", "limit"),
        ("/plans?scope=West", "scope", None),
    ],
)
def test_list_endpoints_refuse_unknown_query_parameters(
    client: TestClient, url: str, name: str, suggestion: str | None
) -> None:
    answer = client.get(url)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["details"]["parameter"] == name
    assert error["details"].get("suggestion") == suggestion
    if suggestion:
        assert f"did you mean {suggestion!r}" in error["message"]


def test_list_endpoints_take_their_own_parameters(client: TestClient) -> None:
    for url in (
        "/accounts?limit=5&offset=0&owner_id=R1&status=all",
        "/reps?limit=1000",
        "/jobs?status=failed&limit=5",
        "/audit?plan_id=P&order=newest&limit=100",
        "/plans",
    ):
        assert client.get(url).status_code == 200, url


def test_the_audit_limit_is_at_most_1000(client: TestClient) -> None:
    assert client.get("/audit?limit=1000").status_code == 200
    answer = client.get("/audit?limit=5000")
    assert answer.status_code == 422
    assert _problem_path(answer) == "query.limit"


# K1 ------------------------------------------------------------------------------------------


def test_errors_name_the_right_field(as_user: Callable[[str], TestClient]) -> None:
    planner = as_user("planner")
    blank = planner.post("/plans", json={"name": "   ", "territories": [{"id": "A", "name": "a"}]})
    assert blank.status_code == 422, blank.text
    assert _problem_path(blank) == "body.name"
    rates = planner.post(
        "/imports/sales_lines?rates=/etc/passwd",
        content=b"id,account_id,date,amount\nX,A,2026-01-01,1\n",
        headers={"content-type": "text/csv"},
    )
    assert rates.status_code == 422, rates.text
    assert rates.json()["error"]["details"]["parameter"] == "rates"
    currency = planner.post("/imports/sales_lines?currency=ZZ9", content=b"a\n1\n")
    assert currency.status_code == 422
    audit = as_user("manager").get("/audit?limit=1")
    assert audit.status_code == 403
    assert "audit log" in audit.json()["error"]["message"]
    assert "edit plan" not in audit.json()["error"]["message"]


# K2 ------------------------------------------------------------------------------------------


def test_login_answers_the_sign_in_just_made(anonymous: TestClient, users: dict[str, str]) -> None:
    from tests.api.conftest import PASSWORD

    before = datetime.now(UTC) - timedelta(seconds=5)
    answer = anonymous.post("/auth/login", json={"username": "planner", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    last = answer.json()["user"]["last_login_at"]
    assert last is not None
    assert datetime.fromisoformat(last.replace("Z", "+00:00")) >= before


# K4 ------------------------------------------------------------------------------------------


def test_balance_says_which_territories_it_leaves_out(
    as_user: Callable[[str], TestClient],
) -> None:
    planner = as_user("planner")
    _draft(planner, "BAL", [{"id": "G", "name": "G"}, {"id": "N", "name": "N", "type": "named"}])
    answer = planner.get("/plans/BAL/balance")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["skipped"] == {"N": "named territory"}
    assert all(row["territory_id"] != "N" for row in body["rows"])


# K6 ------------------------------------------------------------------------------------------


def test_a_405_says_which_methods_the_path_takes(client: TestClient) -> None:
    for method, url in (("TRACE", "/accounts"), ("DELETE", "/reps")):
        answer = client.request(method, url)
        assert answer.status_code == 405
        assert answer.headers["allow"] == "GET"
        assert answer.json()["error"]["code"] == "method_not_allowed"


# K7 ------------------------------------------------------------------------------------------


def test_an_import_job_shows_the_file_name_not_the_server_path(client: TestClient) -> None:
    answer = client.post(
        "/imports/leads?filename=my%20leads.csv",
        content=b"a,b\n1,2\n",
        headers={"content-type": "text/csv"},
    )
    assert answer.status_code == 202, answer.text
    parameters = answer.json()["parameters"]
    assert parameters["path"] == "my leads.csv"
    assert "terraplan-uploads" not in str(parameters)
    listed = client.get("/jobs").json()
    assert "terraplan-uploads" not in str(listed)


# K8 ------------------------------------------------------------------------------------------


def test_effective_from_is_refused_on_a_move_that_is_no_activation(
    as_user: Callable[[str], TestClient],
) -> None:
    planner = as_user("planner")
    version = _draft(planner, "EFF", [{"id": "A", "name": "A"}])
    answer = planner.post(
        "/plans/EFF/status",
        json={"status": "in_review", "version": version, "effective_from": "2027-01-01"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"]["field"] == "effective_from"
    assert "activation only" in answer.json()["error"]["message"]
    moved = planner.post("/plans/EFF/status", json={"status": "in_review", "version": version})
    assert moved.status_code == 200, moved.text


# C4 (the cheap part) ---------------------------------------------------------------------------


def test_the_document_declares_the_headers_the_api_sends(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "ETag" in paths["/plans/{plan_id}/kpis"]["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["/plans/{plan_id}"]["get"]["responses"]["200"]["headers"]
    for path in ("/jobs", "/audit"):
        assert "X-Total-Count" in paths[path]["get"]["responses"]["200"]["headers"]
    assert (
        "Retry-After" in paths["/plans/{plan_id}/comments"]["post"]["responses"]["429"]["headers"]
    )
