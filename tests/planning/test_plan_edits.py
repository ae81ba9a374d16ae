"""Manual plan edits: each has an exact inverse; effects report balance, pieces, moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terraplan.domain import AlignmentEntry, Plan, RecordKind, Territory, TerritoryOwner
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.planning.plan_edits import apply_edits, locked_units
from terraplan.planning.territory_effects import territory_effects

UNITS = [f"u{i}" for i in range(8)]
# A path u0 - u1 - ... - u7.
NEIGHBOURS = {u: tuple(UNITS[j] for j in (i - 1, i + 1) if 0 <= j < 8) for i, u in enumerate(UNITS)}


def _plan() -> Plan:
    territories = (
        Territory("R", "Region", level="region"),
        Territory("A", "West", parent_id="R", owners=(TerritoryOwner("r1"),)),
        Territory("B", "East", parent_id="R", owners=(TerritoryOwner("r2"),)),
    )
    geo = [
        AlignmentEntry(RecordKind.GEO_UNIT, u, "A" if i < 4 else "B") for i, u in enumerate(UNITS)
    ]
    alignment = (*geo, AlignmentEntry(RecordKind.ACCOUNT, "acc1", "B"))
    return Plan("P", "Plan", territories=territories, alignment=alignment)


edits = st.one_of(
    st.fixed_dictionaries(
        {
            "op": st.just("move_units"),
            "units": st.lists(st.sampled_from(UNITS), min_size=1, max_size=4),
            "to": st.sampled_from(["A", "B"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.just("move_accounts"),
            "accounts": st.lists(st.sampled_from(["acc1", "acc2"]), min_size=1, max_size=2),
            "to": st.sampled_from(["A", "B", None]),
        }
    ),
    st.fixed_dictionaries(
        {"op": st.just("rename"), "territory": st.sampled_from(["A", "B"]), "name": st.just("Z")}
    ),
    st.fixed_dictionaries(
        {
            "op": st.just("set_owners"),
            "territory": st.sampled_from(["A", "B"]),
            "reps": st.lists(st.sampled_from(["r1", "r2", "r3"]), max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["lock", "unlock"]),
            "units": st.lists(st.sampled_from(UNITS), min_size=1, max_size=3),
        }
    ),
)


@given(st.lists(edits, min_size=1, max_size=6))
def test_undoing_a_sequence_of_edits_restores_the_plan(sequence: list[dict[str, object]]) -> None:
    plan = original = _plan()
    inverses = []
    for edit in sequence:
        try:
            outcome = apply_edits(plan, edit)
        except ConflictError:
            continue  # a locked unit: refused, plan unchanged
        plan = outcome.plan
        inverses.append(outcome.inverse)
    for inverse in reversed(inverses):
        plan = apply_edits(plan, inverse).plan
    assert set(plan.alignment) == set(original.alignment)
    assert plan.territories == original.territories
    assert locked_units(plan) == locked_units(original)


def test_move_reports_both_territories_and_refuses_locked_units() -> None:
    outcome = apply_edits(_plan(), {"op": "move_units", "units": ["u3"], "to": "B"})
    assert outcome.affected == ("A", "B")
    assert outcome.plan.alignment_map(RecordKind.GEO_UNIT)["u3"] == "B"
    locked = apply_edits(outcome.plan, {"op": "lock", "units": ["u2"]}).plan
    with pytest.raises(ConflictError, match="u2"):
        apply_edits(locked, {"op": "move_units", "units": ["u2"], "to": "B"})


def test_bad_edits_name_what_is_wrong() -> None:
    with pytest.raises(NotFoundError, match="not a leaf"):
        apply_edits(_plan(), {"op": "move_units", "units": ["u1"], "to": "R"})
    with pytest.raises(NotFoundError, match="does not exist"):
        apply_edits(_plan(), {"op": "move_units", "units": ["u1"], "to": "Q"})
    with pytest.raises(InvalidParameterError, match="units"):
        apply_edits(_plan(), {"op": "move_units", "units": [], "to": "A"})
    with pytest.raises(InvalidParameterError, match="unknown edit"):
        apply_edits(_plan(), {"op": "explode"})


def test_effects_balance_pieces_and_moves() -> None:
    base = _plan()
    # Move u1 to B: A = {u0, u2, u3} in two pieces, B = {u1, u4..u7} in two pieces.
    plan = apply_edits(base, {"op": "move_units", "units": ["u1"], "to": "B"}).plan
    metrics = {u: {"potential": 10.0} for u in UNITS}
    effects = {
        e.territory: e
        for e in territory_effects(
            plan, ["A", "B"], metrics, NEIGHBOURS, {"potential": 0.1}, base=base
        )
    }
    assert effects["A"].totals == {"potential": 30.0}
    assert effects["B"].totals == {"potential": 50.0}
    assert effects["A"].deviation["potential"] == pytest.approx(-0.25)
    assert effects["B"].within_tolerance == {"potential": False}
    assert (effects["A"].pieces, effects["B"].pieces) == (2, 2)
    # u1 left A and joined B: both changed by one unit
    assert (effects["A"].units_moved, effects["B"].units_moved) == (1, 1)


def test_effects_follow_the_plans_own_balance_criteria() -> None:
    """As the dashboard judges the plan: a territory its design gave an oversize unit alone is
    not checked (and says why), and the mean is over the checked ones times their design
    targets."""
    from terraplan.planning.balance_criteria import plan_balance_criteria

    plan = _plan()
    metrics = {u: {"potential": 10.0} for u in UNITS}
    design = {
        "balance_criteria": {
            "targets": {"A": {"potential": 1.0}, "B": {"potential": 1.0}},
            "dedicated": [{"territory_id": "B", "unit_id": "u4", "unit": "Big County"}],
        }
    }
    criteria = plan_balance_criteria(plan, design, balance={"potential": 0.1})
    effects = {
        e.territory: e
        for e in territory_effects(
            plan, ["A", "B"], metrics, NEIGHBOURS, {"potential": 0.1}, criteria=criteria
        )
    }
    assert effects["B"].unchecked == "given to Big County alone by the design"
    assert effects["B"].deviation == {} and effects["B"].within_tolerance == {}
    # A is the only territory checked: it is its own mean
    assert effects["A"].deviation["potential"] == pytest.approx(0.0)
    assert effects["A"].unchecked is None


def test_a_pinned_account_takes_its_figures_from_its_units_territory() -> None:
    """acc1 (4 of potential, in unit u0 of West) is pinned to East: West loses it, East gains
    it, the mean stays; an account outside the plan's units adds to the whole."""
    plan = _plan()
    metrics = {u: {"potential": 10.0} for u in UNITS}
    pinned = {"acc1": ("u0", {"potential": 4.0})}
    effects = {
        e.territory: e
        for e in territory_effects(
            plan, ["A", "B"], metrics, NEIGHBOURS, {"potential": 0.1}, pinned=pinned
        )
    }
    assert effects["A"].totals == {"potential": 36.0}
    assert effects["B"].totals == {"potential": 44.0}
    assert effects["A"].deviation["potential"] == pytest.approx(36 / 40 - 1)
    outside = {
        e.territory: e
        for e in territory_effects(
            plan, ["A", "B"], metrics, NEIGHBOURS, {"potential": 0.1},
            pinned={"acc1": (None, {"potential": 4.0})},
        )
    }  # fmt: skip
    assert outside["A"].totals == {"potential": 40.0}
    assert outside["B"].deviation["potential"] == pytest.approx(44 / 42 - 1)


