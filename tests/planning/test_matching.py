"""Rep-to-territory matching use case: constraints hold and costs are explained in words."""

from __future__ import annotations

import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    OwnerRole,
    Plan,
    RecordKind,
    Rep,
    RepRole,
    Territory,
    TerritoryOwner,
)
from terraplan.errors import InfeasibleError, InvalidParameterError
from terraplan.planning.matching import match_reps, parse_weights

# Denver area (West) and Boston area (East).
SITES = {
    "T1": (39.74, -104.99),
    "T2": (40.01, -105.27),
    "T3": (42.36, -71.06),
    "T4": (42.44, -71.23),
}


def _plan(owners: dict[str, str] | None = None) -> Plan:
    owners = owners or {}
    territories = [
        Territory("R1", "West", level="region", owners=(TerritoryOwner("m1", OwnerRole.MANAGER),)),
        Territory("R2", "East", level="region", owners=(TerritoryOwner("m2", OwnerRole.MANAGER),)),
    ]
    for tid in SITES:
        region = "R1" if tid in ("T1", "T2") else "R2"
        own = (TerritoryOwner(owners[tid]),) if tid in owners else ()
        territories.append(Territory(tid, f"Terr {tid}", parent_id=region, owners=own))
    alignment = tuple(AlignmentEntry(RecordKind.ACCOUNT, f"A{t}", t) for t in SITES)
    return Plan("P", "Plan", territories=tuple(territories), alignment=alignment)


def _accounts() -> list[Account]:
    industries = {"T1": "Tech", "T2": "Health", "T3": "Tech", "T4": "Retail"}
    potentials = {"T1": 4e6, "T2": 1e6, "T3": 3e6, "T4": 2e6}
    return [
        Account(
            f"A{t}",
            f"Account {t}",
            latitude=lat,
            longitude=lon,
            industry=industries[t],
            segment="ENT",
            potential=potentials[t],
        )
        for t, (lat, lon) in SITES.items()
    ]


def _reps(n: int = 4, manager: dict[str, str] | None = None) -> list[Rep]:
    manager = manager or {}
    homes = [(39.70, -105.00), (40.00, -105.20), (42.30, -71.00), (42.40, -71.20), (41.0, -90.0)]
    skills = [("Tech",), ("Health",), ("Tech",), ("Retail",), ()]
    reps = [
        Rep(
            f"r{i}",
            f"Rep {i}",
            home_postal_code=f"0000{i}",
            home_latitude=homes[i][0],
            home_longitude=homes[i][1],
            skills_industries=skills[i],
            skills_segments=("ENT",),
            experience_years=float(10 - i),
            manager_id=manager.get(f"r{i}"),
        )
        for i in range(n)
    ]
    reps.append(Rep("m1", "Manager West", role=RepRole.MANAGER))
    reps.append(Rep("m2", "Manager East", role=RepRole.MANAGER))
    return reps


def test_natural_fit_is_found_and_explained() -> None:
    result = match_reps(_plan(), _reps(), _accounts(), weights={"skill": 1, "distance": 1})
    assert result.assignment == {"r0": "T1", "r1": "T2", "r2": "T3", "r3": "T4"}
    first = result.pairs[0]
    assert first.explanation.startswith("distance 5 km from 00000 home base; ")
    assert "skills cover 100% of the territory's industry mix and 100% of its segment mix" in (
        first.explanation
    )
    assert "10 years' experience (percentile 100 of reps)" in first.explanation
    assert "new to this territory" in first.explanation
    # the pair's territory is said beside the sentence, not again at its end
    assert first.explanation.endswith(")") and "; territory " not in first.explanation
    assert first.parts["distance"] == pytest.approx(0.0453, abs=1e-3)
    assert result.vacant_territories == () and result.unassigned_reps == ()
    assert result.current_cost is None


def test_continuity_keeps_current_owners_and_prices_the_current_assignment() -> None:
    owners = {"T1": "r1", "T2": "r0", "T3": "r2", "T4": "r3"}
    result = match_reps(_plan(owners), _reps(), _accounts(), weights={"continuity": 5, "skill": 1})
    assert result.assignment == {"r1": "T1", "r0": "T2", "r2": "T3", "r3": "T4"}
    assert all(p.is_current for p in result.pairs)
    assert "keeps the rep's current territory" in result.pairs[0].explanation
    assert result.current_cost == pytest.approx(result.total_cost)
    assert result.reps_moved == 0
    cheaper = match_reps(
        _plan(owners),
        _reps(),
        _accounts(),
        weights={"skill": 1, "distance": 1, "experience": 0, "continuity": 0},
    )
    assert cheaper.current_cost is not None and cheaper.total_cost < cheaper.current_cost
    assert cheaper.reps_moved == 2
    assert cheaper.territories_changing == 2
    assert cheaper.cost_words().startswith(f"Total cost {cheaper.total_cost:.2f} for 4 territories")


