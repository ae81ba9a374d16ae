"""Accounts below a pinned health system that the rules send elsewhere."""

from __future__ import annotations

from terraplan.rules.families import StrayDescendants, stray_descendants

PARENTS: dict[str, str | None] = {
    "HQ": None,
    "REG": "HQ",  # a regional sub-system (closed: not placed, still in the chain)
    "H1": "REG",
    "H2": "REG",
    "C1": "H1",  # a clinic of a hospital: a grandchild of the region
    "EXC": "HQ",  # a hospital the local territory owns by contract (pinned there)
    "EXC-C": "EXC",
    "LOOP-A": "LOOP-B",
    "LOOP-B": "LOOP-A",
    "SOLO": None,
}


def test_descendants_at_every_level_are_judged_against_the_nearest_pin() -> None:
    pins = {"HQ": "S1", "EXC": "T05"}
    placed = {
        "HQ": "S1", "H1": "T02", "H2": "S1", "C1": "T02", "EXC": "T05", "EXC-C": "T05",
        "LOOP-A": "T01", "LOOP-B": "T01", "SOLO": "T03",
    }  # fmt: skip
    assert stray_descendants(PARENTS, pins, placed) == [
        StrayDescendants("HQ", "S1", below=3, strays=(("C1", "T02"), ("H1", "T02")))
    ]


def test_a_family_pinned_whole_has_no_strays_and_a_cycle_ends() -> None:
    pins = {"HQ": "S1", "H1": "S1", "H2": "S1", "C1": "S1", "LOOP-A": "S2"}
    placed = {"H1": "S1", "H2": "S1", "C1": "S1", "LOOP-B": "T01", "EXC": None}
    found = stray_descendants(PARENTS, pins, placed)
    # LOOP-B's parent LOOP-A is pinned: it strays; EXC below HQ is in no territory
    assert found == [
        StrayDescendants("HQ", "S1", below=1, strays=(("EXC", None),)),
        StrayDescendants("LOOP-A", "S2", below=1, strays=(("LOOP-B", "T01"),)),
    ]
