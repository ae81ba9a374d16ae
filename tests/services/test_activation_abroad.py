"""A few accounts abroad (or with no address) in a real CRM export must not block every
design-generated plan's activation: no geographic rule can place them, so they stay in no
territory with their owners, counted and said; a US account the rules miss still blocks."""

from __future__ import annotations

import pytest
from tests.conftest import seed_region_plan

from terraplan.domain import Account
from terraplan.errors import ConflictError
from terraplan.services.new_plans import copy_plan
from terraplan.services.plan_lifecycle import activate_plan, activation_counts, change_status
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_accounts_abroad_keep_their_owners_and_a_us_gap_still_blocks(db: Database) -> None:
    seed_region_plan(db, n_accounts=100, seed=3)
    with UnitOfWork(db) as uow:
        owner = next(a.owner_id for a in uow.accounts.list() if a.owner_id)
        uow.accounts.add_many(
            [
                Account("ABROAD", "Hooli Canada", postal_code="M5V 2T6", country="Canada",
                        owner_id=owner),
                Account("NOWHERE", "No Address Ltd", owner_id=owner),
                Account("BERLIN", "Berlin GmbH", postal_code="10115", country="DE",
                        owner_id=owner),
            ]
        )  # fmt: skip
        uow.commit()
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1")
    counts = activation_counts(db, "P1")
    assert counts is not None and counts.without_location == 3
    with UnitOfWork(db) as uow:
        kept = {
            a.id: a.owner_id
            for a in uow.accounts.list(any_of={"id": ["ABROAD", "NOWHERE", "BERLIN"]})
        }
        placed = {a.record_id: a.territory_id for a in uow.assignments.current("P1")}
    assert kept == dict.fromkeys(("ABROAD", "BERLIN", "NOWHERE"), owner)
    assert all(placed.get(a) is None for a in kept)

    # a US account in a county no rule names (Anchorage: the plan covers the lower 48) is a
    # real hole: still refused
    copy_plan(db, "P1", new_id="P2")
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [Account("AK", "Anchorage Supply", postal_code="99501", country="US",
                     county_fips="02020", state="AK", owner_id=owner),
             # no county stored, a US ZIP and the country spelt another way: still the US
             Account("AK2", "Juneau Works", postal_code="99801", country="U.S.A.",
                     owner_id=owner)]
        )  # fmt: skip
        uow.commit()
    for step in ("in_review", "approved"):
        change_status(db, "P2", step)
    with pytest.raises(ConflictError, match="match no rule") as refused:
        activate_plan(db, "P2")
    assert "2 account(s) match no rule" in refused.value.message
    assert "Anchorage Supply" in refused.value.message
    assert "Hooli" not in refused.value.message
