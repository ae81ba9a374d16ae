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

CSV files: the delimiter is sniffed among ``, ; TAB |``; the encoding is UTF-8 (with or
without a byte-order mark), else Windows-1252 (Windows Excel "CSV": ``€``, curly quotes;
Latin-1 where a byte is undefined in Windows-1252) unless the caller names one. Blank lines
are skipped. A record with more non-empty fields than the header (an unquoted comma inside a
value) is refused naming its line; empty extra fields (a trailing delimiter) are dropped.

Headers (CSV, XLSX) are stripped; an empty one is named by its position (``column_3``); a
header repeating an earlier one is ignored with a warning naming it and both positions
(:func:`terraplan.io.mapping.unique_headers`).

Limits (hostile or broken files fail fast with a :class:`DataError` naming the limit, the file
and the row): at most :data:`MAX_COLUMNS` columns, :data:`MAX_FIELD_BYTES` bytes in a cell and
:data:`MAX_LINE_BYTES` bytes in a CSV line.

Numbers stored as numbers (XLSX, Parquet) become their text: whole numbers without ``.0``
(``1234.0`` -> ``"1234"``); the rows where a column held a fractional, NaN or infinite
number are kept in :attr:`SourceTable.fractional`, so that a text field (a name, an id) can
refuse them.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from terraplan.errors import DataError
from terraplan.io.mapping import ColumnMap, load_mapping, resolve_columns, unique_headers
from terraplan.io.parsing import Decimal
from terraplan.io.report import short
from terraplan.io.report_footer import strip_report_footer
from terraplan.io.schema import kind_spec
from terraplan.io.xlsx_reader import other_sheet_headers, read_xlsx

logger = logging.getLogger(__name__)

ROW = "__row__"
"""Name of the row-number column of :attr:`SourceTable.frame`."""

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 65536

MAX_COLUMNS = 2_000
"""Most columns a file may have."""
MAX_FIELD_BYTES = 100_000
"""Largest cell, in bytes of UTF-8 text."""
MAX_LINE_BYTES = 1_000_000
"""Longest physical line of a CSV file, in bytes of UTF-8 text."""


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
    mapping_source = "mapping"
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
        frame, details, warnings = _read_csv(path, encoding)
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
    _check_sizes(path, frame)
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


def _check_sizes(path: Path, frame: pl.DataFrame) -> None:
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


