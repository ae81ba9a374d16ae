"""A plan's regions from its reps: each territory under its primary reps' region."""

from __future__ import annotations

from terraplan.domain import (
    AlignmentEntry,
    OwnerRole,
    Plan,
    RecordKind,
    Rep,
    Territory,
    TerritoryOwner,
)
from terraplan.planning.regions import regions_from_reps

REPS = [
    Rep("R1", "Ana Ruiz", region="West"),
    Rep("R2", "Bo Li", region=" west "),
    Rep("R3", "Cy Ng", region="East"),
    Rep("R4", "Di Ito"),
    Rep("R5", "Ed Oz", region="North East"),
    Rep("R6", "Fay Wu", region="West"),
]


def _territory(tid: str, *reps: str, parent: str | None = None) -> Territory:
    owners = tuple(TerritoryOwner(r, OwnerRole.PRIMARY) for r in reps)
    return Territory(tid, f"Territory {tid}", parent_id=parent, owners=owners)


def _plan(*territories: Territory) -> Plan:
    parents = {t.parent_id for t in territories}
    leaves = [t.id for t in territories if t.level != "region" and t.id not in parents]
    return Plan(
        id="P1",
        name="Plan",
        territories=territories,
        alignment=tuple(AlignmentEntry(RecordKind.GEO_UNIT, f"u{t}", t) for t in leaves),
    )


def test_each_territory_goes_under_its_reps_region_named_as_most_reps_write_it() -> None:
    plan = _plan(_territory("T1", "R1"), _territory("T2", "R2"), _territory("T3", "R3"))
    hierarchy = regions_from_reps(plan, REPS)
    assert hierarchy.changed
    assert [(t.id, t.name, t.level) for t in hierarchy.added] == [
        ("east", "East", "region"),
        ("west", "West", "region"),
    ]
    assert dict(hierarchy.regions) == {"east": ("T3",), "west": ("T1", "T2")}
    assert hierarchy.parents == {"T1": "west", "T2": "west", "T3": "east"}
    assert not hierarchy.unplaced and not hierarchy.removed
    # the result is a valid plan whose leaves are the territories the plan had
    result = Plan(id="P1", name="Plan", territories=hierarchy.territories)
    assert [t.id for t in result.leaves()] == ["T1", "T2", "T3"]


def test_territories_without_one_region_are_left_out_and_said_by_name() -> None:
    plan = _plan(
        _territory("T1", "R1"),
        _territory("T2"),  # vacant
        _territory("T3", "R4"),  # its rep has no region
        _territory("T4", "R1", "R3"),  # West and East
        _territory("T5", "R4", "R6"),  # a rep with no region does not count
    )
    hierarchy = regions_from_reps(plan, REPS)
    assert dict(hierarchy.regions) == {"west": ("T1", "T5")}
    reasons = {u.territory_id: u.reason for u in hierarchy.unplaced}
    assert reasons == {
        "T2": "Territory T2 has no primary rep",
        "T3": "Territory T3's primary rep Di Ito has no region",
        "T4": "Territory T4's primary reps are in different regions "
        "(Cy Ng in East; Ana Ruiz in West)",
    }
    assert "T2" not in hierarchy.parents  # it had no parent and keeps none


def test_a_new_region_id_is_made_from_its_name_and_never_taken_twice() -> None:
    plan = _plan(_territory("north-east", "R3"), _territory("T2", "R5"))
    hierarchy = regions_from_reps(plan, REPS)
    ids = {t.name: t.id for t in hierarchy.added}
    assert ids == {"East": "east", "North East": "north-east-2"}


def test_running_it_again_changes_nothing_until_the_owners_change() -> None:
    plan = _plan(_territory("T1", "R1"), _territory("T2", "R3"))
    first = regions_from_reps(plan, REPS)
    again = Plan(id="P1", name="Plan", territories=first.territories, alignment=plan.alignment)
    assert not regions_from_reps(again, REPS).changed

    # T2 changes hands to a West rep: East is left with nothing and is removed
    moved = tuple(
        _territory("T2", "R6", parent="east") if t.id == "T2" else t for t in first.territories
    )
    after = regions_from_reps(
        Plan(id="P1", name="Plan", territories=moved, alignment=plan.alignment), REPS
    )
    assert after.parents == {"T2": "west"}
    assert [t.id for t in after.removed] == ["east"]
    assert not after.added
    assert [t.id for t in after.territories] == ["T1", "T2", "west"]


def test_a_parent_of_the_regions_name_is_kept_and_other_parents_make_way() -> None:
    """A hierarchy a rule set gave (``coast`` > ``w``, a region named like a rep region) is
    replaced: a parent named as a region (any case) keeps its id, the others are removed."""
    plan = _plan(
        Territory("coast", "Coasts", level="region"),
        Territory("WEST-1", "west", parent_id="coast"),
        _territory("T1", "R1", parent="WEST-1"),
        _territory("T2", "R3", parent="WEST-1"),
    )
    hierarchy = regions_from_reps(plan, REPS)
    assert dict(hierarchy.regions) == {"WEST-1": ("T1",), "east": ("T2",)}
    assert hierarchy.parents == {"WEST-1": None, "T2": "east"}
    assert hierarchy.relevelled == ("WEST-1",)
    assert [t.id for t in hierarchy.removed] == ["coast"]
    kept = {t.id: t for t in hierarchy.territories}
    assert kept["WEST-1"].name == "west" and kept["WEST-1"].level == "region"
