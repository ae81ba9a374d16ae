"""Read CSV, XLSX and Parquet files into a :class:`SourceTable` of raw text cells.

Every cell is read as text (``pl.String``; empty cells are null); typing happens in
:mod:`terraplan.io.validation`, so that a bad cell becomes a reported issue and never an
exception.

Row numbers (``SourceTable.frame["__row__"]``) are what a user sees in the file:

- CSV: the physical line number where the record starts, the header being line 1 (a record
  with a quoted line break spans several lines and is numbered by its first; blank lines
  count as lines, and blank lines before the header shift every number);
- XLSX: the sheet row number (the header is row 1);
- Parquet: the record index + 1 (the first record is row 1).

CSV files (:mod:`terraplan.io.csv_reader`): the delimiter is sniffed among ``, ; TAB |``; the encoding is UTF-8 (with or
without a byte-order mark), else Windows-1252 (Windows Excel "CSV": ``€``, curly quotes;
Latin-1 where a byte is undefined in Windows-1252) unless the caller names one. Blank lines
are skipped. A record with more non-empty fields than the header (an unquoted comma inside a
value) is refused naming its line; empty extra fields (a trailing delimiter) are dropped.

Headers (CSV, XLSX) are stripped; an empty one is named by its position (``column_3``); a
header repeating an earlier one is ignored with a warning naming it and both positions
(:func:`terraplan.io.mapping.unique_headers`).

Limits (hostile or broken files fail fast with a :class:`DataError` naming the limit, the file
and the row): at most :data:`MAX_COLUMNS` columns, :data:`MAX_FIELD_BYTES` bytes in a cell and
:data:`~terraplan.io.csv_reader.MAX_LINE_BYTES` bytes in a CSV line.

Numbers stored as numbers (XLSX, Parquet) become their text: whole numbers without ``.0``
(``1234.0`` -> ``"1234"``); the rows where a column held a fractional, NaN or infinite
number are kept in :attr:`SourceTable.fractional`, so that a text field (a name, an id) can
refuse them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import polars as pl

from terraplan.errors import DataError
from terraplan.io.csv_reader import read_csv
from terraplan.io.mapping import ColumnMap, load_mapping, resolve_columns
from terraplan.io.named_mapping import NamedMapping
from terraplan.io.parsing import Decimal
from terraplan.io.report import short
from terraplan.io.report_footer import strip_report_footer
from terraplan.io.schema import kind_spec
from terraplan.io.xlsx_reader import other_sheet_headers, read_xlsx

ROW = "__row__"
"""Name of the row-number column of :attr:`SourceTable.frame`."""

MAX_COLUMNS = 2_000
"""Most columns a file may have."""
MAX_FIELD_BYTES = 100_000
"""Largest cell, in bytes of UTF-8 text."""


@dataclass(frozen=True, slots=True)
class SourceTable:
    """The raw content of one file, before validation.

    ``frame`` holds one ``pl.String`` column per file column (named as in the file, header
    text stripped) plus ``__row__`` (``pl.Int64``, see the module docstring).
    """

    file: str
    kind: str
    format: str
    frame: pl.DataFrame
    columns: ColumnMap
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    #: The decimal separator the caller declared (``None``: detect, see validation).
    decimal: Decimal | None = None
    #: File column -> row numbers whose cell was a number stored as a number that is not a
    #: whole number (fractional, NaN, infinite; XLSX, Parquet).
    fractional: dict[str, list[int]] = field(default_factory=dict)
    #: XLSX: the sheet read (else ``None``).
    sheet: str | None = None
    #: XLSX whose sheet read lacks a required column: each other sheet of the workbook -> the
    #: fields its header row gives (mapped as the sheet read), so that an error can say which
    #: sheet to import instead (else empty).
    other_sheets: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]


def _fail(path: Path | str, reason: str) -> DataError:
    return DataError(f"{path}: {reason}", details={"file": str(path), "reason": reason})


def read_table(
    path: str | Path,
    kind: str,
    *,
    mapping: Mapping[str, Any] | str | Path | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    decimal: Decimal | None = None,
) -> SourceTable:
    """Read ``path`` (``.csv``/``.txt``/``.tsv``, ``.xlsx``/``.xlsm``, ``.parquet``) as ``kind``.

    ``mapping`` is a dict or the path of a YAML/JSON mapping file (see
    :mod:`terraplan.io.mapping`); ``encoding`` names the CSV encoding (default: detected);
    ``sheet`` picks an XLSX sheet by name or 0-based index (default: the first); ``decimal``
    declares the decimal separator of text numbers (default: detected). Raises
    :class:`DataError` (details ``file``, ``reason``) when the file cannot be read or breaks
    a limit.
    """
    spec = kind_spec(kind)
    path = Path(path)
    mapping_source = mapping.source if isinstance(mapping, NamedMapping) else "mapping"
    if isinstance(mapping, str | Path):
        mapping_source = str(mapping)
        mapping = load_mapping(mapping)
    if not path.is_file():
        if path.is_dir():
            raise _fail(path, "is a folder, not a file")
        if path.exists():  # /dev/zero, a named pipe: it would be read for ever
            raise _fail(path, "not a regular file (a device or a pipe)")
        raise _fail(path, "file not found")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".gpkg", ".zip", ".shp") or (
        suffix == ".json" and spec.kind == "geo_units"
    ):
        from terraplan.io.geo_files import read_geo_table

        return read_geo_table(path, spec.kind, mapping, mapping_source=mapping_source)
    details: dict[str, Any] = {}
    fractional: dict[str, list[int]] = {}
    warnings: list[str] = []
    sheet_read: str | None = None
    if suffix in (".xlsx", ".xlsm"):
        frame, fractional, warnings, sheet_read = read_xlsx(
            path, sheet, row_column=ROW, max_columns=MAX_COLUMNS, cell_limit=MAX_FIELD_BYTES
        )
        details["sheet"] = sheet_read
        fmt = "xlsx"
    elif suffix in (".parquet", ".pq"):
        frame, fractional = _read_parquet(path)
        fmt = "parquet"
    elif suffix in (".csv", ".txt", ".tsv"):
        frame, details, warnings = read_csv(path, encoding, row_column=ROW, max_columns=MAX_COLUMNS)
        fmt = "csv"
    else:
        raise _fail(
            path,
            f"unsupported file type {short(suffix) or '(none)'!r}; use CSV, XLSX or Parquet"
            + (" (or GeoJSON, GeoPackage, zipped Shapefile)" if spec.kind == "geo_units" else ""),
        )
    if fmt != "parquet":  # report exports are CSV or Excel
        frame, footer = strip_report_footer(frame, ROW)
        if footer is not None:
            warnings = [*warnings, footer]
    check_sizes(path, frame)
    headers = [c for c in frame.columns if c != ROW]
    columns = resolve_columns(headers, spec.kind, mapping, mapping_source=mapping_source)
    other_sheets: dict[str, frozenset[str]] = {}
    if sheet_read is not None and set(spec.required_columns) - set(columns.fields):
        others = other_sheet_headers(
            path, sheet_read, max_columns=MAX_COLUMNS, cell_limit=MAX_FIELD_BYTES
        )
        for name, row in others.items():
            given = resolve_columns(row, spec.kind, mapping, mapping_source=mapping_source)
            other_sheets[name] = frozenset(given.fields)
    return SourceTable(
        file=str(path),
        kind=spec.kind,
        format=fmt,
        frame=frame,
        columns=columns,
        warnings=tuple(warnings) + columns.warnings,
        details=details,
        decimal=decimal,
        fractional=fractional,
        sheet=sheet_read,
        other_sheets=other_sheets,
    )


def check_sizes(path: Path, frame: pl.DataFrame) -> None:
    """Column count and cell size limits (see the module docstring)."""
    if frame.width - 1 > MAX_COLUMNS:
        raise _fail(path, f"{frame.width - 1:,} columns; the limit is {MAX_COLUMNS:,}")
    headers = [c for c in frame.columns if c != ROW]
    for header in headers:
        if len(header.encode("utf-8")) > MAX_FIELD_BYTES:
            raise _fail(path, f"a header is longer than the limit of {MAX_FIELD_BYTES:,} bytes")
    if frame.height == 0:
        return
    sizes = frame.select(pl.col(headers).str.len_bytes().max())
    for header in headers:
        largest = sizes[header][0]
        if largest is not None and largest > MAX_FIELD_BYTES:
            row = frame.filter(pl.col(header).str.len_bytes() > MAX_FIELD_BYTES)[ROW][0]
            raise DataError(
                f"{path}: row {row}, column {short(header)!r}: a cell of {largest:,} bytes;"
                f" the limit is {MAX_FIELD_BYTES:,}",
                details={
                    "file": str(path),
                    "row": row,
                    "column": short(header),
                    "reason": f"cell larger than {MAX_FIELD_BYTES:,} bytes",
                },
            )


# --- Parquet ---------------------------------------------------------------------------


def _read_parquet(path: Path) -> tuple[pl.DataFrame, dict[str, list[int]]]:
    try:
        width = len(pl.read_parquet_schema(path))
        if width > MAX_COLUMNS:
            raise _fail(path, f"{width:,} columns; the limit is {MAX_COLUMNS:,}")
        frame = pl.read_parquet(path)
    except DataError:
        raise
    except Exception as exc:  # polars raises several types for corrupt files
        raise _fail(
            path, f"not a readable Parquet file ({type(exc).__name__}: {short(str(exc), 200)})"
        ) from None
    frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW))
    return cells_as_text(frame, path)


def _utf8_column(frame: pl.DataFrame, name: str, source: str | Path) -> pl.Series:
    """A binary column as text, when every cell is UTF-8; else refused naming the row."""
    texts: list[str | None] = []
    for row, value in zip(frame[ROW], frame[name], strict=True):
        try:
            texts.append(None if value is None else bytes(value).decode("utf-8"))
        except UnicodeDecodeError:
            raise _fail(
                source,
                f"row {row}, column {short(name)!r}: binary data that is not UTF-8 text "
                "(write it as a text column)",
            ) from None
    return pl.Series(name, texts, dtype=pl.String)


def cells_as_text(
    frame: pl.DataFrame, source: str | Path = "the table"
) -> tuple[pl.DataFrame, dict[str, list[int]]]:
    """Every column of a typed ``frame`` (with its ``__row__`` column) as text cells.

    Whole floats read as their digits (``1234.0`` -> ``"1234"``); lists are joined with
    ``;``, structs become JSON, dates ISO text. Returns the frame and, per column, the row
    numbers whose float was fractional, NaN or infinite (see :attr:`SourceTable.fractional`).
    Used for Parquet files, database tables and DataFrames alike.
    """
    casts = []
    fractional: dict[str, list[int]] = {}
    for name, stored in frame.schema.items():
        if stored == pl.String or name == ROW:
            continue
        column = pl.col(name)
        dtype = stored
        if isinstance(stored, pl.Decimal):  # 12.500 is the number 12.5, as a float column
            column, dtype = column.cast(pl.Float64), pl.Float64()
        if isinstance(dtype, pl.List | pl.Array):
            casts.append(column.cast(pl.List(pl.String)).list.join(";").alias(name))
        elif isinstance(dtype, pl.Struct):
            casts.append(column.struct.json_encode().alias(name))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            # a zoned timestamp keeps its zone (+0000), as a CRM's text date-time says it, so
            # that a mapping's time_zone can read its local day (else its day as written)
            casts.append(column.dt.strftime("%Y-%m-%dT%H:%M:%S%z").alias(name))
        elif isinstance(dtype, pl.Datetime):  # midnight reads as a date
            midnight = column.dt.time() == time(0)
            casts.append(
                pl.when(midnight)
                .then(column.dt.date().cast(pl.String))
                .otherwise(column.dt.strftime("%Y-%m-%dT%H:%M:%S"))
                .alias(name)
            )
        elif dtype.is_float():
            whole = column.is_finite() & (column == column.floor()) & (column.abs() < 2.0**53)
            casts.append(
                pl.when(whole)
                .then(column.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(column.cast(pl.String))
                .alias(name)
            )
            rows = frame.filter(column.is_not_null() & ~whole)[ROW]
            if rows.len():
                fractional[name] = rows.to_list()
        elif isinstance(dtype, pl.Binary):  # text in bytes: UTF-8, else refused by name
            casts.append(pl.lit(_utf8_column(frame, name, source)).alias(name))
        elif isinstance(dtype, pl.Duration):  # ISO 8601: PT1M30S
            casts.append(column.dt.to_string().alias(name))
        else:
            casts.append(column.cast(pl.String).alias(name))
    return frame.with_columns(casts), fractional
