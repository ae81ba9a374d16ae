"""Read a CSV file as text cells (see :mod:`terraplan.io.readers`).

The encoding is UTF-8 (with or without a byte-order mark), UTF-16 when a byte-order mark says
so, else Windows-1252 (Latin-1 where a byte is undefined in it), each line as it was written
when UTF-8 and Windows-1252 lines are mixed, unless the caller names one. The delimiter is
Excel's ``sep=`` hint when the file starts with one, else sniffed among ``, ; TAB |``. Lines
ending with a bare carriage return (old Mac format) are read as lines, with a warning; blank
lines are skipped. Each record is numbered by the physical line where it starts. A record with
more non-empty fields than the header, or a stray quote, is refused naming its line.

Limits: at most :data:`MAX_LINE_BYTES` bytes in a line, and the caller's column limit on the
header (the cell limit is checked by :mod:`terraplan.io.readers` on the frame read).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from terraplan.errors import DataError
from terraplan.io.mapping import unique_headers
from terraplan.io.report import short

logger = logging.getLogger(__name__)

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 65536

MAX_LINE_BYTES = 1_000_000
"""Longest physical line of a CSV file, in bytes of UTF-8 text."""


def _fail(path: Path | str, reason: str) -> DataError:
    return DataError(f"{path}: {reason}", details={"file": str(path), "reason": reason})


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


def _check_csv_lines(path: Path, data: bytes, offset: int, max_columns: int) -> None:
    """The header's column count and every line's length against the limits."""
    end = data.find(b"\n", 0, MAX_LINE_BYTES + 1)
    header = data[: end if end >= 0 else MAX_LINE_BYTES + 1]
    width = 1 + max(header.count(d.encode()) for d in _DELIMITERS)
    if width > max_columns:
        more = "" if end >= 0 or len(data) <= MAX_LINE_BYTES else " or more"
        raise _fail(path, f"the header has {width:,}{more} columns; the limit is {max_columns:,}")
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


def read_csv(
    path: Path, encoding: str | None, *, row_column: str, max_columns: int
) -> tuple[pl.DataFrame, dict[str, Any], list[str]]:
    """The records of the CSV file ``path`` as text cells, with the line numbers in
    ``row_column``, the details read (``delimiter``, ``encoding``) and warnings. ``encoding``
    names the encoding (default: detected); a header wider than ``max_columns`` is refused."""
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
    _check_csv_lines(path, data, offset, max_columns)
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
    frame = frame.with_columns((rows + offset).alias(row_column))
    data_columns = [c for c in frame.columns if c != row_column]
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
            f"{path}: line {line} has more fields than the header's {width} "
            f"({_why_wider(width, delimiter)})",
            details={"file": str(path), "row": line, "reason": "too many fields"},
        )
    return frame.drop(f"c{width}").rename({f"c{i}": f"column_{i + 1}" for i in range(width)})


def _why_wider(width: int, delimiter: str) -> str:
    """The likely cause of a line wider than the header: a title line above the header (a
    report export's "Accounts by owner" names one column), or an unquoted delimiter."""
    if width <= 1:
        return (
            "the first line names at most one column: is a title above the header? the "
            "header must be the first line: remove the lines above it"
        )
    return (
        f'a {_shown_delimiter(delimiter)} inside a value that is not quoted? write it "Acme, Inc."'
    )


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
                    f"{width} ({_why_wider(width, delimiter)})",
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
