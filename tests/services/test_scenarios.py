"""Scenarios on the real demo data: copy, change, compare, review, activate, delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from tests.conftest import seed_region_plan

from terraplan.domain import Plan, PlanStatus, RecordKind, Territory
from terraplan.errors import ConflictError, NotFoundError
from terraplan.services.new_plans import copy_plan
from terraplan.services.ownership import apply_rules
from terraplan.services.plan_comparison import compare_stored_plans
from terraplan.services.plan_lifecycle import activate_plan, change_status, delete_plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def regions(db: Database) -> tuple[Database, dict[str, str]]:
    """The demo (400 accounts) and P1: one territory per region, aligned by county, with rules."""
    return db, seed_region_plan(db, n_accounts=400, seed=5)


def test_copy_then_move_a_county_and_compare(regions: tuple[Database, dict[str, str]]) -> None:
    db, county_territory = regions
    copy = copy_plan(db, "P1", name="What if")
    assert (copy.id, copy.status, copy.based_on_plan_id) == ("P001", PlanStatus.DRAFT, "P1")
    with UnitOfWork(db) as uow:
        assert uow.rule_sets.latest("P001").document == uow.rule_sets.latest("P1").document
        accounts = uow.accounts.list()

    # Move the county holding the most accounts to another territory.
    counts: dict[str, int] = {}
    for account in accounts:
        if account.county_fips in county_territory:
            counts[account.county_fips] = counts.get(account.county_fips or "", 0) + 1
    county = max(sorted(counts), key=lambda c: counts[c])
    old = county_territory[county]
    new = next(t.id for t in copy.territories if t.id != old)
    from terraplan.services.plan_edits import edit_plan

    edit_plan(db, "P001", {"op": "move_units", "units": [county], "to": new})

    comparison, window = compare_stored_plans(db, "P1", "P001")
    in_county = [a for a in accounts if a.county_fips == county]
    assert comparison.units_moved == 1
    assert comparison.accounts_moved == len(in_county) == counts[county]
    assert {m.account_id for m in comparison.moved} == {a.id for a in in_county}
    assert all((m.old_territory, m.new_territory) == (old, new) for m in comparison.moved)
    assert comparison.potential_moved == pytest.approx(sum(a.potential or 0 for a in in_county))
    assert window is not None
    by_territory = {t.territory: t for t in comparison.territories}
    assert by_territory[old].accounts_base - by_territory[old].accounts_other == len(in_county)
    assert by_territory[new].accounts_other - by_territory[new].accounts_base == len(in_county)

    # The copy's generated rules follow the edit: applying them moves the county's accounts.
    apply_rules(db, "P001")
    after, _ = compare_stored_plans(db, "P1", "P001")
    assert after.accounts_moved == len(in_county)


def test_review_activate_archives_the_previous_active_plan(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, _ = regions
    for step in ("in_review", "approved"):
        change_status(db, "P1", step, by="lee")
    first = activate_plan(db, "P1", effective_from=date(2027, 1, 1), by="lee")
    assert (first.status, first.effective_from) == (PlanStatus.ACTIVE, date(2027, 1, 1))

    copy_plan(db, new_id="P2")  # the active plan by default
    with pytest.raises(ConflictError):
        activate_plan(db, "P2")  # a draft cannot be activated
    change_status(db, "P2", "in_review")
    change_status(db, "P2", "approved")
    with pytest.raises(ConflictError, match="changed since you loaded it") as stale:
        change_status(db, "P2", "draft", version=1, reason="recheck")  # stale version
    assert stale.value.details["version"] == 1  # the versions in the details, not the words
    second = activate_plan(db, "P2", effective_from=date(2027, 7, 1))
    with UnitOfWork(db) as uow:
        previous = uow.plans.get("P1")
    assert second.status is PlanStatus.ACTIVE
    assert previous.status is PlanStatus.ARCHIVED
    assert previous.effective_to == date(2027, 6, 30)
    with pytest.raises(ConflictError):
        delete_plan(db, "P2")
    delete_plan(db, "P1")
    with UnitOfWork(db) as uow, pytest.raises(NotFoundError):
        uow.plans.get("P1")


def test_activation_is_refused_without_rules_or_with_gaps(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, _ = regions
    bare = Plan(id="BARE", name="No rules", territories=(Territory("X", "X"),))
    with UnitOfWork(db) as uow:
        uow.plans.add(replace(bare, status=PlanStatus.APPROVED))
        uow.commit()
    with pytest.raises(ConflictError, match="no rule set"):
        activate_plan(db, "BARE")

    # Drop one territory's rules from a copy: its accounts then match no rule.
    from terraplan.rules import load_rule_set
    from terraplan.services.ownership import save_rules

    copy_plan(db, "P1", new_id="GAPS")
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("GAPS")
        rules = load_rule_set(uow.rule_sets.latest("GAPS").document)
    first = plan.territories[0].id
    narrowed = replace(rules, rules=tuple(r for r in rules.rules if r.territory_id != first))
    assert len(narrowed.rules) < len(rules.rules)
    save_rules(db, "GAPS", narrowed)  # while a draft: rules of approved plans cannot change
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("GAPS"), status=PlanStatus.APPROVED))
        uow.commit()
    with pytest.raises(ConflictError, match="match no rule") as refused:
        activate_plan(db, "GAPS")
    # the examples are named (name and CRM id), and the way out says the plan must reopen
    with UnitOfWork(db) as uow:
        names = {a.id: a.name for a in uow.accounts.list()}
    example = refused.value.message.split("(e.g. ")[1].split(")")[0]
    name, account_id = example.split(" (")
    assert names[account_id] == name
    assert "reopen the plan (`terraplan plans status GAPS reopen --reason ...`)" in str(
        refused.value.message
    )

    # Two rules of the same type and order claiming the same accounts: a conflict, said as
    # one (the catch-all would not help), with the way out that does.
    copy_plan(db, "P1", new_id="TWICE")
    with UnitOfWork(db) as uow:
        twice = uow.plans.get("TWICE")
        rules = load_rule_set(uow.rule_sets.latest("TWICE").document)
    claimed = rules.rules[0]
    other = next(t.id for t in twice.territories if t.id != claimed.territory_id)
    doubled = replace(claimed, id="claims-too", territory_id=other, position=len(rules.rules))
    save_rules(db, "TWICE", replace(rules, rules=(*rules.rules, doubled)))
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("TWICE"), status=PlanStatus.APPROVED))
        uow.commit()
    with pytest.raises(ConflictError, match="claimed by two rules") as conflicted:
        activate_plan(db, "TWICE")
    message = conflicted.value.message
    assert "give one of them an `order` or set `tie_breaker: rule_position`" in message
    assert "match no rule" not in message and "catch-all" not in message


def test_activation_checks_coverage_as_the_rules_are_applied(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """An account with a ZIP but no county FIPS (a lead converted by hand, say) is placed by
    the county of its ZIP when the rules are applied; the coverage check before activation
    used to test the rules without that look-up and refused the plan ("match no rule")."""
    from terraplan.domain import Account

    db, _ = regions
    with UnitOfWork(db) as uow:
        uow.accounts.add_many([Account(id="ZIP-ONLY", name="Zip Only", postal_code="80202")])
        uow.commit()
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activated = activate_plan(db, "P1")
    assert activated.status is PlanStatus.ACTIVE
    with UnitOfWork(db) as uow:
        placed = {a.record_id: a.territory_id for a in uow.assignments.current("P1")}
    assert placed["ZIP-ONLY"] is not None


def test_edit_undo_redo_with_versions_and_effects(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from terraplan.services.plan_edits import edit_plan, redo_edit, undo_edit

    db, county_territory = regions
    copy = copy_plan(db, "P1", new_id="E1")
    county = "06037"  # Los Angeles County
    old = county_territory[county]
    new = next(t.id for t in copy.territories if t.id != old)
    with UnitOfWork(db) as uow:
        in_county = [a for a in uow.accounts.list() if a.county_fips == county]
    assert in_county

    moved = edit_plan(
        db, "E1", {"op": "move_units", "units": [county], "to": new}, version=copy.version
    )
    assert moved.plan.version == copy.version + 1
    effects = {e.territory: e for e in moved.effects}
    assert set(effects) == {old, new}
    assert effects[new].units_moved == 1
    assert effects[new].totals["count"] >= len(in_county)
    assert moved.can_undo and not moved.can_redo

    with pytest.raises(ConflictError, match="changed since you loaded it"):
        edit_plan(db, "E1", {"op": "rename", "territory": new, "name": "X"}, version=copy.version)

    undone = undo_edit(db, "E1")
    assert undone.plan.alignment_map(RecordKind.GEO_UNIT)[county] == old
    assert undone.can_redo
    redone = redo_edit(db, "E1")
    assert redone.plan.alignment_map(RecordKind.GEO_UNIT)[county] == new
    with pytest.raises(ConflictError, match="nothing to redo"):
        redo_edit(db, "E1")

    locked = edit_plan(db, "E1", {"op": "lock", "units": [county]})
    assert locked.effects == []
    with pytest.raises(ConflictError, match="locked"):
        edit_plan(db, "E1", {"op": "move_units", "units": [county], "to": old})

    change_status(db, "E1", "in_review")
    with pytest.raises(ConflictError, match="only drafts"):
        edit_plan(db, "E1", {"op": "rename", "territory": old, "name": "X"})


def test_comments_change_requests_and_the_audit_log(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from terraplan.errors import InvalidParameterError
    from terraplan.services.feedback import (
        add_comment,
        audit_log,
        list_comments,
        resolve_change_request,
    )

    db, county_territory = regions
    copy = copy_plan(db, "P1", new_id="C1", created_by="pat")
    old = county_territory["06037"]
    new = next(t.id for t in copy.territories if t.id != old)
    note = add_comment(
        db, "C1", "Looks good", author="morgan", target_kind="territory", target_id=new
    )
    request = add_comment(
        db,
        "C1",
        "LA belongs with my team",
        author="morgan",
        proposed_edit={"op": "move_units", "units": ["06037"], "to": new},
    )
    with pytest.raises(InvalidParameterError):
        add_comment(db, "C1", "   ", author="morgan")
    with pytest.raises(InvalidParameterError, match="no territory"):
        add_comment(db, "C1", "x", author="m", target_kind="territory", target_id="nope")
    assert [(c.kind, c.status) for c in list_comments(db, "C1")] == [
        ("comment", None),
        ("change_request", "open"),
    ]
    with pytest.raises(ConflictError):
        resolve_change_request(db, note.id, accept=True, by="pat")

    accepted = resolve_change_request(db, request.id, accept=True, by="pat", note="agreed")
    assert (accepted.status, accepted.resolved_by) == ("accepted", "pat")
    with UnitOfWork(db) as uow:
        assert uow.plans.get("C1").alignment_map(RecordKind.GEO_UNIT)["06037"] == new
    with pytest.raises(ConflictError):
        resolve_change_request(db, request.id, accept=False, by="pat")

    change_status(db, "C1", "in_review", by="pat")
    actions = [(e.actor, e.action) for e in audit_log(db, plan_id="C1")]
    assert actions == [
        ("pat", "copy"),
        ("morgan", "comment"),
        ("morgan", "change_request"),
        ("pat", "edit"),
        ("pat", "accept"),
        ("pat", "status"),
    ]
    status = audit_log(db, plan_id="C1", action="status")[0]
    assert (status.before or {})["status"] == "draft"
    assert (status.after or {})["status"] == "in_review"


def test_a_plan_from_scratch_then_aligned_by_hand(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from terraplan.errors import InvalidParameterError
    from terraplan.services.new_plans import create_plan
    from terraplan.services.plan_edits import edit_plan

    db, _ = regions
    plan = create_plan(
        db,
        "Blank",
        [{"id": "W", "name": "West"}, {"id": "E", "name": "East", "type": "geo"}],
        created_by="pat",
    )
    assert (plan.status, plan.alignment, [t.id for t in plan.territories]) == (
        PlanStatus.DRAFT,
        (),
        ["W", "E"],
    )
    edited = edit_plan(db, plan.id, {"op": "move_units", "units": ["06037", "06059"], "to": "W"})
    assert {e.territory: e.units for e in edited.effects} == {"W": 2}
    with pytest.raises(InvalidParameterError, match=r"territories\[1\]"):
        create_plan(db, "Bad", [{"id": "A", "name": "A"}, {"name": "no id"}])
    with pytest.raises(InvalidParameterError, match=r"territories\[0\]"):
        create_plan(db, "Bad", [{"id": "A", "name": "A", "type": "galaxy"}])
    with pytest.raises(InvalidParameterError, match="at least one"):
        create_plan(db, "Empty", [])
    with pytest.raises(ConflictError):
        create_plan(db, "Again", [{"id": "A", "name": "A"}], plan_id=plan.id)


def _p2_moves_los_angeles(db: Database, county_territory: dict[str, str]) -> tuple[str, str]:
    """P1 active from 2027-01-01; P2, its copy with Los Angeles County moved to another
    territory, approved. Returns Los Angeles' territory in P1 and in P2."""
    from terraplan.services.plan_edits import edit_plan

    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1", effective_from=date(2027, 1, 1))
    copy_plan(db, new_id="P2")
    old = county_territory["06037"]
    new = next(t for t in sorted(set(county_territory.values())) if t != old)
    edit_plan(db, "P2", {"op": "move_units", "units": ["06037"], "to": new})
    for step in ("in_review", "approved"):
        change_status(db, "P2", step)
    return old, new