# --- CSV -------------------------------------------------------------------------------


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[bytes, str]:
    """UTF-8 bytes of ``data`` (BOM removed) and the encoding they were read with."""
    if encoding is not None:
        name = encoding.lower().replace("_", "-")
        if name in ("utf-8", "utf8", "utf-8-sig"):
            encoding = "utf-8-sig"
        try:
            text = data.decode(encoding)
        except LookupError:
            raise _fail(path, f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise _fail(
                path, f"cannot decode the file as {encoding}: {exc.reason} at byte {exc.start}"
            ) from None
        if encoding == "utf-8-sig":
            return (data[3:] if data.startswith(b"\xef\xbb\xbf") else data), "utf-8"
        return text.encode("utf-8"), encoding
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _fail(path, "UTF-32 text is not read: save the file as UTF-8 (or UTF-16)")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16
        try:
            return data.decode("utf-16").encode("utf-8"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _fail(
                path, f"cannot decode the file as UTF-16: {exc.reason} at byte {exc.start}"
            ) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return data, "utf-8"
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise _fail(path, "not a text file (binary content)")
    # Windows Excel "CSV": Windows-1252 (a superset of Latin-1's printable characters, with
    # euro sign and curly quotes at 0x80-0x9F); Latin-1 when a byte is undefined in it.
    if _UTF8_LETTER.search(data):
        # Two exports joined (one UTF-8, one Windows "CSV"): each line as it was written, or
        # the UTF-8 names would read garbled ("MÃ¼ller"). A Windows-1252 line is hardly
        # ever valid UTF-8 with letters beyond ASCII.
        return b"\n".join(_line_as_utf8(line) for line in data.split(b"\n")), "utf-8+cp1252"
    try:
        return data.decode("cp1252").encode("utf-8"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8"), "latin-1"


#: A UTF-8 letter beyond ASCII (two to four bytes).
_UTF8_LETTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _line_as_utf8(line: bytes) -> bytes:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return line.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError:
            return line.decode("latin-1").encode("utf-8")
    return line


def _sniff_delimiter(sample: str) -> str:
    """The delimiter of the header line (headers rarely contain one), else csv.Sniffer's."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    counts = {d: lines[0].count(d) for d in _DELIMITERS}
    ranked = sorted(_DELIMITERS, key=lambda d: -counts[d])
    if counts[ranked[0]] > counts[ranked[1]]:
        return ranked[0]
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(_DELIMITERS))
        if dialect.delimiter in _DELIMITERS:
            return dialect.delimiter
    except csv.Error:
        pass
    return ranked[0] if counts[ranked[0]] > 0 else ","


def _record_start_lines(text: bytes, delimiter: str) -> list[int]:
    """Physical line number of every record after the header (the slow, exact path)."""
    reader = csv.reader(io.StringIO(text.decode("utf-8"), newline=""), delimiter=delimiter)
    starts: list[int] = []
    previous_end = 0
    for index, _ in enumerate(reader):
        if index > 0:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts


def _check_csv_lines(path: Path, data: bytes, offset: int) -> None:
    """The header's column count and every line's length against the limits."""
    end = data.find(b"\n", 0, MAX_LINE_BYTES + 1)
    header = data[: end if end >= 0 else MAX_LINE_BYTES + 1]
    width = 1 + max(header.count(d.encode()) for d in _DELIMITERS)
    if width > MAX_COLUMNS:
        more = "" if end >= 0 or len(data) <= MAX_LINE_BYTES else " or more"
        raise _fail(path, f"the header has {width:,}{more} columns; the limit is {MAX_COLUMNS:,}")
    if len(data) <= MAX_LINE_BYTES:
        return
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    bounds = np.concatenate(([-1], ends, [len(data)]))
    lengths = np.diff(bounds) - 1
    long = np.flatnonzero(lengths > MAX_LINE_BYTES)
    if long.size:
        line = int(long[0]) + 1 + offset
        raise DataError(
            f"{path}: line {line} is longer than the limit of {MAX_LINE_BYTES:,} bytes",
            details={"file": str(path), "row": line, "reason": "line too long"},
        )


def _read_csv(path: Path, encoding: str | None) -> tuple[pl.DataFrame, dict[str, Any], list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read the file ({exc.strerror})") from None
    if raw[:4] == b"PK\x03\x04" or raw[:4] == b"PAR1":
        raise _fail(path, "not a CSV file (binary content)")
    data, used = _decode(path, raw, encoding)
    del raw
    if not data.strip():
        raise _fail(path, "the file is empty (no header row)")
    body = data.lstrip(b"\r\n")  # blank lines before the header
    offset = data[: len(data) - len(body)].count(b"\n")
    data = body.rstrip(b"\x1a")  # the end-of-file mark of DOS-era exports
    data, mac = _bare_cr_as_line_ends(data)
    # Excel writes "sep=;" above the header when asked for a delimiter: a hint, not a row.
    hint = re.match(rb"sep=([,;\t|])\r?\n", data)
    excel_delimiter = None
    if hint is not None:
        excel_delimiter = hint.group(1).decode()
        data = data[hint.end() :]
        offset += 1
    _check_csv_lines(path, data, offset)
    delimiter = excel_delimiter or _sniff_delimiter(
        data[:_SNIFF_BYTES].decode("utf-8", errors="ignore")
    )
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            separator=delimiter,
            has_header=False,  # the header as written: polars renames repeated ones
            infer_schema=False,
            quote_char='"',
            raise_if_empty=False,
        )
    except Exception as exc:  # polars raises several types for malformed CSV
        try:
            # Usually records longer than the header: a trailing delimiter (fine) or an
            # unquoted delimiter inside a value (refused, naming the line).
            frame = _read_csv_wider(path, data, delimiter, offset)
        except DataError:
            raise
        except Exception:
            # A stray quote: read again record by record, to name the line (or read what
            # polars could not, as a quote inside a value).
            frame = _read_csv_records(path, data, delimiter, offset, exc)
    names, kept, warnings = unique_headers(list(frame.row(0)) if frame.height else [])
    frame = frame.slice(1).select(
        pl.col(frame.columns[i]).alias(name) for i, name in zip(kept, names, strict=True)
    )
    # Physical lines: fast path when every record is one line (the usual case).
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines == frame.height + 1:
        rows = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
    else:
        starts = _record_start_lines(data, delimiter)
        if len(starts) == frame.height:
            rows = pl.Series(starts, dtype=pl.Int64)
        else:  # the two parsers disagree (should not happen): keep record order
            logger.warning("%s: could not map records to line numbers exactly", path)
            rows = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
    frame = frame.with_columns((rows + offset).alias(ROW))
    data_columns = [c for c in frame.columns if c != ROW]
    if data_columns:  # blank lines come back as all-null records
        frame = frame.filter(~pl.all_horizontal(pl.col(data_columns).is_null()))
    if mac:
        warnings = [*warnings, mac]
    return frame, {"delimiter": delimiter, "encoding": used}, warnings


#: A carriage return that does not start a Windows line end.
_BARE_CR = re.compile(rb"\r(?!\n)")


def _bare_cr_as_line_ends(data: bytes) -> tuple[bytes, str | None]:
    """``data`` with each bare carriage return read as a line end, and a note saying so.

    Excel for Mac's "CSV (Macintosh)" ends lines with CR alone (and two files joined may mix
    it with LF): polars would read such a file as one line. Python's csv module, and every
    spreadsheet, take a bare CR as a line end too.
    """
    if b"\r" not in data or _BARE_CR.search(data) is None:
        return data, None
    only = b"\n" not in data
    data = _BARE_CR.sub(b"\n", data)
    if only:
        return data, "lines end with CR only (the old Mac format): read as line ends"
    return data, "some lines end with CR only (the old Mac format): read as line ends"


def _read_csv_wider(path: Path, data: bytes, delimiter: str, offset: int) -> pl.DataFrame:
    """``data`` read by polars one column wider than its header (as ``has_header=False``
    names them); a record with a value in that column is refused naming its line, the
    empty extra fields of a trailing delimiter are dropped."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
    width = len(next(csv.reader([first], delimiter=delimiter)))
    header = delimiter.join(f"c{i}" for i in range(width + 1)).encode() + b"\n"
    frame = pl.read_csv(
        io.BytesIO(header + data),
        separator=delimiter,
        has_header=True,
        infer_schema=False,
        quote_char='"',
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )
    extra = frame.get_column(f"c{width}").str.strip_chars()
    over = (extra.is_not_null() & (extra != "")).arg_true()
    if over.len():
        index = int(over[0])
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if lines == frame.height:
            line = index + 1
        else:  # records over several lines: number them exactly (the slow path, once)
            starts = _record_start_lines(data, delimiter)
            line = starts[index - 1] if 0 < index <= len(starts) else index + 1
        line += offset
        raise DataError(
            f"{path}: line {line} has more fields than the header's {width} (a "
            f"{_shown_delimiter(delimiter)} inside a value that is not quoted? write it "
            '"Acme, Inc.")',
            details={"file": str(path), "row": line, "reason": "too many fields"},
        )
    return frame.drop(f"c{width}").rename({f"c{i}": f"column_{i + 1}" for i in range(width)})


def _read_csv_records(
    path: Path, data: bytes, delimiter: str, offset: int, cause: Exception
) -> pl.DataFrame:
    """The CSV ``data`` read by Python's csv module, as ``pl.read_csv(has_header=False)``
    reads it: every record a row of text columns ``column_1``.... A record with more
    non-empty fields than the header (an unquoted delimiter inside a value: ``Acme, Inc.``)
    or an unclosed quote is refused naming its line."""
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    width = 0
    try:
        for record in reader:
            if not records:
                width = len(record)
            elif len(record) > width and any(cell.strip() for cell in record[width:]):
                line = reader.line_num + offset
                raise DataError(
                    f"{path}: line {line} has {len(record)} fields where the header has "
                    f"{width} (a {_shown_delimiter(delimiter)} inside a value that is not "
                    'quoted? write it "Acme, Inc.")',
                    details={"file": str(path), "row": line, "reason": "too many fields"},
                )
            records.append(record[:width] + [""] * (width - len(record)))
    except csv.Error as exc:
        line = reader.line_num + offset
        raise DataError(
            f"{path}: line {line}: {exc} (an unclosed or stray quote?)",
            details={"file": str(path), "row": line, "reason": str(exc)},
        ) from None
    if not records:
        raise _fail(
            path, f"not a readable CSV file ({type(cause).__name__}: {short(str(cause), 200)})"
        )
    columns = [f"column_{i + 1}" for i in range(width)]
    return pl.DataFrame(
        {
            name: pl.Series(name, [r[i] or None for r in records], dtype=pl.String)
            for i, name in enumerate(columns)
        }
    )


def _shown_delimiter(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(delimiter, repr(delimiter))


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
