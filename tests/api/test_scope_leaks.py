"""Small leaks of another region's records, closed: a KPI region row over a territory of
another region, a comment about a move or an unaligned unit, the answer of a change-request
decision, a page of jobs; and the parameters of a rules job checked when it is submitted.

Data as in :mod:`tests.api.test_access_matrix` (the West manager leads R1 and R2; R3 is in
East), plus plan PH: a parent territory "West" over WA (R1, account A1) and WB (R3, A3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient

from terraplan.domain import AlignmentEntry, Lead, Plan, PlanStatus, RecordKind, Territory
from terraplan.domain import TerritoryOwner as Owner
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .test_access_matrix import _seed


def _seed_hierarchy(db: Database, *, east_child: bool, parent: str = "West") -> None:
    _seed(db)
    children = [Territory("WA", "Los Angeles", parent_id=parent, owners=(Owner("R1"),))]
    alignment = [AlignmentEntry(RecordKind.ACCOUNT, "A1", "WA")]
    if east_child:
        children.append(Territory("WB", "New York", parent_id=parent, owners=(Owner("R3"),)))
        alignment.append(AlignmentEntry(RecordKind.ACCOUNT, "A3", "WB"))
    plan = Plan(
        id="PH",
        name="Hierarchy",
        status=PlanStatus.DRAFT,
        territories=(Territory(parent, "West region", level="region"), *children),
        alignment=tuple(alignment),
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()


def _region_rows(client: TestClient) -> dict[str, float]:
    response = client.get("/plans/PH/kpis?by=region&period=2026")
    assert response.status_code == 200, response.text
    return {row["key"]: row["account_count"] for row in response.json()["rows"]}


def test_a_region_row_is_shown_only_when_every_territory_below_is_the_managers(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed_hierarchy(db, east_child=True)
    planner, manager = as_user("planner"), as_user("manager")
    assert _region_rows(planner) == {"West": 2}
    # Named like the manager's region, but WB is East's: its figures stay hidden.
    assert _region_rows(manager) == {}


def test_a_region_row_wholly_in_the_managers_region_is_shown_whatever_its_name(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed_hierarchy(db, east_child=False, parent="R-WEST")
    assert _region_rows(as_user("manager")) == {"R-WEST": 1}


def test_comments_about_moves_and_unaligned_units_follow_what_the_caller_sees(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed_hierarchy(db, east_child=True)
    planner = as_user("planner")
    posts = [
        {"body": "on the plan"},
        {"body": "move LA to NY", "target_kind": "move", "target_id": "WB"},
        {"body": "move to LA", "target_kind": "move", "target_id": "WA"},
        {
            "body": "unlock a county",
            "proposed_edit": {"op": "unlock", "units": ["01001"]},
        },
    ]
    for post in posts:
        assert planner.post("/plans/PH/comments", json=post).status_code == 201
    for role in ("rep", "manager"):
        listed = [c["body"] for c in as_user(role).get("/plans/PH/comments").json()]
        assert listed == ["on the plan", "move to LA"], role


def test_a_change_request_decision_says_nothing_about_what_exists(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed_hierarchy(db, east_child=True)
    planner = as_user("planner")
    request = {
        "body": "give Crane to LA",
        "proposed_edit": {"op": "move_accounts", "accounts": ["A3"], "to": "WA"},
    }
    made = planner.post("/plans/PH/comments", json=request)
    assert made.status_code == 201, made.text
    comment_id = made.json()["id"]
    rep = as_user("rep")
    answers = [
        rep.post(f"/comments/{cid}/decision", json={"accept": False})
        for cid in (comment_id, 99_999)
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()


def test_a_page_of_jobs_holds_the_callers_own(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed_hierarchy(db, east_child=False)
    with UnitOfWork(db) as uow:
        for _ in range(3):
            uow.jobs.create("design", {}, created_by="planner")
        mine = uow.jobs.create("design", {}, created_by="rep")
        uow.commit()
    rep = as_user("rep")
    page = rep.get("/jobs?limit=1")
    assert page.status_code == 200, page.text
    assert [j["id"] for j in page.json()] == [mine.id]
    assert page.headers["X-Total-Count"] == "1"  # the rep's own, not everyone's
    everyone = as_user("planner").get("/jobs?limit=2")
    assert len(everyone.json()) == 2 and everyone.headers["X-Total-Count"] == "4"
    queued = as_user("planner").get("/jobs?status=failed")
    assert queued.json() == [] and queued.headers["X-Total-Count"] == "0"


def test_a_rules_jobs_parameters_are_checked_when_it_is_submitted(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed_hierarchy(db, east_child=False)
    planner = as_user("planner")
    odd = planner.post(
        "/jobs", json={"kind": "rules_apply", "parameters": {"plan_id": "PH", "by": "x"}}
    )
    assert odd.status_code == 422, odd.text
    assert odd.json()["error"]["message"].startswith("parameters.by:")
    missing = planner.post("/jobs", json={"kind": "rules_apply", "parameters": {}})
    assert missing.status_code == 422, missing.text
    assert "parameters.plan_id" in missing.json()["error"]["message"]
    assert planner.get("/jobs").json() == []


def test_kpi_notes_about_the_whole_plan_are_for_planners(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """A rep's KPI notes counted the accounts of the whole market (by territory: those in no
    territory of the plan; by rep: every account whose owner the plans changed; the leads
    of the whole company that no rule of the plan places)."""
    _seed_hierarchy(db, east_child=False)
    with UnitOfWork(db) as uow:
        uow.leads.add_many(
            [Lead(id=f"L{i}", company=f"Lead {i}", created_date=date(2026, 2, i)) for i in (1, 2)]
        )
        uow.commit()
    planner_notes = as_user("planner").get("/plans/PH/kpis?by=territory&period=2026").json()
    assert any("in no territory of plan" in n for n in planner_notes["notes"])
    assert any("places any of the 2 leads" in n for n in planner_notes["notes"])
    for role in ("rep", "manager"):
        notes = as_user(role).get("/plans/PH/kpis?by=territory&period=2026").json()["notes"]
        assert not any("in no territory of plan" in n for n in notes), role
        assert not any("leads" in n for n in notes), role
    from terraplan.api.monitoring_params import SCOPED_CREDITING_NOTE, CallerScope, crediting_notes

    counted = "revenue ... (12,280 account(s) whose owner the plans changed)"
    assert crediting_notes(counted, None) == [counted]
    assert crediting_notes(counted, CallerScope({"WA"}, frozenset({"R1"}), None)) == [
        SCOPED_CREDITING_NOTE
    ]


def test_a_manager_may_ask_for_an_unassigned_unit_and_sees_their_own_request(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """Hiding comments about unaligned units from other regions refused a manager's own
    request to take one in."""
    _seed_hierarchy(db, east_child=True)
    manager = as_user("manager")
    asked = manager.post(
        "/plans/PH/comments",
        json={
            "body": "give us the unassigned county",
            "proposed_edit": {"op": "move_units", "units": ["01001"], "to": "WA"},
        },
    )
    assert asked.status_code == 201, asked.text
    mine = [c["body"] for c in manager.get("/plans/PH/comments").json()]
    assert mine == ["give us the unassigned county"]
    assert as_user("rep").get("/plans/PH/comments").json() == []
    assert len(as_user("planner").get("/plans/PH/comments").json()) == 1
