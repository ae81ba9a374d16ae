"""References across rows, warnings that keep rows, mapping conflicts."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from terraplan.io import iter_records, load_file, read_table, validate
from terraplan.io.mapping import normalize_header, resolve_columns
from terraplan.io.parsing import parse_date, parse_float, text_type


def errors(result: Any) -> list[tuple[int | None, str | None]]:
    return [(i.row, i.field) for i in result.report.errors]


def test_child_of_a_rejected_parent_is_rejected_too(make_file: Any) -> None:
    text = "id,name,parent_id\nA1,,\nA2,B,A1\nA3,C,A2\nA4,D,A0\n"
    result = load_file(make_file(text), "accounts", known_ids={"accounts": ["A0"]})
    # A1 lacks a name; A2 points at A1, A3 at A2: both cascade. A4's parent is in the DB.
    assert errors(result) == [(2, "name"), (3, "parent_id"), (4, "parent_id")]
    assert result.frame["id"].to_list() == ["A4"]


def test_a_parent_not_loaded_keeps_its_accounts_and_is_counted_once(make_file: Any) -> None:
    # one region's export: A2 and A3 name parents of another region, A4 is under A2
    text = "id,name,parent_id\nA1,Acme,\nA2,B,P9\nA3,C,P8\nA4,D,A2\nA5,,P9\n"
    result = load_file(make_file(text), "accounts", known_ids={"accounts": ["A0"]})
    assert errors(result) == [(6, "name")]  # A5 is refused for its name only
    assert result.frame["parent_id"].to_list() == [None, "P9", "P8", "A2"]
    said = [w for w in result.report.warnings if "not loaded" in w]
    assert len(said) == 1
    assert said[0].startswith(
        "2 accounts name a parent account that is not loaded (2 parent accounts, e.g. P8)"
    )


def test_parent_later_in_the_file_counts(make_file: Any) -> None:
    text = "id,name,parent_id\nA2,B,A1\nA1,A,\n"
    result = load_file(make_file(text), "accounts", known_ids={})
    assert result.report.ok and result.report.accepted == 2


def test_no_known_ids_means_no_reference_checks(make_file: Any) -> None:
    text = "id,account_id,date,amount\nS1,NOPE,2024-01-01,5\n"
    assert load_file(make_file(text), "sales_lines").report.ok
    assert not load_file(make_file(text), "sales_lines", known_ids={"accounts": []}).report.ok


def test_rep_home_zips_follow_the_one_postal_code_rule(make_file: Any, zips: Any) -> None:
    text = (
        "id,name,home_postal_code,home_latitude,home_longitude\n"
        "R1,Ann,99999,,\nR2,Bob,SW1A 1AA,,\nR3,Cy,60601,,\nR4,Di,ABCDE,,\n"
        "R5,Ed,99998,41.9,-87.6\nR6,Flo,,,\n"
    )
    result = load_file(make_file(text), "reps", geocoder=zips)
    report = result.report
    assert [(i.row, i.field, i.severity, i.reason.split(";")[0]) for i in report.issues] == [
        (2, "home_postal_code", "error", "unknown US postal code (not in the ZIP table)"),
        (5, "home_postal_code", "error", "not a US ZIP code (5 digits or ZIP+4)"),
        (
            6,
            "home_postal_code",
            "warning",
            "unknown US postal code: kept, located by its coordinates",
        ),
    ]
    assert "a rep without a home base is kept" in report.errors[0].reason
    assert report.accepted == 4 and report.geocoded == 1
    kept = {r["id"]: r for r in iter_records(result.frame)}
    assert kept["R3"]["home_latitude"] is not None and kept["R5"]["home_latitude"] == 41.9
    assert report.warnings == [
        "2 reps (e.g. R2) have no home base (no known home ZIP or coordinates): matching"
        " gives them the median of the other reps' distances to each territory, and"
        " capacity's visit model measures the travel in their territories from the centre of"
        " the territory's accounts"
    ]


def test_unknown_neighbours_are_warnings(make_file: Any) -> None:
    text = "id,kind,name,latitude,longitude,neighbours\nG1,custom,A,1,1,G2;G9\nG2,custom,B,1,2,G1\n"
    result = load_file(make_file(text), "geo_units", known_ids={"geo_units": []})
    assert result.report.ok and result.report.accepted == 2
    (issue,) = result.report.issues
    assert (issue.row, issue.field, issue.severity) == (2, "neighbours", "warning")
    assert "G9" in issue.reason


def test_geocoding_can_be_switched_off(make_file: Any) -> None:
    result = load_file(make_file("id,name,postal_code\nA1,X,99999\n"), "accounts", geocode=False)
    assert result.report.ok and result.frame["latitude"].to_list() == [None]


def test_duplicate_and_conflicting_headers_warn(make_file: Any) -> None:
    table = read_table(make_file("id,name,Name,ZIP,postal_code\nA1,X,Y,02134,02135\n"), "accounts")
    assert any("repeats" in w or "both give field" in w for w in table.warnings)
    assert table.columns.fields["name"] == "name"
    # the column named as the field beats another name of it, wherever it stands
    assert table.columns.fields["postal_code"] == "postal_code"
    assert any(
        "columns 'postal_code' and 'ZIP' both give field 'postal_code'" in w for w in table.warnings
    )


def test_report_is_json_ready(make_file: Any) -> None:
    result = load_file(make_file("id,name\nA1,\nA2,Y\n"), "accounts")
    data = json.loads(json.dumps(result.report.to_dict()))
    assert data["issues"][0]["row"] == 2 and data["columns"] == {"id": "id", "name": "name"}


def test_validate_result_frame_schema(make_file: Any) -> None:
    result = validate(read_table(make_file("id,name,Tier\nA1,X,Gold\n"), "accounts"))
    schema = result.frame.schema
    assert schema["employees"] == pl.Int64 and schema["latitude"] == pl.Float64
    assert schema["attributes"] == pl.Struct({"Tier": pl.String})


def test_mapping_helpers() -> None:
    assert normalize_header(" Billing_Postal Code ") == "billingpostalcode"
    assert normalize_header("Potential__c") == "potential"
    columns = resolve_columns(["Id", "UserRole.Name", "Division"], "reps")
    assert columns.fields == {"id": "Id", "role": "UserRole.Name", "region": "Division"}


def test_parsers_directly() -> None:
    frame = pl.DataFrame({"t": ["1,234.5", "1234,5", "-3", "1e3", "nan", "inf", "x", None]})
    values = frame.select(parse_float(pl.col("t"), None).alias("t"))["t"].to_list()
    assert values == [1234.5, 1234.5, -3.0, 1000.0, None, None, None, None]
    # with a decimal point a comma only groups thousands: 1234,5 is no number
    values = frame.select(parse_float(pl.col("t"), "point"))["t"].to_list()
    assert values == [1234.5, None, -3.0, 1000.0, None, None, None, None]
    dates = pl.DataFrame(
        {"t": ["2024-02-29", "2024-02-30", "2/29/2024", "29.02.2024", "2024-02-29Tx"]}
    )
    parsed = dates.select(parse_date(pl.col("t")))["t"].to_list()
    assert [d.isoformat() if d else None for d in parsed] == [
        "2024-02-29",
        None,
        "2024-02-29",
        "2024-02-29",
        None,
    ]
    assert text_type(pl.Series(["00123", "5"])) == pl.String
    assert text_type(pl.Series(["12", "-5", None])) == pl.Int64
    assert text_type(pl.Series(["1.5", "2"])) == pl.Float64
    assert text_type(pl.Series(["TRUE", "false"])) == pl.Boolean


def test_a_warning_repeated_on_many_rows_is_said_once(make_file: Any) -> None:
    canadian = "".join(f"C{i},Maple {i},M5V 2T6,Canada\n" for i in range(12))
    text = "id,name,postal_code,country\nU1,Acme,94107,US\n" + canadian
    result = load_file(make_file(text), "accounts")
    report = result.report
    assert report.accepted == 13
    assert not [i for i in report.issues if i.severity == "warning" and i.field == "country"]
    outside = [w for w in report.warnings if "outside the US" in w]
    assert len(outside) == 1
    assert outside[0].startswith("12 rows, field country:")
    assert "rows 3, 4, 5" in outside[0]


def test_a_few_repeated_warnings_stay_on_their_rows(make_file: Any) -> None:
    text = "id,name,postal_code,country\nC1,Maple,M5V 2T6,Canada\nC2,Oak,M5V 2T6,Canada\n"
    report = load_file(make_file(text), "accounts").report
    rows = [i.row for i in report.issues if i.field == "country"]
    assert rows == [2, 3]
