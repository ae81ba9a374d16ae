"""Small CSV files that steer a design: keep-together groups, balance windows, travel costs.

:func:`read_design_csv` reads such a file into rows of text cells keyed by canonical column
names, each with the line number a user sees (the header is line 1). Headers are matched
case-insensitively, spaces and dashes read as underscores, against each column's accepted
names (``rep``, ``rep_id``, ``centre``, ``center`` ...). The delimiter is sniffed among
``, ; TAB |``; the encoding is UTF-8 (with or without a byte-order mark), else
Windows-1252. :func:`number` reads a cell as a non-negative number (``1,250.5``, ``2.5M``).

Every :class:`DataError` names the file, the row, the field and the reason.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from terraplan.errors import DataError

#: Largest file read (bytes): these files hold a row per unit and rep at most.
MAX_BYTES = 200_000_000
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9}


@dataclass(frozen=True, slots=True)
class Row:
    """One record: ``line`` as the user sees it, ``cells`` canonical column -> text ("" empty)."""

    line: int
    cells: Mapping[str, str]


def fail(file: str, row: int | None, field: str, reason: str) -> DataError:
    """The error for a bad cell (or file, when ``row`` is None)."""
    where = f"{file}" + (f", row {row}" if row is not None else "")
    return DataError(
        f"{where}: {field}: {reason}",
        details={"file": file, "row": row, "field": field, "reason": reason},
    )


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def read_design_csv(
    path: str | Path,
    columns: Mapping[str, Sequence[str]],
    *,
    optional: Sequence[str] = (),
) -> list[Row]:
    """Rows of ``path`` with the ``columns`` (canonical name -> accepted headers).

    Columns not named in ``optional`` must be present. Raises :class:`DataError` for a
    missing or unreadable file, a missing column or a file with no row.
    """
    file = str(path)
    path = Path(path)
    if not path.is_file():
        raise fail(file, None, "file", "file not found")
    if path.stat().st_size > MAX_BYTES:
        raise fail(file, None, "file", f"larger than {MAX_BYTES // 1_000_000} MB")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise fail(file, None, "file", "not a text file")
    lines = text.splitlines(keepends=True)
    sample = "".join(lines[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise fail(file, None, "file", "the file is empty") from None
    found: dict[str, int] = {}
    keys = [_key(h) for h in header]
    for name, accepted in columns.items():
        for alias in (name, *accepted):
            if _key(alias) in keys:
                found[name] = keys.index(_key(alias))
                break
        else:
            if name not in optional:
                raise fail(
                    file,
                    1,
                    name,
                    f"no {name!r} column (accepted headers: {', '.join((name, *accepted))}; "
                    f"found: {', '.join(h.strip() for h in header)})",
                )
    rows = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            raise fail(
                file, line, "row", f"{len(record)} fields but the header has {len(header)} "
                "(quote numbers written with a thousands separator)"
            )  # fmt: skip
        cells = {name: (record[i].strip() if i < len(record) else "") for name, i in found.items()}
        rows.append(Row(line, cells))
    if not rows:
        raise fail(file, None, "file", "no rows below the header")
    return rows


def number(text: str, *, file: str, row: int, field: str) -> float:
    """``text`` as a non-negative number: ``1250``, ``1,250.5``, ``2.5M``, ``40k``."""
    cleaned = text.strip().replace(" ", "").replace("_", "")
    scale = 1.0
    if cleaned and cleaned[-1].lower() in _SUFFIX:
        scale = _SUFFIX[cleaned[-1].lower()]
        cleaned = cleaned[:-1]
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned) * scale
    except ValueError:
        raise fail(file, row, field, f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise fail(file, row, field, f"{text!r} is not a non-negative number")
    return value
