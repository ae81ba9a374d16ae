"""The note on targets by rep: a territory's target goes to today's owner (from their hire
date) while revenue goes to the owner of the day. It was cut after three territories with
"..." (the fourth, where Finn Otto got a target whose accounts Eve Park held, was never
named) and named a new hire's territory whose predecessor left before the hire, where no
day mixes two reps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest

from terraplan.domain import Plan
from terraplan.domain.territory import Territory, TerritoryOwner
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.services.kpi_target_notes import NAMED, target_owner_note
from terraplan.services.monitoring_data import PlanData


def _data(n: int, hires: dict[str, date | None], held_to: date) -> PlanData:
    """``n`` territories "Area i" owned today by rep "Rep i" (id ``r{i}``), each with a year
    target; rep ``p{i}`` ("Old i") owned its account until ``held_to``."""
    ids = [f"T{i}" for i in range(n)]
    plan = Plan(
        "P1",
        "Plan",
        territories=tuple(
            Territory(t, f"Area {i}", owners=(TerritoryOwner(f"r{i}"),)) for i, t in enumerate(ids)
        ),
    )
    reps = pl.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)] + [f"p{i}" for i in range(n)],
            "name": [f"Rep {i}" for i in range(n)] + [f"Old {i}" for i in range(n)],
            "hire_date": [hires.get(f"r{i}") for i in range(n)] + [None] * n,
        },
        schema={"id": pl.String, "name": pl.String, "hire_date": pl.Date},
    )
    accounts = [f"A{i}" for i in range(n)]
    inputs = KpiInputs(
        sales_lines=pl.DataFrame(
            {"account_id": accounts, "date": [date(2026, 3, 1)] * n, "amount": [5.0] * n}
        ),
        accounts=pl.DataFrame({"id": accounts}),
        alignment=pl.DataFrame({"account_id": accounts, "territory_id": ids}),
        territories=pl.DataFrame(
            {
                "id": ids,
                "owner_id": [f"r{i}" for i in range(n)],
                "name": [f"Area {i}" for i in range(n)],
            }
        ),
        targets=pl.DataFrame(
            {
                "territory_id": ids,
                "rep_id": [None] * n,
                "period_start": [date(2026, 1, 1)] * n,
                "period_end": [date(2026, 12, 31)] * n,
                "amount": [1000.0] * n,
            },
            schema={
                "territory_id": pl.String,
                "rep_id": pl.String,
                "period_start": pl.Date,
                "period_end": pl.Date,
                "amount": pl.Float64,
            },
        ),
        reps=reps,
        ownership=pl.DataFrame(
            {
                "account_id": accounts * 2,
                "owner_id": [f"p{i}" for i in range(n)] + [f"r{i}" for i in range(n)],
                "valid_from": [date(2025, 1, 1)] * n + [held_to + timedelta(days=1)] * n,
                "valid_to": [held_to] * n + [None] * n,
            },
            schema={
                "account_id": pl.String,
                "owner_id": pl.String,
                "valid_from": pl.Date,
                "valid_to": pl.Date,
            },
        ),
    )
    return PlanData(plan, inputs, date(2026, 11, 30), "its rules", None)


def _kpis(data: PlanData, periods: list[str]) -> pl.DataFrame:
    return compute_kpis(data.inputs, as_of=date(2026, 11, 30), periods=periods, dimensions=["rep"])


def test_every_territory_is_named_up_to_a_count_of_the_rest() -> None:
    data = _data(NAMED + 2, {}, date(2026, 6, 30))
    (note,) = target_owner_note(data, _kpis(data, ["YTD"]))
    for i in range(NAMED):
        assert f"Area {i} in YTD (its target goes to Rep {i}; Old {i} owned accounts" in note
    assert "Area 6" not in note and note.endswith("; and 2 more territories")
    assert "..." not in note and "T0" not in note and "r0" not in note  # names, not ids


def test_a_territory_is_named_once_with_its_periods() -> None:
    data = _data(4, {}, date(2026, 6, 30))
    (note,) = target_owner_note(data, _kpis(data, ["2026Q1", "2026Q2", "2026Q3"]))
    assert note.count("Area 3") == 1  # the fourth is named too
    assert "Area 3 in 2026Q1, 2026Q2 (its target goes to Rep 3; Old 3 owned" in note
    assert "2026Q3" not in note  # the new owner held it all quarter


def test_a_new_hire_whose_predecessor_left_before_the_hire_is_not_named() -> None:
    """Rep 0 hired 10 August, after Old 0 left (30 June): their target starts at the hire,
    when no other rep held the accounts; Rep 1, hired long ago, is named."""
    data = _data(2, {"r0": date(2026, 8, 10), "r1": date(2020, 1, 1)}, date(2026, 6, 30))
    (note,) = target_owner_note(data, _kpis(data, ["YTD"]))
    assert "Area 1 in YTD" in note and "Area 0" not in note
    hired_before = _data(1, {"r0": date(2026, 5, 10)}, date(2026, 6, 30))
    (note,) = target_owner_note(hired_before, _kpis(hired_before, ["YTD"]))
    assert "Area 0 in YTD" in note  # hired 10 May, Old 0 held it to June: mixed


def _with_own_targets(
    data: PlanData, rows: list[tuple[str, date, date, float, str | None]]
) -> PlanData:
    """``data`` with rep targets of their own added: (rep id, start, end, amount, metric)."""
    targets = data.inputs.frame("targets")
    assert targets is not None
    own = pl.DataFrame(
        {
            "territory_id": [None] * len(rows),
            "rep_id": [r[0] for r in rows],
            "period_start": [r[1] for r in rows],
            "period_end": [r[2] for r in rows],
            "amount": [r[3] for r in rows],
            "metric": [r[4] for r in rows],
        },
        schema={
            "territory_id": pl.String,
            "rep_id": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "amount": pl.Float64,
            "metric": pl.String,
        },
    )
    inputs = replace(
        data.inputs,
        targets=pl.concat(
            [targets.collect().with_columns(pl.lit(None, dtype=pl.String).alias("metric")), own]
        ),
    )
    return replace(data, inputs=inputs)


def test_a_rep_with_targets_of_their_own_is_not_named() -> None:
    """Rep 1 has a quota of their own for the first quarter only: by rep they get none of
    Area 1's target in any period (README: a rep with own targets gets only their own), so
    no attainment of theirs mixes two reps, even in a period their quota does not cover;
    Rep 0 and Rep 2 still get their areas' targets and are named."""
    base = _data(3, {}, date(2026, 6, 30))
    data = _with_own_targets(base, [("r1", date(2026, 1, 1), date(2026, 3, 31), 900.0, None)])
    frame = _kpis(data, ["2026Q1", "2026Q2", "YTD"])
    rep1 = frame.filter(pl.col("key") == "r1")
    # the KPIs agree: Rep 1's target is their quota in Q1, none in Q2
    assert dict(rep1.select("period", "target").iter_rows()) == {
        "2026Q1": 900.0,
        "2026Q2": None,
        "YTD": 900.0,
    }
    (note,) = target_owner_note(data, frame)
    assert "Area 1" not in note and "Rep 1" not in note
    assert "Area 0 in 2026Q1, YTD, 2026Q2 (its target goes to Rep 0; Old 0 owned" in note
    assert "Area 2 in 2026Q1, YTD, 2026Q2" in note


def test_no_note_when_every_owner_has_targets_of_their_own() -> None:
    data = _with_own_targets(
        _data(2, {}, date(2026, 6, 30)),
        [
            ("r0", date(2026, 1, 1), date(2026, 12, 31), 1200.0, None),
            ("r1", date(2026, 4, 1), date(2026, 6, 30), 300.0, "revenue"),
        ],
    )
    assert target_owner_note(data, _kpis(data, ["quarter"])) == []


def test_an_own_target_on_another_metric_does_not_count() -> None:
    """A rep's own target of another metric (meetings) is not a revenue target: the KPIs
    still give them their territory's target, and the note still names it."""
    data = _with_own_targets(
        _data(1, {}, date(2026, 6, 30)),
        [("r0", date(2026, 1, 1), date(2026, 12, 31), 80.0, "meetings")],
    )
    frame = _kpis(data, ["2026Q1"])
    assert frame.filter(pl.col("key") == "r0")["target"][0] == pytest.approx(1000.0 * 90 / 365)
    (note,) = target_owner_note(data, frame)
    assert "Area 0 in 2026Q1" in note
