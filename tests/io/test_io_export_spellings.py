"""Spellings real CRM exports use: id column names, two-digit years, US date-times,
9-digit ZIPs without a dash, repeated headers.

Files are built in code; a behaviour runs on CSV, XLSX and Parquet (text cells) where the
format can carry it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from terraplan.io import iter_records, load_file
from terraplan.io.geocoding import ZipDirectory, normalize_us_postal_code
from terraplan.io.parsing import parse_date, two_digit_year_limit

FORMATS = ["csv", "xlsx", "parquet"]


def _records(result: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in iter_records(result.frame)}


# --- id columns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Line ID",
        "Line Item ID",
        "Opportunity Line Item ID",
        "OpportunityLineItemId",
        "Order Item ID",
        "Invoice Line ID",
        "Record ID",
    ],
)
def test_sales_line_id_columns_of_exports_are_recognised(make_file: Any, header: str) -> None:
    text = f"{header},Account ID,Date,Amount\nL1,A1,2025-03-05,100\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    assert result.report.columns[header] == "id"
    assert list(_records(result)) == ["L1"]


@pytest.mark.parametrize("header", ["Quota ID", "Forecasting Quota ID", "ForecastingQuotaId"])
def test_quota_id_columns_are_recognised(make_file: Any, header: str) -> None:
    text = (
        f"{header},QuotaOwnerId,StartDate,End Date,QuotaAmount\nQ1,R1,2025-01-01,2025-03-31,50000\n"
    )
    result = load_file(make_file(text), "targets", known_ids={"reps": ["R1"]})
    assert result.report.ok, result.report.summary()
    assert result.report.columns[header] == "id"
    assert result.report.columns["QuotaOwnerId"] == "rep_id"
    assert _records(result)["Q1"]["rep_id"] == "R1"


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("accounts", "Record ID"),
        ("accounts", "Company ID"),
        ("leads", "Record ID"),
        ("opportunities", "Deal ID"),
        ("opportunities", "Record ID"),
        ("acquisition_costs", "Cost ID"),
    ],
)
def test_hubspot_and_salesforce_ids_of_other_kinds(make_file: Any, kind: str, header: str) -> None:
    rest = {
        "accounts": ("name", "Acme"),
        "leads": ("company", "Acme"),
        "opportunities": ("account_id,created_date,amount,stage", "A1,2025-01-02,10,Open"),
        "acquisition_costs": (
            "territory_id,period_start,period_end,amount",
            "T1,2025-01-01,2025-01-31,5",
        ),
    }[kind]
    text = f"{header},{rest[0]}\nX1,{rest[1]}\n"
    result = load_file(make_file(text), kind, geocode=False)
    assert result.report.ok, result.report.summary()
    assert result.report.columns[header] == "id"


# --- repeated headers -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_repeated_header_is_named_as_written_with_its_positions(make_file: Any, fmt: str) -> None:
    text = (
        "Line ID,Account ID,Date,Amount,Product,Quantity,Region,Notes,Amount\n"
        "L1,A1,2025-03-05,100,X,1,West,,999\n"
    )
    result = load_file(make_file(text, fmt), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    assert _records(result)["L1"]["amount"] == 100.0
    assert "columns 4 and 9 are both named 'Amount': the first is used" in result.report.warnings
    assert not any("duplicated" in w for w in result.report.warnings)


def test_a_repeated_header_is_not_kept_as_a_custom_attribute(make_file: Any) -> None:
    text = "id,name,Tier,Tier,Tier\nA1,Acme,Gold,x,y\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.warnings == ["columns 3, 4 and 5 are all named 'Tier': the first is used"]
    assert _records(result)["A1"]["attributes"] == {"Tier": "Gold"}


def test_headers_equal_once_stripped_are_repeats(make_file: Any) -> None:
    # polars kept " id" and "id" apart; stripping them made two columns of one name
    result = load_file(make_file("id,name, id \nA1,Acme,A2\n"), "accounts", geocode=False)
    assert result.report.ok and list(_records(result)) == ["A1"]
    assert result.report.warnings == ["columns 1 and 3 are both named 'id': the first is used"]


def test_a_repeated_xlsx_column_keeps_its_numbers_to_itself(
    tmp_path: Any, xlsx_writer: Any
) -> None:
    path = xlsx_writer(tmp_path / "a.xlsx", ["id", "name", "id"], [[1, "Acme", 2.5]])
    result = load_file(path, "accounts", geocode=False)
    assert result.report.ok, result.report.summary()
    assert list(_records(result)) == ["1"]


# --- dates ------------------------------------------------------------------------------


def _dates(texts: list[str], **options: Any) -> list[date | None]:
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    return frame.select(parse_date(pl.col("t"), **options))["t"].to_list()


def test_two_digit_years_read_in_the_2000s_up_to_ten_years_ahead() -> None:
    assert two_digit_year_limit(date(2026, 12, 2)) == 2036
    got = _dates(
        ["3/5/25", "12/31/36", "1/1/37", "7/4/99", "05.03.25", "2/29/24", "2/29/23"],
        year_limit=2036,
    )
    assert got == [
        date(2025, 3, 5),
        date(2036, 12, 31),
        date(1937, 1, 1),
        date(1999, 7, 4),
        date(2025, 3, 5),
        date(2024, 2, 29),
        None,
    ]
    assert _dates(["1/1/37"], year_limit=2037) == [date(2037, 1, 1)]
    assert _dates(["25/03/25"], day_first=True, year_limit=2036) == [date(2025, 3, 25)]
    assert _dates(["1/2/3", "3/5/025", "3/5/2025x"]) == [None, None, None]


def test_us_date_times_keep_the_date_as_written() -> None:
    texts = [
        "3/5/2025 10:30 AM",
        "3/5/2025 14:30",
        "03/05/2025 10:30:00 PM",
        "3/5/2025, 10:30 pm",
        "3/5/2025 12:00 a.m.",
        "3/5/25 23:59:59",
        "05.03.2025 14:30",
    ]
    assert _dates(texts) == [date(2025, 3, 5)] * len(texts)
    # a time that is no time makes the cell no date (never a silent guess)
    bad = [
        "3/5/2025 13:30 PM",
        "3/5/2025 24:00",
        "3/5/2025 10:61",
        "3/5/2025 0:30 AM",
        "3/5/2025 10:30 XM",
        "3/5/2025 10",
    ]
    assert _dates(bad) == [None] * len(bad)


@pytest.mark.parametrize("fmt", FORMATS)
def test_short_years_and_date_times_in_a_file(make_file: Any, fmt: str) -> None:
    text = (
        "id,account_id,date,amount\n"
        "L1,A1,3/5/25,100\n"
        "L2,A1,3/5/2025 10:30 AM,100\n"
        "L3,A1,03/05/2025 10:30:00 PM,100\n"
        "L4,A1,3/5/2025 14:30,100\n"
        "L5,A1,2025-03-05T10:11:12.000+0000,100\n"
    )
    result = load_file(make_file(text, fmt), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    assert {r["date"] for r in _records(result).values()} == {date(2025, 3, 5)}
    last = two_digit_year_limit()
    assert result.report.warnings == [
        f"column 'date' writes two-digit years (e.g. '3/5/25'): 00-{last % 100:02d} are read as"
        f" {last - last % 100}-{last}, {last % 100 + 1:02d}-99 as {last - 99}-{last - last % 100 - 1}",
        "column 'date' does not show the date order (every day and month is 12 or less):"
        " slashed dates are read as month/day/year; if they are day/month/year, write them"
        " as YYYY-MM-DD",
    ]


def test_a_day_first_column_with_short_years_and_times(make_file: Any) -> None:
    text = "id,account_id,date,amount\nL1,A1,25/03/25 14:30,1\nL2,A1,05/03/25,2\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    got = {i: r["date"] for i, r in _records(result).items()}
    assert got == {"L1": date(2025, 3, 25), "L2": date(2025, 3, 5)}
    assert any("day first" in w for w in result.report.warnings)


def test_a_bad_time_is_a_row_error_naming_file_row_and_field(make_file: Any) -> None:
    text = "id,account_id,date,amount\nL1,A1,3/5/2025 10:30 AM,1\nL2,A1,3/5/2025 25:30,2\n"
    path = make_file(text)
    report = load_file(path, "sales_lines", known_ids={"accounts": ["A1"]}).report
    assert [(i.file, i.row, i.field, i.value, i.reason) for i in report.errors] == [
        (str(path), 3, "date", "3/5/2025 25:30", "not a date (use YYYY-MM-DD)")
    ]


# --- ZIP+4 without its dash ---------------------------------------------------------------

UNDASHED = "9 digits read as a ZIP+4 without its dash: the first 5 are the ZIP, the +4 is dropped"


@pytest.mark.parametrize("fmt", FORMATS)
def test_nine_digits_are_a_zip_plus_4_without_its_dash(
    make_file: Any, fmt: str, zips: ZipDirectory
) -> None:
    text = "id,name,postal_code\nA1,Acme,941071234\nA2,Beta,94107-1234\nA3,Gamma,021341234\n"
    result = load_file(make_file(text, fmt), "accounts", geocoder=zips)
    assert result.report.ok, result.report.summary()
    records = _records(result)
    assert {i: r["postal_code"] for i, r in records.items()} == {
        "A1": "94107",
        "A2": "94107",
        "A3": "02134",
    }
    assert records["A1"]["county_fips"] == records["A2"]["county_fips"] == "06075"
    assert records["A3"]["state"] == "MA"
    first = 1 if fmt == "parquet" else 2  # Parquet rows are record numbers
    assert [(i.row, i.field, i.value, i.severity, i.reason) for i in result.report.issues] == [
        (first, "postal_code", "941071234", "warning", UNDASHED),
        (first + 2, "postal_code", "021341234", "warning", UNDASHED),
    ]


def test_a_nine_digit_zip_saved_as_a_float_is_read_too(make_file: Any, zips: ZipDirectory) -> None:
    """``941071234.0`` (a spreadsheet's float, as ``2134.0`` is read) is the same ZIP+4."""
    text = "id,name,postal_code\nA1,Acme,941071234.0\n"
    result = load_file(make_file(text, "csv"), "accounts", geocoder=zips)
    assert result.report.ok, result.report.summary()
    assert _records(result)["A1"]["postal_code"] == "94107"


def test_a_spreadsheet_number_of_nine_digits_is_read_too(
    tmp_path: Any, xlsx_writer: Any, zips: ZipDirectory
) -> None:
    path = xlsx_writer(
        tmp_path / "reps.xlsx", ["id", "name", "home_postal_code"], [["R1", "Ann", 941071234]]
    )
    result = load_file(path, "reps", geocoder=zips)
    assert result.report.ok, result.report.summary()
    assert _records(result)["R1"]["home_postal_code"] == "94107"
    assert _records(result)["R1"]["home_latitude"] is not None


def test_eight_digits_are_not_guessed(make_file: Any, zips: ZipDirectory) -> None:
    # 21341234 may be 02134-1234 that lost its zero in a spreadsheet, or a mistyped ZIP+4
    text = "id,name,postal_code\nA1,Acme,21341234\nA2,Beta,9410712\n"
    path = make_file(text)
    report = load_file(path, "accounts", geocoder=zips).report
    assert [(i.file, i.row, i.field, i.reason) for i in report.errors] == [
        (
            str(path),
            2,
            "postal_code",
            "not a US ZIP code: 8 digits, not guessed (if it is a ZIP+4 that lost its leading"
            " zero, write 02134-1234); fix it, or give latitude and longitude",
        ),
        (
            str(path),
            3,
            "postal_code",
            "not a US ZIP code (5 digits or ZIP+4); fix it, or give latitude and longitude",
        ),
    ]


def test_many_undashed_zips_make_one_warning(make_file: Any, zips: ZipDirectory) -> None:
    rows = "".join(f"A{i},Acme {i},941071234\n" for i in range(8))
    report = load_file(make_file("id,name,postal_code\n" + rows), "accounts", geocoder=zips).report
    assert report.ok and report.issues == []
    assert report.warnings == [f"8 rows, field postal_code: {UNDASHED} (rows 2, 3, 4, ...)"]


def test_the_zip_of_a_postal_code() -> None:
    assert normalize_us_postal_code("941071234") == "94107"
    assert normalize_us_postal_code("94107-1234") == "94107"
    assert normalize_us_postal_code("21341234") is None
    assert normalize_us_postal_code("2134") == "02134"


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("decimal", [None, "point"])
def test_with_a_decimal_point_a_comma_only_groups_thousands_in_threes(
    make_file: Any, decimal: str | None
) -> None:
    # 12,34 and 1,2345 used to be read as 12.34 and 1.2345 beside 1,200.50 (exit 0).
    text = (
        "Line ID,Account ID,Date,Amount\n"
        'Q1,A1,2025-01-02,"1,200.50"\n'
        'Q2,A1,2025-01-02,"12,34"\n'
        'Q3,A1,2025-01-02,"1,2345"\n'
        'Q4,A1,2025-01-02,"$ 2,500"\n'
    )
    result = load_file(
        make_file(text), "sales_lines", known_ids={"accounts": ["A1"]}, decimal=decimal
    )
    assert {i: r["amount"] for i, r in _records(result).items()} == {"Q1": 1200.5, "Q4": 2500.0}
    reason = (
        "not a number: the decimal separator is a point, so a comma can only separate"
        " thousands in groups of three (1,234.5)"
    )
    assert [(i.row, i.value, i.reason) for i in result.report.errors] == [
        (3, "12,34", reason),
        (4, "1,2345", reason),
    ]


def test_a_doubled_currency_symbol_is_no_number(make_file: Any) -> None:
    text = "Line ID,Account ID,Date,Amount\nN1,A1,2025-05-01,$$5\nN2,A1,2025-05-01,$5\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    assert {i: r["amount"] for i, r in _records(result).items()} == {"N2": 5.0}
    assert [(i.row, i.value, i.reason) for i in result.report.errors] == [
        (2, "$$5", "not a number")
    ]
