"""The whole matrix endpoint x role: what each role gets from every protected endpoint.

Data: the West manager M1 leads reps R1 and R2; R3 is in East. Plan PW is all West, PN spans
West (R1) and East (R3), PE is all East. Accounts A1, A2, A3 are owned by R1, R2, R3; A4 by
nobody. The signed-in rep is R1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    PlanStatus,
    RecordKind,
    SalesLine,
    Territory,
    TerritoryOwner,
)
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

ROLES = ("admin", "planner", "manager", "rep")


def _seed(db: Database) -> None:
    def plan(plan_id: str, territories: dict[str, tuple[str, str]]) -> Plan:
        return Plan(
            id=plan_id,
            name=f"Plan {plan_id}",
            status=PlanStatus.IN_REVIEW,
            territories=tuple(
                Territory(id=tid, name=tid, owners=(TerritoryOwner(rep),))
                for tid, (rep, _) in territories.items()
            ),
            alignment=tuple(
                AlignmentEntry(RecordKind.ACCOUNT, account, tid)
                for tid, (_, account) in territories.items()
            ),
        )

    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account(id="A1", name="Acme", owner_id="R1"),
                Account(id="A2", name="Bolt", owner_id="R2"),
                Account(id="A3", name="Crane", owner_id="R3"),
                Account(id="A4", name="Dune"),
            ]
        )
        uow.sales_lines.add_many(
            [
                SalesLine(id=f"S{i}", account_id=f"A{i}", date=date(2026, 3, i), amount=1000.0 * i)
                for i in range(1, 5)
            ]
        )
        uow.plans.add(plan("PE", {"TE1": ("R3", "A3")}))
        uow.plans.add(plan("PN", {"TN1": ("R1", "A1"), "TN2": ("R3", "A3")}))
        uow.plans.add(plan("PW", {"TW1": ("R1", "A1"), "TW2": ("R2", "A2")}))
        uow.commit()


ALL = object()

#: (method, path) -> expected per role: an HTTP status, or (200, ids listed).
READS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/accounts"): {
        "admin": ["A1", "A2", "A3", "A4"],
        "planner": ["A1", "A2", "A3", "A4"],
        "manager": ["A1", "A2"],
        "rep": ["A1"],
    },
    ("GET", "/accounts?owner_id=R3"): {
        "admin": ["A3"],
        "planner": ["A3"],
        "manager": [],
        "rep": [],
    },
    ("GET", "/accounts/A1"): {"admin": 200, "planner": 200, "manager": 200, "rep": 200},
    ("GET", "/accounts/A2"): {"admin": 200, "planner": 200, "manager": 200, "rep": 404},
    ("GET", "/accounts/A3"): {"admin": 200, "planner": 200, "manager": 404, "rep": 404},
    ("GET", "/accounts/A4"): {"admin": 200, "planner": 200, "manager": 404, "rep": 404},
    ("GET", "/reps"): {
        "admin": ["M1", "R1", "R2", "R3"],
        "planner": ["M1", "R1", "R2", "R3"],
        "manager": ["M1", "R1", "R2"],
        "rep": ["R1"],
    },
    ("GET", "/reps/R2"): {"admin": 200, "planner": 200, "manager": 200, "rep": 404},
    ("GET", "/reps/R3"): {"admin": 200, "planner": 200, "manager": 404, "rep": 404},
    ("GET", "/plans"): {
        "admin": ["PE", "PN", "PW"],
        "planner": ["PE", "PN", "PW"],
        "manager": ["PN", "PW"],
        "rep": ["PN", "PW"],
    },
    ("GET", "/plans/PN"): {
        "admin": ["TN1", "TN2"],
        "planner": ["TN1", "TN2"],
        "manager": ["TN1"],
        "rep": ["TN1"],
    },
    ("GET", "/plans/PW"): {
        "admin": ["TW1", "TW2"],
        "planner": ["TW1", "TW2"],
        "manager": ["TW1", "TW2"],
        "rep": ["TW1"],
    },
    ("GET", "/plans/PE"): {"admin": 200, "planner": 200, "manager": 404, "rep": 404},
    ("GET", "/plans/PE/alerts"): {"admin": 200, "planner": 200, "manager": 404, "rep": 404},
    ("GET", "/plans/PE/kpis"): {"admin": 200, "planner": 200, "manager": 404, "rep": 404},
    ("GET", "/plans/PW/kpis?by=segment"): {
        "admin": 200,
        "planner": 200,
        "manager": 403,
        "rep": 403,
    },
    ("GET", "/accounts/A1/owners"): {"admin": 200, "planner": 200, "manager": 200, "rep": 200},
    ("GET", "/accounts/A3/owners"): {"admin": 200, "planner": 200, "manager": 404, "rep": 404},
    ("GET", "/kpis/definitions"): {"admin": 200, "planner": 200, "manager": 200, "rep": 200},
    ("GET", "/auth/me"): {"admin": 200, "planner": 200, "manager": 200, "rep": 200},
}

#: Status changes, each on a fresh plan in review: plan -> (target status, expected per role).
STATUS_CHANGES: dict[str, tuple[str, dict[str, int]]] = {
    # Approve a plan wholly in the West: planners, admins and the West manager.
    "PW": ("approved", {"admin": 200, "planner": 200, "manager": 200, "rep": 403}),
    # A plan spanning two regions: no single manager approves it.
    "PN": ("approved", {"admin": 200, "planner": 200, "manager": 403, "rep": 403}),
    # A plan the manager and the rep cannot see: 404, as if it did not exist.
    "PE": ("draft", {"admin": 200, "planner": 200, "manager": 404, "rep": 404}),
}


def _ids(body: Any) -> list[str]:
    if isinstance(body, list):
        return [item["id"] for item in body]
    if "items" in body:
        return [item["id"] for item in body["items"]]
    return [t["id"] for t in body["territories"]]


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_for_every_role(
    role: str, as_user: Callable[[str], TestClient], anonymous: TestClient, db: Database
) -> None:
    _seed(db)
    client = as_user(role)
    for (method, path), expected in READS.items():
        response = client.request(method, path)
        want = expected[role]
        if isinstance(want, list):
            assert response.status_code == 200, (path, response.text)
            assert _ids(response.json()) == want, path
        else:
            assert response.status_code == want, (path, role, response.text)
            if want >= 400:
                assert set(response.json()) == {"error"}, path
        # Nobody gets anything without signing in.
        assert anonymous.request(method, path).status_code == 401, path

    for plan_id, (status, expected) in STATUS_CHANGES.items():
        response = client.post(
            f"/plans/{plan_id}/status", json={"status": status, "version": 1, "reason": "matrix"}
        )
        assert response.status_code == expected[role], (plan_id, role, response.text)
        if response.status_code == 200:
            assert response.json()["status"] == status
            assert response.json()["updated_by"] == role
        else:
            with UnitOfWork(db) as uow:
                assert uow.plans.get(plan_id).status is PlanStatus.IN_REVIEW
    # The 404 for someone else's account is the very same answer as for a missing one.
    if role in ("manager", "rep"):
        assert client.get("/accounts/A3").json()["error"]["message"] == "no account with id 'A3'"
        missing = client.get("/accounts/A9").json()
        hidden = client.get("/accounts/A3").json()
        assert {**missing["error"], "message": "", "details": {}} == {
            **hidden["error"],
            "message": "",
            "details": {},
        }


def test_managers_and_reps_see_kpis_of_their_territories_only(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    params = {"period": "2026"}
    planner = as_user("planner").get("/plans/PN/kpis", params=params).json()
    assert {r["key"]: r["revenue"] for r in planner["rows"]} == {"TN1": 1000.0, "TN2": 3000.0}
    rep = as_user("rep").get("/plans/PN/kpis", params=params).json()
    assert {r["key"]: r["revenue"] for r in rep["rows"]} == {"TN1": 1000.0}
    manager = as_user("manager")
    west = manager.get("/plans/PW/kpis", params=params).json()
    assert {r["key"]: r["revenue"] for r in west["rows"]} == {"TW1": 1000.0, "TW2": 2000.0}
    by_rep = manager.get("/plans/PN/kpis", params={**params, "by": "rep"}).json()
    assert {r["key"] for r in by_rep["rows"]} <= {"M1", "R1", "R2"}


#: Workbench calls on the seeded plans (all in review): (method, path, body) -> status per role.
WORKBENCH: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("POST", "/plans/PW/copy", {}, {"admin": 201, "planner": 201, "manager": 403, "rep": 403}),
    ("POST", "/plans/PE/copy", {}, {"admin": 201, "planner": 201, "manager": 404, "rep": 404}),
    (
        "POST",
        "/plans",
        {"name": "Blank", "territories": [{"id": "T", "name": "T"}]},
        {"admin": 201, "planner": 201, "manager": 403, "rep": 403},
    ),
    ("GET", "/plans/PW/comments", None, {"admin": 200, "planner": 200, "manager": 200, "rep": 200}),
    (
        "POST",
        "/plans/PW/comments",
        {"body": "fine"},
        {"admin": 201, "planner": 201, "manager": 201, "rep": 201},
    ),
    (
        "POST",
        "/plans/PW/comments",
        {
            "body": "move A2",
            "proposed_edit": {"op": "move_accounts", "accounts": ["A2"], "to": "TW1"},
        },
        # A2 is R2's: the rep (R1) does not see it, so may not ask for it either.
        {"admin": 201, "planner": 201, "manager": 201, "rep": 404},
    ),
    (
        "POST",
        "/plans/PW/comments",
        {"body": "mine", "proposed_edit": {"op": "rename", "territory": "TW1", "name": "W"}},
        {"admin": 201, "planner": 201, "manager": 201, "rep": 201},
    ),
    (
        "POST",
        "/plans/PW/comments",
        {"body": "R2's", "target_kind": "territory", "target_id": "TW2"},
        {"admin": 201, "planner": 201, "manager": 201, "rep": 404},
    ),
    (
        "POST",
        "/plans/PE/comments",
        {"body": "hi"},
        {"admin": 201, "planner": 201, "manager": 404, "rep": 404},
    ),
    (
        "GET",
        "/plans/PW/compare/PN",
        None,
        {"admin": 200, "planner": 200, "manager": 200, "rep": 403},  # a manager's: see below
    ),
    (
        "POST",
        "/plans/PW/edits",
        {"edit": {"op": "rename", "territory": "TW1", "name": "X"}, "version": 1},
        {"admin": 409, "planner": 409, "manager": 403, "rep": 403},  # in review: drafts only
    ),
    (
        "POST",
        "/plans/PW/regions",
        {"from": "reps", "version": 1},
        {"admin": 409, "planner": 409, "manager": 403, "rep": 403},  # in review: drafts only
    ),
    (
        "POST",
        "/plans/PW/activate",
        {"version": 1},
        {"admin": 409, "planner": 409, "manager": 403, "rep": 403},
    ),
    ("DELETE", "/plans/PE", None, {"admin": 409, "planner": 409, "manager": 404, "rep": 404}),
    ("GET", "/audit", None, {"admin": 200, "planner": 200, "manager": 403, "rep": 403}),
    (
        "POST",
        "/jobs",
        {"kind": "rules_apply", "parameters": {"plan_id": "PW"}},
        {"admin": 202, "planner": 202, "manager": 403, "rep": 403},
    ),
    ("GET", "/jobs", None, {"admin": 200, "planner": 200, "manager": 200, "rep": 200}),
]


@pytest.mark.parametrize("role", ROLES)
def test_workbench_endpoints_for_every_role(
    role: str, as_user: Callable[[str], TestClient], anonymous: TestClient, db: Database
) -> None:
    _seed(db)
    client = as_user(role)
    for method, path, body, expected in WORKBENCH:
        response = client.request(method, path, json=body)
        assert response.status_code == expected[role], (method, path, role, response.text)
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}, path
        assert anonymous.request(method, path, json=body).status_code == 401, path
