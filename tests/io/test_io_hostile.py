"""Hostile and broken files: size bombs fail fast and briefly, impossible dates and numbers
stored as numbers in text fields are refused, naming the row and field."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io import iter_records, load_file
from terraplan.io.csv_reader import MAX_LINE_BYTES
from terraplan.io.readers import MAX_COLUMNS, MAX_FIELD_BYTES

FORMATS = ["csv", "xlsx", "parquet"]


def _refused(path: Path, kind: str = "accounts") -> DataError:
    started = time.perf_counter()
    with pytest.raises(DataError) as caught:
        load_file(path, kind)
    assert time.perf_counter() - started < 5
    assert len(caught.value.message) < 300 and "Traceback" not in caught.value.message
    assert str(path) in caught.value.message
    return caught.value


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_header_of_a_million_delimiters_fails_fast(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "bomb.csv"
    path.write_text(delimiter * 1_000_000 + "\n1\n", encoding="utf-8")
    error = _refused(path)
    assert "the header has 1,000,001 columns; the limit is 2,000" in error.message


def test_header_without_end_of_line(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv"
    path.write_bytes(b"," * 3_000_000)
    assert "or more columns; the limit is 2,000" in _refused(path).message


def test_too_many_columns_in_xlsx_and_parquet(tmp_path: Path) -> None:
    width = MAX_COLUMNS + 1
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"c{i}" for i in range(width)])
    sheet.append(list(range(width)))
    book.save(tmp_path / "wide.xlsx")
    assert "2,001 columns; the limit is 2,000" in _refused(tmp_path / "wide.xlsx").message
    pl.DataFrame({f"c{i}": [1] for i in range(width)}).write_parquet(tmp_path / "wide.parquet")
    assert "2,001 columns; the limit is 2,000" in _refused(tmp_path / "wide.parquet").message


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_oversized_cell_names_row_and_limit(tmp_path: Path, fmt: str) -> None:
    huge = "x" * (MAX_FIELD_BYTES + 1)
    if fmt == "csv":
        path = tmp_path / "big.csv"
        path.write_text(f"id,name\nA1,Acme\nA2,{huge}\n", encoding="utf-8")
        row = 3
    else:
        path = tmp_path / "big.parquet"
        pl.DataFrame({"id": ["A1", "A2"], "name": ["Acme", huge]}).write_parquet(path)
        row = 2
    error = _refused(path)
    assert f"row {row}, column 'name': a cell of 100,001 bytes; the limit is 100,000" in (
        error.message
    )
    assert huge[:1000] not in str(error.details)


def test_overlong_line(tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    path.write_text("id,name\nA1,Acme\nA2," + "q," * (MAX_LINE_BYTES // 2) + "\n", encoding="utf-8")
    error = _refused(path)
    assert "line 3 is longer than the limit of 1,000,000 bytes" in error.message


def test_long_values_are_cut_in_issues(make_file: Any) -> None:
    value = "9" * 5000 + "x"
    report = load_file(make_file(f"id,name,potential\nA1,Acme,{value}\n"), "accounts").report
    (issue,) = report.errors
    assert issue.value is not None and len(issue.value) <= 81 and issue.value.endswith("…")
    assert len(str(issue)) < 300


def test_long_unknown_header_is_cut_in_warnings(make_file: Any) -> None:
    header = "h" * 5000
    report = load_file(make_file(f"id,name,{header}\nA1,Acme,1\n"), "reps").report
    assert report.warnings and all(len(w) < 300 for w in report.warnings)


# --- impossible dates ------------------------------------------------------------------

DATE_CASES = [
    ("leads", "id,company,created_date\nL1,X,2024-01-01\nL2,Y,{date}\n", "created_date"),
    ("reps", "id,name,hire_date\nR1,Ann,2020-01-01\nR2,Bob,{date}\n", "hire_date"),
    ("sales_lines", "id,account_id,date,amount\nS1,A1,2024-01-01,5\nS2,A1,{date},5\n", "date"),
    (
        "opportunities",
        "id,account_id,created_date,amount,stage\nO1,A1,2024-01-01,5,Open\nO2,A1,{date},5,Open\n",
        "created_date",
    ),
    (
        "targets",
        "id,period_start,period_end,amount,territory_id\n"
        "T1,2024-01-01,2024-12-31,5,X\nT2,2024-01-01,{date},5,X\n",
        "period_end",
    ),
    (
        "acquisition_costs",
        "id,territory_id,period_start,period_end,amount\n"
        "C1,X,2024-01-01,2024-12-31,5\nC2,X,{date},2024-12-31,5\n",
        "period_start",
    ),
]


@pytest.mark.parametrize("date", ["0000-01-01", "9999-12-31", "1800-06-01", "01/01/0001"])
@pytest.mark.parametrize(("kind", "text", "field"), DATE_CASES, ids=[c[0] for c in DATE_CASES])
@pytest.mark.parametrize("fmt", FORMATS)
def test_impossible_dates_are_refused(
    make_file: Any, fmt: str, kind: str, text: str, field: str, date: str
) -> None:
    result = load_file(make_file(text.format(date=date), fmt), kind, geocode=False)
    row = 3 if fmt != "parquet" else 2
    assert [(i.row, i.field, i.value) for i in result.report.errors] == [(row, field, date)]
    assert "out of range (1900-01-01 .. 2199-12-31)" in result.report.errors[0].reason
    assert result.frame.height == 1


def test_edge_dates_are_accepted(make_file: Any) -> None:
    text = "id,company,created_date\nL1,X,1900-01-01\nL2,Y,2199-12-31\n"
    assert load_file(make_file(text), "leads", geocode=False).report.ok


# --- numbers stored as numbers in text fields -----------------------------------------------


def test_parquet_float_names_are_refused_and_whole_ids_read_as_digits(tmp_path: Path) -> None:
    path = tmp_path / "floats.parquet"
    pl.DataFrame(
        {
            "id": [1234.0, 1235.0, 1236.0, 1237.0, 1238.0],
            "name": [4711.0, float("nan"), float("inf"), float("-inf"), 12.5],
        }
    ).write_parquet(path)
    result = load_file(path, "accounts")
    report = result.report
    assert [(i.row, i.field, i.value, i.reason) for i in report.errors] == [
        (2, "name", "NaN", "NaN or infinity stored as a number: not a text value"),
        (3, "name", "inf", "NaN or infinity stored as a number: not a text value"),
        (4, "name", "-inf", "NaN or infinity stored as a number: not a text value"),
        (5, "name", "12.5", "a fractional number where text is expected"),
    ]
    assert [(r["id"], r["name"]) for r in iter_records(result.frame)] == [("1234", "4711")]


def test_xlsx_number_cells_in_text_fields(tmp_path: Path, xlsx_writer: Any) -> None:
    path = xlsx_writer(
        tmp_path / "typed.xlsx",
        ["id", "name", "postal_code"],
        [[1001, 4711, 2134], [1002.0, 12.5, 94107], ["A3", "Acme", "10001"]],
    )
    result = load_file(path, "accounts")
    assert [(i.row, i.field, i.value) for i in result.report.errors] == [(3, "name", "12.5")]
    got = [(r["id"], r["name"], r["postal_code"]) for r in iter_records(result.frame)]
    assert got == [("1001", "4711", "02134"), ("A3", "Acme", "10001")]


def test_nan_text_in_a_csv_is_a_name_like_any_other(make_file: Any) -> None:
    result = load_file(make_file("id,name\nA1,NaN\n"), "accounts")
    assert result.report.ok and next(iter_records(result.frame))["name"] == "NaN"


def test_oversized_header_is_refused_even_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("id,name," + "h" * (MAX_FIELD_BYTES + 1) + "\n", encoding="utf-8")
    assert "a header is longer than the limit of 100,000 bytes" in _refused(path).message


def test_long_header_is_cut_in_issues(make_file: Any, tmp_path: Path) -> None:
    header = "p" * 50_000
    mapping = {header: "potential"}
    path = make_file(f"id,name,{header}\nA1,Acme,x\n")
    report = load_file(path, "accounts", mapping=mapping).report
    (issue,) = report.errors
    assert issue.column is not None and len(issue.column) < 120 and len(str(issue)) < 400


def test_typed_numbers_are_never_read_with_a_decimal_comma(tmp_path: Path) -> None:
    """A typed 2.125 (an XLSX number, a Parquet float or decimal) read as the text "2.125"
    became 2125 when the file's text numbers showed, or were declared with, a decimal comma."""
    from decimal import Decimal

    from terraplan.io import iter_records

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", "potential", "workload"])
    sheet.append(["A1", "Acme", "1.200,50", 1.234])
    sheet.append(["A2", "Bolt", "3.000,75", 2.125])
    book.save(tmp_path / "mixed.xlsx")
    mixed = load_file(tmp_path / "mixed.xlsx", "accounts", geocode=False)
    assert mixed.report.ok, mixed.report.summary()
    read = {r["id"]: (r["potential"], r["workload"]) for r in iter_records(mixed.frame)}
    assert read == {"A1": (1200.5, 1.234), "A2": (3000.75, 2.125)}
    declared = load_file(tmp_path / "mixed.xlsx", "accounts", geocode=False, decimal="comma")
    assert [r["workload"] for r in iter_records(declared.frame)] == [1.234, 2.125]

    pl.DataFrame(
        {
            "id": ["P1", "P2"],
            "name": ["Acme", "Bolt"],
            "potential": pl.Series([Decimal("1.234"), Decimal("12.500")], dtype=pl.Decimal(12, 3)),
            "annual_revenue": [2.125, 3.125],
            "workload": ["12,5", "7,25"],
        }
    ).write_parquet(tmp_path / "typed.parquet")
    typed = load_file(tmp_path / "typed.parquet", "accounts", geocode=False)
    assert typed.report.ok, typed.report.summary()
    values = {
        r["id"]: (r["potential"], r["annual_revenue"], r["workload"])
        for r in iter_records(typed.frame)
    }
    assert values == {"P1": (1.234, 2.125, 12.5), "P2": (12.5, 3.125, 7.25)}


