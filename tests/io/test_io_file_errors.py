"""Files that cannot be read raise DataError; file-level problems are report issues."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io import load_file, read_table


def assert_data_error(path: Path, reason: str, **kwargs: Any) -> None:
    with pytest.raises(DataError) as caught:
        read_table(path, "accounts", **kwargs)
    error = caught.value
    assert str(path) in error.message
    assert error.details["file"] == str(path)
    assert reason in error.details["reason"]


def test_missing_file(tmp_path: Path) -> None:
    assert_data_error(tmp_path / "nope.csv", "file not found")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text("[]")
    assert_data_error(path, "unsupported file type")


def test_corrupt_xlsx_text(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_text("id,name\nA1,x\n")
    assert_data_error(path, "not a readable XLSX workbook")


def test_corrupt_xlsx_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "broken2.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert_data_error(path, "not a readable XLSX workbook")


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet PAR1")
    assert_data_error(path, "not a readable Parquet file")


def test_binary_content_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00garbage")
    assert_data_error(path, "binary content")


def test_undecodable_bytes_with_named_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("id,name\nA1,Société\n".encode("latin-1"))
    assert_data_error(path, "cannot decode the file as utf-8", encoding="utf-8")


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,name\nA1,x\n")
    assert_data_error(path, "unknown encoding", encoding="klingon-8")


def test_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert_data_error(path, "empty")


def test_missing_sheet(tmp_path: Path, xlsx_writer: Any) -> None:

    path = xlsx_writer(tmp_path / "a.xlsx", ["id", "name"], [["A1", "x"]])
    assert_data_error(path, "no sheet named 'Other'", sheet="Other")


def test_bad_mapping_target(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Kunde\nK1\n")
    with pytest.raises(DataError, match="not a field of accounts"):
        read_table(path, "accounts", mapping={"Kunde": "customer_number"})


def test_unreadable_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,name\nA1,x\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("- just\n- a list\n")
    with pytest.raises(DataError) as caught:
        read_table(path, "accounts", mapping=mapping)
    assert caught.value.details["file"] == str(mapping)


def test_unknown_kind(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,name\nA1,x\n")
    with pytest.raises(InvalidParameterError):
        read_table(path, "customers")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_missing_required_column_is_a_file_level_issue(make_file: Any, fmt: str) -> None:
    path = make_file("id,city\nA1,Boston\nA2,Austin\n", fmt)
    result = load_file(path, "accounts")
    report = result.report
    assert not report.ok and report.accepted == 0 and report.rejected == 2
    (issue,) = report.file_errors
    assert (issue.file, issue.row, issue.field) == (str(path), None, "name")
    assert "required column 'name' is missing" in issue.reason
    assert result.frame.height == 0 and "attributes" in result.frame.columns


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_header_only_file_is_a_file_level_issue(make_file: Any, fmt: str) -> None:
    path = make_file("id,name\n", fmt)
    report = load_file(path, "accounts").report
    assert report.rows_read == 0 and not report.ok
    assert [(i.file, i.row, i.reason) for i in report.file_errors] == [
        (str(path), None, "the file has no data rows")
    ]


def test_report_to_dict_and_summary(make_file: Any) -> None:
    path = make_file("id,name,country\nA1,,DE\nA1,Acme,DE\n")
    report = load_file(path, "accounts").report
    data = report.to_dict()
    assert data["ok"] is False and data["rejected"] == 2 and data["accepted"] == 0
    errors = [i for i in data["issues"] if i["severity"] == "error"]
    assert errors[0] == {
        "file": str(path),
        "row": 2,
        "column": "name",
        "field": "name",
        "value": None,
        "reason": "is required",
        "severity": "error",
    }
    assert errors[1]["reason"] == "duplicate id (first at row 2)"
    text = report.summary(max_issues=1)
    assert "2 rows read, 0 accepted, 2 rejected" in text
    assert f"{path}:2: column 'country'" in text and "3 more issue" in text
