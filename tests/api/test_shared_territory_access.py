"""A rep who shares a territory reads its accounts everywhere, not only on the map.

Nevada is worked by two primary reps, Rae (R1, the test rep) and Eve (R3). The map and the
territory page showed Rae the accounts Eve owns in Nevada, with names and figures, while
``GET /accounts/{id}`` of the same accounts answered 404 and ``/accounts`` left them out. What
a rep reads is now one rule: the accounts they own and the accounts placed in a territory they
own in a plan they may read. An account of Eve's outside Nevada stays hidden (404)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    PlanStatus,
    RecordKind,
    Territory,
    TerritoryOwner,
)
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RAE_OWN = "001A00000NEVRAE"
EVE_IN_NEVADA = "001A00000NEVEVE"
EVE_ELSEWHERE = "001A00000UTAEVE"


def _seed(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account(RAE_OWN, "Sierra Dental", owner_id="R1", latitude=39.5, longitude=-119.8),
                Account(
                    EVE_IN_NEVADA, "Reno Feed & Seed", owner_id="R3", latitude=39.6,
                    longitude=-119.7,
                ),
                Account(
                    EVE_ELSEWHERE, "Wasatch Grain", owner_id="R3", latitude=40.7,
                    longitude=-111.9,
                ),
            ]
        )  # fmt: skip
        uow.plans.add(
            Plan(
                id="FY27",
                name="FY27",
                status=PlanStatus.ACTIVE,
                effective_from=date(2026, 1, 1),
                territories=(
                    Territory(
                        "nevada", "Nevada", owners=(TerritoryOwner("R1"), TerritoryOwner("R3"))
                    ),
                    Territory("utah", "Utah", owners=(TerritoryOwner("R3"),)),
                ),
                alignment=(
                    AlignmentEntry(RecordKind.ACCOUNT, RAE_OWN, "nevada"),
                    AlignmentEntry(RecordKind.ACCOUNT, EVE_IN_NEVADA, "nevada"),
                    AlignmentEntry(RecordKind.ACCOUNT, EVE_ELSEWHERE, "utah"),
                ),
            )
        )
        uow.commit()


def test_a_co_owner_reads_the_shared_territorys_accounts_by_id_and_in_the_list(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    rep = as_user("rep")
    on_map = {row[0] for row in rep.get("/plans/FY27/map").json()["accounts"]["rows"]}
    assert on_map == {RAE_OWN, EVE_IN_NEVADA}
    for account_id in on_map:
        response = rep.get(f"/accounts/{account_id}")
        assert response.status_code == 200, (account_id, response.text)
    assert rep.get(f"/accounts/{EVE_IN_NEVADA}").json()["name"] == "Reno Feed & Seed"
    listed = rep.get("/accounts").json()
    assert {a["id"] for a in listed["items"]} == on_map and listed["total"] == 2
    # Eve's account in Utah, a territory Rae does not own, stays someone else's
    hidden = rep.get(f"/accounts/{EVE_ELSEWHERE}")
    assert hidden.status_code == 404 and "Wasatch" not in hidden.text
    # its ownership history, and a comment about it, as for an account of their own
    assert rep.get(f"/accounts/{EVE_IN_NEVADA}/owners").status_code == 200
    assert rep.get(f"/accounts/{EVE_ELSEWHERE}/owners").status_code == 404
    about = {"body": "Reno Feed asks for a visit", "target_kind": "account"}
    posted = rep.post("/plans/FY27/comments", json={**about, "target_id": EVE_IN_NEVADA})
    assert posted.status_code == 201, posted.text
    listed_comments = rep.get("/plans/FY27/comments").json()
    assert [c["target_id"] for c in listed_comments] == [EVE_IN_NEVADA]
    refused = rep.post("/plans/FY27/comments", json={**about, "target_id": EVE_ELSEWHERE})
    assert refused.status_code in (403, 404), refused.text
    # the owner filter of the list keeps to the same accounts
    eves = rep.get("/accounts?owner_id=R3").json()
    assert [a["id"] for a in eves["items"]] == [EVE_IN_NEVADA] and eves["total"] == 1


def test_an_account_placed_only_in_a_past_plan_stays_hidden(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("FY27")
        uow.plans.add(
            Plan(
                id="FY26",
                name="FY26",
                status=PlanStatus.ARCHIVED,
                effective_from=date(2025, 1, 1),
                effective_to=date(2025, 12, 31),
                territories=(Territory("utah", "Utah", owners=(TerritoryOwner("R1"),)),),
                alignment=(AlignmentEntry(RecordKind.ACCOUNT, EVE_ELSEWHERE, "utah"),),
            )
        )
        assert plan.id == "FY27"
        uow.commit()
    assert as_user("rep").get(f"/accounts/{EVE_ELSEWHERE}").status_code == 404
