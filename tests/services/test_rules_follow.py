"""A geo-aligned draft's rules saved by hand: a map edit never rewrites them, and the
comparison counts accounts where those rules send them (as activation will)."""

from __future__ import annotations

import json

import pytest
from tests.conftest import seed_region_plan

from terraplan.rules import dump_rule_set, load_rule_set, rule_set_to_dict
from terraplan.services.new_plans import copy_plan
from terraplan.services.plan_comparison import compare_stored_plans
from terraplan.services.plan_edits import edit_plan
from terraplan.services.rule_editing import save_rule_text
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def regions(db: Database) -> tuple[Database, dict[str, str]]:
    """The demo (400 accounts) and P1: one territory per region, aligned by county, with rules."""
    return db, seed_region_plan(db, n_accounts=400, seed=5)


def _busiest_counties(db: Database, county_territory: dict[str, str]) -> list[str]:
    """Counties of the plan, most accounts first."""
    with UnitOfWork(db) as uow:
        counties = [a.county_fips for a in uow.accounts.list() if a.county_fips in county_territory]
    counts = {c: counties.count(c) for c in set(counties) if c}
    return sorted(counts, key=lambda c: (-counts[c], c))


def _accounts_in(db: Database, county: str) -> set[str]:
    with UnitOfWork(db) as uow:
        return {a.id for a in uow.accounts.list() if a.county_fips == county}


def _listing(document: str, county: str) -> list[str]:
    """Territories whose county rule lists ``county``."""
    rules = rule_set_to_dict(load_rule_set(document))["rules"]
    return [r["territory"] for r in rules if county in r["when"]["value"]]


def _hand_move(db: Database, plan_id: str, county: str, to: str) -> int:
    """Export the plan's generated rules, move ``county`` to territory ``to`` in the text (as a
    planner editing the exported file would, keeping its name) and save it back."""
    with UnitOfWork(db) as uow:
        document = uow.rule_sets.latest(plan_id).document
    data = rule_set_to_dict(load_rule_set(document))
    for rule in data["rules"]:
        values = rule["when"]["value"]
        if county in values and rule["territory"] != to:
            values.remove(county)
        elif rule["territory"] == to:
            values.append(county)
    assert data["name"].endswith("(generated)")
    return save_rule_text(db, plan_id, json.dumps(data), by="analyst")


