"""The monitoring fingerprint changes with every fact behind a plan's KPIs, targets set on no
plan (a rep's own quota, which every plan reads) included."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete

from terraplan.domain import Plan, Rep, Target, Territory, TerritoryOwner
from terraplan.storage.database import Database
from terraplan.storage.fingerprint import monitoring_fingerprint
from terraplan.storage.orm import TargetRow
from terraplan.storage.unit_of_work import UnitOfWork


def _fingerprint(db: Database) -> tuple[object, ...]:
    with db.connect() as connection:
        return monitoring_fingerprint(connection, "P")


def test_a_quota_set_on_no_plan_changes_the_fingerprint(db: Database) -> None:
    plan = Plan(
        id="P",
        name="FY27",
        territories=(Territory(id="W", name="West", owners=(TerritoryOwner("R1"),)),),
    )
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id="R1", name="Ann Lee")])
        uow.plans.add(plan)
        uow.commit()
    empty = _fingerprint(db)
    with UnitOfWork(db) as uow:  # a rep's own quota: no plan
        uow.targets.add_many([Target("Q1", date(2026, 1, 1), date(2026, 3, 31), 5e4, rep_id="R1")])
        uow.commit()
    with_quota = _fingerprint(db)
    assert with_quota != empty
    with UnitOfWork(db) as uow:  # another plan's target is not this plan's fact
        uow.plans.add(Plan(id="O", name="Other", territories=(Territory("E", "East"),)))
        uow.targets.add_many(
            [Target("O1", date(2026, 1, 1), date(2026, 3, 31), 7e4, territory_id="E", plan_id="O")]
        )
        uow.commit()
    assert _fingerprint(db)[6:] == with_quota[6:]
    with UnitOfWork(db) as uow:  # deleted by hand, bypassing terraplan
        uow.session.execute(delete(TargetRow).where(TargetRow.id == "Q1"))
        uow.commit()
    assert _fingerprint(db)[6:] == empty[6:]
