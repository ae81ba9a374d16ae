"""Answers the web UI's review flow relies on (both databases): the audit newest first, a
team matching measured against the owners now, the map's edit history, a move that moves
nothing refused, and why a manager's KPIs by region are empty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .test_access_matrix import _seed


def test_the_audit_reads_newest_first_on_request(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    _seed(db)
    planner = as_user("planner")
    assert planner.post(
        "/plans/PW/status", json={"status": "draft", "version": 1, "reason": "r1"}
    ).is_success
    assert planner.post("/plans/PW/status", json={"status": "in_review", "version": 2}).is_success
    oldest = planner.get("/audit", params={"plan_id": "PW"}).json()
    newest = planner.get("/audit", params={"plan_id": "PW", "order": "newest", "limit": 1}).json()
    assert [e["id"] for e in oldest] == sorted(e["id"] for e in oldest)
    assert newest[0]["id"] == oldest[-1]["id"]
    assert newest[0]["after"]["status"] == "in_review"
    # The page is one entry; the header counts every entry of the plan.
    counted = planner.get("/audit", params={"plan_id": "PW", "limit": 1})
    assert counted.headers["X-Total-Count"] == str(len(oldest)) and len(oldest) >= 2
    acted = planner.get("/audit", params={"plan_id": "PW", "action": "nothing-of-that-name"})
    assert acted.json() == [] and acted.headers["X-Total-Count"] == "0"


def test_team_matching_follows_the_owners_now(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    _seed(db)
    stored = {
        "total_cost": 1.0,
        "current_cost": 0.5,
        "current_pairs_priced": 0,
        "reps_moved": 0,
        "pairs": [
            {"rep_id": "R1", "territory_id": "TW1", "current": False},
            {"rep_id": "R2", "territory_id": "TW1", "current": False},
        ],
    }
    with UnitOfWork(db) as uow:
        uow.plan_results.put("PW", "matching", stored)
        uow.commit()
    team = as_user("planner").get("/plans/PW/team").json()["matching"]
    # R1 owns TW1 now; R2 owns TW2 and is paired with TW1: one rep would move.
    assert [p["current"] for p in team["pairs"]] == [True, False]
    assert team["reps_moved"] == 1 and team["current_cost"] is None
    assert "owners changed since this matching was computed" in team["note"]


def test_the_map_says_whether_undo_and_redo_apply_and_a_move_in_place_is_refused(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    from tests.conftest import seed_region_plan

    seed_region_plan(db, n_accounts=200, seed=4)
    planner = as_user("planner")
    fresh = planner.get("/plans/P1/map").json()
    assert (fresh["can_undo"], fresh["can_redo"]) == (False, False)
    unit, territory = next(
        (f["id"], f["properties"]["territory"]) for f in fresh["units"]["features"]
    )
    name = next(t["name"] for t in fresh["territories"] if t["id"] == territory)
    same = planner.post(
        "/plans/P1/edits",
        json={"edit": {"op": "move_units", "units": [unit], "to": territory}, "version": 1},
    )
    assert same.status_code == 422
    assert same.json()["error"]["message"] == f"nothing to move: the units are in {name} already"
    assert planner.get("/plans/P1").json()["version"] == 1  # no version, no undo step
    other = next(t["id"] for t in fresh["territories"] if t["id"] != territory)
    moved = planner.post(
        "/plans/P1/edits",
        json={"edit": {"op": "move_units", "units": [unit], "to": other}, "version": 1},
    )
    assert moved.is_success, moved.text
    after = planner.get("/plans/P1/map").json()
    assert (after["can_undo"], after["can_redo"]) == (True, False)


def test_a_managers_empty_kpis_by_region_say_why(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    _seed(db)
    answer = as_user("manager").get("/plans/PW/kpis", params={"by": "region"}).json()
    assert answer["rows"] == []
    assert answer["notes"] == [
        "this plan has no regions (its territories have no parent): see KPIs by territory"
    ]


def test_a_manager_compares_the_plans_over_their_own_territories(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    """A manager approving a plan must see what it changes for their team; the comparison is
    made over the territories they see (in either plan), every figure theirs, with a note."""
    _seed(db)  # PW: TW1 (R1, Acme), TW2 (R2, Bolt); PN: TN1 (R1, Acme), TN2 (R3, Crane)
    whole = as_user("planner").get("/plans/PW/compare/PN").json()
    mine = as_user("manager").get("/plans/PW/compare/PN").json()
    assert as_user("rep").get("/plans/PW/compare/PN").status_code == 403
    assert whole["accounts"] == 3 and {t["territory"] for t in whole["territories"]} == {
        "TW1", "TW2", "TN1", "TN2"
    }  # fmt: skip
    # the manager's region (R1, R2): Crane (R3's, in TN2) is not theirs to see
    assert mine["accounts"] == 2
    assert {t["territory"] for t in mine["territories"]} == {"TW1", "TW2", "TN1"}
    assert {m["account_id"] for m in mine["moved"]} == {"A1", "A2"}
    assert mine["revenue_moved"] == 3000.0
    assert any("compared over the territories of" in n for n in mine["notes"])
    assert not any("compared over" in n for n in whole["notes"])


def test_filters_out_of_their_domain_are_refused(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    """A job status that does not exist and a reporting day in 1800 answered 200 (an empty
    list; figures of no period): now 422, naming the field."""
    _seed(db)
    planner = as_user("planner")
    odd = planner.get("/jobs", params={"status": "weird"})
    assert odd.status_code == 422 and "status" in odd.text
    assert planner.get("/jobs", params={"status": "failed"}).status_code == 200
    latest = (date.today() + timedelta(days=366)).isoformat()
    early = planner.get("/plans/PW/kpis", params={"as_of": "1800-01-01"})
    assert early.status_code == 422
    assert early.json()["error"]["message"] == (
        f"as_of 1800-01-01 is outside 1900-01-01 .. {latest} (a year after today)"
    )
    # a reporting day far ahead would expand a grain to thousands of empty months
    late = planner.get("/plans/PW/kpis", params={"as_of": "2199-12-31", "period": "month"})
    assert late.status_code == 422 and late.json()["error"]["details"]["field"] == "as_of"
    assert planner.get("/plans/PW/kpis", params={"as_of": latest}).status_code == 200


def test_the_page_tells_the_ui_a_reps_region_from_the_rep_record(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    """The UI opens the plan in force in the user's region: a rep user has no region of
    their own, their rep record has (Rae West, R1: West)."""
    import html
    import json
    import re

    _seed(db)
    page = as_user("rep").get("/").text
    found = re.search(r'data-config="([^"]*)"', page)
    assert found, page[:300]
    config = json.loads(html.unescape(found.group(1)))
    assert config["user"]["region"] == "West"
