"""Keep-together groups, absolute windows and travel costs through ``design_territories``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from terraplan.data.counties import load_counties
from terraplan.domain import Account, GeoKind, GeoUnit, Rep
from terraplan.errors import DataError, InfeasibleError, InvalidParameterError
from terraplan.planning.design import design_territories
from terraplan.planning.design_groups import merge_groupings, parent_families, unit_families
from terraplan.planning.design_options import BalanceWindow, TravelCost, window_arrays

NYC = ("36005", "36047", "36061", "36081", "36085")


@pytest.fixture(scope="module")
def new_york() -> list[GeoUnit]:
    return [u for u in load_counties() if u.state == "NY"]


def test_a_keep_together_group_is_never_split_and_is_named_when_it_gets_its_own_territory(
    new_york: list[GeoUnit],
) -> None:
    groups = dict.fromkeys(NYC, "New York City")
    outcome = design_territories(
        new_york, n_territories=5, balance={"population": 0.10}, contiguous=True,
        groups=groups, seed=0, time_limit=30,
    )  # fmt: skip
    territory = dict(zip(outcome.unit_ids, outcome.labels.tolist(), strict=True))
    assert len({territory[u] for u in NYC}) == 1
    assert outcome.report.balance.all_within
    assert outcome.groups is not None and outcome.groups.names == ("New York City",)
    (note,) = [n for n in outcome.notes if "New York City" in n]
    assert "keep-together group 'New York City' (2.15x an equal share of population)" in note
    assert "of its own" in note


def test_a_group_heavier_than_every_window_stops_the_design_naming_the_group(
    new_york: list[GeoUnit],
) -> None:
    with pytest.raises(InfeasibleError) as caught:
        design_territories(
            new_york, n_territories=4, windows=[BalanceWindow("population", 3e6, 6e6)],
            groups=dict.fromkeys(NYC, "New York City"), seed=0, time_limit=30,
        )  # fmt: skip
    message = caught.value.message
    assert "'New York City' (1.72x an equal share of population)" in message
    assert "heavier than the band" in message and "metric 0" not in message


def test_windows_bound_every_territory_and_one_territory_overrides(
    new_york: list[GeoUnit],
) -> None:
    windows = [
        BalanceWindow("population", 3.0e6, 6.0e6),
        BalanceWindow("households", None, 1.1e6, territory="T02"),
    ]
    outcome = design_territories(
        new_york, n_territories=4, windows=windows, method="heuristic", seed=1, time_limit=30,
        balance={"population": 0.5},
    )  # fmt: skip
    totals = outcome.report.balance.totals
    assert outcome.metric_names == ("population", "households")
    assert outcome.window_only == ("households",)
    assert np.all(totals[:, 0] >= 3.0e6 - 1) and np.all(totals[:, 0] <= 6.0e6 + 1)
    assert totals[1, 1] <= 1.1e6 + 1
    assert outcome.windows is not None
    assert outcome.windows["T02"] == {"population": [3e6, 6e6], "households": [0.0, 1.1e6]}
    assert outcome.windows["T01"] == {"population": [3e6, 6e6], "households": [0.0, None]}


def test_window_arrays_keep_relative_bands_elsewhere_and_name_bad_rows() -> None:
    lower, upper = window_arrays(
        [BalanceWindow("b", 0.5, None, territory="North", source="w.csv, row 2")],
        names=("a", "b"), territory_ids=("T1", "T2"),
        territory_names=("North", "South"), balanced=("a",),
    )  # fmt: skip
    # "a" keeps its relative band (NaN: the engine sets it around each territory's target)
    assert np.isnan(lower[:, 0]).all() and np.isnan(upper[:, 0]).all()
    assert lower[:, 1].tolist() == [0.5, 0.0]
    assert upper[:, 1].tolist() == [math.inf, math.inf]
    cases = [
        (BalanceWindow("a", 5, 2, source="w.csv, row 3"), "w.csv, row 3: lower"),
        (BalanceWindow("a", 1, 2, territory="T9", source="w.csv, row 4"), "unknown territory"),
        (BalanceWindow("zzz", 1, 2, source="--window zzz:1:2"), "unknown metric 'zzz'"),
    ]
    for window, expected in cases:
        with pytest.raises(DataError, match=expected):
            window_arrays(
                [window], names=("a", "b"),
                territory_ids=("T1", "T2"), territory_names=("North", "South"), balanced=("a",),
            )  # fmt: skip


def test_parent_families_and_the_units_that_hold_them() -> None:
    accounts = [
        Account("A", "Acme Holdings", county_fips="36001"),
        Account("B", "Acme East", county_fips="36083", parent_id="A"),
        Account("C", "Acme Labs", county_fips="36093", parent_id="B"),
        Account("D", "Solo Inc", county_fips="36001"),
        Account("E", "Orphan Sub", county_fips="36091", parent_id="GONE"),
        Account("F", "Orphan Sub 2", county_fips="36091", parent_id="GONE"),
    ]
    assert parent_families(accounts) == {
        "A": "Acme Holdings", "B": "Acme Holdings", "C": "Acme Holdings",
        "E": "GONE", "F": "GONE",
    }  # fmt: skip
    units = [
        GeoUnit(f, GeoKind.COUNTY, f, 42.0, -75.0) for f in ("36001", "36083", "36093", "36091")
    ]
    # the GONE family lives in one county: nothing to keep together there
    assert unit_families(units, accounts) == dict.fromkeys(
        ("36001", "36083", "36093"), "Acme Holdings"
    )


def test_groupings_sharing_a_unit_merge() -> None:
    merged = merge_groupings([{"a": "Metro", "b": "Metro"}, {"b": "Acme", "c": "Acme"}, {"d": "X"}])
    assert merged == {"a": "Metro + Acme", "b": "Metro + Acme", "c": "Metro + Acme", "d": "X"}


def _reps() -> list[Rep]:
    return [
        Rep("R1", "Ana North", home_latitude=40.92, home_longitude=-74.17),
        Rep("R2", "Ben Centre", home_latitude=40.35, home_longitude=-74.66),
        Rep("R3", "Cy South", home_latitude=39.70, home_longitude=-75.00),
    ]


def _minutes(units: list[GeoUnit], reps: list[Rep]) -> list[TravelCost]:
    return [
        TravelCost(u.id, r.id if t != 2 else r.name, 10 + math.hypot(
            (u.latitude or 0) - (r.home_latitude or 0), (u.longitude or 0) - (r.home_longitude or 0)
        ) * 80)
        for u in units for t, r in enumerate(reps)
    ]  # fmt: skip


def test_travel_costs_centre_territories_on_reps_and_missing_pairs_are_forbidden() -> None:
    units = [u for u in load_counties() if u.state == "NJ"]
    reps = _reps()
    costs = [c for c in _minutes(units, reps) if not (c.unit == "34037" and c.rep == "Cy South")]
    outcome = design_territories(
        units, centres=reps, balance={"population": 0.10}, travel_costs=costs, seed=0,
        time_limit=30,
    )  # fmt: skip
    assert outcome.report.balance.all_within
    assert [o[0].rep_id for o in (t.owners for t in outcome.plan.territories)] == ["R1", "R2", "R3"]
    labels = dict(zip(outcome.unit_ids, outcome.labels.tolist(), strict=True))
    assert labels["34037"] != 2  # Sussex has no time to Cy South's base
    assert any("1 unit-rep pairs have no travel cost" in n for n in outcome.notes)
    # travel time is what is minimised: every unit of the northern rep is closer to R1 than to R3
    minutes = {(c.unit, c.rep): c.minutes for c in costs}
    north = [u for u, t in labels.items() if t == 0]
    assert all(
        minutes[(u, "R1")] < minutes[(u, "Cy South")] for u in north if (u, "Cy South") in minutes
    )


def test_travel_cost_errors_name_the_row_field_and_reason() -> None:
    units = [u for u in load_counties() if u.state == "NJ"]
    reps = _reps()
    good = _minutes(units, reps)
    with pytest.raises(DataError, match=r"costs.csv, row 7: rep: 'R9' is not one of the 3 reps"):
        design_territories(
            units, centres=reps, travel_costs=[*good, TravelCost("34001", "R9", 5, "costs.csv, row 7")],
        )  # fmt: skip
    with pytest.raises(DataError, match="have no cost to any rep"):
        design_territories(units, centres=reps, travel_costs=good[3:])
    with pytest.raises(InvalidParameterError, match="centred on reps"):
        design_territories(units, n_territories=3, travel_costs=good)
