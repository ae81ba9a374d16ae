"""One active plan per scope (part of the market); back to draft with a reason; archived plans
are read-only. On the real demo data, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.conftest import seed_region_plan

from terraplan.domain import PlanStatus
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.services.imports import import_file
from terraplan.services.new_plans import copy_plan, create_plan
from terraplan.services.ownership import apply_rules, plan_rule_set, rules_for_design, save_rules
from terraplan.services.plan_edits import edit_plan
from terraplan.services.plan_lifecycle import activate_plan, change_status, reopen_reasons
from terraplan.services.plan_scopes import active_plan
from terraplan.services.reps_targets import plan_targets
from terraplan.services.routing import RoutingCache, prepare_routing, route_record
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

LA_LEAD = {"id": "L1", "name": "Acme", "postal_code": "90012"}


def _approve(db: Database, plan_id: str) -> None:
    for step in ("in_review", "approved"):
        change_status(db, plan_id, step)


def test_two_scopes_active_at_once(db: Database) -> None:
    seed_region_plan(db, n_accounts=100, seed=3)
    west = copy_plan(db, "P1", new_id="W1", scope="West")
    ent = copy_plan(db, "P1", new_id="E1", scope=" Enterprise ")
    assert (west.scope, ent.scope) == ("West", "Enterprise")
    assert copy_plan(db, "W1", new_id="W2").scope == "West"  # a copy keeps its scope
    for plan_id in ("W1", "E1", "W2"):
        _approve(db, plan_id)
    activate_plan(db, "W1", effective_from=date(2026, 1, 1))
    activate_plan(db, "E1", effective_from=date(2026, 1, 1))
    with UnitOfWork(db) as uow:
        active = {row.id for row in uow.plans.list(status=PlanStatus.ACTIVE)}
    assert active == {"W1", "E1"}  # other scopes stay active

    # A server loads both plans' rules at start-up, and leads of the two scopes routed in turn
    # reuse them (each plan keeps its entry in the cache).
    cache: RoutingCache = {}
    assert prepare_routing(db, cache) == ["E1", "W1"]
    loaded = dict(cache)
    for scope in ("West", "Enterprise", "west"):
        route_record(db, LA_LEAD, scope=scope, rule_cache=cache)
    assert cache.keys() == loaded.keys()
    assert all(cache[key] is loaded[key] for key in loaded)

    # Without a scope and without a whole-market plan, the choice is ambiguous: say the scopes.
    with pytest.raises(InvalidParameterError, match="Enterprise, West") as ambiguous:
        route_record(db, LA_LEAD)
    assert ambiguous.value.details["scopes"] == ["Enterprise", "West"]
    with pytest.raises(InvalidParameterError, match="Enterprise, West"):
        active_plan(db)
    assert route_record(db, LA_LEAD, scope="west").plan_id == "W1"
    assert route_record(db, LA_LEAD, scope="Enterprise").plan_id == "E1"
    with pytest.raises(NotFoundError, match="Enterprise, West"):
        route_record(db, LA_LEAD, scope="Nowhere")
    with pytest.raises(NotFoundError):
        route_record(db, LA_LEAD, scope="We\x00st")

    # A new West plan archives the previous West plan only, at its effective date.
    activate_plan(db, "W2", effective_from=date(2026, 7, 1))
    with UnitOfWork(db) as uow:
        w1, e1 = uow.plans.get("W1"), uow.plans.get("E1")
    assert (w1.status, w1.effective_to) == (PlanStatus.ARCHIVED, date(2026, 6, 30))
    assert e1.status is PlanStatus.ACTIVE
    assert active_plan(db, "WEST").id == "W2"

    # A whole-market plan is the default once there is one.
    _approve(db, "P1")
    activate_plan(db, "P1", effective_from=date(2026, 7, 1))
    assert route_record(db, LA_LEAD).plan_id == "P1"
    assert active_plan(db).id == "P1"
    assert active_plan(db, "Enterprise").id == "E1"

    # A plan of one part of the market (here a state: California) may leave the other
    # accounts to the other plans.
    created = create_plan(db, "LA only", [{"id": "LA", "name": "Los Angeles"}], scope="CA")
    edit_plan(db, created.id, {"op": "move_units", "units": ["06037"], "to": "LA"})
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(created.id)
        units = [u for u in uow.geo_units.list() if u.id == "06037"]
    save_rules(db, created.id, rules_for_design(plan, units))  # LA's accounts only
    _approve(db, created.id)
    activated = activate_plan(db, created.id, effective_from=date(2026, 1, 1))
    assert (activated.scope, activated.status) == ("CA", PlanStatus.ACTIVE)
    assert route_record(db, LA_LEAD, scope="CA").result.territory_id == "LA"
    assert route_record(db, LA_LEAD).plan_id == "P1"


def test_back_to_draft_needs_a_reason_and_archived_plans_are_read_only(db: Database) -> None:
    seed_region_plan(db, n_accounts=100, seed=2)
    change_status(db, "P1", "in_review")
    with pytest.raises(InvalidParameterError, match="reason") as missing:
        change_status(db, "P1", "draft")
    assert missing.value.details["field"] == "reason"
    change_status(db, "P1", "draft", reason="  split the North  ", by="lee")
    assert [(who, why) for _, who, why in reopen_reasons(db, "P1")] == [("lee", "split the North")]
    change_status(db, "P1", "archived")
    with UnitOfWork(db) as uow:
        archived = uow.plans.get("P1")
        rule_set, _ = plan_rule_set(uow, archived)
    assert archived.status is PlanStatus.ARCHIVED
    attempts = [
        lambda: edit_plan(db, "P1", {"op": "rename", "territory": "T-R1", "name": "x"}),
        lambda: save_rules(db, "P1", rule_set),
        lambda: apply_rules(db, "P1"),
        lambda: plan_targets(db, "P1", company_target=1_000_000, period=2026),
        lambda: change_status(db, "P1", "draft", reason="again"),
        lambda: activate_plan(db, "P1"),
    ]
    for attempt in attempts:
        with pytest.raises(ConflictError):
            attempt()


def test_a_cached_routing_context_follows_a_reimport_of_the_names_it_shows(
    db: Database, tmp_path: Path
) -> None:
    """A server keeps each plan's rules with the rep and unit names its answers show: a
    re-import (a rep renamed in the CRM, a county renamed) must reach the next answer."""
    seed_region_plan(db, n_accounts=100, seed=3)
    edit_plan(db, "P1", {"op": "set_owners", "territory": "T-R1", "reps": ["MGR-01"]})
    lead = {**LA_LEAD, "county_fips": "06037"}
    cache: RoutingCache = {}
    before = route_record(db, lead, plan_id="P1", rule_cache=cache)
    assert before.owner_name == "Megan Miller"
    assert "(Los Angeles County, CA)" in before.result.explanation
    with db.engine.begin() as connection:  # a renamed county, as a geo re-import would store it
        connection.execute(text("UPDATE geo_units SET name = 'Los Angeles' WHERE id = '06037'"))
    reps = tmp_path / "User.csv"
    reps.write_text("Id,Name,Email\nMGR-01,Megan Miller-Jones,megan@example.com\n")
    import_file(db, reps, "reps")
    after = route_record(db, lead, plan_id="P1", rule_cache=cache)
    assert after.owner_name == "Megan Miller-Jones"
    assert "(Los Angeles, CA)" in after.result.explanation
    assert len(cache) == 1  # the stale entry of the plan was replaced, not kept beside


def _owners(db: Database) -> dict[str, str | None]:
    with UnitOfWork(db) as uow:
        return {a.id: a.owner_id for a in uow.accounts.list()}


def test_a_drafts_rules_move_no_owner_while_an_active_plan_covers_its_accounts(
    db: Database,
) -> None:
    """With no active plan a draft's rules may be applied (how the first plan is set up);
    once a plan is active, a copy's rules are refused: owners follow the active plan until the
    copy is activated. A scoped copy is refused too while the whole-market plan is active."""
    seed_region_plan(db, n_accounts=300, seed=7)
    with UnitOfWork(db) as uow:
        territories = [t.id for t in uow.plans.get("P1").territories]
    for index, territory in enumerate(territories):
        edit_plan(
            db, "P1", {"op": "set_owners", "territory": territory, "reps": [f"REP-{index + 1:03d}"]}
        )
    assert apply_rules(db, "P1").run.records == 300  # bootstrap: nothing active yet
    _approve(db, "P1")
    activate_plan(db, "P1")
    copy = copy_plan(db, "P1", new_id="P2", name="What if")
    edit_plan(db, "P2", {"op": "set_owners", "territory": territories[0], "reps": ["REP-009"]})
    before = _owners(db)

    with pytest.raises(ConflictError) as refused:
        apply_rules(db, "P2")
    message = refused.value.message
    assert "plan P1 (Regions) is active for the whole market" in message
    assert "activate" in message and copy.name in message
    assert refused.value.details["active_plan_id"] == "P1"
    assert _owners(db) == before

    copy_plan(db, "P1", new_id="W1", scope="West")
    with pytest.raises(ConflictError, match="active for the whole market"):
        apply_rules(db, "W1")  # the whole-market plan covers the West too
    assert _owners(db) == before


def test_rule_sets_change_on_drafts_only(db: Database) -> None:
    """Saving rules of a plan in review, approved or active is refused, as plan edits are:
    the rules reviewed are the rules activated, and routing changes only by activation."""
    seed_region_plan(db, n_accounts=200, seed=7)
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
        rule_set, _ = plan_rule_set(uow, plan)
    for status, hint in (
        ("in_review", "send it back to draft"),
        ("approved", "send it back to draft"),
        ("active", "copy it"),
    ):
        if status == "active":
            activate_plan(db, "P1")
        else:
            change_status(db, "P1", status)
        with pytest.raises(ConflictError, match=f"only a draft's rules can change; {hint}"):
            save_rules(db, "P1", rule_set)
    with UnitOfWork(db) as uow:
        assert uow.rule_sets.latest("P1").version == 1
    assert save_rules(db, copy_plan(db, "P1", new_id="P2").id, rule_set) == 2


def test_a_scope_must_name_a_part_of_the_market(db: Database) -> None:
    seed_region_plan(db, n_accounts=200, seed=7)
    with pytest.raises(InvalidParameterError) as refused:
        copy_plan(db, "P1", new_id="X1", scope="Nowhere")
    message = refused.value.message
    assert "scope 'Nowhere' names no part of the market" in message
    assert "regions: Central, East, West" in message and "Enterprise" in message
    with pytest.raises(InvalidParameterError, match="names no part of the market"):
        create_plan(db, "X", [{"id": "X", "name": "X"}], scope="Atlantis")
    with UnitOfWork(db) as uow:
        assert [p.id for p in uow.plans.list()] == ["P1"]
    # Known scopes are kept as the data spells them; "" is the whole market.
    assert copy_plan(db, "P1", new_id="W1", scope="west").scope == "West"
    assert copy_plan(db, "W1", new_id="A1", scope="").scope is None


def test_a_scoped_plan_places_only_the_accounts_of_its_scope(db: Database) -> None:
    """A plan scoped to a state took every account its rules matched, in other states too
    (a scope was only a label): the whole-market plan and it then both owned them."""
    seed_region_plan(db, n_accounts=200, seed=3)
    _approve(db, "P1")
    activate_plan(db, "P1", effective_from=date(2026, 1, 1))
    with UnitOfWork(db) as uow:
        before = {a.id: (a.state, a.owner_id) for a in uow.accounts.list()}
    copy = copy_plan(db, "P1", new_id="C1", scope="CA")  # the whole market's rules
    rep = next(owner for state, owner in before.values() if state != "CA" and owner)
    for territory in copy.territories:
        edit_plan(db, "C1", {"op": "set_owners", "territory": territory.id, "reps": [rep]})
    _approve(db, "C1")
    activate_plan(db, "C1", effective_from=date(2026, 2, 1))
    with UnitOfWork(db) as uow:
        after = {a.id: a.owner_id for a in uow.accounts.list()}
    california = [a for a, (state, _) in before.items() if state == "CA"]
    elsewhere = [a for a, (state, _) in before.items() if state != "CA"]
    assert california and elsewhere
    assert all(after[a] == rep for a in california)
    assert all(after[a] == before[a][1] for a in elsewhere)


def test_a_scoped_plan_reports_sizes_and_compares_on_its_scope_only(db: Database) -> None:
    """A scoped copy keeps every territory of its source, and its KPIs, team size and
    comparison counted the whole market (accounts outside its scope fell back to the
    geography): an East plan's revenue held the West's, summed twice across active plans."""
    from terraplan.services.monitoring import plan_kpis
    from terraplan.services.plan_comparison import compare_stored_plans
    from terraplan.services.reps_targets import plan_capacity

    seed_region_plan(db, n_accounts=300, seed=3)
    _approve(db, "P1")
    activate_plan(db, "P1", effective_from=date(2026, 1, 1))
    copy_plan(db, "P1", new_id="CA1", scope="CA")
    _approve(db, "CA1")
    activate_plan(db, "CA1", effective_from=date(2026, 2, 1))
    with UnitOfWork(db) as uow:
        accounts = uow.accounts.list()
        plan = uow.plans.get("CA1")
    california = {a.id for a in accounts if a.state == "CA"}
    open_ca = [a for a in accounts if a.id in california and a.closed_on is None]
    assert california and len(california) < len(accounts)

    data, frame = plan_kpis(db, "CA1", periods=["2025"])
    rows = frame.filter(frame["dimension"] == "territory")
    assert rows["account_count"].sum() == len(open_ca)
    with UnitOfWork(db) as uow:
        lines = [s for s in uow.sales_lines.list() if s.date.year == 2025]
    assert rows["revenue"].sum() == pytest.approx(
        sum(s.amount for s in lines if s.account_id in california)
    )
    # territories holding no Californian account are left out, and the source says so
    held = set(rows["key"].to_list())
    assert held < {t.id for t in plan.territories}
    assert data.alignment_source.endswith(
        f"over the accounts of its scope (CA); {len(plan.territories) - len(held)} territories "
        "holding none of them left out"
    )
    industries = frame.filter(frame["dimension"] == "industry")
    assert industries["revenue"].sum() == pytest.approx(rows["revenue"].sum())

    report, _ = plan_capacity(db, "CA1")
    assert report.total_workload_hours == pytest.approx(sum(a.workload or 0 for a in open_ca))

    comparison, _ = compare_stored_plans(db, "P1", "CA1")
    assert comparison.accounts == len(open_ca) and comparison.accounts_moved == 0
    assert "compared over the accounts of CA (the scope of plan CA1)" in comparison.notes
