"""The ETM model names accounts as the org's files do, and says what it cannot carry."""

from __future__ import annotations

from terraplan.domain import (
    Account,
    Plan,
    PlanStatus,
    Territory,
    TerritoryOwner,
    TerritoryType,
)
from terraplan.domain.salesforce_ids import suffix
from terraplan.services.crm_etm import OWNER_FILE, build_model
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

SHORT = "0018Xy00011zaaa"
LONG = SHORT + suffix(SHORT)

RULES = f"""
territories:
  - {{id: key, name: Key accounts, type: named}}
  - {{id: nj, name: Jersey}}
named_accounts:
  - {{territory: key, accounts: ["{SHORT}"]}}
rules:
  - {{id: nj, territory: nj, when: {{field: postal_code, op: between, value: ["07000", "08999"]}}}}
"""


def _approved(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account(LONG, "Pinned Inc", postal_code="07030", state="NJ", country="US"),
                Account("0018Xy00012czcDQAQ", "Jersey Co", postal_code="08540", state="NJ"),
            ]
        )
        plan = uow.plans.add(
            Plan(
                "P1",
                "FY27",
                territories=(
                    Territory(
                        "key",
                        "Key accounts",
                        type=TerritoryType.NAMED,
                        owners=(TerritoryOwner("R1"),),
                    ),
                    Territory("nj", "Jersey", owners=(TerritoryOwner("R2"),)),
                ),
                status=PlanStatus.APPROVED,
            )
        )
        uow.rule_sets.add("P1", RULES, plan_version=plan.version)
        uow.commit()


def test_a_pin_typed_in_15_characters_is_written_as_the_stored_18(db: Database) -> None:
    _approved(db)
    model = build_model(db, "P1")
    associations = model.files["ObjectTerritory2Association.csv"].splitlines()
    assert associations[1] == f"{LONG},key,Territory2Manual"
    assert SHORT + "," not in model.files["ObjectTerritory2Association.csv"]


def test_the_notes_say_the_owner_file_is_missing_and_what_zip_items_miss(db: Database) -> None:
    _approved(db)
    model = build_model(db, "P1")
    assert OWNER_FILE not in model.files
    notes = " ".join(model.notes())
    assert f"{OWNER_FILE} is not written" in notes
    assert "7030 for 07030" in notes  # the Jersey rule starts with 0
