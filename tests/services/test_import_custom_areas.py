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


def test_a_five_digit_area_id_with_no_country_is_not_read_as_a_us_zip(
    db: Database, tmp_path: Path
) -> None:
    """A German company's areas are named by their 5-digit postal codes, and its CRM leaves
    the country blank. ``12345`` reads as a US ZIP unchanged, so the refusal of codes a US
    reading changes (``6494``) did not catch it: the account was stored in Schenectady, New
    York (country US, state NY, county 36093), outside its area, with nothing said. It is
    refused as ``6494`` is, naming the area and where the ZIP is; an area drawn around its
    own US ZIP (a US company's polygon named by the ZIP) is not in doubt and reads as before."""
    with UnitOfWork(db) as uow:
        uow.geo_units.add_many(
            [
                GeoUnit("12345", GeoKind.CUSTOM, "Berlin-Mitte", 52.52, 13.40),
                GeoUnit("99999", GeoKind.CUSTOM, "Hamburg-Nord", 53.60, 10.00),
                GeoUnit("10001", GeoKind.CUSTOM, "Chelsea pod", 40.75, -73.99),
            ]
        )
        uow.commit()
    text = (
        "Account ID,Account Name,Billing Street,Billing Zip/Postal Code,Billing Country\n"
        "001A,Müller GmbH,Unter den Linden 1, 12345 ,\n"
        "001B,Schmidt AG,Alsterdorfer Str. 5,99999,\n"
        "001C,Wolf KG,Friedrichstr. 9,12345,Deutschland\n"
        "001D,GE Vernova,1 River Rd,12345,USA\n"
        "001E,Chelsea Deli,8th Ave,10001,\n"
    )
    path = _write(tmp_path, "Account export.csv", text)
    outcome = import_file(db, path, "accounts", on_error="skip")
    bad = {i.row: i.reason for i in outcome.report.errors}
    assert bad == {
        2: "the row has no country and its postal code is custom area 12345 (Berlin-Mitte),"
        " also the US ZIP 12345 (NY, 6220 km from the area): give the row's country (code or"
        " name) to keep it in the area, or US for a US row",
        3: "the row has no country and its postal code is custom area 99999 (Hamburg-Nord),"
        " and no known US ZIP: give the row's country (code or name) to keep it in the area",
    }
    assert all(i.column == "Billing Zip/Postal Code" for i in outcome.report.errors)
    with UnitOfWork(db) as uow:
        stored = {a.id: a for a in uow.accounts.list()}
    assert set(stored) == {"001C", "001D", "001E"}
    wolf, ge, deli = stored["001C"], stored["001D"], stored["001E"]
    assert (wolf.country, wolf.state, wolf.latitude, wolf.longitude) == ("DE", None, 52.52, 13.4)
    assert (ge.country, ge.state, ge.county_fips) == ("US", "NY", "36093")
    assert (deli.postal_code, deli.country, deli.state) == ("10001", "US", "NY")
    # the fix the message gives: the country column filled in, the row imports into its area
    fixed = _write(tmp_path, "fixed.csv", text.replace(" 12345 ,\n", "12345,DE\n"))
    again = import_file(db, fixed, "accounts", on_error="skip")
    assert [i.row for i in again.report.errors] == [3]
    with UnitOfWork(db) as uow:
        muller = uow.accounts.get("001A")
    assert (muller.postal_code, muller.country, muller.latitude) == ("12345", "DE", 52.52)
