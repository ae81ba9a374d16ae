"""Saving an edit writes only what changed: the changed alignment rows, the touched
territories, the version bump (checked in the same statement); both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from terraplan.domain import AlignmentEntry, Plan, RecordKind, Territory, TerritoryOwner
from terraplan.errors import ConflictError, NotFoundError
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

UNITS = [f"{i:05d}" for i in range(1, 41)]


def _plan() -> Plan:
    return Plan(
        id="P1",
        name="Two",
        territories=(
            Territory("A", "West", owners=(TerritoryOwner("R1"),)),
            Territory("B", "East"),
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u, "A" if i < 20 else "B")
            for i, u in enumerate(UNITS)
        ),
    )


def _row_identities(db: Database) -> dict[str, str]:
    """Each alignment row's physical identity (SQLite rowid, PostgreSQL ctid): it changes
    when a row is deleted and written again."""
    column = "rowid" if db.dialect == "sqlite" else "ctid"
    with db.connect() as connection:
        rows = connection.execute(text(f"SELECT record_id, {column} FROM alignments"))
        return {str(r): str(i) for r, i in rows}


def test_an_edit_rewrites_only_the_changed_rows_and_bumps_the_version(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.plans.add(_plan())
        uow.commit()
    before = _row_identities(db)
    with UnitOfWork(db) as uow:
        header = uow.plans.header("P1")
        assert header.alignment == () and header.version == 1
        assert uow.plans.alignment_map("P1", RecordKind.GEO_UNIT)["00001"] == "A"
        renamed = replace(header, territories=(replace(header.territories[0], name="Coast"),
                                               header.territories[1]))  # fmt: skip
        changes = {(RecordKind.GEO_UNIT, "00001"): "B", (RecordKind.ACCOUNT, "ACC-1"): "A"}
        assert uow.plans.save_edit(renamed, changes, territories=("A",)) == 2
        uow.commit()
    after = _row_identities(db)
    untouched = [u for u in UNITS if u != "00001"]
    assert {u: after[u] for u in untouched} == {u: before[u] for u in untouched}
    with UnitOfWork(db) as uow:
        stored = uow.plans.get("P1")
    assert stored.version == 2
    assert stored.alignment_map(RecordKind.GEO_UNIT)["00001"] == "B"
    assert stored.alignment_map(RecordKind.ACCOUNT) == {"ACC-1": "A"}
    assert stored.territory("A").name == "Coast"
    assert stored.territory("A").owners == (TerritoryOwner("R1"),)

    # Removing a record (None) deletes its row; a stale version changes nothing.
    with UnitOfWork(db) as uow:
        header = uow.plans.header("P1")
        assert uow.plans.save_edit(header, {(RecordKind.ACCOUNT, "ACC-1"): None}) == 3
        uow.commit()
    with UnitOfWork(db) as uow, pytest.raises(ConflictError) as stale:
        uow.plans.save_edit(replace(header, version=2), {(RecordKind.GEO_UNIT, "00002"): "B"})
    assert (stale.value.details["stored_version"], stale.value.details["version"]) == (3, 2)
    with UnitOfWork(db) as uow:
        stored = uow.plans.get("P1")
        assert stored.version == 3 and stored.alignment_map(RecordKind.ACCOUNT) == {}
        assert stored.alignment_map(RecordKind.GEO_UNIT)["00002"] == "A"
        with pytest.raises(NotFoundError):
            uow.plans.save_edit(replace(header, id="NOPE"), {})
