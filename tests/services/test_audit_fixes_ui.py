"""Fixes from the UI audit, on the service side: messages and summaries that name things
(units, accounts, plans) instead of giving ids and version numbers, and a copied plan's team
view showing the targets it carries over."""

from __future__ import annotations

import pytest
from tests.conftest import seed_region_plan

from terraplan.errors import ConflictError, InvalidParameterError
from terraplan.services.place_names import unit_names
from terraplan.services.plan_edits import edit_plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def regions(db: Database) -> tuple[Database, dict[str, str]]:
    """The demo (200 accounts) and P1 "Regions", one territory per region, by county."""
    return db, seed_region_plan(db, n_accounts=200, seed=7)


def _named(db: Database, units: list[str]) -> dict[str, str]:
    with UnitOfWork(db) as uow:
        return unit_names(uow, units)


# --- U5: a locked unit is refused by name ----------------------------------------------------


def test_moving_a_locked_unit_names_it(regions: tuple[Database, dict[str, str]]) -> None:
    db, alignment = regions
    county = next(iter(alignment))
    other = next(t for t in set(alignment.values()) if t != alignment[county])
    edit_plan(db, "P1", {"op": "lock", "units": [county]})
    with pytest.raises(ConflictError) as caught:
        edit_plan(db, "P1", {"op": "move_units", "units": [county], "to": other})
    name = _named(db, [county])[county]
    assert name != county and ", " in name  # "Banks County, GA"
    assert caught.value.message.startswith(f"{name} is locked; unlock it first"), caught.value
    assert f"unit(s) {county}" not in caught.value.message
    assert caught.value.details == {"units": [county]}