def test_hand_saved_rules_survive_a_map_edit_and_are_what_compare_counts(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, county_territory = regions
    copy_plan(db, "P1", name="What if")
    first, second = _busiest_counties(db, county_territory)[:2]
    to = next(t for t in sorted(set(county_territory.values())) if t != county_territory[first])
    hand = _hand_move(db, "P001", first, to)

    # The comparison counts the hand-moved county's accounts as moving (they did not before:
    # the plan's map still has the county where it was).
    comparison, _ = compare_stored_plans(db, "P1", "P001")
    assert {m.account_id for m in comparison.moved} == _accounts_in(db, first)
    assert all(m.new_territory == to for m in comparison.moved)
    assert any("not applied yet" in n and "P001" in n for n in comparison.notes)
    # The draft's KPIs count them there too, and say where the alignment comes from.
    from terraplan.services.monitoring import plan_kpis

    data, kpis = plan_kpis(db, "P001", periods=["year"], dimensions=["territory"])
    _, base = plan_kpis(db, "P1", periods=["year"], dimensions=["territory"])
    counts = dict(zip(kpis["key"], kpis["account_count"], strict=True))
    before = dict(zip(base["key"], base["account_count"], strict=True))
    moved = len(_accounts_in(db, first))
    assert counts[to] == before[to] + moved
    assert counts[county_territory[first]] == before[county_territory[first]] - moved
    assert "not applied yet" in data.alignment_source

    # A map edit afterwards does not rewrite the hand-saved rules (it used to put the county
    # back where the map had it, silently), and says so.
    other = next(t for t in sorted(set(county_territory.values())) if t != county_territory[second])
    result = edit_plan(db, "P001", {"op": "move_units", "units": [second], "to": other})
    assert any("saved by hand" in n for n in result.notes)
    with UnitOfWork(db) as uow:
        stored = uow.rule_sets.latest("P001")
    assert stored.version == hand
    assert _listing(stored.document, first) == [to]
    assert _listing(stored.document, second) == [county_territory[second]]

    # Activation routes by the rules, so the comparison still follows them, not the map.
    after, _ = compare_stored_plans(db, "P1", "P001")
    assert {m.account_id for m in after.moved} == _accounts_in(db, first)


def test_generated_rules_follow_the_map_and_compare_needs_no_note(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, county_territory = regions
    copy_plan(db, "P1", name="What if")
    county = _busiest_counties(db, county_territory)[0]
    to = next(t for t in sorted(set(county_territory.values())) if t != county_territory[county])
    with UnitOfWork(db) as uow:
        before = uow.rule_sets.latest("P001").version
    result = edit_plan(db, "P001", {"op": "move_units", "units": [county], "to": to})
    assert result.notes == ()
    with UnitOfWork(db) as uow:
        regenerated = uow.rule_sets.latest("P001")
    assert regenerated.version == before + 1
    assert _listing(regenerated.document, county) == [to]
    comparison, _ = compare_stored_plans(db, "P1", "P001")
    assert {m.account_id for m in comparison.moved} == _accounts_in(db, county)
    assert not any("not applied yet" in n for n in comparison.notes)


def test_a_hand_saved_text_with_another_layout_still_counts_as_generated(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Saving the generated rules back unchanged (YAML instead of JSON) is not a hand edit:
    the next map edit still rebuilds them."""
    db, county_territory = regions
    copy_plan(db, "P1", name="What if")
    with UnitOfWork(db) as uow:
        document = uow.rule_sets.latest("P001").document
    import yaml

    text = yaml.safe_dump(json.loads(dump_rule_set(load_rule_set(document))), sort_keys=False)
    saved = save_rule_text(db, "P001", "# kept as generated\n" + text, by="analyst")
    county = _busiest_counties(db, county_territory)[0]
    to = next(t for t in sorted(set(county_territory.values())) if t != county_territory[county])
    result = edit_plan(db, "P001", {"op": "move_units", "units": [county], "to": to})
    assert result.notes == ()
    with UnitOfWork(db) as uow:
        assert uow.rule_sets.latest("P001").version == saved + 1


def test_rules_kept_in_step_edit_by_edit_read_as_a_full_generation(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """An edit generates again only the rules of the territories it changed (from the parts
    this process kept of the rules before it); the stored text is always the one a full
    generation of the plan gives, also when the kept parts are gone (a restarted server)."""
    from terraplan.planning.plan_edits import EditablePlan
    from terraplan.services import rule_generation
    from terraplan.services.plan_edits import redo_edit, undo_edit
    from terraplan.services.rule_generation import generated_rules

    db, county_territory = regions
    copy_plan(db, "P1", name="What if")
    first, second = _busiest_counties(db, county_territory)[:2]
    territories = sorted(set(county_territory.values()))
    with UnitOfWork(db) as uow:
        account = uow.accounts.list()[0].id
        start = uow.rule_sets.latest("P001").version

    def check() -> None:
        with UnitOfWork(db) as uow:
            stored = uow.rule_sets.latest("P001").document
            plan = uow.plans.get("P001")
        expected = generated_rules(EditablePlan.of(plan), json.loads(stored)["name"])
        assert expected is not None and stored == dump_rule_set(expected)

    a = next(t for t in territories if t != county_territory[first])
    b = next(t for t in territories if t != a)
    c = next(t for t in territories if t != b)
    steps: list[dict[str, object]] = [
        {"op": "move_units", "units": [first], "to": a},
        {"op": "move_units", "units": [first, second], "to": b},
        {"op": "move_accounts", "accounts": [account], "to": a},
        {"op": "rename", "territory": b, "name": "Renamed"},
        {"op": "move_units", "units": [second], "to": c},
    ]
    for i, step in enumerate(steps):
        if i == 2:
            rule_generation._KEPT.clear()  # as after a restart: built whole, then kept
        edit_plan(db, "P001", step)
        check()
    undo_edit(db, "P001")
    check()
    redo_edit(db, "P001")
    check()
    with UnitOfWork(db) as uow:
        assert uow.rule_sets.latest("P001").version > start + 3