def test_parquet_bytes_and_durations_are_read_or_refused_by_name(tmp_path: Path) -> None:
    from datetime import timedelta

    frame = pl.DataFrame(
        {
            "id": ["B1", "B2"],
            "name": [b"Acme", b"\xffBolt"],
            "Dur": [timedelta(seconds=90), None],
        }
    )
    frame.write_parquet(tmp_path / "bytes.parquet")
    error = _refused(tmp_path / "bytes.parquet")
    assert "row 2, column 'name': binary data that is not UTF-8 text" in error.message
    frame.with_columns(pl.Series("name", [b"Acme", b"Bolt"])).write_parquet(tmp_path / "ok.parquet")
    read = load_file(tmp_path / "ok.parquet", "accounts", geocode=False)
    assert read.report.ok, read.report.summary()
    assert read.frame["name"].to_list() == ["Acme", "Bolt"]


def test_a_record_longer_than_its_header_or_a_stray_quote_names_its_line(tmp_path: Path) -> None:
    """An unquoted "Acme, Inc." stored the name "Acme" and the industry "Inc." and dropped the
    real industry; a quote inside a value refused the file with a parser's message."""
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,name,industry\nA1,Acme, Inc.,Retail\n", encoding="utf-8")
    error = _refused(ragged)
    assert "line 2 has more fields than the header's 3" in error.message
    assert "inside a value that is not quoted" in error.message
    # a report's title lines above the header: the first line names one column
    titled = tmp_path / "titled.csv"
    titled.write_text(
        '"Accounts by owner"\n"As of 12/1/2026"\n\nid,name,industry\nA1,Acme,Retail\n',
        encoding="utf-8",
    )
    error = _refused(titled)
    assert "is a title above the header?" in error.message
    assert "not quoted" not in error.message
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("id,name,industry\nA1,Acme,Retail,\nA2,Bolt,Oil,\n", encoding="utf-8")
    read = load_file(trailing, "accounts", geocode=False)
    assert read.frame["industry"].to_list() == ["Retail", "Oil"]
    stray = tmp_path / "stray.csv"
    stray.write_text('id,name\nA1,The 12" Pipe Co\nA2,Bolt\n', encoding="utf-8")
    assert load_file(stray, "accounts", geocode=False).frame["name"].to_list() == [
        'The 12" Pipe Co',
        "Bolt",
    ]
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('id,name\nA1,"Acme\nA2,Bolt\n', encoding="utf-8")
    assert "line 3: unexpected end of data" in _refused(unclosed).message


