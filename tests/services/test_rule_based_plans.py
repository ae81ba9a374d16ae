"""Plans aligned only by hand-written rules (no geo alignment): copies, named-account moves and
rule sets naming territories the plan does not have."""

from __future__ import annotations

import pytest

from terraplan.domain import Account
from terraplan.services.alignment import plan_alignment
from terraplan.services.new_plans import copy_plan, create_plan
from terraplan.services.ownership import apply_rules
from terraplan.services.plan_comparison import compare_stored_plans
from terraplan.services.rule_editing import save_rule_text, save_rule_text_noted
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


def test_a_rule_set_routing_to_a_territory_the_plan_lacks_adds_it(rule_plan: Database) -> None:

    db = rule_plan
    with UnitOfWork(db) as uow:
        uow.accounts.add_many([Account(id="A6", name="Account A6", state="TX", potential=60.0)])
        uow.commit()
    extra = (
        RULES.replace(
            "rules:",
            "  - {id: south, name: South, type: geo}\n"
            "  - {id: spec, name: Specialists, type: overlay}\n"
            "rules:",
        )
        + "  - {id: s, territory: south, when: {field: state, op: in, value: [TX]}}\n"
    )
    saved = save_rule_text_noted(db, "P1", extra, by="test")
    assert [a.id for a in saved.added] == ["south"]
    assert saved.notes == [
        "territory South was not in plan FY25 and is added to it (rule s sends accounts "
        "there); it has no owner yet (`terraplan plans owners P1 south REP`)"
    ]
    apply_rules(db, "P1")
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
        assert [t.id for t in plan.territories] == ["west", "east", "south"]
        territory_of = plan_alignment(uow, plan, uow.accounts.list()).territory_of
    assert territory_of["A6"] == "south"
    assert len(territory_of) == 6


def test_a_named_account_move_on_a_rule_based_plan_is_kept(rule_plan: Database) -> None:
    from terraplan.services.plan_edits import edit_plan, undo_edit

    db = rule_plan
    result = edit_plan(db, "P1", {"op": "move_accounts", "accounts": ["A1"], "to": "east"})
    effects = {e.territory: e for e in result.effects}
    east = effects["east"]
    assert east.totals["count"] == 4
    assert east.totals["potential"] == pytest.approx(400_000.0)
    # West, which the rules had put A1 in, lost it: it is shown too.
    assert effects["west"].totals["count"] == 1
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
        assert plan_alignment(uow, plan, uow.accounts.list()).territory_of["A1"] == "east"
    apply_rules(db, "P1")  # the move survives the rules
    with UnitOfWork(db) as uow:
        run = {a.record_id: a for a in uow.assignments.current("P1")}
    assert (run["A1"].territory_id, run["A1"].rule_id) == ("east", "named:east")
    undo_edit(db, "P1")
    apply_rules(db, "P1")
    with UnitOfWork(db) as uow:
        assert {a.record_id: a.territory_id for a in uow.assignments.current("P1")}["A1"] == "west"


def test_accounts_the_catch_all_takes_are_in_the_catch_all_territory(rule_plan: Database) -> None:
    db = rule_plan
    with UnitOfWork(db) as uow:
        uow.accounts.add_many([Account(id="A6", name="Account A6", state="TX", potential=60.0)])
        uow.commit()
    with_catch_all = RULES.replace(
        "rules:", "  - {id: other, name: Other, type: catch_all}\ncatch_all: other\nrules:"
    )
    save_rule_text(db, "P1", with_catch_all, by="test")
    apply_rules(db, "P1")
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
        alignment = plan_alignment(uow, plan, uow.accounts.list())
    # it used to be counted in no territory: the Other row showed 0 and totals missed it
    assert alignment.territory_of["A6"] == "other"
    assert sum(1 for t in alignment.territory_of.values() if t is not None) == 6


