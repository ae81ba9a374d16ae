"""The design's extra inputs as users give them: option text, CSV files and job JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.design_groups import parent_families
from terraplan.planning.design_options import BalanceWindow, TravelCost
from terraplan.services.demo import load_demo
from terraplan.services.design import design_plan
from terraplan.services.design_inputs import (
    design_job_options,
    keep_together_option,
    parse_window,
    read_groups,
    read_travel_costs,
    window_option,
)
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_window_option_text_and_files(tmp_path: Path) -> None:
    assert parse_window("potential:1.5M:2.5M") == BalanceWindow(
        "potential", 1.5e6, 2.5e6, None, "--window potential:1.5M:2.5M"
    )
    assert (
        parse_window("workload::1,800").upper == 1800 and parse_window("workload:40k:").lower == 4e4
    )
    for bad in ("potential", "potential::", "potential:x:3", "potential:-1:3", ":1:2"):
        with pytest.raises(InvalidParameterError, match="--window"):
            parse_window(bad)
    table = tmp_path / "windows.csv"
    table.write_text("Territory;Metric;Min;Max\nT01;potential;1M;\nT02;workload;;1 800\n")
    windows = window_option([str(table), "count:10:"])
    assert [(w.territory, w.metric, w.lower, w.upper) for w in windows] == [
        ("T01", "potential", 1e6, None),
        ("T02", "workload", None, 1800.0),
        (None, "count", 10.0, None),
    ]
    assert windows[1].source == f"{table}, row 3"
    table.write_text("territory,metric,lower,upper\nT01,potential,,\n")
    with pytest.raises(DataError, match=r"windows.csv, row 2: lower: give lower, upper or both"):
        window_option([str(table)])


def test_group_and_travel_cost_files_name_file_row_field_and_reason(tmp_path: Path) -> None:
    groups = tmp_path / "metros.csv"
    groups.write_text("county_fips,metro\n36005,NYC\n36047,NYC\n\n06037,LA\n")
    assert read_groups(groups) == {"36005": "NYC", "36047": "NYC", "06037": "LA"}
    assert keep_together_option(["parent", str(groups)])[0] == "parent"
    groups.write_text("unit,group\n36005,NYC\n36005,LA\n")
    with pytest.raises(DataError, match=r"metros.csv, row 3: group: unit 36005 is in group 'NYC'"):
        read_groups(groups)
    groups.write_text("unit,team\n36005,NYC\n")
    with pytest.raises(DataError, match=r"row 1: group: no 'group' column .*found: unit, team"):
        read_groups(groups)
    with pytest.raises(DataError, match="file not found"):
        read_groups(tmp_path / "missing.csv")

    costs = tmp_path / "minutes.csv"
    costs.write_text("unit,center,travel time\n34001,R1,45\n34003,Ana North,1,250.5\n")
    with pytest.raises(DataError, match=r"minutes.csv, row 3: row: 4 fields but the header has 3"):
        read_travel_costs(costs)  # an unquoted thousands separator splits the row
    costs.write_text('unit,center,travel time\n34001,R1,45\n34003,Ana North,"1,250.5"\n')
    assert read_travel_costs(costs) == [
        TravelCost("34001", "R1", 45.0, f"{costs}, row 2"),
        TravelCost("34003", "Ana North", 1250.5, f"{costs}, row 3"),
    ]
    costs.write_text("unit,rep,minutes\n34001,R1,-3\n")
    with pytest.raises(DataError, match="row 2: minutes: '-3' is not a non-negative number"):
        read_travel_costs(costs)


def test_design_job_json_is_converted_or_refused_with_its_path() -> None:
    options = design_job_options(
        {
            "n_territories": 3,
            "keep_together": ["parent", {"36005": "NYC"}],
            "windows": [{"metric": "potential", "lower": 1e6, "territory": "T01"}],
            "travel_costs": [{"unit": "34001", "rep": "R1", "minutes": 12}],
            "travel_costs_unused": None,
        }
    )
    assert options["keep_together"] == ["parent", {"36005": "NYC"}]
    assert options["windows"] == [BalanceWindow("potential", 1e6, None, "T01", "windows[0]")]
    assert options["travel_costs"] == [TravelCost("34001", "R1", 12.0, "travel_costs[0]")]
    bad = [
        ({"keep_together": "family"}, "keep_together"),
        ({"windows": [{"metric": "potential"}]}, r"windows\[0\]: give lower, upper or both"),
        ({"windows": [{"metric": "potential", "upper": -1}]}, r"windows\[0\].upper: must be >= 0"),
        ({"windows": [{"metric": "p", "upper": 1, "max": 2}]}, r"windows\[0\].max: unknown field"),
        ({"travel_costs": [{"unit": "1", "rep": "R1"}]}, r"travel_costs\[0\].minutes: is required"),
    ]
    for parameters, message in bad:
        with pytest.raises(InvalidParameterError, match=message):
            design_job_options(parameters)


def test_keep_together_parent_keeps_each_family_in_one_territory(db: Database) -> None:
    load_demo(db, n_accounts=400, seed=2)
    with UnitOfWork(db) as uow:
        accounts = uow.accounts.list()
    run = design_plan(
        db, units="accounts", n_territories=4, balance={"count": 0.2}, keep_together=["parent"],
        seed=0, time_limit=30, method="heuristic",
    )  # fmt: skip
    families = parent_families(accounts)
    assert len(set(families.values())) >= 2, "the demo needs parent families for this test"
    territory = dict(zip(run.outcome.unit_ids, run.outcome.labels.tolist(), strict=True))
    for family in set(families.values()):
        members = {territory[a] for a, f in families.items() if f == family}
        assert len(members) == 1, family
    assert run.plan.parameters["keep_together"] == ["parent"]
    assert run.plan.parameters["groups"] == len(set(families.values()))


def test_keep_together_parent_follows_the_chain_through_a_closed_sub_system(
    db: Database,
) -> None:
    # a health system whose regional sub-system was merged away (closed in the CRM): its
    # hospitals still belong to the system and must share its territory
    from datetime import date

    from terraplan.domain import Account

    accounts = [
        Account("TEN", "Tenet Healthcare", latitude=32.8, longitude=-96.8, potential=10.0),
        Account("TEN-MD", "Tenet - MD Region", parent_id="TEN", closed_on=date(2026, 12, 7)),
        Account("H1", "St. Mary's Baltimore", latitude=39.3, longitude=-76.6, potential=10.0,
                parent_id="TEN-MD"),
        Account("H2", "St. Mary's Seattle", latitude=47.6, longitude=-122.3, potential=10.0,
                parent_id="TEN-MD"),
    ] + [
        Account(f"I{i}", f"Independent {i}", latitude=30.0 + i, longitude=-90.0 - i, potential=10.0)
        for i in range(6)
    ]  # fmt: skip
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(accounts)
        uow.commit()
    run = design_plan(
        db, units="accounts", n_territories=3, balance={"potential": 0.5},
        keep_together=["parent"], seed=0, time_limit=30, method="heuristic",
    )  # fmt: skip
    territory = dict(zip(run.outcome.unit_ids, run.outcome.labels.tolist(), strict=True))
    assert territory["H1"] == territory["H2"] == territory["TEN"]
    assert run.plan.parameters["groups"] == 1


def test_a_family_heavier_than_the_band_is_named_as_a_group_for_monitoring(
    db: Database,
) -> None:
    # a health system heavier than a territory's share gets a territory of its own; the
    # stored criteria named its first hospital as if it held the territory alone
    from terraplan.domain import Account
    from terraplan.planning.design_criteria import balance_criteria_record

    accounts = [
        Account("HQ", "Northwell Health", latitude=40.7, longitude=-73.9, potential=10.0),
        Account("H1", "North Shore", latitude=40.8, longitude=-73.7, potential=40.0,
                parent_id="HQ"),
        Account("H2", "Lenox Hill", latitude=40.77, longitude=-73.96, potential=40.0,
                parent_id="HQ"),
    ] + [
        Account(f"I{i}", f"Independent {i}", latitude=30.0 + i, longitude=-90.0 - i, potential=10.0)
        for i in range(6)
    ]  # fmt: skip
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(accounts)
        uow.commit()
    run = design_plan(
        db, units="accounts", n_territories=3, balance={"potential": 0.2},
        keep_together=["parent"], seed=0, time_limit=30, method="heuristic",
    )  # fmt: skip
    dedicated = balance_criteria_record(run.outcome)["dedicated"]
    assert len(dedicated) == 1
    assert dedicated[0]["unit"] == "keep-together group 'Northwell Health' (3 units)"
