"""A rep who moved territory no longer reads the one they left through the archived plan.

Jack Jones's story in a Salesforce org: he owned "Wichita" until 30 June; the realignment of
1 July gave it to Hank Hill and Jack "Tulsa". Through the archived plan, where Wichita was
still Jack's, he read Wichita's accounts (now Hank's), their pipeline and this quarter's
revenue — exactly Hank's. An archived plan whose time is over is no rep's any more; one that
stays in force until its successor's first day still is, and managers keep their region's.
(In the test users, the rep is R1 and the West manager leads R1 and R2.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

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
from terraplan.domain.access import Action, Resource, can
from terraplan.domain.user import Role, User
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _plan(
    plan_id: str,
    owners: dict[str, str],
    status: PlanStatus,
    start: date,
    end: date | None,
    based_on: str | None = None,
) -> Plan:
    return Plan(
        id=plan_id,
        based_on_plan_id=based_on,
        name=f"FY26 {plan_id}",
        status=status,
        effective_from=start,
        effective_to=end,
        territories=tuple(
            Territory(tid, tid.title(), owners=(TerritoryOwner(rep),))
            for tid, rep in owners.items()
        ),
        alignment=(
            AlignmentEntry(RecordKind.ACCOUNT, "001A00000WICH01", "wichita"),
            AlignmentEntry(RecordKind.ACCOUNT, "001A00000TULS01", "tulsa"),
        ),
    )


def _seed(db: Database, h1_end: date) -> None:
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account("001A00000WICH01", "Prairie Clinics", owner_id="R2", potential=9e5),
                Account("001A00000TULS01", "Red Rock Supply", owner_id="R1", potential=4e5),
            ]
        )
        uow.sales_lines.add_many(
            [
                SalesLine("INV-1", "001A00000WICH01", date(2026, 8, 3), 12_500.0),
                SalesLine("INV-2", "001A00000TULS01", date(2026, 8, 4), 3_100.0),
            ]
        )
        uow.plans.add(
            _plan(
                "H1", {"wichita": "R1", "tulsa": "R3"}, PlanStatus.ARCHIVED, date(2026, 1, 1),
                h1_end,
            )
        )  # fmt: skip
        uow.plans.add(
            _plan(
                "H2", {"wichita": "R2", "tulsa": "R1"}, PlanStatus.ACTIVE,
                h1_end + timedelta(days=1), None, "H1",
            )
        )  # fmt: skip
        uow.commit()


def test_a_rep_does_not_read_the_territory_they_left_through_the_archived_plan(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db, date(2026, 6, 30))
    rep = as_user("rep")
    assert [p["id"] for p in rep.get("/plans").json()] == ["H2"]
    for path in (
        "/plans/H1",
        "/plans/H1/kpis?by=territory&period=2026",
        "/plans/H1/kpis?by=rep&period=2026",
        "/plans/H1/alerts",
        "/plans/H1/map",
        "/plans/H1/territories/wichita/page",
        "/plans/H1/comments",
    ):
        response = rep.get(path)
        assert response.status_code == 404, (path, response.text)
        assert "Prairie" not in response.text and "wichita" not in response.text.casefold()
    # today's territory, and their own row, are still theirs
    answer = rep.get("/plans/H2/kpis?by=territory&period=2026").json()
    assert [(r["key"], r["revenue"]) for r in answer["rows"]] == [("tulsa", 3100.0)]
    # the note on days before H2 does not send the rep to H1, which they cannot open
    recut = [n for n in answer["notes"] if "took effect" in n]
    assert len(recut) == 1 and "H1" not in recut[0], answer["notes"]
    planner = as_user("planner").get("/plans/H2/kpis?by=territory&period=2026").json()
    assert any("plan H1, which it was made from" in n for n in planner["notes"])
    # the West manager keeps the archived plan of their region
    manager = as_user("manager")
    assert {p["id"] for p in manager.get("/plans").json()} == {"H1", "H2"}
    kpis = manager.get("/plans/H1/kpis?by=territory&period=2026").json()["rows"]
    assert [(r["key"], r["revenue"]) for r in kpis] == [("wichita", 12500.0)]


def test_an_archived_plan_still_in_force_stays_visible_to_its_reps(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    # H2 takes effect in ten days: H1 is archived but in force until then
    _seed(db, date.today() + timedelta(days=9))
    rep = as_user("rep")
    assert {p["id"] for p in rep.get("/plans").json()} == {"H1", "H2"}
    assert rep.get("/plans/H1/territories/wichita/page").status_code == 200


def test_the_policy_refuses_a_rep_a_past_resource_only() -> None:
    jack = User(username="jack", role=Role.REP, rep_id="R1")
    mine = Resource(kind="territory", id="wichita", rep_ids=frozenset({"R1"}))
    past = Resource(kind="territory", id="wichita", rep_ids=frozenset({"R1"}), past=True)
    assert can(jack, Action.READ, mine)
    assert not can(jack, Action.READ, past)
    assert not can(jack, Action.COMMENT, past)
    manager = User(username="mia", role=Role.MANAGER, rep_id="M1", region="West")
    west = Resource(kind="territory", rep_ids=frozenset({"R1"}), regions=frozenset({"West"}))
    assert can(manager, Action.READ, west) and can(
        manager, Action.READ, Resource(kind="territory", regions=frozenset({"West"}), past=True)
    )


def test_a_rep_with_no_territory_in_force_is_not_told_which_plan_is_active(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """Alice, between territories, asked for the plan in force and read "no plan with id
    'FY26-H2'": the id of a plan she may not see, which she had not named."""
    with UnitOfWork(db) as uow:
        uow.plans.add(
            _plan(
                "FY26-H2",
                {"wichita": "R2", "tulsa": "R3"},
                PlanStatus.ACTIVE,
                date(2026, 7, 1),
                None,
            )
        )
        uow.commit()
    rep = as_user("rep")
    for path in ("/active-plan", "/active-plan/kpis?by=rep", "/active-plan/alerts"):
        response = rep.get(path)
        assert response.status_code == 404, (path, response.text)
        assert "FY26" not in response.text, path
        assert response.json()["error"]["message"] == "the plan in force has no territory of yours"
    # asked by id, the id asked for is named back, as for any record
    assert "FY26-H2" in rep.get("/plans/FY26-H2/kpis").json()["error"]["message"]
    assert as_user("planner").get("/active-plan").json()["id"] == "FY26-H2"