def test_several_locked_units_are_listed_five_then_how_many_more(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, alignment = regions
    home = next(iter(alignment.values()))
    counties = sorted(c for c, t in alignment.items() if t == home)[:7]
    other = next(t for t in set(alignment.values()) if t != home)
    edit_plan(db, "P1", {"op": "lock", "units": counties})
    with pytest.raises(ConflictError) as caught:
        edit_plan(db, "P1", {"op": "move_units", "units": counties, "to": other})
    names = _named(db, counties)
    said = caught.value.message
    shown = ", ".join(names[c] for c in counties[:5])
    assert said.startswith(f"{shown} and 2 more are locked; unlock them first"), said
    with pytest.raises(ConflictError) as two:
        edit_plan(db, "P1", {"op": "move_units", "units": counties[:2], "to": other})
    assert two.value.message.startswith(
        f"{names[counties[0]]} and {names[counties[1]]} are locked; unlock them first"
    )


# --- U7: a stale version names the plan, not its version numbers ----------------------------


def test_a_stale_edit_names_the_plan_who_and_when(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, _ = regions
    first = edit_plan(
        db, "P1", {"op": "rename", "territory": "T-R1", "name": "North"}, version=1, by="admin"
    )
    assert first.state.plan.version == 2
    with pytest.raises(ConflictError) as caught:
        edit_plan(db, "P1", {"op": "rename", "territory": "T-R1", "name": "X"}, version=1)
    said = caught.value.message
    assert said.startswith(
        'the plan "Regions" was changed since you loaded it (last changed by admin at '
    ), said
    assert " UTC)" in said and "version" not in said and "P1" not in said
    assert caught.value.details == {
        "plan_id": "P1",
        "stored_version": 2,
        "version": 1,
        "by": "admin",
    }


# --- U6: no units in the states: words, with the JSON path in the details --------------------


def test_a_design_job_in_unknown_states_is_refused_in_words(db: Database) -> None:
    from terraplan.services.jobs import check_design_job

    with pytest.raises(InvalidParameterError) as one:
        check_design_job(db, {"units": "counties", "n_territories": 3, "states": ["XX"]})
    assert one.value.message == "No counties in the state XX: check the state codes"
    assert one.value.details["field"] == "parameters.states"
    assert one.value.details["problems"] == [
        {"path": "parameters.states", "reason": one.value.message}
    ]
    with pytest.raises(InvalidParameterError) as two:
        check_design_job(db, {"units": "counties", "n_territories": 3, "states": ["YY", "XX"]})
    assert two.value.message == "No counties in the states XX, YY: check the state codes"


# --- U3: a copy's team view shows the targets it carries over --------------------------------


def _with_targets(db: Database) -> None:
    from terraplan.services.reps_targets import plan_targets

    plan_targets(db, "P1", company_target="12M", growth="5%", period=2027, unit=1000)


def test_a_copy_shows_the_targets_it_carries_over(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from terraplan.services.new_plans import copy_plan
    from terraplan.services.team_view import team_reports

    db, _ = regions
    _with_targets(db)
    copy = copy_plan(db, "P1", new_id="P2")
    _, source = team_reports(db, "P1")
    _, copied = team_reports(db, "P2")
    targets = copied["targets"]
    assert targets is not None
    assert targets["plan_id"] == "P2" and targets["carried_from"] == "P1"
    assert "Regions" in targets["note"]
    assert targets["monthly"] == source["targets"]["monthly"]
    with UnitOfWork(db) as uow:
        kept = {t.amount for t in uow.targets.list(where={"plan_id": copy.id})}
    assert kept == {t.amount for t in _stored_targets(db, "P1")}


def _stored_targets(db: Database, plan_id: str) -> list[object]:
    with UnitOfWork(db) as uow:
        return list(uow.targets.list(where={"plan_id": plan_id}))


def test_a_copy_made_before_copies_took_the_report_finds_its_source_report(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """A copy stored without the report (made by an earlier version) shows its source's, as
    long as its targets are the source's; once they differ, that report is not shown."""
    from terraplan.services.new_plans import copy_plan
    from terraplan.services.team_view import team_reports

    db, _ = regions
    _with_targets(db)
    copy_plan(db, "P1", new_id="P2")
    from sqlalchemy import delete

    from terraplan.storage.orm import PlanResultRow

    with db.sessions() as session, session.begin():
        session.execute(
            delete(PlanResultRow).where(
                PlanResultRow.plan_id == "P2", PlanResultRow.kind == "targets"
            )
        )
    with UnitOfWork(db) as uow:
        assert uow.plan_results.get("P2", "targets") is None
    _, copied = team_reports(db, "P2")
    assert copied["targets"] is not None and copied["targets"]["carried_from"] == "P1"
    # the source's targets set again (another amount): its report is no longer the copy's
    from terraplan.services.reps_targets import plan_targets

    plan_targets(db, "P1", company_target="20M", growth="5%", period=2027, unit=1000)
    _, copied = team_reports(db, "P2")
    assert copied["targets"] is None


# --- U9: the audit log in words -------------------------------------------------------------


def test_audit_entries_say_what_happened_with_names(
    regions: tuple[Database, dict[str, str]],
) -> None:
    from terraplan.services.audit_summary import audit_summaries
    from terraplan.services.feedback import add_comment, audit_log

    db, alignment = regions
    county = next(iter(alignment))
    other = next(t for t in set(alignment.values()) if t != alignment[county])
    with UnitOfWork(db) as uow:
        account = uow.accounts.list(limit=1)[0]
        territory_names = {t.id: t.name for t in uow.plans.get("P1").territories}
    county_name = _named(db, [county])[county]
    edit_plan(db, "P1", {"op": "lock", "units": [county]}, by="planner")
    edit_plan(db, "P1", {"op": "unlock", "units": [county]}, by="planner")
    edit_plan(db, "P1", {"op": "move_units", "units": [county], "to": other}, by="planner")
    edit_plan(db, "P1", {"op": "move_accounts", "accounts": [account.id], "to": other})
    edit_plan(db, "P1", {"op": "move_accounts", "accounts": [account.id], "to": None})
    add_comment(db, "P1", "Looks good", author="manager")
    add_comment(
        db,
        "P1",
        "Please move it",
        author="rep",
        target_kind="territory",
        target_id=other,
        proposed_edit={"op": "move_units", "units": [county], "to": alignment[county]},
    )
    entries = audit_log(db, plan_id="P1")
    said = audit_summaries(db, entries)
    assert said == [
        f"locked {county_name}",
        f"unlocked {county_name}",
        f"moved {county_name} to {territory_names[other]}",
        f"pinned {account.name} to {territory_names[other]}",
        f"unpinned {account.name}",
        'comment: "Looks good"',
        f"change request: move {county_name} to {territory_names[alignment[county]]} "
        '("Please move it")',
    ]
    assert all(county not in s for s in said)


def test_an_old_change_request_entry_is_told_from_its_request(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Entries written before the proposed edit was kept with them, and the decisions on a
    request, are told from the request itself."""
    from terraplan.services.audit_summary import audit_summaries
    from terraplan.services.feedback import add_comment, audit_log, resolve_change_request

    db, alignment = regions
    county = next(iter(alignment))
    request = add_comment(
        db,
        "P1",
        "Move it",
        author="rep",
        proposed_edit={"op": "lock", "units": [county]},
    )
    resolve_change_request(db, request.id, accept=False, by="planner", note="not now")
    entries = audit_log(db, plan_id="P1")
    old = [
        type(e)(**{**{n: getattr(e, n) for n in e.__slots__}, "after": {"comment_id": request.id}})
        if e.action == "change_request"
        else e
        for e in entries
    ]
    name = _named(db, [county])[county]
    assert audit_summaries(db, old) == [
        f"change request: lock {name}",
        f"rejected the change request: lock {name}; note: not now",
    ]