def test_every_op_needs_its_fields_and_no_others() -> None:
    from terraplan.planning.plan_edits import FIELDS, parse_edit

    full = {"units": ["u1"], "accounts": ["acc1"], "to": "A", "territory": "A", "name": "N"}
    for op, fields in FIELDS.items():
        edit = {"op": op, **{f: full.get(f, []) for f in fields}}
        assert parse_edit(edit) == edit
        with pytest.raises(InvalidParameterError, match=f"'{fields[0]}' is missing"):
            parse_edit({k: v for k, v in edit.items() if k != fields[0]})
        with pytest.raises(InvalidParameterError, match="unknown field 'extra'"):
            parse_edit({**edit, "extra": 1})
    with pytest.raises(InvalidParameterError, match="at most 255"):
        apply_edits(_plan(), {"op": "rename", "territory": "A", "name": "x" * 256})


def test_effects_weigh_the_mean_by_each_territorys_design_target() -> None:
    from terraplan.planning.balance_criteria import plan_balance_criteria

    plan = _plan()  # A and B hold 40 each
    metrics = {u: {"potential": 10.0} for u in UNITS}
    design = {"balance_criteria": {"targets": {"A": {"potential": 1.0}, "B": {"potential": 3.0}}}}
    criteria = plan_balance_criteria(plan, design, balance={"potential": 0.1})
    effects = {
        e.territory: e
        for e in territory_effects(
            plan, ["A", "B"], metrics, NEIGHBOURS, {"potential": 0.1}, criteria=criteria
        )
    }
    # targets: 40 x 1/2 = 20 for A, 40 x 3/2 = 60 for B
    assert effects["A"].deviation["potential"] == pytest.approx(1.0)
    assert effects["B"].deviation["potential"] == pytest.approx(40 / 60 - 1)
