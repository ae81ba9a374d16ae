"""Fixes of the hostile-input audit in the io layer: XLSX zip bombs refused fast, merged
cells, Mac line ends, control characters and column lengths, cycles, GeoJSON rings and
CRSs, and the hints for dates and numbers that look like something else."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from terraplan.errors import DataError
from terraplan.io import load_file, xlsx_scan
from terraplan.io.readers import MAX_FIELD_BYTES, read_table
from terraplan.io.validation import validate

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet'
    b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Id</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>Name</t></is></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>A1</t></is></c>'
    b'<c r="B2" t="inlineStr"><is><t>'
)
TAIL = b"</t></is></c></row></sheetData></worksheet>"


def _bomb(tmp_path: Path, megabytes: int) -> Path:
    """A workbook whose cell B2 holds ``megabytes`` MB of one letter (a few KB zipped)."""
    base = tmp_path / "base.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Id", "Name"])
    book.save(base)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with out.open(item.filename, "w", force_zip64=True) as sheet_xml:
                    sheet_xml.write(HEAD)
                    block = b"A" * (1 << 20)
                    for _ in range(megabytes):
                        sheet_xml.write(block)
                    sheet_xml.write(TAIL)
            else:
                out.writestr(item, source.read(item.filename))
    return path


def _refused_fast(path: Path, kind: str = "accounts") -> str:
    started = time.perf_counter()
    with pytest.raises(DataError) as caught:
        read_table(path, kind)
    assert time.perf_counter() - started < 5
    return caught.value.message


def test_xlsx_cell_bomb_is_refused_while_streaming(tmp_path: Path) -> None:
    message = _refused_fast(_bomb(tmp_path, 40))
    assert f"cell B2: a cell of more than {MAX_FIELD_BYTES:,} bytes" in message
    assert f"the limit is {MAX_FIELD_BYTES:,}" in message


def test_xlsx_part_over_the_inflated_limit_is_refused_from_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_scan, "MAX_PART_BYTES", 5_000_000)
    message = _refused_fast(_bomb(tmp_path, 6))
    assert "inflates to" in message and "the limit is 5,000,000" in message


def test_xlsx_part_inflating_too_many_times_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_scan, "RATIO_FLOOR_BYTES", 1_000_000)
    message = _refused_fast(_bomb(tmp_path, 3))
    assert "times" in message and f"the limit is {xlsx_scan.MAX_RATIO} times" in message


def test_merged_cells_in_one_column_fill_down_with_a_warning(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Id", "Name", "Industry"])
    sheet.append(["M1", "One", "Software"])
    sheet.append(["M2", "Two", None])
    sheet.merge_cells("C2:C3")
    book.save(tmp_path / "merged.xlsx")
    table = read_table(tmp_path / "merged.xlsx", "accounts")
    assert table.frame["Industry"].to_list() == ["Software", "Software"]
    assert any("C2:C3" in w and "top cell" in w for w in table.warnings)


def test_classic_mac_line_ends_are_read(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"Id,Name\rM1,One\rM2,Two\r")
    table = read_table(path, "accounts")
    assert table.frame["Id"].to_list() == ["M1", "M2"]
    assert table.frame["__row__"].to_list() == [2, 3]
    assert any("CR only" in w for w in table.warnings)
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"Id,Name\nM1,One\rM2,Two\n")
    assert read_table(mixed, "accounts").frame["Id"].to_list() == ["M1", "M2"]


def test_a_device_is_not_called_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a regular file"):
        read_table("/dev/null", "accounts")
    with pytest.raises(DataError, match="is a folder"):
        read_table(tmp_path, "accounts")


def _errors(
    path: Path, kind: str = "accounts", **kwargs: object
) -> list[tuple[int | None, str | None, str]]:
    table = read_table(path, kind)
    report = validate(table, geocode=False, **kwargs).report  # type: ignore[arg-type]
    return [(i.row, i.field, i.reason) for i in report.errors]


def test_text_longer_than_its_column_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"Id,Name\nL1,{'n' * 256}\nL2,ok\n{'i' * 101},ok\n", encoding="utf-8")
    errors = _errors(path, text_limits={"id": 100, "name": 255})
    assert [(row, field) for row, field, _ in errors] == [(2, "name"), (4, "id")]
    assert "256 characters; the limit is 255" in errors[0][2]


def test_control_characters_are_refused_tab_in_text_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "ctrl.csv"
    path.write_bytes(
        b'Id,Name,Street\nC1,Nul\x00Name,x\nC\x002,ok,x\nC3,\x1b[31mred,x\nC4,ok,a\tb\nC5,ok,"l1\nl2"\n'
    )
    errors = _errors(path)
    assert [(row, field) for row, field, _ in errors] == [(2, "name"), (3, "id"), (4, "name")]
    assert "U+0000" in errors[0][2] and "U+001B" in errors[2][2]


def test_parent_cycles_of_any_length_are_refused_naming_the_cycle(tmp_path: Path) -> None:
    path = tmp_path / "cycle.csv"
    path.write_text("Id,Name,ParentId\nP1,a,P2\nP2,b,P3\nP3,c,P1\nP4,d,P1\n", encoding="utf-8")
    errors = _errors(path)
    assert [(row, field) for row, field, _ in errors] == [
        (2, "parent_id"),
        (3, "parent_id"),
        (4, "parent_id"),
    ]
    assert "P1 (row 2) -> P2 (row 3) -> P3 (row 4) -> P1" in errors[0][2]


def test_a_cycle_through_stored_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stored.csv"
    path.write_text("Id,Name,ParentId\nS1,a,S2\n", encoding="utf-8")
    errors = _errors(path, stored_links={"S2": "S3", "S3": "S1"})
    assert len(errors) == 1 and errors[0][:2] == (2, "parent_id")
    assert "S1 (row 2) -> S2 (stored) -> S3 (stored) -> S1" in errors[0][2]
    # the file breaks the stored link that would close the cycle: fine
    path.write_text("Id,Name,ParentId\nS1,a,S2\nS3,c,\n", encoding="utf-8")
    assert _errors(path, stored_links={"S2": "S3", "S3": "S1"}) == []


def test_manager_cycles_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "reps.csv"
    path.write_text("Id,Name,ManagerId\nM1,a,M2\nM2,b,M1\n", encoding="utf-8")
    errors = _errors(path, "reps")
    assert [(row, field) for row, field, _ in errors] == [(2, "manager_id"), (3, "manager_id")]
    assert "a cycle of managers" in errors[0][2]


def test_geo_unit_replacing_one_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "id,kind,name,latitude,longitude\n01067,custom,Dresden,51.05,13.74\n99999,custom,New,51,13\n",
        encoding="utf-8",
    )
    errors = _errors(path, "geo_units", stored_units={"01067": ("county", "Henry County, AL")})
    assert [(row, field) for row, field, _ in errors] == [(2, "id")]
    assert "stored as county Henry County, AL" in errors[0][2] and "prefix" in errors[0][2]


def _geojson(tmp_path: Path, ring: list[list[float]], crs: str | None = None) -> Path:
    data: dict[str, object] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "U1", "name": "u"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    if crs is not None:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "units.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


SQUARE: list[list[float]] = [[10, 50], [10.1, 50], [10.1, 50.1], [10, 50.1], [10, 50]]


def test_unclosed_ring_is_closed_with_a_warning(tmp_path: Path) -> None:
    result = load_file(_geojson(tmp_path, SQUARE[:-1]), "geo_units")
    assert result.report.ok
    assert any("row 1 (id 'U1'): a ring is not closed" in w for w in result.report.warnings)


def test_unknown_crs_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match="unknown coordinate reference system 'urn:ogc:def:crs:EPSG::999999'"
    ):
        read_table(_geojson(tmp_path, SQUARE, "urn:ogc:def:crs:EPSG::999999"), "geo_units")


def test_projected_crs_over_degrees_is_called_out(tmp_path: Path) -> None:
    table = read_table(_geojson(tmp_path, SQUARE, "urn:ogc:def:crs:EPSG::3857"), "geo_units")
    assert any("within ±180/±90" in w for w in table.warnings)


def test_point_and_empty_geometry_name_the_real_problem(tmp_path: Path) -> None:
    path = _geojson(tmp_path, SQUARE)
    data = json.loads(path.read_text())
    data["features"][0]["geometry"] = {"type": "Polygon", "coordinates": []}
    path.write_text(json.dumps(data))
    errors = [(i.field, i.reason) for i in load_file(path, "geo_units").report.errors]
    assert errors == [
        ("polygon", "an empty GeoJSON Polygon (no coordinates): a geo unit needs an area")
    ]
    data["features"][0]["geometry"] = {"type": "Point", "coordinates": [10, 50]}
    path.write_text(json.dumps(data))
    errors = [(i.field, i.reason) for i in load_file(path, "geo_units").report.errors]
    assert errors == [
        ("polygon", "a GeoJSON Point, not a Polygon or MultiPolygon: a geo unit needs an area")
    ]


def test_broken_geojson_says_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [}', encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON: Expecting value at line 2, column 15"):
        read_table(path, "geo_units")


def test_impossible_dates_and_serials_get_a_precise_reason(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(
        "id,account_id,date,amount\nS1,A,2026-02-30,1\nS2,A,45000,1\nS3,A,31/02/2026,1\n",
        encoding="utf-8",
    )
    reasons = [r for _, _, r in _errors(path, "sales_lines")]
    assert reasons == [
        "not a date: no such day (February 2026 has 28 days)",
        "not a date: looks like an Excel date serial (45000 = 2023-03-15); format the column"
        " as a date in the workbook, or write YYYY-MM-DD",
        "not a date: no such day (February 2026 has 28 days)",
    ]


def test_accounting_negatives_and_percentages_get_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("id,account_id,date,amount\nS1,A,2026-01-02,(500)\nS2,A,2026-01-02,50%\n")
    reasons = [r for _, _, r in _errors(path, "sales_lines")]
    assert reasons == [
        "not a number: an accounting negative? write '(500)' as -500",
        "not a number: a percentage? write it as a plain number (50 or its fraction)",
    ]
