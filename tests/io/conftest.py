"""Helpers for the io tests: files are generated in tmp_path from text (no binary fixtures)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from terraplan.io.geocoding import ZipDirectory

MakeFile = Callable[..., Path]


def rows_of(text: str, delimiter: str = ",") -> tuple[list[str], list[list[str | None]]]:
    """Header and rows of CSV ``text`` (empty cells as None)."""
    records = list(csv.reader(io.StringIO(text.strip("\n") + "\n"), delimiter=delimiter))
    header, *body = records
    return header, [[c if c != "" else None for c in r] for r in body]


def write_xlsx(
    path: Path, header: list[str], rows: list[list[object]], sheet: str = "Sheet1"
) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def write_parquet_text(path: Path, header: list[str], rows: list[list[str | None]]) -> Path:
    data = {
        h: pl.Series(h, [r[i] if i < len(r) else None for r in rows], dtype=pl.String)
        for i, h in enumerate(header)
    }
    pl.DataFrame(data).write_parquet(path)
    return path


@pytest.fixture(scope="session")
def zips() -> ZipDirectory:
    directory = ZipDirectory()
    _ = directory.table
    return directory


@pytest.fixture
def make_file(tmp_path: Path) -> MakeFile:
    """``make_file(text, fmt="csv", name="data", encoding="utf-8", bom=False)`` -> path.

    For xlsx/parquet the CSV ``text`` (comma-separated) becomes text cells.
    """
    counter = iter(range(10_000))

    def make(
        text: str,
        fmt: str = "csv",
        *,
        name: str | None = None,
        encoding: str = "utf-8",
        bom: bool = False,
    ) -> Path:
        stem = name or f"data{next(counter)}"
        if fmt == "csv":
            path = tmp_path / f"{stem}.csv"
            data = text.lstrip("\n").encode(encoding)
            path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
            return path
        header, rows = rows_of(text)
        if fmt == "xlsx":
            return write_xlsx(tmp_path / f"{stem}.xlsx", header, rows)  # type: ignore[arg-type]
        if fmt == "parquet":
            return write_parquet_text(tmp_path / f"{stem}.parquet", header, rows)
        raise ValueError(fmt)

    return make


@pytest.fixture
def xlsx_writer() -> Callable[..., Path]:
    """``write_xlsx(path, header, rows, sheet="Sheet1")`` with typed cells."""
    return write_xlsx
