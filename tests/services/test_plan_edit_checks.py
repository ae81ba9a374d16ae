"""Plan edits name only what the data holds: known, active reps; known units and accounts;
fields spelt as the edit takes them. A refused edit leaves the plan as it was."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from tests.conftest import seed_region_plan

from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.planning.plan_edits import locked_units
from terraplan.services.plan_edits import edit_plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def regions(db: Database) -> tuple[Database, dict[str, str]]:
    """The demo (200 accounts) and P1, one territory per region, aligned by county."""
    return db, seed_region_plan(db, n_accounts=200, seed=7)


def _version(db: Database, plan_id: str = "P1") -> int:
    with UnitOfWork(db) as uow:
        return uow.plans.version(plan_id)


def _refused(db: Database, edit: dict[str, Any], error: type[Exception], *words: str) -> str:
    before = _version(db)
    with pytest.raises(error) as caught:
        edit_plan(db, "P1", edit)
    assert _version(db) == before  # nothing stored
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


def test_owners_must_be_reps_in_the_data(regions: tuple[Database, dict[str, str]]) -> None:
    db, _ = regions
    edit = {"op": "set_owners", "territory": "T-R1", "reps": ["GHOST-REP"]}
    _refused(db, edit, NotFoundError, "GHOST-REP", "not in the rep data")


def test_unknown_rep_beside_a_known_one_is_refused(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, _ = regions
    with UnitOfWork(db) as uow:
        known = uow.reps.list(limit=1)[0].id
    edit = {"op": "set_owners", "territory": "T-R1", "reps": [known, "NOPE"]}
    message = _refused(db, edit, NotFoundError, "NOPE")
    assert known not in message


def test_an_inactive_rep_cannot_be_made_owner(regions: tuple[Database, dict[str, str]]) -> None:
    db, _ = regions
    with UnitOfWork(db) as uow:
        left = uow.reps.list(limit=1)[0]
        uow.reps.add_many([replace(left, active=False)])
        uow.commit()
    edit = {"op": "set_owners", "territory": "T-R1", "reps": [left.id]}
    _refused(db, edit, ConflictError, f"{left.name} is inactive", "pick an active rep")
    with UnitOfWork(db) as uow:
        assert left.id not in uow.plans.get("P1").territory("T-R1").primary_owner_ids


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"op": "set_owners", "territory": "T-R1", "owners": ["X"]}, "'owners'"),
        ({"op": "set_owners", "territory": "T-R1"}, "'reps' is missing"),
        ({"op": "move_units", "units": ["06037"]}, "'to' is missing"),
        ({"op": "move_accounts", "account": ["A"], "to": "T-R1"}, "'account'"),
        ({"op": "rename", "territory": "T-R1", "title": "X"}, "'title'"),
        ({"op": "lock", "unit": ["06037"]}, "'unit'"),
        ({"op": "frobnicate"}, "unknown edit 'frobnicate'"),
    ],
)
def test_misspelt_or_missing_fields_are_named(
    regions: tuple[Database, dict[str, str]], edit: dict[str, Any], field: str
) -> None:
    db, _ = regions
    _refused(db, edit, InvalidParameterError, field)


def test_unknown_units_and_accounts_are_named_and_counted(
    regions: tuple[Database, dict[str, str]],
) -> None:
    db, county_territory = regions
    county = sorted(county_territory)[0]
    other = next(t for t in sorted(set(county_territory.values())) if t != county_territory[county])
    move = {"op": "move_units", "units": [county, "99999"], "to": other}
    message = _refused(db, move, NotFoundError, "99999", "geo unit is not")
    assert county not in message
    many = [f"X{i:03d}" for i in range(8)]
    _refused(db, {"op": "lock", "units": many}, NotFoundError, "8 geo units", "X000", "3 more")
    with UnitOfWork(db) as uow:
        assert locked_units(uow.plans.get("P1")) == set()
    _refused(db, {"op": "move_accounts", "accounts": ["NOPE"], "to": other}, NotFoundError, "NOPE")
    # Known ones still go through.
    edit_plan(db, "P1", {"op": "lock", "units": [county]})
    with UnitOfWork(db) as uow:
        assert locked_units(uow.plans.get("P1")) == {county}


def test_a_rename_is_capped_like_other_names(regions: tuple[Database, dict[str, str]]) -> None:
    db, _ = regions
    long = {"op": "rename", "territory": "T-R1", "name": "x" * 100_000}
    _refused(db, long, InvalidParameterError, "at most 255 characters", "100,000")
    edit_plan(db, "P1", {"op": "rename", "territory": "T-R1", "name": "y" * 255})
    with UnitOfWork(db) as uow:
        assert uow.plans.get("P1").territory("T-R1").name == "y" * 255


def test_an_owner_who_left_after_the_plan_named_them_is_noted(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Reps imported later as inactive: activation and routing say so (they are not refused)."""
    from terraplan.services.edit_checks import inactive_owner_notes
    from terraplan.services.routing import route_record

    db, _ = regions
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P1")
        first, second = uow.reps.list(limit=2)
    west = plan.territory("T-R1")
    for territory, rep in ((west.id, first), ("T-R2", second)):
        edit_plan(db, "P1", {"op": "set_owners", "territory": territory, "reps": [rep.id]})
    assert inactive_owner_notes(db, "P1") == []
    with UnitOfWork(db) as uow:
        uow.reps.add_many([replace(first, active=False)])
        uow.commit()
    assert inactive_owner_notes(db, "P1") == [f"{first.name}, owner of {west.name}, is inactive"]
    county = next(c for c, t in sorted(regions[1].items()) if t == west.id)
    routed = route_record(db, {"id": "L1", "name": "Lead", "county_fips": county}, plan_id="P1")
    assert routed.owner_id == first.id
    assert routed.notes == (f"{first.name}, owner of {west.name}, is inactive",)
    assert routed.to_dict()["notes"] == list(routed.notes)
    # the plan's alerts flag the territory too, by the rep's name (a critical alert)
    from terraplan.services.monitoring import plan_alerts

    _, report = plan_alerts(db, "P1")
    flagged = [a for a in report.alerts if a.kind == "inactive_owner"]
    assert [(a.subject_id, a.severity) for a in flagged] == [(west.id, "critical")]
    assert f"{first.name} is marked inactive" in flagged[0].reason


def test_undo_bringing_back_a_rep_who_left_says_so(
    regions: tuple[Database, dict[str, str]],
) -> None:
    """Undo replays the stored edit unchecked (the plan must go back as it was); the rep it
    brings back as owner has since been marked inactive, and the answer says so."""
    from terraplan.services.plan_edits import undo_edit

    db, _ = regions
    with UnitOfWork(db) as uow:
        first, second = uow.reps.list(limit=2)
    edit_plan(db, "P1", {"op": "set_owners", "territory": "T-R1", "reps": [first.id]})
    edit_plan(db, "P1", {"op": "set_owners", "territory": "T-R1", "reps": [second.id]})
    with UnitOfWork(db) as uow:
        uow.reps.add_many([replace(first, active=False)])
        uow.commit()
    undone = undo_edit(db, "P1")
    assert undone.state.plan.territory("T-R1").primary_owner_ids == (first.id,)
    west = undone.state.plan.territory("T-R1").name
    assert undone.notes == (f"{first.name}, owner of {west}, is inactive",)
