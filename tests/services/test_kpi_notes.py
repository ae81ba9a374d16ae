"""The note on accounts without a potential: once, when potential, penetration or
whitespace is shown; the counts of open accounts, as the balance note gives them."""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.domain import Plan
from terraplan.domain.territory import Territory, TerritoryOwner
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.services.kpi_notes import potential_note
from terraplan.services.monitoring_data import PlanData


def _data(potentials: list[float | None], closed: list[date | None]) -> PlanData:
    ids = [f"A{i}" for i in range(len(potentials))]
    plan = Plan(
        "P1", "Plan", territories=(Territory("T1", "East", owners=(TerritoryOwner("r1"),)),)
    )
    inputs = KpiInputs(
        sales_lines=pl.DataFrame(
            {"account_id": ids, "date": [date(2026, 3, 1)] * len(ids), "amount": [5.0] * len(ids)}
        ),
        accounts=pl.DataFrame(
            {"id": ids, "potential": potentials, "closed_on": closed},
            schema={"id": pl.String, "potential": pl.Float64, "closed_on": pl.Date},
        ),
        alignment=pl.DataFrame({"account_id": ids, "territory_id": ["T1"] * len(ids)}),
        territories=pl.DataFrame({"id": ["T1"], "owner_id": ["r1"], "name": ["East"]}),
    )
    return PlanData(plan, inputs, date(2026, 6, 30), "its rules", None)


def _kpis(data: PlanData) -> pl.DataFrame:
    return compute_kpis(data.inputs, as_of=date(2026, 6, 30), periods=["YTD", "quarter"])


def test_no_account_with_a_potential() -> None:
    data = _data([None, None, None], [None, None, None])
    frame = _kpis(data)
    assert frame["whitespace"].null_count() == frame.height
    (note,) = potential_note(data, frame)
    assert note.startswith("no account carries a potential: potential, penetration and")
    assert "empty (unknown, not 0)" in note


def test_some_accounts_without_one_are_counted_once() -> None:
    """Two of four open accounts lack a potential; a closed account (without one) is not
    in today's count."""
    data = _data([1000.0, None, 0.0, None, None], [None, None, None, None, date(2025, 1, 5)])
    notes = potential_note(data, _kpis(data))
    assert notes == [
        "2 of 4 accounts have no potential: potential, penetration and whitespace count the "
        "other 2 (a group none of whose accounts has one reads empty)"
    ]


def test_nothing_to_say() -> None:
    data = _data([1000.0, 0.0], [None, None])
    assert potential_note(data, _kpis(data)) == []
    lacking = _data([None, 5.0], [None, None])
    # a table that shows no potential figure needs no note
    shown = _kpis(lacking).select("dimension", "key", "period", "revenue")
    assert potential_note(lacking, shown) == []
