"""`rules check` says when a pinned health system's hospitals and clinics go elsewhere."""

from __future__ import annotations

from datetime import date

from terraplan.domain import Account
from terraplan.rules import parse_rule_set
from terraplan.services.pinned_families import pinned_family_notes
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HQ = "001Hs00000005GqIAI"


def _store(db: Database) -> None:
    accounts = [
        Account(HQ, "CommonSpirit Health", postal_code="60601", country="US"),
        Account("001Hs00000007KZIAY", "CommonSpirit - CO Region", parent_id=HQ,
                closed_on=date(2026, 12, 7)),  # merged away: still the hospitals' parent
        Account("001Hs0000000TzYIAU", "St. Joseph Denver", postal_code="80218", country="US",
                parent_id="001Hs00000007KZIAY"),
        Account("001Hs0000000Tz1IAA", "St. Joseph Clinic Aurora", postal_code="80012",
                country="US", parent_id="001Hs0000000TzYIAU"),
        Account("001Hs0000000Tz2IAA", "Mercy Chicago", postal_code="60608", country="US",
                parent_id=HQ),
        Account("001Hs0000000Tz3IAA", "Independent Hospital", postal_code="80218", country="US"),
    ]  # fmt: skip
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(accounts)
        uow.commit()


def _rules(named: list[str]) -> dict[str, object]:
    return {
        "territories": [
            {"id": "S1", "name": "Strategic 1", "type": "named"},
            {"id": "CO", "name": "Colorado", "type": "geo"},
            {"id": "IL", "name": "Illinois", "type": "geo"},
        ],
        "named_accounts": [{"territory": "S1", "accounts": named}],
        "rules": [
            {
                "id": "co",
                "territory": "CO",
                "when": {"field": "state", "op": "equals", "value": "CO"},
            },
            {
                "id": "il",
                "territory": "IL",
                "when": {"field": "state", "op": "equals", "value": "IL"},
            },
        ],
    }


def test_a_pin_on_the_top_account_names_the_hospitals_it_leaves_behind(db: Database) -> None:
    _store(db)
    notes = pinned_family_notes(db, parse_rule_set(_rules([HQ[:15]])))  # typed from a report
    assert len(notes) == 1
    assert notes[0].startswith(
        "named account CommonSpirit Health (Strategic 1): 3 of the 3 accounts below it in the "
        "parent hierarchy go to other territories (St. Joseph Clinic Aurora → Colorado, Mercy "
        "Chicago → Illinois, St. Joseph Denver → Colorado); a pin takes the account it names only"
    )


def test_a_family_pinned_whole_gives_no_note(db: Database) -> None:
    _store(db)
    family = [HQ, "001Hs0000000TzYIAU", "001Hs0000000Tz1IAA", "001Hs0000000Tz2IAA"]
    assert pinned_family_notes(db, parse_rule_set(_rules(family))) == []