def test_the_current_cost_says_when_it_prices_fewer_territories() -> None:
    """A territory held by a rep who left is priced in the proposal but not in the current
    assignment: the totals say so, and the territory counts as getting another rep."""
    owners = {"T1": "r1", "T2": "r0", "T3": "r2", "T4": "gone"}
    result = match_reps(_plan(owners), _reps(), _accounts(), weights={"continuity": 5})
    assert result.current_pairs_priced == 3 and len(result.pairs) == 4
    assert result.territories_changing == 1
    assert (
        f"(current assignment {result.current_cost:.2f} for the 3 held by active reps); "
        "0 reps move; 1 territory gets another rep"
    ) in result.cost_words()


def test_must_and_must_not_hold() -> None:
    result = match_reps(
        _plan(),
        _reps(),
        _accounts(),
        weights={"skill": 1, "distance": 1},
        must={"r3": "T1"},
        must_not=[("r0", "T1"), ("r0", "T2")],
        keep_teams_in_region=False,
    )
    assert result.assignment["r3"] == "T1"
    assert result.assignment["r0"] not in ("T1", "T2")
    assert next(p for p in result.pairs if p.rep_id == "r3").required


def test_manager_team_stays_in_the_managers_region() -> None:
    # r0 and r1 live in the West but report to the East manager.
    reps = _reps(manager={"r0": "m2", "r1": "m2"})
    result = match_reps(_plan(), reps, _accounts(), weights={"distance": 1})
    assert result.assignment["r0"] in ("T3", "T4")
    assert result.assignment["r1"] in ("T3", "T4")
    free = match_reps(
        _plan(), reps, _accounts(), weights={"distance": 1}, keep_teams_in_region=False
    )
    assert free.assignment["r0"] in ("T1", "T2")


def test_unequal_numbers_give_open_headcount_or_unassigned_reps() -> None:
    few = match_reps(_plan(), _reps(3), _accounts(), weights={"distance": 1})
    assert few.vacant_territories == ("T4",)
    vacant_row = few.rows()[-1]
    assert vacant_row["territory_id"] == "T4" and vacant_row["rep_id"] is None
    assert vacant_row["why"] == "open headcount (vacant)"
    assert vacant_row.keys() == few.rows()[0].keys()
    many = match_reps(_plan(), _reps(5), _accounts(), weights={"distance": 1})
    assert many.unassigned_reps == ("r4",)
    assert len(many.pairs) == 4
    assert many.to_dict()["unassigned_reps"] == ["r4"]
    # names beside the ids, as the pairs carry them (JSON and the team API gave ids only)
    assert many.to_dict()["unassigned_rep_names"] == ["Rep 4"]
    assert few.to_dict()["vacant_territory_names"] == ["Terr T4"]


def test_conflicting_constraints_and_unknown_ids_are_reported() -> None:
    with pytest.raises(InfeasibleError, match="rep 'r0' must own territory 'T1', but that pair"):
        match_reps(_plan(), _reps(), _accounts(), must={"r0": "T1"}, must_not=[("r0", "T1")])
    east_team = _reps(manager={"r0": "m2"})
    with pytest.raises(InfeasibleError, match="outside the manager's region"):
        match_reps(_plan(), east_team, _accounts(), must={"r0": "T1"})
    with pytest.raises(
        InfeasibleError, match="must: territory 'T1' is required in more than one pair"
    ):
        match_reps(_plan(), _reps(), _accounts(), must=[("r0", "T1"), ("r1", "T1")])
    with pytest.raises(InvalidParameterError, match="must: unknown rep 'zz'"):
        match_reps(_plan(), _reps(), _accounts(), must={"zz": "T1"})
    with pytest.raises(InvalidParameterError, match="must_not: unknown territory 'R1'"):
        match_reps(_plan(), _reps(), _accounts(), must_not=[("r0", "R1")])


def test_missing_rep_data_is_warned_not_silent() -> None:
    reps = [Rep("x", "No data"), *_reps(3)]
    result = match_reps(_plan(), reps, _accounts())
    joined = " | ".join(result.warnings)
    assert (
        "1 rep(s) have no home base; their distance cost to each territory is the median of the"
        " other reps'" in joined
    )
    assert "1 rep(s) have no experience_years; placed at the middle" in joined
    assert "1 rep(s) list no skills" in joined


def test_parse_weights() -> None:
    assert parse_weights("skill=1,distance=0.5,continuity=2") == {
        "skill": 1.0,
        "distance": 0.5,
        "continuity": 2.0,
    }
    with pytest.raises(InvalidParameterError, match=r"weights: unknown key 'speed'; use one of"):
        parse_weights("speed=1")
    with pytest.raises(InvalidParameterError, match="weights: skill must be a number >= 0"):
        parse_weights("skill=-1")
    with pytest.raises(InvalidParameterError, match="cannot read 'lots' as an amount"):
        parse_weights("skill=lots")


def test_a_rep_with_no_home_base_does_not_beat_the_rep_who_lives_there() -> None:
    reps = [Rep("x", "No Home"), *_reps(4)]
    result = match_reps(_plan(), reps, _accounts(), weights="distance=1")
    owner = {p.territory_id: p.rep_id for p in result.pairs}
    assert "x" not in owner.values()  # at the middle, not at 0: the local reps keep theirs
    rows = {r["rep_id"]: r for r in result.rows()}
    assert rows["x"]["rep"] == "No Home"  # the unassigned rep is named, not only its id


