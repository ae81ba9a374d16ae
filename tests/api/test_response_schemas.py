"""Every JSON answer an integrator reads is typed in the OpenAPI document, and the real answers
on the demo match those types (both databases).

The answers are checked against the app's own ``/openapi.json`` with ``jsonschema``, strictly:
an object whose schema lists its properties may hold no other key, and an open object (a
``dict[str, Any]``) accepts nothing unless it is one of the few that are open by nature
(:data:`OPEN_BY_NATURE`), so a route that answers an untyped object fails here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from tests.conftest import seed_region_plan

from terraplan.services.jobs import run_job
from terraplan.services.reps_targets import plan_targets
from terraplan.storage.database import Database

#: Objects whose keys are free by nature, each described in the document: an account's own
#: CRM attributes, an audit entry's snapshots, a job's parameters as submitted, an error's
#: details (they depend on the error code).
OPEN_BY_NATURE = frozenset(
    {
        "#/components/schemas/AccountPublic/properties/attributes",
        "#/components/schemas/AuditEntryPublic/properties/before/anyOf/0",
        "#/components/schemas/AuditEntryPublic/properties/after/anyOf/0",
        "#/components/schemas/JobPublic/properties/parameters",
        "#/components/schemas/ErrorDetailPublic/properties/details",
        "#/components/schemas/JobErrorPublic/properties/details",
    }
)

#: Keys of a schema that say what its value is (any of them: the schema types something).
_TYPING_KEYS = {"type", "$ref", "anyOf", "oneOf", "allOf", "const", "enum", "not", "properties"}


def _is_open_object(schema: dict[str, Any]) -> bool:
    """A schema that accepts an object and says nothing of its keys or values."""
    if "properties" in schema or "patternProperties" in schema or "$ref" in schema:
        return False
    extra = schema.get("additionalProperties", True if schema.get("type") == "object" else None)
    return extra is True or extra == {}


def _untyped_places(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(empty or untyped schemas, open objects) reachable from the 2xx JSON answers, as JSON
    pointers (``#/paths/...`` for those inline in an operation)."""
    untyped: list[str] = []
    open_objects: list[str] = []
    seen: set[str] = set()

    def walk(schema: Any, pointer: str) -> None:
        if isinstance(schema, list):
            for i, item in enumerate(schema):
                walk(item, f"{pointer}/{i}")
            return
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref not in seen:
                seen.add(ref)
                name = ref.rsplit("/", 1)[1]
                walk(document["components"]["schemas"][name], ref)
            return
        if not _TYPING_KEYS & set(schema):
            untyped.append(pointer)
        if _is_open_object(schema):
            open_objects.append(pointer)
        for key in ("properties", "$defs"):
            for name, sub in schema.get(key, {}).items():
                walk(sub, f"{pointer}/{key}/{name}")
        for key in ("items", "additionalProperties", "not"):
            if isinstance(schema.get(key), dict):
                walk(schema[key], f"{pointer}/{key}")
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            if key in schema:
                walk(schema[key], f"{pointer}/{key}")

    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation.get("responses", {}).items():
                body = answer.get("content", {}).get("application/json")
                if not status.startswith("2") or body is None:
                    continue
                pointer = f"#/paths/{path}/{method}/responses/{status}"
                walk(body.get("schema", {}), pointer)
    return untyped, open_objects


def test_no_json_answer_is_untyped_and_only_objects_open_by_nature_are_open(
    anonymous: TestClient,
) -> None:
    document = anonymous.get("/openapi.json").json()
    untyped, open_objects = _untyped_places(document)
    assert untyped == []  # the map's body had an empty schema
    assert sorted(set(open_objects) - OPEN_BY_NATURE) == []
    for pointer in OPEN_BY_NATURE:  # each open one says what it holds
        model, _, field = pointer.removeprefix("#/components/schemas/").partition("/properties/")
        described = document["components"]["schemas"][model]["properties"][field.split("/")[0]]
        assert described.get("description"), pointer


