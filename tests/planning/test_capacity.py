"""Team sizing use case, hand-checked on a small plan; parsing of CLI strings."""

from __future__ import annotations

from datetime import date

import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    RecordKind,
    Rep,
    RepRole,
    Territory,
    TerritoryOwner,
)
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.capacity import (
    WorkloadModel,
    forecast_hiring,
    parse_amount,
    parse_hiring_plan,
    parse_key_values,
    parse_percent,
    size_team,
)


def _plan() -> Plan:
    territories = (
        Territory("R1", "West", level="region"),
        Territory("R2", "East", level="region"),
        Territory("T1", "Denver", parent_id="R1", owners=(TerritoryOwner("a"),)),
        Territory("T2", "Boulder", parent_id="R1", owners=(TerritoryOwner("b"),)),
        Territory("T3", "Boston", parent_id="R2", owners=(TerritoryOwner("c"),)),
    )
    alignment = (
        AlignmentEntry(RecordKind.ACCOUNT, "A1", "T1"),
        AlignmentEntry(RecordKind.ACCOUNT, "A2", "T2"),
        AlignmentEntry(RecordKind.GEO_UNIT, "02108", "T3"),
    )
    return Plan(
        "P", "Plan", territories=territories, alignment=alignment, parameters={"units": "zips"}
    )


def _accounts() -> list[Account]:
    return [
        Account("A1", "One", potential=1000, workload=800),
        Account("A2", "Two", potential=3000, workload=800),
        Account("A3", "Three", postal_code="02108", potential=2000, workload=400),
    ]


def _reps() -> list[Rep]:
    return [
        Rep("a", "Ann", hire_date=date(2025, 12, 1), home_latitude=40.0, home_longitude=-105.0),
        Rep("b", "Bob"),
        Rep("c", "Cy"),
        Rep("m", "Max", role=RepRole.MANAGER),
    ]


def test_size_team_hand_checked() -> None:
    report = size_team(_plan(), _accounts(), _reps(), hours_per_rep=1000, utilization=0.8)
    # 2,000 h of workload / (1,000 h x 0.8) = 2.5 FTE -> 3 reps.
    assert report.total_workload_hours == pytest.approx(2000.0)
    assert report.fte_needed == pytest.approx(2.5)
    assert report.reps_needed == 3
    assert report.current_reps == 3  # the manager carries no workload
    by_region = {g.group: g for g in report.groups}
    assert by_region["R1"].fte_needed == pytest.approx(2.0)
    assert by_region["R1"].reps_needed == 2
    assert by_region["R1"].current_reps == 2
    assert by_region["R2"].reps_needed == 1  # 0.5 FTE, rounded up; found via the ZIP
    rows = {m.reps: m for m in report.marginal}
    # 1,600 h: A3 (5/h, 400 h) + A2 (3.75/h, 800 h) + 400 of A1's 800 h -> 5,500.
    assert rows[2].potential_covered == pytest.approx(5500.0)
    assert rows[2].delta_potential == pytest.approx(-500.0)
    assert rows[2].workload_per_rep == pytest.approx(1000.0)
    # 1,000 h of workload per rep against 800 h of capacity each (80 % of 1,000 h): 1.25
    # (it was read against the 1,000 h before the utilisation: 1.0, "just full").
    assert rows[2].load_vs_capacity == pytest.approx(1.25)
    assert rows[2].capacity_hours == pytest.approx(1600.0)
    assert rows[3].potential_covered == pytest.approx(6000.0)
    assert rows[4].delta_potential == pytest.approx(0.0)
    table = report.rows()
    assert table[-1]["region"] == "TOTAL" and table[-1]["reps_needed"] == 3
    assert report.to_dict()["effective_hours_per_rep"] == pytest.approx(800.0)


def test_workload_model_travel_from_the_owners_home_base() -> None:
    accounts = [
        Account("A1", "One", latitude=41.0, longitude=-105.0, segment="SMB"),
        Account("A2", "Two", latitude=40.0, longitude=-105.0, segment="ENT"),
    ]
    plan = Plan(
        "P",
        "Plan",
        territories=(Territory("T1", "North", owners=(TerritoryOwner("a"),)),),
        alignment=(
            AlignmentEntry(RecordKind.ACCOUNT, "A1", "T1"),
            AlignmentEntry(RecordKind.ACCOUNT, "A2", "T1"),
        ),
    )
    model = WorkloadModel.from_string(
        "source=model,visits=10,visits.ENT=20,call_hours=2,road_factor=1,speed_kmh=50"
    )
    report = size_team(plan, accounts, _reps()[:1], workload_model=model, group_by="segment")
    by_segment = {g.group: g.workload_hours for g in report.groups}
    # 1 degree of latitude = 111.195 km; 10 visits x (2 h + 2 x 111.195 / 50 h).
    assert by_segment["SMB"] == pytest.approx(10 * (2 + 2 * 111.195 / 50), rel=1e-4)
    assert by_segment["ENT"] == pytest.approx(20 * 2.0)  # at the home base: no travel


