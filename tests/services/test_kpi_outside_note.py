"""KPIs by rep before any plan was activated: accounts in no territory of the plan are in no
rep's row. The note said "no owner is recorded for them" while 13 of an audit's 15 such
accounts named an owner on their record (Hudson Capital: Marcus Lee), who is credited with
them only once a plan is activated; the note now says how many have one, and whom."""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.domain import Plan
from terraplan.domain.territory import Territory, TerritoryOwner
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.services.kpi_notes import grouping_notes
from terraplan.services.monitoring_data import PlanData


def _data(owners: list[str | None]) -> PlanData:
    """Account A0 in territory T0 (rep r0); accounts B1.. in no territory, with ``owners``."""
    outside = [f"B{i}" for i in range(1, len(owners) + 1)]
    plan = Plan(
        "P1", "Plan", territories=(Territory("T0", "Area", owners=(TerritoryOwner("r0"),)),)
    )
    inputs = KpiInputs(
        sales_lines=pl.DataFrame(
            {
                "account_id": ["A0", *outside],
                "date": [date(2026, 3, 1)] * (len(outside) + 1),
                "amount": [5.0] * (len(outside) + 1),
            }
        ),
        accounts=pl.DataFrame(
            {
                "id": ["A0", *outside],
                "name": ["Acme", *(f"Outside {i}" for i in range(1, len(owners) + 1))],
                "owner_id": ["r0", *owners],
            },
            schema={"id": pl.String, "name": pl.String, "owner_id": pl.String},
        ),
        alignment=pl.DataFrame({"account_id": ["A0"], "territory_id": ["T0"]}),
        territories=pl.DataFrame({"id": ["T0"], "owner_id": ["r0"], "name": ["Area"]}),
        reps=pl.DataFrame({"id": ["r0", "r2"], "name": ["Ann Lee", "Marcus Lee"]}),
    )
    return PlanData(plan, inputs, date(2026, 11, 30), "its rules", None)


def test_the_note_names_the_owners_the_accounts_have() -> None:
    (note,) = grouping_notes(_data([None, "r2", "Greg Hill"]), "rep", ["r0"])
    assert note.startswith(
        "3 accounts with sales or opportunities are in no territory of plan Plan and no owner"
        " is recorded for them (Outside 1, Outside 2, Outside 3)"
    )
    assert note.endswith(
        "; 2 of them have an owner on the account record (e.g. Outside 2: Marcus Lee),"
        " credited with them once a plan is activated (activation records each account's"
        " owner)"
    )


def test_without_owners_on_the_accounts_the_note_is_as_before() -> None:
    (note,) = grouping_notes(_data([None]), "rep", ["r0"])
    assert note.endswith("(by industry or by segment they count)")
    # by territory nothing is said of owners
    (by_territory,) = grouping_notes(_data(["r2"]), "territory", ["T0"])
    assert "owner" not in by_territory
