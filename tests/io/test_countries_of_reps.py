"""A rep's country is read as an account's: a home postal code of another country is kept as
typed and never geocoded with the US ZIP table; a refused US code says how to give coordinates."""

from __future__ import annotations

from typing import Any

from terraplan.io import iter_records, load_file


def test_a_rep_abroad_keeps_the_home_postal_code_as_typed(make_file: Any, zips: Any) -> None:
    text = (
        "Id,Name,PostalCode,Country\n"
        "R01,João,1054,Portugal\n"  # was the US ZIP 01054 (Massachusetts)
        "R02,Inês,5321,PT\n"  # was refused as an unknown US postal code
        "R03,Ann,2134,\n"  # no country: a US ZIP that lost its zero, as before
        "R04,Bob,60601,United States\n"
    )
    result = load_file(make_file(text), "reps", geocoder=zips)
    report = result.report
    assert report.ok, [i.reason for i in report.issues]
    assert report.columns["Country"] == "country"
    kept = {r["id"]: r for r in iter_records(result.frame)}
    assert kept["R01"]["home_postal_code"] == "1054"
    assert kept["R01"]["home_latitude"] is None and kept["R02"]["home_latitude"] is None
    assert kept["R02"]["home_postal_code"] == "5321"
    assert kept["R03"]["home_postal_code"] == "02134" and kept["R03"]["home_latitude"]
    assert kept["R04"]["home_latitude"] is not None
    abroad = [i for i in report.issues if i.field == "country"]
    assert [(i.row, i.severity) for i in abroad] == [(2, "warning"), (3, "warning")]
    assert "rep outside the US (country PT)" in abroad[0].reason
    assert "give home_latitude and home_longitude" in abroad[0].reason


def test_a_rep_abroad_with_coordinates_is_located_by_them(make_file: Any, zips: Any) -> None:
    text = (
        "id,name,home_postal_code,country,home_latitude,home_longitude\n"
        "R1,Ana,1054,PT,38.72,-9.14\n"
    )
    result = load_file(make_file(text), "reps", geocoder=zips)
    assert result.report.ok and result.report.issues == []
    (rep,) = iter_records(result.frame)
    assert (rep["home_postal_code"], rep["home_latitude"]) == ("1054", 38.72)


def test_an_unknown_us_home_zip_says_how_to_give_coordinates(make_file: Any, zips: Any) -> None:
    text = "id,name,home_postal_code\nR1,Ann,99999\n"
    (issue,) = load_file(make_file(text), "reps", geocoder=zips).report.issues
    assert issue.reason.startswith("unknown US postal code (not in the ZIP table)")
    assert "home_latitude and home_longitude" in issue.reason
    assert "a home outside the US: also its country" in issue.reason