def test_parents_in_a_rule_set_become_the_plans_regions(rule_plan: Database) -> None:
    """`parent:` was checked and dropped: a plan built from rules had no regions, so KPIs by
    region were empty. The parents are the plan's hierarchy now, regions added as needed."""
    from terraplan.planning.kpis import compute_kpis
    from terraplan.services.monitoring_data import load_plan_data

    db = rule_plan
    regions = RULES.replace(
        "  - {id: west, name: West, type: geo}\n  - {id: east, name: East, type: geo}\n",
        "  - {id: coast, name: Coasts}\n"
        "  - {id: west, name: West, type: geo, parent: coast}\n"
        "  - {id: east, name: East, type: geo, parent: coast}\n",
    )
    saved = save_rule_text_noted(db, "P1", regions, by="test")
    assert saved.notes == [
        "region Coasts was not in plan FY25 and is added to it as the parent of east, west "
        "(KPIs by region count it)"
    ]
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
        audit = [e.action for e in uow.audit.list(plan_id="P1")]
    by_id = {t.id: t for t in plan.territories}
    assert (by_id["west"].parent_id, by_id["east"].parent_id) == ("coast", "coast")
    assert by_id["coast"].level == "region" and {t.id for t in plan.leaves()} == {"west", "east"}
    assert "set_parents" in audit
    apply_rules(db, "P1")
    data = load_plan_data(db, "P1")
    from datetime import date

    kpis = compute_kpis(data.inputs, dimensions=["region"], as_of=date(2026, 6, 30))
    assert set(kpis["key"].to_list()) == {"coast"}
    assert set(kpis["account_count"].to_list()) == {5.0}  # every account, every period
    # The saved text keeps the parents: it loads again with the same hierarchy.
    from terraplan.services.rule_editing import rule_text

    assert "parent: coast" in rule_text(db, "P1")["document"]


def test_an_overlay_territory_joins_the_plan_and_routing_names_its_specialist(
    rule_plan: Database,
) -> None:
    """Overlays add a second owner: the overlay's territory is added to the plan when the rule
    set is saved, takes its specialist as owner, and a routed lead names them beside its
    primary owner (the overlay gave an id and no one before)."""
    from terraplan.domain import Rep
    from terraplan.services.plan_edits import edit_plan
    from terraplan.services.routing import route_record

    db = rule_plan
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id="R7", name="Hana Health")])
        uow.commit()
    with_overlay = (
        RULES.replace("rules:", "  - {id: spec, name: Health Specialists, type: overlay}\nrules:")
        + "overlays:\n"
        + "  - {id: health, territory: spec, role: specialist,"
        + " when: {field: industry, op: equals, value: Healthcare}}\n"
    )
    saved = save_rule_text_noted(db, "P1", with_overlay, by="test")
    assert [a.id for a in saved.added] == ["spec"]
    assert saved.notes == [
        "territory Health Specialists was not in plan FY25 and is added to it (overlay health "
        "gives its owner to the accounts and leads it matches, beside their primary owner); it "
        "has no owner yet (`terraplan plans owners P1 spec REP`)"
    ]
    lead = {"id": "L1", "name": "Clinic", "state": "CA", "industry": "Healthcare"}
    unstaffed = route_record(db, lead, plan_id="P1")
    (overlay,) = unstaffed.overlays
    assert (overlay.territory_name, overlay.owner_id) == ("Health Specialists", None)
    assert "the overlay territory Health Specialists has no owner yet" in unstaffed.notes
    edit_plan(db, "P1", {"op": "set_owners", "territory": "spec", "reps": ["R7"]})
    routed = route_record(db, lead, plan_id="P1")
    assert routed.result.territory_id == "west"
    (overlay,) = routed.overlays
    assert (overlay.territory_id, overlay.role, overlay.owner_id, overlay.owner_name) == (
        "spec", "specialist", "R7", "Hana Health"
    )  # fmt: skip
    assert routed.to_dict()["overlays"][0]["owner_name"] == "Hana Health"
    other = route_record(db, {"id": "L2", "name": "Shop", "state": "CA"}, plan_id="P1")
    assert other.overlays == ()


def test_a_territory_named_otherwise_in_the_rule_set_is_said(rule_plan: Database) -> None:
    """The plan says West, the rule file 'West Coast': routing's header and its explanation
    would give two names for one territory; the save says so."""
    saved = save_rule_text_noted(
        db := rule_plan, "P1", RULES.replace("name: West,", "name: West Coast,"), by="t"
    )
    assert saved.notes == [
        "territory west is 'West' in plan P1 and 'West Coast' in the rule set: explanations "
        "say the rule set's name, the plan, its pages and routing answers the plan's; give "
        "both one name"
    ]
    assert save_rule_text_noted(db, "P1", RULES, by="t").notes == []


def test_an_explanation_names_the_parent_account_it_tests(rule_plan: Database) -> None:
    """``parent_id in [A1]`` explained as "parent account A1 (Account A1)", as a county is
    named beside its code."""
    from terraplan.services.routing import route_record

    db = rule_plan
    family = RULES.replace(
        "rules:\n",
        "rules:\n  - {id: fam, territory: east, order: 0, when: {field: parent_id, op: in,"
        " value: [A1]}}\n",
    )
    save_rule_text(db, "P1", family.replace("{id: w,", "{id: w, order: 1,"), by="test")
    routed = route_record(db, {"id": "L1", "name": "Child", "parent_id": "A1"}, plan_id="P1")
    assert routed.result.territory_id == "east"
    assert "A1 (Account A1)" in routed.result.explanation