def _strict(document: dict[str, Any]) -> dict[str, Any]:
    """The document's components with every object closed: no key beyond its properties, and
    an open object (other than those open by nature) accepting nothing."""
    components = copy.deepcopy(document["components"])

    def close(node: Any, pointer: str) -> Any:
        if isinstance(node, list):
            return [close(item, f"{pointer}/{i}") for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if _is_open_object(node) and pointer not in OPEN_BY_NATURE:
            return {"not": {}, "description": f"untyped object at {pointer}"}
        closed = {key: close(value, f"{pointer}/{key}") for key, value in node.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed

    return {
        "schemas": {
            name: close(schema, f"#/components/schemas/{name}")
            for name, schema in components["schemas"].items()
        }
    }


class Checker:
    """Checks answers against the schema their operation documents, in the app's document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = _strict(document)
        self.checked: set[str] = set()

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        for template, item in self.document["paths"].items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            if re.fullmatch(pattern, path) and method in item:
                return template, item[method]
        raise AssertionError(f"{method.upper()} {path} is not in the document")

    def __call__(self, answer: Any) -> Any:
        request = answer.request
        method, path = request.method.lower(), request.url.path
        assert answer.status_code < 300, (path, answer.text[:500])
        template, operation = self.operation(method, path)
        schema = operation["responses"][str(answer.status_code)]["content"]["application/json"]
        assert schema.get("schema"), f"{method} {template}: no schema"
        validator = Draft202012Validator({**schema["schema"], "components": self.components})
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in (best_match([error]) for error in validator.iter_errors(answer.json()))
        ]
        assert errors == [], f"{method.upper()} {path}"
        self.checked.add(f"{method} {template}")
        return answer.json()


@pytest.fixture
def demo_plan(db: Database) -> Iterator[Database]:
    """The demo's regions as draft plan P1 (its rules stored), with this year's targets."""
    seed_region_plan(db, n_accounts=300, seed=4)
    plan_targets(db, "P1", company_target=None)
    yield db


#: The routes whose answers this change typed (each must be checked by the test below).
TYPED_ROUTES = {
    "get /plans/{plan_id}/map",
    "get /plans/{plan_id}/outlines",
    "get /plans/{plan_id}/territories/{territory_id}/page",
    "get /plans/{plan_id}/team",
    "post /plans/{plan_id}/team/{kind}",
    "get /jobs",
    "get /jobs/{job_id}",
    "post /jobs",
    "post /jobs/{job_id}/cancel",
    "post /imports/{kind}",
    "get /plans/{plan_id}/balance",
    "get /plans/{plan_id}/kpis",
    "get /plans/{plan_id}/alerts",
    "get /plans/{plan_id}/comments",
    "post /plans/{plan_id}/comments",
    "get /plans/{base_id}/compare/{other_id}",
    "post /plans/{plan_id}/edits",
    "post /plans/{plan_id}/undo",
    "post /plans/{plan_id}/redo",
    "post /plans/{plan_id}/rules/audit",
    "get /plans/{plan_id}/owner-updates",
    "get /plans/{plan_id}/etm-model",
}


def test_real_answers_match_their_documented_schemas(
    demo_plan: Database, as_user: Callable[[str], TestClient]
) -> None:
    db = demo_plan
    planner = as_user("planner")
    check = Checker(planner.get("/openapi.json").json())
    plan = planner.get("/plans/P1").json()
    territories = sorted(t["id"] for t in plan["territories"])
    first, second = territories[0], territories[1]

    # edits (a rep gets a territory: their map then shows the units across its border)
    edit = {"op": "set_owners", "territory": first, "reps": ["R1"]}
    version = check(planner.post("/plans/P1/edits", json={"edit": edit, "version": 1}))["version"]
    unit = check(planner.get("/plans/P1/map"))["units"]["features"][0]["id"]
    lock = {"op": "lock", "units": [unit]}
    version = check(planner.post("/plans/P1/edits", json={"edit": lock, "version": version}))[
        "version"
    ]
    version = check(planner.post("/plans/P1/undo", json={"version": version}))["version"]
    check(planner.post("/plans/P1/redo", json={"version": version}))

    # the map and the page, as a planner and as a rep who sees one territory
    whole = check(planner.get("/plans/P1/map"))
    assert whole["locked"] and whole["territories"][0]["balance"] is not None
    mine = check(as_user("rep").get("/plans/P1/map"))
    assert mine["neighbours"] and [t["id"] for t in mine["territories"]] == [first]
    check(planner.get("/plans/P1/outlines"))
    page = check(planner.get(f"/plans/P1/territories/{first}/page"))
    assert page["reps"] and page["priorities"]
    check(as_user("rep").get(f"/plans/P1/territories/{first}/page"))

    # team figures: targets only, then capacity and matching computed
    assert check(planner.get("/plans/P1/team"))["targets"] is not None
    check(planner.post("/plans/P1/team/capacity"))
    team = check(planner.post("/plans/P1/team/matching"))
    assert team["capacity"]["groups"] and team["matching"]["pairs"]

    # monitoring
    check(planner.get("/plans/P1/balance"))
    check(as_user("rep").get("/plans/P1/balance"))
    for by in ("territory", "region", "rep", "segment", "industry"):
        assert check(planner.get(f"/plans/P1/kpis?by={by}"))["rows"] or by == "region"
    alerts = check(planner.get("/plans/P1/alerts"))["alerts"]
    assert alerts and all(a["subject"] for a in alerts)

    # a copy with a unit moved, compared; a change request on it
    check(planner.post("/plans/P1/copy", json={"plan_id": "P2", "name": "Copy"}))
    assert check(planner.get("/plans/P2/team"))["targets"]["carried_from"] == "P1"
    unit = next(
        f["id"] for f in whole["units"]["features"] if f["properties"]["territory"] == first
    )
    move = {"op": "move_units", "units": [unit], "to": second}
    check(planner.post("/plans/P2/edits", json={"edit": move, "version": 1}))
    comparison = check(planner.get("/plans/P1/compare/P2"))
    assert comparison["units_moved"] == 1
    check(planner.post("/plans/P2/comments", json={"body": "Looks fine"}))
    request = {"body": "Give it back", "proposed_edit": {**move, "to": first}}
    check(planner.post("/plans/P2/comments", json=request))
    comments = check(planner.get("/plans/P2/comments"))
    assert [c["proposed_edit"] for c in comments] == [None, request["proposed_edit"]]
    check(planner.post("/plans/P1/rules/audit", json={}))

    # jobs of every kind and ending, run by the real job runner
    def job(body: dict[str, Any]) -> str:
        return str(check(planner.post("/jobs", json=body))["id"])

    states = ["RI"]
    ran = [
        job({"kind": "rules_apply", "parameters": {"plan_id": "P1"}}),
        job({"kind": "design", "parameters": {"n_territories": 2, "states": states, "seed": 1}}),
        job(
            {
                "kind": "design",
                "parameters": {"n_territories": 2, "states": states, "tradeoff": [0.1, 0.5]},
            }
        ),
        job({"kind": "design", "parameters": {"n_territories": 9, "states": states}}),
    ]
    csv = "id,name,postal_code,potential\nN-1,New Co,02903,1000\nN-2,Bad Co,xx,abc\n"
    imported = planner.post(
        "/imports/accounts?on_error=skip&filename=new.csv",
        content=csv.encode(),
        headers={"Content-Type": "text/csv"},
    )
    ran.append(str(check(imported)["id"]))
    for job_id in ran:
        run_job(db, job_id)
    check(
        planner.post(
            f"/jobs/{job({'kind': 'rules_apply', 'parameters': {'plan_id': 'P1'}})}/cancel"
        )
    )
    jobs = check(planner.get("/jobs"))
    ended = {(j["kind"], j["status"], bool(j["result"]), bool(j["error"])) for j in jobs}
    assert ended == {
        ("rules_apply", "succeeded", True, False),
        ("rules_apply", "cancelled", False, False),
        ("design", "succeeded", True, False),
        ("design", "failed", False, True),
        ("import", "succeeded", True, False),
    }
    results = {tuple(sorted(j["result"])) for j in jobs if j["result"]}
    assert len(results) == 4  # a design, a trade-off, an import and a rule run, each typed
    for job_id in ran:
        check(planner.get(f"/jobs/{job_id}"))

    # the CRM files of the rule run and of the plan approved, in their JSON form
    assert check(planner.get("/plans/P1/owner-updates?changed=false"))["rows"]
    check(planner.get("/plans/P1/owner-updates"))
    for status in ("in_review", "approved"):
        version = planner.get("/plans/P1").json()["version"]
        moved = planner.post("/plans/P1/status", json={"status": status, "version": version})
        assert moved.status_code == 200, moved.text
    assert check(planner.get("/plans/P1/etm-model?format=json"))["files"]

    assert check.checked >= TYPED_ROUTES, sorted(TYPED_ROUTES - check.checked)
