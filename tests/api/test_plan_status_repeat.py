"""A status step to the status the plan already has is said as such (409, who set it and
when), also to a manager: Mia's second click on Approve, or her click after a colleague
approved, read "mia may not edit plan: role manager may not edit plan" — a right she has
just used. Data as in :mod:`tests.api.test_access_matrix` (PW: all West, in review)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.storage.database import Database

from .test_access_matrix import _seed


def test_approving_an_approved_plan_says_it_is_approved_already(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    manager = as_user("manager")
    version = manager.get("/plans/PW").json()["version"]
    first = manager.post("/plans/PW/status", json={"status": "approved", "version": version})
    assert first.status_code == 200, first.text
    for client in (manager, as_user("planner")):
        again = client.post(
            "/plans/PW/status", json={"status": "approved", "version": first.json()["version"]}
        )
        assert again.status_code == 409, again.text
        error = again.json()["error"]
        assert error["code"] == "conflict"
        assert error["message"].startswith("Plan PW (PW) is already approved by manager on ")
        assert error["message"].endswith(" UTC: nothing to do")
        assert error["details"]["updated_by"] == "manager"
    # a step the manager may not take at all is still refused as such
    submit = manager.post("/plans/PW/status", json={"status": "in_review", "version": 99})
    assert submit.status_code == 403, submit.text