def test_formulas_without_a_value_are_refused_and_hidden_sheets_skipped(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    lookup = book.active
    assert lookup is not None
    lookup.title = "Lookup"
    lookup.append(["id", "name"])
    lookup.append(["L1", "not an account"])
    lookup.sheet_state = "hidden"
    accounts = book.create_sheet("Accounts")
    accounts.append(["id", "name", "potential"])
    accounts.append(["A1", "Acme", 1000])
    book.save(tmp_path / "hidden.xlsx")
    read = load_file(tmp_path / "hidden.xlsx", "accounts", geocode=False)
    assert read.frame["id"].to_list() == ["A1"]
    accounts.append(["A2", "Bolt", "=10*100"])  # openpyxl stores no computed value
    book.save(tmp_path / "formula.xlsx")
    error = _refused(tmp_path / "formula.xlsx")
    assert "sheet 'Accounts': formula cells without a computed value (e.g. C3)" in error.message


def test_location_fields_that_contradict_the_zip(tmp_path: Path) -> None:
    """A county code typed as 6075 (San Francisco, its zero lost) beside a Boston ZIP was
    stored as "6075"; coordinates in Los Angeles or swapped were kept without a word."""
    from terraplan.io import iter_records

    path = tmp_path / "geo.csv"
    path.write_text(
        "id,name,postal_code,latitude,longitude,county_fips,potential\n"
        "G1,Fips,02134,,,6075,1\n"
        "G2,Far,02134,34.05,-118.24,,1\n"
        "G3,Swapped,,,,,1\n"
        "G4,Huge,02134,,,,1e308\n",
        encoding="utf-8",
    )
    text = path.read_text(encoding="utf-8").replace("G3,Swapped,,,,", "G3,Swapped,,-71.06,42.36,")
    path.write_text(text, encoding="utf-8")
    result = load_file(path, "accounts")
    issues = {(i.row, i.field, i.severity): i.reason for i in result.report.issues}
    assert (
        issues[(2, "county_fips", "warning")]
        == "contradicts ZIP 02134 (in county 25025): the ZIP wins"
    )
    assert issues[(3, "latitude", "warning")].startswith("coordinates 4164 km from ZIP 02134")
    assert issues[(4, "latitude", "warning")].startswith("coordinates outside the United States")
    assert issues[(5, "potential", "error")].startswith("larger than 1e+15")
    counties = {r["id"]: r["county_fips"] for r in iter_records(result.frame)}
    assert counties["G1"] == "25025"


def test_what_windows_excel_writes_around_a_csv(tmp_path: Path) -> None:
    """Excel's "Unicode text" (UTF-16 with tabs) was refused as binary; its "sep=;" line was
    read as the header; a DOS end-of-file mark became a row; #N/A was stored as a name."""
    from terraplan.io import iter_records

    text = "id\tname\tindustry\nA1\tCafé Müller\tRetail\n"
    (tmp_path / "unicode.txt").write_bytes(text.encode("utf-16"))
    read = load_file(tmp_path / "unicode.txt", "accounts", geocode=False)
    assert [r["name"] for r in iter_records(read.frame)] == ["Café Müller"]
    (tmp_path / "sep.csv").write_text("sep=;\nid;name\nA1;Acme\nA2;\n", encoding="utf-8")
    sep = load_file(tmp_path / "sep.csv", "accounts", geocode=False)
    [issue] = sep.report.issues
    assert (issue.row, issue.field) == (4, "name")  # the physical line, "sep=;" counted
    (tmp_path / "dos.csv").write_bytes(b"id,name\r\nA1,Acme\r\n\x1a")
    assert load_file(tmp_path / "dos.csv", "accounts", geocode=False).report.ok
    (tmp_path / "errors.csv").write_text("id,name\nA1,#N/A\n", encoding="utf-8")
    [error] = load_file(tmp_path / "errors.csv", "accounts", geocode=False).report.issues
    assert error.reason.startswith("an Excel error value")


def test_a_misspelt_mapping_column_is_said(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("Id,Account Nmae,Potential\nA1,Acme,5\n", encoding="utf-8")
    read = load_file(path, "accounts", geocode=False, mapping={"Account Name": "name"})
    assert (
        "the mapping names column 'Account Name', which the file does not have; did you mean "
        "'Account Nmae'?"
    ) in read.report.warnings


def test_us_territories_are_us_rows(tmp_path: Path) -> None:
    """ "Puerto Rico" was not a known country: its accounts were kept outside the US and never
    geocoded, though its ZIPs are USPS ZIPs."""
    from terraplan.io import iter_records

    path = tmp_path / "pr.csv"
    path.write_text(
        "Id,Name,BillingPostalCode,BillingCountry\nK1,Ponce Co,00731,Puerto Rico\n"
        "K2,Guam Co,96910,Guam\n",
        encoding="utf-8",
    )
    read = load_file(path, "accounts")
    assert read.report.ok and not read.report.warnings, read.report.summary()
    rows = {r["id"]: (r["country"], r["state"], r["county_fips"]) for r in iter_records(read.frame)}
    assert rows == {"K1": ("US", "PR", "72113"), "K2": ("US", "GU", "66010")}


def test_codes_that_look_like_exponents_stay_codes(tmp_path: Path) -> None:
    """A custom column of part codes "1E5", "12E4" was stored as 100000.0 and 120000.0: a rule
    on the code could never match again."""
    from terraplan.io import iter_records

    path = tmp_path / "codes.csv"
    path.write_text(
        "id,name,PartCode,Revenue Index\nA1,Acme,1E5,1.5E+07\nA2,Bolt,12E4,2.0\n",
        encoding="utf-8",
    )
    read = load_file(path, "accounts", geocode=False)
    attributes = {r["id"]: r["attributes"] for r in iter_records(read.frame)}
    assert attributes["A1"]["PartCode"] == "1E5" and attributes["A2"]["PartCode"] == "12E4"
    assert attributes["A1"]["Revenue Index"] == 1.5e7  # as a spreadsheet writes a number


def test_a_title_row_above_the_header_is_named_as_the_likely_cause(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Account export - Q3 2025"])
    sheet.append([])
    sheet.append(["Id", "Name"])
    sheet.append(["A1", "Acme"])
    book.save(tmp_path / "title.xlsx")
    read = load_file(tmp_path / "title.xlsx", "accounts", geocode=False)
    reasons = [i.reason for i in read.report.issues]
    assert reasons[0].startswith("required column 'id' is missing (the first row names at most")
    assert "title above the header" in reasons[0]
    assert sum("title above the header" in r for r in reasons) == 1


def test_two_exports_joined_in_two_encodings_read_line_by_line(tmp_path: Path) -> None:
    """A UTF-8 export and a Windows "CSV" joined: the whole file was decoded as
    Windows-1252 and the UTF-8 names stored garbled ("MÃ¼ller StraÃŸe AG")."""
    from terraplan.io import iter_records

    path = tmp_path / "joined.csv"
    path.write_bytes(
        "id,name\nA1,Müller Straße AG\n".encode() + "A2,Café Noir – Paris\n".encode("cp1252")
    )
    read = load_file(path, "accounts", geocode=False)
    assert [r["name"] for r in iter_records(read.frame)] == [
        "Müller Straße AG",
        "Café Noir – Paris",
    ]