def test_weights_named_change_those_parts_and_the_others_keep_their_defaults() -> None:
    """``continuity=0.5`` alone priced every pair at 0 (the other parts were dropped)."""
    from terraplan.planning.matching import DEFAULT_WEIGHTS

    owners = {"T1": "r1", "T2": "r0", "T3": "r2", "T4": "r3"}
    some = match_reps(_plan(owners), _reps(), _accounts(), weights="continuity=0.5")
    assert some.weights == {**DEFAULT_WEIGHTS, "continuity": 0.5}
    assert some.total_cost > 0
    off = match_reps(_plan(owners), _reps(), _accounts(), weights="experience=0")
    assert off.weights["experience"] == 0 and off.weights["skill"] == DEFAULT_WEIGHTS["skill"]


def test_a_rep_holding_two_territories_keeps_one_without_being_called_a_move() -> None:
    """r0 owns T1 and T2 (the match gives each rep one): the territory r0 keeps is current,
    no rep moves, and the other territory is the one that changes."""
    owners = {"T1": "r0", "T2": "r0", "T3": "r2", "T4": "r3"}
    result = match_reps(_plan(owners), _reps(), _accounts(), weights={"continuity": 50})
    kept = result.assignment["r0"]
    assert kept in ("T1", "T2")
    by_territory = {p.territory_id: p for p in result.pairs}
    assert by_territory[kept].is_current
    assert result.reps_moved == 0
    other = "T2" if kept == "T1" else "T1"
    assert other not in by_territory or not by_territory[other].is_current
    assert result.territories_changing == (1 if other in by_territory else 0)
    assert result.current_pairs_priced == 4  # r0's two territories, r2's and r3's


def test_must_pairs_take_names_and_an_inactive_rep_is_named_as_such() -> None:
    """``--must "Rep 3:Terr T1"`` works as ids do; a rep who left is refused by name, saying
    they are inactive (it read "unknown rep 'r3'")."""
    from dataclasses import replace

    from terraplan.errors import InvalidParameterError

    by_name = match_reps(_plan(), _reps(), _accounts(), must=[("Rep 3", "Terr T1")])
    by_id = match_reps(_plan(), _reps(), _accounts(), must=[("r3", "T1")])
    assert by_name.assignment == by_id.assignment and by_name.assignment["r3"] == "T1"
    left = [replace(r, active=False) if r.id == "r3" else r for r in _reps()]
    with pytest.raises(InvalidParameterError, match="must: Rep 3 is inactive: pick an active"):
        match_reps(_plan(), left, _accounts(), must=[("r3", "T1")])
    avoided = match_reps(_plan(), _reps(), _accounts(), must_not=[("rep 0", "terr t2")])
    assert avoided.assignment.get("r0") != "T2"


def test_a_catch_all_territory_takes_no_rep_from_a_real_one() -> None:
    """Two reps, two geo territories and a catch-all pool: the pool was matched like a
    territory, and a rep went to it while a geo territory stayed vacant."""
    from terraplan.domain import Account, Plan, Rep, Territory, TerritoryType
    from terraplan.planning.matching import match_reps

    plan = Plan(
        "P",
        "Pool",
        territories=(
            Territory("POOL", "Sem dono", type=TerritoryType.CATCH_ALL),
            Territory("T1", "Norte"),
            Territory("T2", "Sul"),
        ),
    )
    reps = [Rep("R1", "Ana"), Rep("R2", "Bruno")]
    accounts = [Account(f"A{i}", f"Conta {i}", potential=100.0) for i in range(3)]
    territory_of = {"A0": "POOL", "A1": "T1", "A2": "T2"}
    result = match_reps(plan, reps, accounts, territory_of=territory_of)
    assert {p.territory_id for p in result.pairs} == {"T1", "T2"}
    assert result.vacant_territories == ()
    assert any("catch-all territory Sem dono is not matched" in w for w in result.warnings)


def test_a_plan_with_no_reps_yet_says_each_territory_gets_one() -> None:
    """A new design has no owners: the totals said "0 reps move; 4 territories get another
    rep", as if each lost a rep; they say that no territory has an active rep yet."""
    result = match_reps(_plan({}), _reps(), _accounts())
    assert result.current_cost is None and result.current_pairs_priced == 0
    words = result.cost_words()
    assert words.endswith(f"no territory has an active rep yet: {len(result.pairs)} get one")
    assert "another rep" not in words


def test_a_vacant_territory_gets_a_rep_not_another_one() -> None:
    """T4 has no primary rep (vacant, as the alerts name it): the totals counted it among the
    territories that "get another rep"; it gets one, named."""
    owners = {"T1": "r1", "T2": "r0", "T3": "r2"}
    result = match_reps(_plan(owners), _reps(), _accounts(), weights={"continuity": 5})
    assert result.vacancies_filled == ["T4"] and result.territories_changing == 1
    words = result.cost_words()
    assert words.endswith(
        "0 reps move; 0 territories get another rep; 1 vacant territory (Terr T4) gets one"
    ), words