def test_ownership_is_effective_dated_across_activations(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from datetime import date as day

    from terraplan.services.ownership_periods import ownership_history

    db, county_territory = regions
    old, new = _p2_moves_los_angeles(db, county_territory)
    with UnitOfWork(db) as uow:
        accounts = uow.accounts.list()
    moved = next(a.id for a in accounts if a.county_fips == "06037")
    stayed = next(a.id for a in accounts if a.county_fips and a.county_fips != "06037"
                  and county_territory.get(a.county_fips) == old)  # fmt: skip
    activate_plan(db, "P2", effective_from=day(2027, 7, 1))

    periods, _ = ownership_history(db, moved)
    assert [(p.territory_id, p.valid_from, p.valid_to, p.plan_id) for p in periods] == [
        (old, day(2027, 1, 1), day(2027, 6, 30), "P1"),
        (new, day(2027, 7, 1), None, "P2"),
    ]
    kept, _ = ownership_history(db, stayed)
    assert [(p.territory_id, p.valid_from, p.valid_to) for p in kept] == [
        (old, day(2027, 1, 1), None)
    ]
    on_day, _ = ownership_history(db, moved, day=day(2027, 3, 15))
    assert [p.territory_id for p in on_day] == [old]
    before, _ = ownership_history(db, moved, day=day(2026, 12, 31))
    assert before == []


def test_a_renamed_territory_opens_a_period_for_the_accounts_it_keeps(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """An account whose territory and owner stay but whose territory is renamed: its
    history said the archived plan's territory by its old name from then on."""
    from datetime import date as day

    from terraplan.services.ownership_periods import ownership_history
    from terraplan.services.plan_edits import edit_plan

    db, county_territory = regions
    old, _ = _p2_moves_los_angeles(db, county_territory)
    change_status(db, "P2", "draft", reason="rename")
    edit_plan(db, "P2", {"op": "rename", "territory": old, "name": "Pacific Rim"})
    for step in ("in_review", "approved"):
        change_status(db, "P2", step)
    with UnitOfWork(db) as uow:
        accounts = uow.accounts.list()
        name = uow.plans.get("P1").territory(old).name
    stayed = next(a.id for a in accounts if a.county_fips and a.county_fips != "06037"
                  and county_territory.get(a.county_fips) == old)  # fmt: skip
    activate_plan(db, "P2", effective_from=day(2027, 7, 1))
    periods, _ = ownership_history(db, stayed)
    assert [(p.territory_name, p.valid_from, p.valid_to, p.plan_id) for p in periods] == [
        (name, day(2027, 1, 1), day(2027, 6, 30), "P1"),
        ("Pacific Rim", day(2027, 7, 1), None, "P2"),
    ]
    assert periods[0].owner_id == periods[1].owner_id


def test_days_of_a_period_before_its_owner_was_hired_are_named(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """A plan gives an account to a rep hired later: the period names them from its first
    day, KPIs credit no rep before the hire, and `owners` says which days."""
    from datetime import date as day

    from sqlalchemy import text

    from terraplan.services.ownership_periods import before_hire, ownership_history

    db, county_territory = regions
    _p2_moves_los_angeles(db, county_territory)
    activate_plan(db, "P2", effective_from=day(2027, 7, 1))
    with UnitOfWork(db) as uow:
        moved = next(a.id for a in uow.accounts.list() if a.county_fips == "06037")
    periods, _ = ownership_history(db, moved)
    owner = periods[-1].owner_id
    assert owner is not None
    with db.connect() as connection:
        connection.execute(
            text("UPDATE reps SET hire_date = :d WHERE id = :r"),
            {"d": day(2027, 8, 10), "r": owner},
        )
        connection.commit()
    hired = day(2027, 8, 10)
    expected = [(owner, day(2027, 7, 1), day(2027, 8, 9), hired)]
    if periods[0].owner_id == owner:  # owned under P1 too: every day of it before the hire
        expected.insert(0, (owner, day(2027, 1, 1), day(2027, 6, 30), hired))
    assert before_hire(db, periods) == expected
    on_day, _ = ownership_history(db, moved, day=day(2027, 7, 15))
    assert before_hire(db, on_day, day(2027, 7, 15)) == [
        (owner, day(2027, 7, 15), day(2027, 7, 15), day(2027, 8, 10))
    ]
    later, _ = ownership_history(db, moved, day=day(2027, 9, 1))
    assert before_hire(db, later, day(2027, 9, 1)) == []


def _fail_ownership_writes(db: Database) -> None:
    """A real storage failure on the last write of an activation: the database itself
    refuses every new ownership period (a trigger), as a full disk or a lost connection would."""
    from sqlalchemy import text

    with db.connect() as connection:
        if db.dialect == "sqlite":
            connection.execute(text(
                "CREATE TRIGGER tp_refuse BEFORE INSERT ON ownership_periods "
                "BEGIN SELECT RAISE(ABORT, 'storage refused'); END"
            ))  # fmt: skip
        else:
            connection.execute(text(
                "CREATE FUNCTION tp_refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'storage refused'; END $$ LANGUAGE plpgsql"
            ))  # fmt: skip
            connection.execute(text(
                "CREATE TRIGGER tp_refuse BEFORE INSERT ON ownership_periods "
                "FOR EACH ROW EXECUTE FUNCTION tp_refuse()"
            ))  # fmt: skip


def test_activation_that_fails_to_write_leaves_everything_as_it_was(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Activating writes the plan's status, the archived predecessor, the accounts' territories
    and owners and the ownership history in one transaction: when the last write fails, the
    previous plan is still active and no account has moved."""
    db, county_territory = regions
    _p2_moves_los_angeles(db, county_territory)
    with UnitOfWork(db) as uow:
        owners_before = {a.id: a.owner_id for a in uow.accounts.list()}
        runs_before = uow.assignments.latest_run("P2")
    _fail_ownership_writes(db)

    with pytest.raises(Exception, match="storage refused"):
        activate_plan(db, "P2", effective_from=date(2027, 7, 1))

    with UnitOfWork(db) as uow:
        assert uow.plans.get("P1").status is PlanStatus.ACTIVE
        assert uow.plans.get("P1").effective_to is None
        assert uow.plans.get("P2").status is PlanStatus.APPROVED
        assert {a.id: a.owner_id for a in uow.accounts.list()} == owners_before
        assert uow.assignments.latest_run("P2") == runs_before  # no run of P2 was stored


def test_a_rename_shows_in_the_generated_rules_and_new_owners_add_no_version(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Routing explains with the rules' territory names: a rename rebuilds generated rules
    (the 'why' said the old name); an owner change reads the same, so no new version."""
    from terraplan.rules import load_rule_set
    from terraplan.services.plan_edits import edit_plan

    db, _ = regions
    copy = copy_plan(db, "P1", name="What if")
    territory = copy.territories[0].id
    with UnitOfWork(db) as uow:
        before = uow.rule_sets.latest("P001").version
        rep = uow.reps.list()[0].id
    edit_plan(db, "P001", {"op": "rename", "territory": territory, "name": "Greater Somewhere"})
    with UnitOfWork(db) as uow:
        renamed = uow.rule_sets.latest("P001")
    assert renamed.version == before + 1
    names = {k: t.name for k, t in load_rule_set(renamed.document).territories.items()}
    assert names[territory] == "Greater Somewhere"
    edit_plan(db, "P001", {"op": "set_owners", "territory": territory, "reps": [rep]})
    with UnitOfWork(db) as uow:
        assert uow.rule_sets.latest("P001").version == renamed.version


def test_pinning_an_account_moves_its_figures_out_of_its_countys_territory(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """The edit's table shows both sides of a pin: the territory holding the account's county
    loses its potential, the pin's territory gains it (the source was left out before)."""
    from terraplan.services.plan_edits import edit_plan

    db, county_territory = regions
    copy = copy_plan(db, "P1", name="Pins")
    with UnitOfWork(db) as uow:
        placed = [a for a in uow.accounts.list() if a.county_fips in county_territory]
    account = max(placed, key=lambda a: (a.potential or 0.0, a.id))
    source = county_territory[account.county_fips or ""]
    target = next(t.id for t in copy.territories if t.id != source)
    from terraplan.services.plan_edits import plan_balance

    with UnitOfWork(db) as uow:
        before = {
            e.territory: e.totals["potential"] for e in plan_balance(uow, uow.plans.get("P001"))
        }
    after = {
        e.territory: e.totals["potential"]
        for e in edit_plan(
            db, "P001", {"op": "move_accounts", "accounts": [account.id], "to": target}
        ).effects
    }
    assert source in after and target in after
    assert after[source] == pytest.approx(before[source] - (account.potential or 0.0))
    assert (account.potential or 0.0) > 0


def test_compare_predicts_the_owners_activation_gives_a_shared_territory(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """A territory with two primary reps shares its accounts between them by weight when the
    plan is activated; the comparison before it predicts each account's owner the same way
    (it used to give every account the territory's first primary rep)."""
    from terraplan.services.plan_edits import edit_plan

    db, county_territory = regions
    with UnitOfWork(db) as uow:
        reps = sorted(r.id for r in uow.reps.list() if r.active)
        territories = [t.id for t in uow.plans.get("P1").territories]
    assert len(reps) > len(territories)
    for territory, rep in zip(territories, reps, strict=False):
        edit_plan(db, "P1", {"op": "set_owners", "territory": territory, "reps": [rep]})
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1", effective_from=date(2027, 1, 1))

    # P2: the largest territory shared with a rep who owns nothing yet, and one county moved
    # into it from another territory.
    copy_plan(db, "P1", new_id="P2")
    with UnitOfWork(db) as uow:
        before = {a.id: a.owner_id for a in uow.accounts.list()}
        counties = {a.id: a.county_fips for a in uow.accounts.list()}
    owned = {rep: sum(o == rep for o in before.values()) for rep in reps}
    largest = max(territories, key=lambda t: owned[reps[territories.index(t)]])
    first = reps[territories.index(largest)]
    newcomer = reps[len(territories)]
    assert owned[newcomer] == 0
    edit_plan(db, "P2", {"op": "set_owners", "territory": largest, "reps": [first, newcomer]})
    county = next(
        c
        for c in sorted(set(counties.values()) - {None})
        if c in county_territory and county_territory[c] != largest
    )
    edit_plan(db, "P2", {"op": "move_units", "units": [county], "to": largest})

    comparison, _ = compare_stored_plans(db, "P1", "P2")
    for step in ("in_review", "approved"):
        change_status(db, "P2", step)
    activate_plan(db, "P2", effective_from=date(2027, 7, 1))
    with UnitOfWork(db) as uow:
        after = {a.id: a.owner_id for a in uow.accounts.list()}

    changed = {a for a in after if after[a] != before[a]}
    assert newcomer in {after[a] for a in changed}  # the shared territory was shared
    assert comparison.owner_changes == len(changed)
    assert set(comparison.reps_gaining) == {after[a] for a in changed}
    assert set(comparison.reps_losing) == {before[a] for a in changed}
    assert comparison.moved  # the county's accounts
    assert {m.account_id: m.new_owner for m in comparison.moved} == {
        m.account_id: after[m.account_id] for m in comparison.moved
    }
    assert {m.account_id: m.old_owner for m in comparison.moved} == {
        m.account_id: before[m.account_id] for m in comparison.moved
    }


def test_a_plan_activated_ahead_routes_from_its_first_day(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """P2 activated from a later day: until then leads go with P1 (archived the day before P2
    starts, so in force until then), as the ownership history says; activation says so."""
    from datetime import timedelta

    from terraplan.services.edit_checks import scheduled_activation_notes
    from terraplan.services.plan_edits import edit_plan
    from terraplan.services.routing import route_record

    db, county_territory = regions
    lead = {"id": "L1", "name": "Lead", "county_fips": "06037"}
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1")
    assert scheduled_activation_notes(db, "P1") == []
    copy_plan(db, new_id="P2")
    old = county_territory["06037"]
    new = next(t for t in sorted(set(county_territory.values())) if t != old)
    edit_plan(db, "P2", {"op": "move_units", "units": ["06037"], "to": new})
    for step in ("in_review", "approved"):
        change_status(db, "P2", step)
    start = date.today() + timedelta(days=20)
    activate_plan(db, "P2", effective_from=start)

    routed = route_record(db, lead)
    assert (routed.plan_id, routed.result.territory_id) == ("P1", old)
    (note,) = scheduled_activation_notes(db, "P2")
    assert "routed with plan P1" in note and str(start - timedelta(days=1)) in note
    with UnitOfWork(db) as uow:
        assert uow.plans.get("P1").status is PlanStatus.ARCHIVED
    # Named, the scheduled plan routes as it will from its first day.
    assert route_record(db, lead, plan_id="P2").result.territory_id == new
    # KPIs without a plan report the plan in force today, as routing does.
    from terraplan.services.plan_scopes import active_plan_id, plan_in_force_id

    with UnitOfWork(db) as uow:
        assert (active_plan_id(uow), plan_in_force_id(uow)) == ("P2", "P1")


def test_a_first_plan_activated_ahead_routes_at_once(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """With no plan before it, the plan activated from a later day routes leads already
    (there is no other), and its note says so."""
    from datetime import timedelta

    from terraplan.services.routing import route_record

    db, _ = regions
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1", effective_from=date.today() + timedelta(days=3))
    lead = {"id": "L1", "name": "Lead", "county_fips": "06037"}
    assert route_record(db, lead).plan_id == "P1"
    from terraplan.services.edit_checks import scheduled_activation_notes

    (note,) = scheduled_activation_notes(db, "P1")
    assert "routes leads already" in note


def test_a_lead_with_an_unknown_zip_says_why_no_rule_placed_it(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from terraplan.services.routing import route_record

    db, _ = regions
    lost = route_record(db, {"id": "L9", "name": "Typo", "postal_code": "99999"}, plan_id="P1")
    assert lost.result.territory_id is None
    assert lost.notes == (
        "ZIP 99999 is not in the ZIP table, so no county or state could be found for it",
    )
    found = route_record(db, {"id": "L8", "name": "LA", "postal_code": "90012"}, plan_id="P1")
    assert found.result.territory_id is not None and found.notes == ()
    garbled = route_record(db, {"id": "L7", "name": "Typo", "postal_code": "ABCDE"}, plan_id="P1")
    assert garbled.notes == (
        "postal code 'ABCDE' is not a US ZIP code, so no county or state could be found for it",
    )


def test_a_lead_the_catch_all_takes_still_says_its_zip_is_unknown(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Every real rule set has a catch-all: a lead with a mistyped ZIP lands there, and the
    answer says why no geographic rule placed it."""
    import json

    from terraplan.rules import parse_rule_set
    from terraplan.services.ownership import save_rules
    from terraplan.services.routing import route_record

    db, _ = regions
    with UnitOfWork(db) as uow:
        document = json.loads(uow.rule_sets.latest("P1").document)
    document["catch_all"] = "pool"
    document["territories"].append({"id": "pool", "name": "Unassigned", "type": "catch_all"})
    save_rules(db, "P1", parse_rule_set(document))
    pooled = route_record(db, {"id": "L9", "name": "Typo", "postal_code": "99999"}, plan_id="P1")
    assert (pooled.result.territory_id, pooled.result.gap) == ("pool", True)
    assert pooled.notes == (
        "ZIP 99999 is not in the ZIP table, so no county or state could be found for it",
    )


def test_a_scoped_plan_waiting_for_its_day_leaves_routing_to_its_predecessor(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """The only active plan covers West; its successor waits 20 days. Routing without a
    scope goes on with the plan in force (it said "several plans are active (West)")."""
    from datetime import timedelta

    from terraplan.services.routing import route_record

    db, _ = regions
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("P1"), scope="West"))
        uow.commit()
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1")
    copy_plan(db, new_id="P2")
    for step in ("in_review", "approved"):
        change_status(db, "P2", step)
    activate_plan(db, "P2", effective_from=date.today() + timedelta(days=20))
    lead = {"id": "L1", "name": "Lead", "county_fips": "06037"}
    assert route_record(db, lead).plan_id == "P1"


def test_the_crm_owner_survives_a_run_through_a_territory_with_no_rep(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Rules applied before reps are matched leave the accounts with their CRM owners; the
    next run gives them a rep. The logged old owner is the CRM's (it was None, so exports
    showed no old owner and revenue before activation went to the new rep)."""
    from terraplan.services.plan_edits import edit_plan

    db, _ = regions
    with UnitOfWork(db) as uow:
        crm = {a.id: a.owner_id for a in uow.accounts.list()}
        rep = uow.reps.list(limit=1)[0].id
    apply_rules(db, "P1")  # no territory has a primary rep yet
    edit_plan(db, "P1", {"op": "set_owners", "territory": "T-R1", "reps": [rep]})
    apply_rules(db, "P1")
    with UnitOfWork(db) as uow:
        from terraplan.storage.plan_records import first_owner_changes

        before = {a: old for a, old in uow.session.execute(first_owner_changes())}
        now = {a.id: a.owner_id for a in uow.accounts.list()}
    moved = [a for a in now if now[a] == rep and crm[a] != rep]
    assert moved and all(before[a] == crm[a] for a in moved)


def test_compare_sets_targets_of_the_same_periods_side_by_side(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Last year's targets kept beside next year's (the usual state at realignment time) are
    not summed against the other plan's one year: only the periods both plans set count."""
    from terraplan.domain import Target

    db, _ = regions
    copy = copy_plan(db, "P1", name="Next year")
    tids = [t.id for t in copy.territories]

    def year(plan_id: str, y: int, amount: float) -> list[Target]:
        return [
            Target(
                f"{plan_id}-{y}-{tid}", date(y, 1, 1), date(y, 12, 31), amount, tid, None, plan_id
            )
            for tid in tids
        ]

    with UnitOfWork(db) as uow:
        uow.targets.add_many([*year("P1", 2026, 900.0), *year("P1", 2027, 1000.0)])
        uow.targets.add_many(year(copy.id, 2027, 1100.0))
        uow.commit()
    comparison, _ = compare_stored_plans(db, "P1", copy.id)
    assert comparison.target_base == pytest.approx(1000.0 * len(tids))
    assert comparison.target_other == pytest.approx(1100.0 * len(tids))
    assert all(t.target_change == pytest.approx(100.0) for t in comparison.territories)
    # the answer names the period its targets cover (a field, not only a note)
    assert comparison.target_period == "2027"
    assert comparison.to_dict()["target_period"] == "2027"
    assert (
        "targets are compared over 2027, the periods both plans set (their other targets are "
        "left out)" in comparison.notes
    )
    # A copy made mid-year keeps both years in both plans: the latest year both set is
    # compared, not the two years summed (476.5M read as one year's quota).
    with UnitOfWork(db) as uow:
        uow.targets.add_many(year(copy.id, 2026, 900.0))
        uow.commit()
    both, _ = compare_stored_plans(db, "P1", copy.id)
    assert both.target_base == pytest.approx(1000.0 * len(tids))
    assert both.target_other == pytest.approx(1100.0 * len(tids))
    assert any(n.startswith("targets are compared over 2027") for n in both.notes)
    assert both.target_period == "2027"
    with UnitOfWork(db) as uow:
        uow.targets.delete_where({"plan_id": copy.id})
        uow.targets.add_many(year(copy.id, 2027, 1100.0))
        uow.commit()
    # This year's plan against next year's (no period shared): each plan's year, the change
    # year over year, and said (it showed no target at all for either plan).
    with UnitOfWork(db) as uow:
        uow.targets.delete_where({"plan_id": "P1"})
        uow.targets.add_many(year("P1", 2026, 900.0))
        uow.commit()
    apart, _ = compare_stored_plans(db, "P1", copy.id)
    assert apart.target_period == "2026 -> 2027"
    assert apart.target_change == pytest.approx(200.0 * len(tids))
    assert all(t.target_change == pytest.approx(200.0) for t in apart.territories)
    assert any(
        f"the plans set targets for different periods (P1: 2026; {copy.id}: 2027): P1's 2026 "
        f"is compared with {copy.id}'s 2027, the change is year over year" in n
        for n in apart.notes
    )
    # one plan with targets: its own period is the one shown
    with UnitOfWork(db) as uow:
        uow.targets.delete_where({"plan_id": "P1"})
        uow.commit()
    alone, _ = compare_stored_plans(db, "P1", copy.id)
    assert alone.target_base is None and alone.target_period == "2027"


def test_of_two_decisions_on_a_change_request_one_wins_and_the_plan_follows_it(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """An accept and a reject at the same moment left the request "rejected" with its edit
    applied. Now the request is claimed first: while one planner's accept applies the edit,
    the other's reject is refused naming the decision, and a refused edit reopens it."""
    from terraplan.services.feedback import add_comment, resolve_change_request

    db, county_territory = regions
    copy = copy_plan(db, "P1", name="What if")
    county, old = next(iter(county_territory.items()))
    new = next(t.id for t in copy.territories if t.id != old)
    request = add_comment(
        db,
        copy.id,
        "move it",
        author="morgan",
        proposed_edit={"op": "move_units", "units": [county], "to": new},
    )
    # The other planner's accept is under way: the request is held.
    with UnitOfWork(db) as uow:
        uow.comments.claim(request.id, "accepting", by="ana", note=None)
        uow.commit()
    with pytest.raises(ConflictError, match=r"it is being accepted by ana"):
        resolve_change_request(db, request.id, accept=False, by="ben")
    with UnitOfWork(db) as uow:  # ana's edit failed: given back
        uow.comments.claim(request.id, "open", was="accepting", by=None, note=None)
        uow.commit()
    version = copy.version
    accepted = resolve_change_request(db, request.id, accept=True, by="ben", note="fine")
    assert (accepted.status, accepted.resolved_by) == ("accepted", "ben")
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(copy.id)
    assert plan.version > version
    assert {e.record_id: e.territory_id for e in plan.alignment}[county] == new
    with pytest.raises(ConflictError, match=r"it is accepted by ben"):
        resolve_change_request(db, request.id, accept=False, by="ana")
    # An edit that cannot apply gives the request back, open.
    bad = add_comment(
        db,
        copy.id,
        "to nowhere",
        author="morgan",
        proposed_edit={"op": "move_units", "units": [county], "to": "NO-SUCH"},
    )
    with pytest.raises(NotFoundError):
        resolve_change_request(db, bad.id, accept=True, by="ben")
    with UnitOfWork(db) as uow:
        assert uow.comments.get(bad.id).status == "open"


def test_plans_created_at_the_same_moment_each_get_an_id(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Two copies with generated ids from two processes at once: one was refused with a
    database error (both had picked the same next id)."""
    import threading

    db, _ = regions
    barrier = threading.Barrier(4)
    made: list[str] = []
    errors: list[BaseException] = []

    def copy() -> None:
        barrier.wait()
        try:
            made.append(copy_plan(db, "P1", name="at once").id)
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=copy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(made) == 4 and len(set(made)) == 4
    with UnitOfWork(db) as uow:
        for plan_id in made:
            assert uow.rule_sets.latest(plan_id).plan_id == plan_id


def test_compare_says_when_open_pipeline_stays_with_a_rep_who_left(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Open opportunities stay with their owner through a realignment ("pipeline
    protected"), even when that owner has left: nobody saw it."""
    from sqlalchemy import text

    from terraplan.services.plan_edits import edit_plan

    db, _ = regions
    with db.connect() as connection:
        owner, name = connection.execute(
            text(
                "SELECT o.owner_id, r.name FROM opportunities o JOIN reps r ON r.id = o.owner_id "
                "WHERE NOT o.is_closed ORDER BY o.id LIMIT 1"
            )
        ).one()
        open_amount = connection.execute(
            text("SELECT SUM(amount) FROM opportunities WHERE owner_id = :o AND NOT is_closed"),
            {"o": owner},
        ).scalar_one()
        connection.execute(
            text("UPDATE reps SET active = :f WHERE id = :o"), {"f": False, "o": owner}
        )
        other = connection.execute(
            text("SELECT id FROM reps WHERE id <> :o ORDER BY id LIMIT 1"), {"o": owner}
        ).scalar_one()
    copy = copy_plan(db, "P1", name="What if")
    for territory in copy.territories:  # every account changes owner
        edit_plan(db, copy.id, {"op": "set_owners", "territory": territory.id, "reps": [other]})
    comparison, _ = compare_stored_plans(db, "P1", copy.id)
    assert comparison.pipeline_protected > 0
    assert (
        f"{open_amount:,.0f} of open pipeline is owned by inactive reps ({name}): it stays with "
        "them until those opportunities are reassigned in the CRM"
    ) in comparison.notes
    # a comparison over a region's accounts names only the pipeline of those accounts (a
    # manager saw the whole company's, an East rep's name included)
    from terraplan.services.plan_comparison import _inactive_pipeline_note

    with db.connect() as connection:
        held = {
            r[0]
            for r in connection.execute(
                text("SELECT account_id FROM opportunities WHERE owner_id = :o AND NOT is_closed"),
                {"o": owner},
            ).all()
        }
    assert _inactive_pipeline_note(db, set()) is None
    assert _inactive_pipeline_note(db, held) == _inactive_pipeline_note(db)


def test_a_plan_whose_creation_fails_leaves_nothing(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """A savepoint around the new plan's row committed it early on SQLite: a creation that
    failed after it left an empty plan under an id."""
    db, _ = regions
    with pytest.raises(RuntimeError), UnitOfWork(db) as uow:
        source = uow.plans.get("P1")
        uow.plans.add(replace(source, id="P900", version=1), generated=True)
        raise RuntimeError("a later step failed")
    with UnitOfWork(db) as uow:
        assert not uow.plans.exists("P900")
        assert [p.id for p in uow.plans.list()] == ["P1"]


def test_a_change_request_left_accepting_by_a_dead_process_can_be_decided_again(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from terraplan.services.feedback import add_comment, resolve_change_request

    db, _ = regions
    copy = copy_plan(db, "P1", name="What if")
    request = add_comment(
        db, copy.id, "rename", author="morgan",
        proposed_edit={"op": "rename", "territory": copy.territories[0].id, "name": "North"},
    )  # fmt: skip
    with UnitOfWork(db) as uow:
        uow.comments.claim(request.id, "accepting", by="ana", note=None)
        uow.commit()
    with pytest.raises(ConflictError, match="being accepted by ana"):
        resolve_change_request(db, request.id, accept=False, by="ben")
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=30)
    with db.connect() as connection:
        connection.execute(
            text("UPDATE plan_comments SET resolved_at = :t WHERE id = :i"),
            {"t": long_ago, "i": request.id},
        )
    decided = resolve_change_request(db, request.id, accept=False, by="ben")
    assert (decided.status, decided.resolved_by) == ("rejected", "ben")


def test_compare_sets_a_year_set_monthly_against_the_same_year_set_whole(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from terraplan.domain import Target

    db, _ = regions
    copy = copy_plan(db, "P1", name="Monthly")
    tids = [t.id for t in copy.territories]
    yearly = [
        Target(f"Y-{tid}", date(2027, 1, 1), date(2027, 12, 31), 1200.0, tid, None, "P1")
        for tid in tids
    ]
    monthly = [
        Target(
            f"M{m}-{tid}", date(2027, m, 1),
            date(2027, m + 1, 1) - timedelta(days=1) if m < 12 else date(2027, 12, 31),
            110.0, tid, None, copy.id,
        )
        for tid in tids
        for m in range(1, 13)
    ]  # fmt: skip
    with UnitOfWork(db) as uow:
        uow.targets.add_many([*yearly, *monthly])
        uow.commit()
    comparison, _ = compare_stored_plans(db, "P1", copy.id)
    assert comparison.target_change == pytest.approx(120.0 * len(tids))
    assert not any("different periods" in n for n in comparison.notes)


def test_a_copy_keeps_the_targets_costs_and_design_of_its_source(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """A scenario activated in place of its source keeps the quotas (it had none before)."""
    from terraplan.domain import AcquisitionCost, Target

    db, _ = regions
    with UnitOfWork(db) as uow:
        territory = uow.plans.get("P1").leaves()[0].id
        uow.targets.add_many(
            [
                Target("P1/T/2026", date(2026, 1, 1), date(2026, 12, 31), 1000.0,
                       territory_id=territory, plan_id="P1"),
                Target("other", date(2026, 1, 1), date(2026, 12, 31), 5.0, territory_id=territory),
                # an id an import without ids derived: the copy's is the one its import derives
                Target(f"P1|{territory}||revenue|2027-01-01|2027-01-31#1", date(2027, 1, 1),
                       date(2027, 1, 31), 7.0, territory_id=territory, plan_id="P1"),
            ]
        )  # fmt: skip
        uow.records("acquisition_costs").add_many(
            [
                AcquisitionCost(
                    "C1", territory, date(2026, 1, 1), date(2026, 3, 31), 50.0, plan_id="P1"
                )
            ]
        )
        uow.plan_results.put("P1", "design", {"balance_criteria": {"dedicated": []}})
        uow.commit()
    copy = copy_plan(db, "P1", name="What if")
    with UnitOfWork(db) as uow:
        copied = uow.targets.list(where={"plan_id": copy.id})
        costs = uow.records("acquisition_costs").list(where={"plan_id": copy.id})
        assert uow.plan_results.get(copy.id, "design") == {"balance_criteria": {"dedicated": []}}
        # the source keeps its own
        assert len(uow.targets.list(where={"plan_id": "P1"})) == 2
    assert sorted((t.id, t.amount, t.territory_id) for t in copied) == [
        (f"{copy.id}/T/2026", 1000.0, territory),
        (f"{copy.id}|{territory}||revenue|2027-01-01|2027-01-31#1", 7.0, territory),
    ]
    assert [(c.id, c.amount) for c in costs] == [(f"{copy.id}/C1", 50.0)]
    comparison, _ = compare_stored_plans(db, "P1", copy.id)
    # both plans have targets now: their year is compared, the month of the next one aside
    assert comparison.notes == (
        "targets are compared over 2026, the periods both plans set (their other targets are "
        "left out)",
    )
    assert comparison.target_base == comparison.target_other == 1000.0
    delete_plan(db, copy.id)
    with UnitOfWork(db) as uow:
        assert uow.targets.list(where={"plan_id": copy.id}) == []
        assert uow.records("acquisition_costs").list(where={"plan_id": copy.id}) == []


def test_compare_takes_revenue_from_won_opportunities_when_there_are_no_sales_lines(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """A CRM export of opportunities only: the revenue moved is the won opportunities' amount
    (it read 0 with exit 0), and the comparison says that is the revenue."""
    from sqlalchemy import text

    from terraplan.services.plan_edits import edit_plan

    db, county_territory = regions
    with db.connect() as connection:
        connection.execute(text("DELETE FROM sales_lines"))
        won = connection.execute(
            text(
                "SELECT a.county_fips, o.account_id, o.amount, o.close_date FROM opportunities o"
                " JOIN accounts a ON a.id = o.account_id WHERE o.is_won AND o.close_date IS NOT NULL"
            )
        ).all()
    end = max(date.fromisoformat(str(r.close_date)[:10]) for r in won)
    # the last 12 months: from the day after the same day a year earlier
    start = end.replace(year=end.year - 1) + timedelta(days=1)
    by_county: dict[str, float] = {}
    for r in won:
        if date.fromisoformat(str(r.close_date)[:10]) >= start:
            by_county[r.county_fips] = by_county.get(r.county_fips, 0.0) + float(r.amount)
    county = max(sorted(c for c in by_county if c in county_territory), key=by_county.__getitem__)
    copy = copy_plan(db, "P1", name="What if")
    new = next(t.id for t in copy.territories if t.id != county_territory[county])
    edit_plan(db, copy.id, {"op": "move_units", "units": [county], "to": new})
    comparison, window = compare_stored_plans(db, "P1", copy.id)
    assert comparison.revenue_moved == pytest.approx(by_county[county])
    assert window == f"{start.isoformat()} to {end.isoformat()}"
    assert any("Closed Won opportunities" in note for note in comparison.notes)


def test_compare_says_how_many_owners_activation_changes_in_the_crm(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Two plans with the same owners change no owner between them, but activating either
    changes every CRM owner that differs from the plan's (new accounts with none among them):
    the comparison says so, so the CRM update is not sized from 0."""
    from sqlalchemy import text

    from terraplan.services.plan_edits import edit_plan

    db, county_territory = regions
    territory = sorted(set(county_territory.values()))[0]
    counties = [c for c, t in county_territory.items() if t == territory]
    with db.connect() as connection:
        rep = connection.execute(text("SELECT id FROM reps ORDER BY id LIMIT 1")).scalar_one()
        ids = [
            r[0]
            for r in connection.execute(
                text("SELECT id, county_fips FROM accounts ORDER BY id")
            ).all()
            if r[1] in counties
        ]
        connection.execute(
            text("UPDATE accounts SET owner_id = NULL, crm_owner_id = NULL WHERE id IN (:a, :b)"),
            {"a": ids[0], "b": ids[1]},
        )
        owners = dict(connection.execute(text("SELECT id, crm_owner_id FROM accounts")).all())
        # the CRM's owners, not terraplan's: an owner terraplan changed and the CRM has not
        # loaded yet still counts
        connection.execute(
            text("UPDATE accounts SET owner_id = :r WHERE id = :c"), {"r": rep, "c": ids[2]}
        )
    differing = sum(1 for a in ids if owners[a] != rep)
    edit_plan(db, "P1", {"op": "set_owners", "territory": territory, "reps": [rep]})
    copy = copy_plan(db, "P1", name="Same owners")
    comparison, _ = compare_stored_plans(db, "P1", copy.id)
    assert comparison.owner_changes == 0
    assert (
        f"owner changes count accounts whose owner differs between the two plans; against the "
        f"owners in the CRM today, activating {copy.id} changes {differing:,} owners, 2 of them "
        "with no owner in the CRM yet (its owner update file holds these, and also the owners "
        "changed back since the CRM's export: an update sent in between may have reached the CRM)"
    ) in comparison.notes
    # compared to an active plan, there is no activating it to speak of
    from dataclasses import replace

    from terraplan.domain import PlanStatus
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("P1"), status=PlanStatus.ACTIVE))
        uow.commit()
    back, _ = compare_stored_plans(db, copy.id, "P1")
    [note] = [n for n in back.notes if "in the CRM today" in n]
    assert "against the owners in the CRM today, the active plan P1 differs on" in note
    assert "activating" not in note


def test_activation_counts_the_accounts_the_catch_all_took_apart(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """An Anchorage account no county rule places goes to the catch-all: the activation
    counts it apart from the accounts its rules placed (it read "N placed" for both)."""
    import json

    from terraplan.domain import Account
    from terraplan.rules import parse_rule_set
    from terraplan.services.ownership import save_rules
    from terraplan.services.plan_lifecycle import activation_counts

    db, _ = regions
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [Account(id="AK1", name="Anchorage Co", state="AK", postal_code="99501")]
        )
        open_accounts = len(uow.accounts.list(where={"closed_on": None}))
        document = json.loads(uow.rule_sets.latest("P1").document)
        uow.commit()
    document["catch_all"] = "pool"
    document["territories"].append({"id": "pool", "name": "Unassigned", "type": "catch_all"})
    save_rules(db, "P1", parse_rule_set(document))
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1")
    counts = activation_counts(db, "P1")
    assert counts is not None
    assert (counts.placed, counts.in_catch_all) == (open_accounts - 1, 1)


def test_compare_of_monthly_targets_over_two_years_takes_the_latest_twelve_months(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Targets stored by month for 2026 and 2027 in both plans (a copy): 2027 is compared,
    not the 24 months summed."""
    import calendar

    from terraplan.domain import Target

    db, _ = regions
    copy = copy_plan(db, "P1", name="Copy")
    tids = [t.id for t in copy.territories]
    rows = [
        Target(f"{plan}-{y}-{m}-{tid}", date(y, m, 1),
               date(y, m, calendar.monthrange(y, m)[1]), float(y - 2025), tid, None, plan)
        for plan in ("P1", copy.id) for y in (2026, 2027) for m in range(1, 13) for tid in tids
    ]  # fmt: skip
    with UnitOfWork(db) as uow:
        uow.targets.add_many(rows)
        uow.commit()
    comparison, _ = compare_stored_plans(db, "P1", copy.id)
    assert comparison.target_base == comparison.target_other == pytest.approx(2.0 * 12 * len(tids))
    assert any(n.startswith("targets are compared over 2027") for n in comparison.notes), (
        comparison.notes
    )


def test_compare_counts_a_region_s_targets_once_with_its_territories(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """A plan with regions stores each region's months beside its territories' (their sum):
    compare added them up, counting every target twice (353M for a 227M plan)."""
    from dataclasses import replace as replaced

    from terraplan.domain import Target, Territory

    db, _ = regions
    copy = copy_plan(db, "P1", name="With a region")
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(copy.id)
        leaves = [t.id for t in plan.territories]
        uow.plans.save(
            replaced(
                plan,
                territories=(
                    Territory("ALL", "All of it", level="region"),
                    *(replaced(t, parent_id="ALL") for t in plan.territories),
                ),
            )
        )

        def year(plan_id: str, tid: str, amount: float) -> Target:
            return Target(f"{plan_id}-{tid}", date(2027, 1, 1), date(2027, 12, 31), amount, tid,
                          None, plan_id)  # fmt: skip

        uow.targets.add_many([year("P1", t, 1000.0) for t in leaves])
        uow.targets.add_many([year(copy.id, t, 1100.0) for t in leaves])
        uow.targets.add_many([year(copy.id, "ALL", 1100.0 * len(leaves))])
        uow.commit()
    comparison, _ = compare_stored_plans(db, "P1", copy.id)
    assert comparison.target_base == pytest.approx(1000.0 * len(leaves))
    assert comparison.target_other == pytest.approx(1100.0 * len(leaves))
    assert comparison.target_change == pytest.approx(100.0 * len(leaves))
    assert "ALL" not in {t.territory for t in comparison.territories}


def test_a_plan_replaced_on_its_first_day_was_never_in_force(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Activating a corrected copy the same day the first one took effect: the first read
    "in force 2026-12-06 to 2026-12-06" beside the copy in force from that day, while its
    owners of that day were replaced by the copy's."""
    db, _ = regions
    today = date.today()
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1", effective_from=today)
    fixed = copy_plan(db, "P1", name="Fixed")
    for step in ("in_review", "approved"):
        change_status(db, fixed.id, step)
    activate_plan(db, fixed.id, effective_from=today)
    with UnitOfWork(db) as uow:
        first, second = uow.plans.get("P1"), uow.plans.get(fixed.id)
        (entry,) = uow.audit.list(plan_id="P1", action="archive")
    assert first.status is PlanStatus.ARCHIVED
    assert (first.effective_from, first.effective_to) == (None, None)
    assert (second.status, second.effective_from) == (PlanStatus.ACTIVE, today)
    assert entry.after == {"status": "archived", "never_in_force": True, "replaced_on": str(today)}
