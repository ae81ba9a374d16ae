"""Hostile imports through the import use case, on SQLite and PostgreSQL alike: text over
a column's length and control characters are row errors (exit 3, nothing written), a geo
unit does not replace one of another kind, and a parent cycle through stored accounts is
refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from terraplan.domain import GeoKind, GeoUnit
from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage.bulk import record_table, text_limits, upsert_records
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _count(db: Database, kind: str) -> int:
    with db.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(record_table(kind))).scalar_one()
        )


def _report_errors(error: DataError) -> list[tuple[int, str, str]]:
    report = error.details["report"]
    return [
        (issue["row"], issue["field"], issue["reason"])
        for issue in report["issues"]
        if issue["severity"] == "error"
    ]


@pytest.mark.parametrize(
    ("cell", "field", "reason"),
    [
        ("n" * 300, "name", "300 characters; the limit is 255"),
        ("Nul\x00Name", "name", "U+0000"),
        ("\x1b[31mred", "name", "U+001B"),
    ],
)
def test_bad_text_is_a_row_error_on_every_database(
    db: Database, tmp_path: Path, cell: str, field: str, reason: str
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(f"Id,Name\nOK-1,fine\nBAD-1,{cell}\n".encode())
    with pytest.raises(DataError) as caught:
        import_file(db, path, "accounts")
    [(row, named, said)] = _report_errors(caught.value)
    assert (row, named) == (3, field) and reason in said
    assert _count(db, "accounts") == 0


def test_an_id_longer_than_its_column_is_a_row_error(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(f"Id,Name\n{'I' * 101},long id\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_file(db, path, "accounts")
    [(row, named, said)] = _report_errors(caught.value)
    assert (row, named) == (2, "id") and "101 characters; the limit is 100" in said


def test_limits_come_from_the_storage_columns() -> None:
    limits = text_limits("accounts")
    assert limits["id"] == 100 and limits["name"] == 255 and limits["state"] == 60


def test_custom_unit_does_not_replace_a_county(db: Database, tmp_path: Path) -> None:
    county = GeoUnit("01067", GeoKind.COUNTY, "Henry County", 31.5, -85.2, state="AL")
    with UnitOfWork(db) as uow:
        uow.geo_units.add_many([county])
        uow.commit()
    ring = [[13.7, 51.0], [13.8, 51.0], [13.8, 51.1], [13.7, 51.1], [13.7, 51.0]]
    feature = {
        "type": "Feature",
        "properties": {"PLZ": "01067", "NAME": "Dresden Innere Altstadt"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = tmp_path / "plz.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(DataError) as caught:
        import_file(db, path, "geo_units", mapping={"PLZ": "id", "NAME": "name"})
    [(row, named, said)] = _report_errors(caught.value)
    assert (row, named) == (1, "id")
    assert "stored as county Henry County, AL" in said
    with UnitOfWork(db) as uow:
        [stored] = uow.geo_units.list()
    assert (stored.kind, stored.name) == (GeoKind.COUNTY, "Henry County")


def test_parent_cycle_through_stored_accounts_is_refused(db: Database, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("Id,Name,ParentId\nA1,one,\nA2,two,A1\nA3,three,A2\n", encoding="utf-8")
    import_file(db, first, "accounts")
    second = tmp_path / "second.csv"
    second.write_text("Id,Name,ParentId\nA1,one,A3\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_file(db, second, "accounts")
    [(row, named, said)] = _report_errors(caught.value)
    assert (row, named) == (2, "parent_id")
    assert "A1 (row 2) -> A3 (stored) -> A2 (stored) -> A1" in said
    with UnitOfWork(db) as uow:
        assert {a.id: a.parent_id for a in uow.accounts.list()}["A1"] is None


@pytest.mark.postgres
def test_postgres_refusal_of_a_value_is_bad_data_not_a_failing_database(
    postgres_url: str,
) -> None:
    from terraplan.storage import migrate

    database = Database(postgres_url)
    migrate.upgrade(database)
    try:
        with database.connect() as connection, pytest.raises(DataError, match="longer than"):
            upsert_records(connection, "accounts", [{"id": "X1", "name": "n" * 300}])
    finally:
        database.dispose()