def test_unaligned_accounts_are_reported() -> None:
    accounts = [*_accounts(), Account("A9", "Stray", workload=100)]
    report = size_team(_plan(), accounts, _reps())
    assert any("1 account(s) are in no territory" in w for w in report.warnings)
    assert {g.group for g in report.groups} == {"R1", "R2", "(unaligned)"}


def test_bad_group_by_and_utilization_messages() -> None:
    with pytest.raises(
        InvalidParameterError, match="group_by must be segment, industry, territory"
    ):
        size_team(_plan(), _accounts(), _reps(), group_by="galaxy")
    with pytest.raises(InvalidParameterError, match=r"utilization must be in \(0, 1\]"):
        size_team(_plan(), _accounts(), _reps(), utilization=0)


def test_forecast_hiring_with_ramp_and_hires() -> None:
    report = size_team(_plan(), _accounts(), _reps(), hours_per_rep=1000, utilization=0.8)
    forecast = forecast_hiring(
        report, _reps(), start=date(2026, 1, 1), hires="2:1", months=3, ramp_months=3
    )
    months = forecast.months
    assert [m.month for m in months] == ["2026-01", "2026-02", "2026-03"]
    # Ann (hired a month ago) is at 2/3 in January; the February hire starts at 1/3.
    assert months[0].productive_fte == pytest.approx(2 + 2 / 3)
    assert months[1].productive_fte == pytest.approx(3 + 1 / 3)
    assert months[2].productive_fte == pytest.approx(3 + 2 / 3)
    assert months[1].headcount == pytest.approx(4.0)
    assert months[0].capacity_hours == pytest.approx((2 + 2 / 3) * 800 / 12)
    assert months[0].workload_hours == pytest.approx(2000 / 12)
    # the rows carry the value (tables round it)
    assert forecast.rows()[0]["fte_gap"] == pytest.approx(2.5 - (2 + 2 / 3))


def test_forecast_hiring_attrition_as_percent() -> None:
    report = size_team(_plan(), _accounts(), _reps())
    forecast = forecast_hiring(report, _reps(), start=date(2026, 1, 1), months=2, attrition="10%")
    assert forecast.months[0].leavers == pytest.approx(0.3)
    assert forecast.months[1].headcount == pytest.approx(3 * 0.81)


