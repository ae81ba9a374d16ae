"""The API's alerts and balance carry every note `terraplan alerts` and `kpis --balance`
print (a balance metric not checked, reps whose capacity is unknown)."""

from __future__ import annotations

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
