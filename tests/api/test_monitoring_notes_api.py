"""The API's alerts and balance carry every note `terraplan alerts` and `kpis --balance`
print (a balance metric not checked, reps whose capacity is unknown), and a plan designed on
annual revenue is judged on it there too."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.domain import (
    Account,
    AlignmentEntry,
    OwnerRole,
    Plan,
    RecordKind,
    Rep,
    Territory,
    TerritoryOwner,
)
from terraplan.services.design import design_plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_alerts_carry_the_notes_of_a_crm_book_with_no_workload_and_no_capacity(
    client: TestClient, db: Database
) -> None:
    accounts = [
        Account(f"A{i}", f"Company {i}", potential=1000.0 + i, annual_revenue=None)
        for i in range(9)
    ]
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep("R1", "Ana Ruiz"), Rep("R2", "Dana Lee")])
        uow.accounts.add_many(accounts)
        uow.plans.add(
            Plan(
                id="P",
                name="Book",
                territories=(
                    Territory("E", "East", owners=(TerritoryOwner("R1", OwnerRole.PRIMARY),)),
                    Territory("W", "West", owners=(TerritoryOwner("R2", OwnerRole.PRIMARY),)),
                ),
                alignment=tuple(
                    AlignmentEntry(RecordKind.ACCOUNT, a.id, "E" if i < 6 else "W")
                    for i, a in enumerate(accounts)
                ),
            )
        )
        uow.commit()
    notes = client.get("/plans/P/alerts").json()["notes"]
    assert notes == [
        "no account carries a workload, so workload balance is not checked",
        "rep capacity was not checked, as the rep data gives no capacity_hours or "
        "capacity_accounts; the reps' load: Ana Ruiz (6 accounts); Dana Lee (3 accounts) "
        "(import them)",
    ]
    balance = client.get("/plans/P/balance").json()
    assert balance["notes"] == notes[:1]
    assert set(balance["tolerances"]) == {"potential", "account_count"}


def test_the_balance_of_a_plan_designed_on_annual_revenue(client: TestClient, db: Database) -> None:
    from tests.services.test_monitoring_account_sums import _companies

    _companies(db, n=200)
    run = design_plan(
        db, states={"CT", "RI", "MA"}, n_territories=3, balance={"annual_revenue": 0.15},
        seed=3, time_limit=10, method="heuristic",
    )  # fmt: skip
    body = client.get(f"/plans/{run.plan.id}/balance").json()
    assert body["tolerances"] == {"annual_revenue": 0.15}
    assert {r["metric"] for r in body["rows"]} == {"annual_revenue"}
    assert any("have no annual_revenue" in n for n in body["notes"])
    assert not any("cannot total" in n for n in body["notes"])
    alerts = client.get(f"/plans/{run.plan.id}/alerts").json()
    assert not [a for a in alerts["alerts"] if a["kind"] == "balance"]
    assert body["notes"][0] in alerts["notes"]


def test_a_reps_and_a_managers_alerts_name_only_the_reps_they_see(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """The capacity note of a CRM book without capacity columns named every rep of the
    company with their account count, to a rep (their colleagues' books) and to a manager
    (the other region's reps): each now hears of the reps they see, the planner of all."""
    books = {"R1": 7, "R2": 4, "R3": 11}  # Rae West, Ray West (West), Eve East (East)
    accounts = [
        Account(f"{rep}-{i}", f"{rep} Company {i}", potential=500.0 + i)
        for rep, n in books.items()
        for i in range(n)
    ]
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(accounts)
        uow.plans.add(
            Plan(
                id="P",
                name="Book",
                territories=tuple(
                    Territory(f"T-{rep}", f"Book of {rep}", owners=(TerritoryOwner(rep),))
                    for rep in books
                ),
                alignment=tuple(
                    AlignmentEntry(RecordKind.ACCOUNT, a.id, f"T-{a.id.split('-')[0]}")
                    for a in accounts
                ),
            )
        )
        uow.commit()

    def capacity_note(user: str) -> list[str]:
        response = as_user(user).get("/plans/P/alerts")
        assert response.status_code == 200, response.text
        return [n for n in response.json()["notes"] if "capacity" in n]

    everyone = capacity_note("planner")
    assert everyone == [
        "rep capacity was not checked, as the rep data gives no capacity_hours or "
        "capacity_accounts; the reps' load: Eve East (11 accounts); Rae West (7 accounts); "
        "Ray West (4 accounts) (import them)"
    ]
    assert capacity_note("rep") == [
        "rep capacity was not checked, as the rep data gives no capacity_hours or "
        "capacity_accounts; the reps' load: Rae West (7 accounts) (import them)"
    ]
    assert capacity_note("manager") == [
        "rep capacity was not checked, as the rep data gives no capacity_hours or "
        "capacity_accounts; the reps' load: Rae West (7 accounts); Ray West (4 accounts) "
        "(import them)"
    ]
