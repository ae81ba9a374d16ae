"""Generated rules built from parts (only the territories an edit changed are generated
again) read exactly as a full generation, over random edits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.domain import AlignmentEntry, Plan, RecordKind, Territory, TerritoryOwner
from terraplan.planning.plan_edits import EditablePlan, apply_edits
from terraplan.rules import dump_rule_set
from terraplan.services import rule_generation
from terraplan.services.rule_generation import build, changed_territories, generated_rules

ZIPS = ["01001", "02134", "10001", "30301", "60601", "73301", "94107", "99501", "00501"]
TERRITORIES = ["A", "B", "C", "D"]
ACCOUNTS = ["001000000000001", "001000000000002AAA", "acc-3"]
NAME = "Plan P (generated)"


def _state(units: str, assignment: list[int]) -> EditablePlan:
    territories = (
        Territory("R", "Region", level="region"),
        *(
            Territory(t, f"Territory {t}", parent_id="R", owners=(TerritoryOwner(f"r{t}"),))
            for t in TERRITORIES
        ),
    )
    codes = ZIPS if units == "zips" else [f"{i:05d}" for i in range(1001, 1001 + len(ZIPS))]
    alignment = tuple(
        AlignmentEntry(RecordKind.GEO_UNIT, code, TERRITORIES[t])
        for code, t in zip(codes, assignment, strict=False)
    )
    plan = Plan(
        "P", "Plan", territories=territories, alignment=alignment, parameters={"units": units}
    )
    return EditablePlan.of(plan)


def _full(state: EditablePlan) -> str:
    rules = generated_rules(state, NAME)
    assert rules is not None
    return dump_rule_set(rules)


@st.composite
def _edits(draw: Any, codes: list[str]) -> dict[str, Any]:
    op = draw(st.sampled_from(["move_units", "move_units", "move_accounts", "rename", "owners"]))
    if op == "move_units":
        units = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=len(codes)))
        return {"op": op, "units": units, "to": draw(st.sampled_from(TERRITORIES))}
    if op == "move_accounts":
        accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=3))
        return {"op": op, "accounts": accounts, "to": draw(st.sampled_from([*TERRITORIES, None]))}
    territory = draw(st.sampled_from(TERRITORIES))
    if op == "rename":
        return {"op": op, "territory": territory, "name": draw(st.sampled_from(["Bay", "Bay 2"]))}
    return {"op": "set_owners", "territory": territory, "reps": ["rA"]}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_rules_rebuilt_from_parts_read_as_a_full_generation(data: Any) -> None:
    units = data.draw(st.sampled_from(["zips", "counties"]))
    assignment = data.draw(
        st.lists(st.integers(0, len(TERRITORIES) - 1), min_size=1, max_size=len(ZIPS))
    )
    state = _state(units, assignment)
    codes = sorted(state.geo)
    first = build(state, NAME)
    assert first is not None and first.document == _full(state)
    made = [first]
    for edit in data.draw(st.lists(_edits(codes), min_size=1, max_size=8)):
        state = apply_edits(state, edit).state
        # the parts of the step before, or of any earlier step (kept parts need not be the
        # latest: what differs from their map is generated again)
        previous = data.draw(st.sampled_from([made[-1], *made]))
        rebuilt = build(state, NAME, previous)
        assert rebuilt is not None
        assert rebuilt.document == _full(state)
        made.append(rebuilt)


def test_only_the_changed_territories_are_generated_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = _state("zips", [0, 0, 1, 1, 2, 2, 3, 3, 3])
    before = build(state, NAME)
    assert before is not None
    asked: list[set[str] | None] = []
    real = rule_generation._entries

    def spy(state: EditablePlan, space: Any, territories: Any = None) -> Any:
        asked.append(None if territories is None else set(territories))
        return real(state, space, territories)

    monkeypatch.setattr(rule_generation, "_entries", spy)
    after = apply_edits(state, {"op": "move_units", "units": ["01001"], "to": "C"}).state
    rebuilt = build(after, NAME, before)
    assert rebuilt is not None and rebuilt.document == _full(after)
    assert asked == [{"A", "C"}]


def test_changed_territories_are_those_that_gained_or_lost_units() -> None:
    before = {"1": "A", "2": "A", "3": "B", "4": "C"}
    after = {"1": "B", "2": "A", "3": "B", "5": "D"}
    assert changed_territories(before, after) == {"A", "B", "C", "D"}
    assert changed_territories(before, dict(before)) == set()


def test_kept_parts_serve_only_the_map_they_were_made_from() -> None:
    state = _state("zips", [0, 1, 2, 3])
    made = build(state, NAME)
    assert made is not None
    rule_generation.remember(made)
    assert rule_generation.recall(made.document) is made
    assert rule_generation.recall(made.document + " ") is None
    assert rule_generation.follows(made, state)
    moved = apply_edits(state, {"op": "move_units", "units": ["01001"], "to": "B"}).state
    assert not rule_generation.follows(made, moved)
    renamed = apply_edits(state, {"op": "rename", "territory": "A", "name": "Bay"}).state
    assert not rule_generation.follows(made, renamed)  # the names are in the text
