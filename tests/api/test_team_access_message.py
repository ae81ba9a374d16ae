"""A manager or a rep asking for a plan's Team & targets gets 403 saying why in their words:
which plan, who sees it, why not them, and where their own figures are."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from terraplan.storage.database import Database

from .test_access_matrix import _seed


@pytest.mark.parametrize(("role", "theirs"), [("manager", "region's"), ("rep", "territories'")])
def test_team_refusal_names_the_plan_the_reason_and_where_to_look(
    role: str, theirs: str, as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    client = as_user(role)
    for response in (client.get("/plans/PW/team"), client.post("/plans/PW/team/capacity")):
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        message = error["message"]
        assert "'PW'" in message
        assert "planners and admins" in message
        assert f"Your {theirs} figures are in the plan's KPIs" in message
        assert "/plans/PW/kpis?by=rep" in message
        assert error["details"] == {
            "action": "read" if response.request.method == "GET" else "edit_plan",
            "role": role,
            "plan_id": "PW",
        }
