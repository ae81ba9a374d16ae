from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    GeoKind,
    GeoUnit,
    Opportunity,
    OwnerRole,
    Plan,
    PlanStatus,
    RecordKind,
    Rep,
    RepRole,
    SalesLine,
    Target,
    Territory,
    TerritoryOwner,
    TerritoryType,
)
from terraplan.errors import ConflictError, NotFoundError
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _plan() -> Plan:
    return Plan(
        id="P1",
        name="FY27 plan",
        effective_from=date(2027, 1, 1),
        territories=(
            Territory(id="WEST", name="West", level="region"),
            Territory(
                id="T1",
                name="Bay Area",
                parent_id="WEST",
                owners=(TerritoryOwner("R1"), TerritoryOwner("R2", OwnerRole.OVERLAY, 0.5)),
            ),
            Territory(id="T2", name="Named", type=TerritoryType.NAMED, parent_id="WEST"),
        ),
        alignment=(
            AlignmentEntry(RecordKind.GEO_UNIT, "06075", "T1"),
            AlignmentEntry(RecordKind.ACCOUNT, "A1", "T2"),
        ),
        parameters={"balance": {"population": 0.05}},
    )


def test_every_record_kind_round_trips_through_its_repository(db: Database) -> None:
    objects = {
        "reps": Rep(
            id="R1",
            name="Ada",
            email="ada@example.com",
            role=RepRole.SPECIALIST,
            skills_industries=("Software", "Retail"),
            hire_date=date(2024, 5, 1),
            home_latitude=37.7,
            home_longitude=-122.4,
        ),
        "accounts": Account(
            id="A1",
            name="Acme",
            postal_code="94107",
            potential=10.0,
            attributes={"tier": "gold", "score": 3},
        ),
        "geo_units": GeoUnit(
            id="06075",
            kind=GeoKind.COUNTY,
            name="San Francisco",
            latitude=37.75,
            longitude=-122.44,
            attributes={"population": 870_000.0},
            neighbours=("06081",),
            polygon={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        ),
        "sales_lines": SalesLine(
            id="S1", account_id="A1", date=date(2025, 3, 1), amount=-4.5, product="X"
        ),
        "opportunities": Opportunity(
            id="O1",
            account_id="A1",
            created_date=date(2025, 1, 1),
            close_date=date(2025, 2, 1),
            amount=100.0,
            stage="Closed Won",
            is_closed=True,
            is_won=True,
        ),
        "targets": Target(
            id="Q1",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            amount=5e5,
            rep_id="R1",
        ),
    }
    with UnitOfWork(db) as uow:
        for kind, obj in objects.items():
            uow.records(kind).add_many([obj])
        uow.commit()
    with UnitOfWork(db) as uow:
        for kind, obj in objects.items():
            assert uow.records(kind).get(obj.id) == obj
            assert uow.records(kind).count() == 1


def test_uncommitted_work_is_rolled_back(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.accounts.add_many([Account(id="A1", name="Acme")])
    with UnitOfWork(db) as uow:
        assert uow.accounts.count() == 0
        with pytest.raises(NotFoundError, match="no account with id 'A1'"):
            uow.accounts.get("A1")


def test_list_filters_and_pages(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [Account(id=f"A{i}", name=f"N{i}", owner_id="R1" if i % 2 else "R2") for i in range(10)]
        )
        uow.commit()
    with UnitOfWork(db) as uow:
        owned = uow.accounts.list(where={"owner_id": "R1"})
        assert [a.id for a in owned] == ["A1", "A3", "A5", "A7", "A9"]
        assert [a.id for a in uow.accounts.list(limit=3, offset=2)] == ["A2", "A3", "A4"]


def test_plan_round_trip_and_optimistic_versioning(db: Database) -> None:
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(_plan())
        uow.commit()
    assert stored.version == 1
    with UnitOfWork(db) as uow:
        loaded = uow.plans.get("P1")
    assert loaded.territories == _plan().territories
    assert set(loaded.alignment) == set(_plan().alignment)
    assert loaded.parameters == {"balance": {"population": 0.05}}
    assert loaded.created_at is not None

    with UnitOfWork(db) as uow:
        saved = uow.plans.save(loaded.transition(PlanStatus.IN_REVIEW, by="lead"))
        uow.commit()
    assert saved.version == 2
    assert saved.status is PlanStatus.IN_REVIEW

    # A second editor still holding version 1 is told the plan changed.
    with UnitOfWork(db) as uow, pytest.raises(ConflictError, match="changed since you loaded it"):
        uow.plans.save(replace(loaded, name="Stale edit"))


def test_adding_a_plan_twice_conflicts(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.plans.add(_plan())
        uow.commit()
    with UnitOfWork(db) as uow, pytest.raises(ConflictError, match="already exists"):
        uow.plans.add(_plan())


def test_deleting_a_plan_removes_its_hierarchy(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.plans.add(_plan())
        uow.commit()
    with UnitOfWork(db) as uow:
        uow.plans.delete("P1")
        uow.commit()
    with UnitOfWork(db) as uow:
        assert not uow.plans.exists("P1")
        with pytest.raises(NotFoundError):
            uow.plans.get("P1")
