"""A small demo plan for the warehouse tests: hierarchy, owners, targets and costs."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl

from terraplan.domain import AlignmentEntry, GeoKind, Plan, RecordKind, Territory, TerritoryOwner
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.services.demo import load_demo
from terraplan.services.monitoring_data import load_plan_data
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

PLAN_ID = "PW"


def demo_plan(db: Database, *, n_accounts: int = 400, seed: int = 11, shared: bool = False) -> None:
    """Load the demo and add plan ``PW``: all > regions > two territories per region (by
    state), owned by reps (one rep owns two territories). ``shared``: the first territory
    has three primary reps (its owner, then two more with half shares)."""
    dataset, _ = load_demo(db, n_accounts=n_accounts, seed=seed)
    reps = [r.id for r in dataset.reps]
    territories: list[Territory] = [Territory("ALL", "All regions", level="nation")]
    territory_of: dict[str, str] = {}
    k = 0
    for region in dataset.regions:
        territories.append(Territory(f"R-{region.id}", region.name, parent_id="ALL"))
        for half in (0, 1):
            tid = f"T-{region.id}-{half}"
            owner = reps[min(k, len(reps) - 1)] if k != 1 else reps[0]
            territories.append(
                Territory(
                    tid,
                    f"{region.name} {half + 1}",
                    parent_id=f"R-{region.id}",
                    owners=(TerritoryOwner(owner),)
                    if not (shared and k == 0)
                    else (
                        TerritoryOwner(owner),
                        TerritoryOwner(reps[-1], share=0.5),
                        TerritoryOwner(reps[-2], share=0.5),
                    ),
                )
            )
            k += 1
            for i, state in enumerate(sorted(region.states)):
                if i % 2 == half:
                    territory_of[state] = tid
    alignment = tuple(
        AlignmentEntry(RecordKind.GEO_UNIT, unit.id, territory_of[unit.state])
        for unit in dataset.geo_units
        if unit.kind is GeoKind.COUNTY and unit.state in territory_of
    )
    plan = Plan(
        id=PLAN_ID, name="Warehouse test", territories=tuple(territories), alignment=alignment
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()
    if shared:  # the CRM gave a third of the shared territory's accounts to each added rep
        _share_accounts(db, [s for s, t in territory_of.items() if t == territories[2].id], reps)


def _share_accounts(db: Database, states: list[str], reps: list[str]) -> None:
    from sqlalchemy import select, update

    from terraplan.storage.orm import AccountRow

    with db.connect() as connection:
        ids = connection.execute(
            select(AccountRow.id).where(AccountRow.state.in_(states)).order_by(AccountRow.id)
        ).scalars()
        held = list(ids)
        for k, rep in ((1, reps[-1]), (2, reps[-2])):
            chosen = held[k::3]
            connection.execute(
                update(AccountRow).where(AccountRow.id.in_(chosen)).values(owner_id=rep)
            )


def demo_inputs(db: Database) -> tuple[KpiInputs, date]:
    """The plan's KPI inputs with targets (territory, region and rep) and acquisition costs."""
    data = load_plan_data(db, PLAN_ID)
    assert data.as_of is not None
    territories = data.inputs.frame("territories")
    assert territories is not None
    frame = territories.collect()
    leaves = [t for t in frame["id"] if t.startswith("T-")][:3]
    region = next(t for t in frame["id"] if t.startswith("R-"))
    owner = frame.filter(pl.col("id") == leaves[0])["owner_id"][0]
    year = data.as_of.year
    targets = pl.DataFrame(
        {
            "territory_id": [leaves[0], leaves[1], region, None],
            "rep_id": [None, None, None, owner],
            "period_start": [
                date(year, 1, 1),
                date(year - 1, 7, 1),
                date(year, 1, 1),
                date(year, 4, 1),
            ],
            "period_end": [
                date(year, 12, 31),
                date(year, 6, 30),
                date(year, 3, 31),
                date(year, 9, 30),
            ],
            "amount": [1.2e6, 8e5, 2.5e6, 4e5],
            "metric": ["revenue", None, "revenue", "revenue"],
        }
    )
    costs = pl.DataFrame(
        {
            "territory_id": [leaves[0], leaves[2]],
            "period_start": [date(year - 1, 1, 1), date(year, 2, 1)],
            "period_end": [date(year, 12, 31), date(year, 2, 28)],
            "amount": [36_000.0, 9_000.0],
        }
    )
    return replace(data.inputs, targets=targets, costs=costs), data.as_of


def assert_same_kpis(expected: pl.DataFrame, got: pl.DataFrame, *, rel: float = 1e-9) -> None:
    """Same columns, same rows in the same order, same figures (floats within ``rel``)."""
    assert got.columns == expected.columns
    assert got.height == expected.height
    keys = ["dimension", "key", "period", "grain", "period_start", "period_end"]
    assert got.select(keys).equals(expected.select(keys))
    problems: list[str] = []
    for column in expected.columns[len(keys) :]:
        for i, (want, have) in enumerate(zip(expected[column], got[column], strict=True)):
            if _differ(want, have, rel):
                problems.append(f"{column} {expected.row(i)[:3]}: {want} != {have}")
    assert not problems, f"{len(problems)} differences, first: {problems[:5]}"


def _differ(want: Any, have: Any, rel: float) -> bool:
    if want is None or have is None:
        return (want is None) != (have is None)
    return not math.isclose(want, have, rel_tol=rel, abs_tol=1e-6)
