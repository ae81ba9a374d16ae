"""Re-importing stored records from a file that leaves out a defaulted column (a team list of
Id, Name and Title: no ``active``) keeps the stored values, while new records get the
defaults; a database refusal is said in the user's terms (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(db: Database, kind: str) -> dict[str, object]:
    with UnitOfWork(db) as uow:
        return {r.id: r for r in uow.records(kind).list()}


def test_a_team_list_updates_stored_reps_and_keeps_their_active_flag(
    db: Database, tmp_path: Path
) -> None:
    first = "Id,Name,Title,PostalCode,Department,IsActive\nR1,Ann,AE,90011,West,false\n"
    import_file(db, _write(tmp_path, "users.csv", first), "reps")
    team = (
        "Id,Name,Title,PostalCode,Department\n"
        "R1,Ann Lee,Sales Manager,90011,West\nR2,Bob,SDR,90805,West\n"
    )
    outcome = import_file(db, _write(tmp_path, "team.csv", team), "reps")
    assert (outcome.written, outcome.new) == (2, 1)
    reps = _stored(db, "reps")
    ann, bob = reps["R1"], reps["R2"]
    assert (ann.name, ann.role.value, ann.active, ann.region) == (  # type: ignore[attr-defined]
        "Ann Lee",
        "manager",
        False,
        "West",
    )
    assert (bob.name, bob.role.value, bob.active) == ("Bob", "sales_development", True)  # type: ignore[attr-defined]


def test_reps_read_by_lower_case_names_keep_their_active_flag(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "a.csv", "id,name,active\nR1,Ann,no\n"), "reps")
    import_file(db, _write(tmp_path, "b.csv", "id,name,role\nR1,Ann,AM\n"), "reps")
    ann = _stored(db, "reps")["R1"]
    assert (ann.role.value, ann.active) == ("account_manager", False)  # type: ignore[attr-defined]


def test_targets_without_a_metric_column_keep_the_stored_metric(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "r.csv", "id,name\nR1,Ann\n"), "reps")
    first = (
        "id,rep_id,period_start,period_end,amount,metric\nQ1,R1,2026-01-01,2026-03-31,10,bookings\n"
    )
    import_file(db, _write(tmp_path, "t1.csv", first), "targets")
    again = "id,rep_id,period_start,period_end,amount\nQ1,R1,2026-01-01,2026-03-31,12\n"
    again += "Q2,R1,2026-04-01,2026-06-30,15\n"
    import_file(db, _write(tmp_path, "t2.csv", again), "targets")
    targets = _stored(db, "targets")
    assert [(t.id, t.amount, t.metric) for t in targets.values()] == [  # type: ignore[attr-defined]
        ("Q1", 12.0, "bookings"),
        ("Q2", 15.0, "revenue"),
    ]


def test_bulk_upserts_default_new_rows_and_keep_stored_values(db: Database) -> None:
    with UnitOfWork(db) as uow:
        connection = uow.connection
        bulk.upsert_records(
            connection,
            "reps",
            [{"id": "R1", "name": "Ann", "role": "manager", "active": False}],
        )
        bulk.upsert_records(
            connection,
            "reps",
            [
                {"id": "R1", "name": "Ann Lee", "role": "director"},
                {"id": "R2", "name": "Bob", "role": "manager"},
            ],
        )
        uow.commit()
    reps = _stored(db, "reps")
    assert [(r.id, r.name, r.role.value, r.active) for r in reps.values()] == [  # type: ignore[attr-defined]
        ("R1", "Ann Lee", "director", False),
        ("R2", "Bob", "manager", True),
    ]


def test_a_refused_row_names_the_field_not_a_constraint(db: Database) -> None:
    with UnitOfWork(db) as uow, pytest.raises(DataError) as refused:
        # a new rep without a role (which has no default) breaks NOT NULL
        bulk.upsert_records(uow.connection, "reps", [{"id": "R1", "name": "Ann", "role": None}])
    message = refused.value.message
    assert "field 'role' has no value" in message
    assert "constraint" not in message and "reps.role" not in message
    assert "check references" not in message
    assert refused.value.details["field"] == "role"


def test_a_refused_reference_keeps_its_hint() -> None:
    import sqlite3

    error = sqlite3.IntegrityError("FOREIGN KEY constraint failed")
    refused = bulk._refused("accounts", error)
    assert "check references to other records" in refused.message
    assert "FOREIGN KEY" not in refused.message


def test_insert_defaults_are_the_scalar_defaults_left_out() -> None:
    table = Table(
        "x",
        MetaData(),
        Column("id", String, primary_key=True),
        Column("n", Integer, default=3),
        Column("made", String, default=lambda: "now"),
        Column("flag", String, default="y"),
    )
    assert bulk._insert_defaults(table, ["id", "flag"]) == {"n": 3}
