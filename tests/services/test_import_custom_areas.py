"""Reps and accounts with custom areas (a Portuguese company): a rep's country is not
dropped, and an account with no country whose postal code is a stored area's id is not read
as a US ZIP outside its area."""

from __future__ import annotations

from pathlib import Path

from terraplan.domain import GeoKind, GeoUnit
from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _areas(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.geo_units.add_many(
            [
                GeoUnit("6494", GeoKind.CUSTOM, "Santa Ílhavo", 40.6, -8.7),
                GeoUnit("0042", GeoKind.CUSTOM, "Torre da Graça", 38.7, -9.1),
            ]
        )
        uow.commit()


def test_an_account_with_no_country_in_a_custom_area_is_not_a_us_zip(
    db: Database, tmp_path: Path
) -> None:
    _areas(db)
    text = (
        "id,name,postal_code,country\n"
        "A1,Casa,6494,\n"  # was stored as ZIP 06494 in Connecticut
        "A2,Loja,42,\n"  # no area's id as typed: no US ZIP either, as before
        "A3,Sol,6494,PT\n"
        "A4,Acme,06494,\n"  # a US row writing the ZIP's 5 digits
        "A5,Beta,0042,US\n"  # said to be the US: read as the US reads it (an unknown ZIP)
    )
    outcome = import_file(db, _write(tmp_path, "a.csv", text), "accounts", on_error="skip")
    report = outcome.report
    bad = {(i.row, i.field): i for i in report.errors}
    assert set(bad) == {(2, "postal_code"), (3, "postal_code"), (6, "postal_code")}
    reason = bad[(2, "postal_code")].reason
    assert reason.startswith(
        "the row has no country and its postal code is custom area 6494 (Santa Ílhavo), "
        "which a US row would read as ZIP 06494, outside the area"
    )
    assert "give the row's country" in reason and "5 digits (06494)" in reason
    assert bad[(3, "postal_code")].reason.startswith("not a US ZIP code")
    assert bad[(6, "postal_code")].reason.startswith("unknown US postal code")
    with UnitOfWork(db) as uow:
        stored = {a.id: a for a in uow.accounts.list()}
    assert set(stored) == {"A3", "A4"}
    assert (stored["A3"].postal_code, stored["A3"].country) == ("6494", "PT")
    assert (stored["A4"].postal_code, stored["A4"].state) == ("06494", "CT")


def test_reps_abroad_get_no_us_home(db: Database, tmp_path: Path) -> None:
    text = "Id,Name,PostalCode,Country\nR01,João,1054,Portugal\n"
    import_file(db, _write(tmp_path, "r.csv", text), "reps")
    with UnitOfWork(db) as uow:
        (rep,) = uow.reps.list()
    assert (rep.home_postal_code, rep.home_latitude, rep.home_longitude) == ("1054", None, None)


def test_a_rep_moved_abroad_loses_the_us_home_read_before(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "r1.csv", "id,name,home_postal_code\nR01,João,1054\n"), "reps")
    with UnitOfWork(db) as uow:
        assert uow.reps.list()[0].home_latitude is not None  # read as the US ZIP 01054
    again = "id,name,home_postal_code,country\nR01,João,1054,PT\n"
    import_file(db, _write(tmp_path, "r2.csv", again), "reps")
    with UnitOfWork(db) as uow:
        (rep,) = uow.reps.list()
    assert (rep.home_postal_code, rep.home_latitude) == ("1054", None)


def test_accounts_abroad_without_coordinates_are_placed_at_their_area(
    db: Database, tmp_path: Path
) -> None:
    """Accounts in custom areas had no location: matching measured no distance to them and
    the map drew none of them. A row abroad whose postal code is an area's id now gets the
    area's centre, counted as geocoded; given coordinates and US rows are left as they are."""
    _areas(db)
    text = (
        "id,name,postal_code,country,latitude,longitude\n"
        "A1,Casa,6494,PT,,\n"
        "A2,Loja, 0042 ,Portugal,,\n"
        "A3,Sol,6494,PT,41.1,-8.6\n"  # its own coordinates are kept
        "A4,Mar,9999,PT,,\n"  # no such area: no location
    )
    outcome = import_file(db, _write(tmp_path, "contas.csv", text), "accounts")
    assert outcome.report.geocoded == 2
    with UnitOfWork(db) as uow:
        placed = {a.id: (a.latitude, a.longitude) for a in uow.accounts.list()}
    assert placed == {
        "A1": (40.6, -8.7),
        "A2": (38.7, -9.1),
        "A3": (41.1, -8.6),
        "A4": (None, None),
    }
