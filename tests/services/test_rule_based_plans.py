"""Plans aligned only by hand-written rules (no geo alignment): copies, named-account moves and
rule sets naming territories the plan does not have."""

from __future__ import annotations

import pytest

from terraplan.domain import Account
from terraplan.services.ownership import apply_rules
from terraplan.services.rule_editing import save_rule_text
from terraplan.services.scenarios import compare_stored_plans, copy_plan, create_plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RULES = """\
territories:
  - {id: west, name: West, type: geo}
  - {id: east, name: East, type: geo}
rules:
  - {id: w, territory: west, when: {field: state, op: in, value: [CA, WA]}}
  - {id: e, territory: east, when: {field: state, op: in, value: [NY, MA, NJ]}}
"""


@pytest.fixture
def rule_plan(db: Database) -> Database:
    """P1 (West, East) with state rules applied to five accounts."""
    states = {"A1": "CA", "A2": "WA", "A3": "NY", "A4": "MA", "A5": "NJ"}
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account(id=a, name=f"Account {a}", state=s, potential=100_000.0)
                for a, s in states.items()
            ]
        )
        uow.commit()
    create_plan(
        db, "FY25", [{"id": "west", "name": "West"}, {"id": "east", "name": "East"}], plan_id="P1"
    )
    save_rule_text(db, "P1", RULES, by="test")
    apply_rules(db, "P1")
    return db


def test_a_copy_of_a_rule_based_plan_compares_as_unchanged(rule_plan: Database) -> None:
    db = rule_plan
    copy_plan(db, "P1", new_id="P2", name="copy")
    comparison, _ = compare_stored_plans(db, "P1", "P2")
    assert comparison.accounts_moved == 0
    assert comparison.potential_moved == 0
    by_territory = {t.territory: t for t in comparison.territories}
    assert (by_territory["west"].accounts_base, by_territory["west"].accounts_other) == (2, 2)
    assert (by_territory["east"].accounts_base, by_territory["east"].accounts_other) == (3, 3)