def test_parse_helpers() -> None:
    assert parse_amount("120M") == 120e6
    assert parse_amount("1.5k") == 1500
    assert parse_amount("2,500,000") == 2.5e6
    assert parse_percent("8%") == pytest.approx(0.08)
    assert parse_percent("-2.5%") == pytest.approx(-0.025)
    assert parse_percent("0.08") == pytest.approx(0.08)
    assert parse_hiring_plan("1:3,4:2", months=6) == [3, 0, 0, 2, 0, 0]
    assert parse_key_values("a=1, b=2", name="x") == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_amount("12 apples"), r"amount: cannot read '12 apples' as an amount"),
        (lambda: parse_percent("eight"), r"rate: cannot read 'eight' as a rate"),
        (lambda: parse_key_values("a=1,b", name="weights"), r"weights: 'b' is not key=value"),
        (lambda: parse_key_values("a=1,a=2", name="w"), r"w: 'a' is given twice"),
        (lambda: parse_hiring_plan("13:1", months=12), r"month 13 is outside 1..12"),
        (lambda: parse_hiring_plan("x:1", months=12), r"month 'x' is not a whole number"),
        (lambda: WorkloadModel.from_string("visits=2,color=3"), r"unknown key 'color'"),
    ],
)
def test_parse_errors_are_clear(call: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        call()  # type: ignore[operator]


def test_no_workload_source_stops_with_what_to_do() -> None:
    accounts = [Account(f"A{i}", f"Co {i}", potential=1000.0) for i in range(3)]
    with pytest.raises(DataError, match="none of the 3 accounts has a stored workload") as caught:
        size_team(_plan(), accounts, _reps())
    assert "--workload-model" in str(caught.value) and "import a workload column" in str(
        caught.value
    )
    with pytest.raises(DataError, match="no accounts are stored"):
        size_team(_plan(), [], _reps())


def test_every_assumed_figure_is_stated() -> None:
    report = size_team(_plan(), _accounts(), _reps(), hours_per_rep=1000, utilization=0.8)
    assert report.assumptions == (
        "capacity: 1,000 selling hours per rep per year x 80% utilisation = 800 hours of "
        "workload per rep, as the alerts judge each rep",
        "account limit: none (no rep has a capacity_accounts), so only hours count",
        "workload: the stored figure (hours per year) for 3 of 3 accounts",
        "average 666.7 hours per account per year, 2,000 hours in all",
    )
    # An explicit visit model (no stored workload): its figures are all said.
    accounts = [
        Account("A1", "One", latitude=41.0, longitude=-105.0, segment="SMB"),
        Account("A2", "Two", latitude=40.0, longitude=-105.0, segment="ENT"),
    ]
    plan = Plan(
        "P",
        "Plan",
        territories=(Territory("T1", "North", owners=(TerritoryOwner("a"),)),),
        alignment=(
            AlignmentEntry(RecordKind.ACCOUNT, "A1", "T1"),
            AlignmentEntry(RecordKind.ACCOUNT, "A2", "T1"),
        ),
    )
    modelled = size_team(
        plan, accounts, _reps()[:1], workload_model="visits=10,visits.ENT=20", group_by="territory"
    )
    said = " | ".join(modelled.assumptions)
    assert "workload estimated for 2 of 2 accounts by the visit model: 10 visits per year" in said
    assert "1 h per call" in said and "60 km/h" in said and "1.3x the straight-line" in said
    assert "per segment: visits ENT=20" in said
    assert "1,600 selling hours per rep per year x 80% utilisation = 1,280 hours" in said
    hours = modelled.total_workload_hours
    assert f"average {hours / 2:,.1f} hours per account" in said
    assert modelled.to_dict()["assumptions"] == list(modelled.assumptions)


def test_a_visit_model_no_account_needs_is_said() -> None:
    """Every account carries a stored workload: visit figures given on top change nothing,
    and the report says so (it was silent; the answer read as the model's)."""
    given = size_team(_plan(), _accounts(), _reps(), workload_model="visits=30,call_hours=3")
    plain = size_team(_plan(), _accounts(), _reps())
    assert given.total_workload_hours == plain.total_workload_hours == pytest.approx(2000.0)
    said = " | ".join(given.assumptions)
    assert "the visit model given was used for no account" in said
    assert "source=model" in said
    assert not any("visit model given" in line for line in plain.assumptions)
    modelled = size_team(
        _plan(), _accounts(), _reps(), workload_model="source=model,visits=30,call_hours=3"
    )
    assert modelled.total_workload_hours != pytest.approx(2000.0)


def test_by_region_in_a_plan_with_no_region_level_follows_the_reps_regions() -> None:
    """The demo's plan has territories only: by region, a territory is its primary rep's
    region (it was refused, though the README promises reps needed per region)."""
    from dataclasses import replace

    flat = replace(
        _plan(),
        territories=tuple(
            replace(t, parent_id=None) for t in _plan().territories if t.level != "region"
        ),
    )
    reps = [replace(r, region={"a": "Mountain", "b": "Mountain", "c": "Atlantic"}.get(r.id))
            for r in _reps()]  # fmt: skip
    report = size_team(flat, _accounts(), reps, hours_per_rep=1000, utilization=0.8)
    hours = {g.group: g.workload_hours for g in report.groups}
    assert hours == {"Mountain": pytest.approx(1600.0), "Atlantic": pytest.approx(400.0)}
    # the reps there now, beside the reps needed (they read "-": unknown); a vacant
    # territory's group has none
    assert {g.group: g.current_reps for g in report.groups} == {"Mountain": 2, "Atlantic": 1}
    vacant = replace(
        flat,
        territories=tuple(replace(t, owners=()) if t.id == "T3" else t for t in flat.territories),
    )
    report = size_team(vacant, _accounts(), reps, hours_per_rep=1000, utilization=0.8)
    now = {g.group: g.current_reps for g in report.groups}
    assert now == {"Mountain": 2, "(no region)": 0}
