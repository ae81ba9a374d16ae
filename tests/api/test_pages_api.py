"""Territory pages, rule texts, team and balance routes for every role (both databases):
planners edit, the region's manager and the territory's rep read, anyone else gets 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from terraplan.storage.database import Database

from .test_access_matrix import ROLES, _seed

#: path -> expected status per role (admin, planner, manager, rep).
PAGES = {
    # TW1 is Rae West's (R1, the rep user), in the West (the manager's region)
    "/plans/PW/territories/TW1/page": (200, 200, 200, 200),
    # TW2 is Ray West's: the West manager reads it, the rep R1 must not know it exists
    "/plans/PW/territories/TW2/page": (200, 200, 200, 404),
    # TE1 is in the East: neither the West manager nor the rep sees it
    "/plans/PE/territories/TE1/page": (200, 200, 404, 404),
    "/plans/PW/territories/NOPE/page": (404, 404, 404, 404),
    "/plans/PW/territories/TW2/notes": (200, 200, 200, 404),
    "/plans/PW/balance": (200, 200, 200, 200),
    "/plans/PE/balance": (200, 200, 404, 404),
    "/plans/PW/rules": (200, 200, 403, 403),  # no rule set stored yet: an empty text
    "/plans/PW/team": (200, 200, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_page_routes_follow_the_access_policy(
    role: str, as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    client = as_user(role)
    index = ROLES.index(role)
    for path, expected in PAGES.items():
        response = client.get(path)
        assert response.status_code == expected[index], (path, role, response.text)
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}
    if role in ("manager", "rep"):
        # the 404 for a hidden territory is the very same answer as for a missing one
        hidden = client.get("/plans/PE/territories/TE1/page").json()["error"]
        missing = client.get("/plans/PE/territories/TE9/page").json()["error"]
        assert hidden["code"] == missing["code"]
    page = client.get("/plans/PW/territories/TW1/page").json()
    assert [r["name"] for r in page["reps"]] == ["Rae West"]
    assert page["managers"] == ["Mia Manager"]
    assert page["editable"] is (role in ("admin", "planner"))
    # only planners and admins write notes; the rep may not even on their own territory
    saved = client.put(
        "/plans/PW/territories/TW1/notes", json={"revision": 0, "strategy": f"by {role}"}
    )
    assert saved.status_code == (200 if role in ("admin", "planner") else 403), saved.text
    if saved.status_code == 200:
        assert saved.json()["revision"] == 1
        stale = client.put(
            "/plans/PW/territories/TW1/notes", json={"revision": 0, "strategy": "again"}
        )
        assert stale.status_code == 409
        assert stale.json()["error"]["details"]["stored_revision"] == 1
