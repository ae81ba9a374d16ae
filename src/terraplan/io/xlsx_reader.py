"""Read one sheet of an XLSX workbook as text cells (see :mod:`terraplan.io.readers`).

Before openpyxl parses anything, :mod:`terraplan.io.xlsx_scan` checks the archive (inflated
sizes, the shared strings) and streams the sheet read through the cell limit, so that a
zip bomb is refused in seconds, naming the limit. The same pass finds formula cells without
a cached value (refused: they would read as empty) and merged ranges: openpyxl reads every
cell of a merged range but the top-left one as empty, so a range within one column (Industry
D2:D3 merged over two accounts) gives its value to each of its cells, with a warning naming
the range; a range across columns is named in a warning (its other cells read as empty).
"""

from __future__ import annotations

import logging
import math
import re
import zipfile
from collections.abc import Generator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import polars as pl

from terraplan.errors import DataError
from terraplan.io.mapping import unique_headers
from terraplan.io.report import short
from terraplan.io.xlsx_scan import check_archive, scan_sheet

logger = logging.getLogger(__name__)

#: Merged ranges named in a warning at most (a formatted report can merge hundreds).
MERGES_SHOWN = 5


def _fail(path: Path | str, reason: str) -> DataError:
    return DataError(f"{path}: {reason}", details={"file": str(path), "reason": reason})


def cell_text(value: object) -> str | None:
    """A cell value as text (``None`` for an empty or blank cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def other_sheet_headers(
    path: Path, sheet_read: str, *, max_columns: int, cell_limit: int
) -> dict[str, list[str]]:
    """The header row (first row) of each sheet of the workbook but ``sheet_read``, each
    header once (as the sheet read names them; an unreadable workbook gives none). A sheet
    breaking the cell limit is left out (it is only a hint)."""
    import openpyxl

    found: dict[str, list[str]] = {}
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # it was read a moment ago: a failure now only loses the hint
        return found
    try:
        for name in book.sheetnames:
            if name == sheet_read:
                continue
            try:
                scan_sheet(path, getattr(book[name], "_worksheet_path", None), name, cell_limit)
            except DataError:
                continue
            rows = book[name].iter_rows(min_row=1, max_row=1, values_only=True)
            first = next(rows, ())
            rows.close()
            cells = [cell_text(h) or "" for h in first[:max_columns]]
            found[name] = unique_headers(cells)[0] if any(cells) else []
    except Exception:  # a corrupt sheet fails lazily inside openpyxl: no hint, no crash
        logger.debug("%s: cannot read the other sheets' headers", path, exc_info=True)
    finally:
        book.close()
    return found


def read_xlsx(
    path: Path, sheet: str | int | None, *, row_column: str, max_columns: int, cell_limit: int
) -> tuple[pl.DataFrame, dict[str, list[int]], list[str], str]:
    """The cells of ``sheet`` (default: the first visible one) with the sheet row numbers in
    ``row_column``, the rows of fractional numbers per column, warnings and the name of the
    sheet read."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_archive(path, cell_limit)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _fail(
            path, f"not a readable XLSX workbook ({type(exc).__name__}: {short(str(exc), 200)})"
        ) from None
    fractional: dict[str, list[int]] = {}
    rows: Generator[tuple[Any, ...], None, None] | None = None
    try:
        name = _sheet_name(path, book, sheet)
        sheet_name = name
        scan = scan_sheet(path, getattr(book[name], "_worksheet_path", None), name, cell_limit)
        if scan.uncomputed:
            shown = ", ".join(scan.uncomputed[:3])
            raise _fail(
                path,
                f"sheet {short(name)!r}: formula cells without a computed value (e.g. {shown}) "
                "would read as empty; open the file in Excel or LibreOffice, save it, and "
                "import it again",
            )
        rows = book[name].iter_rows(min_row=1, values_only=True)
        try:
            header_row = next(rows)
        except StopIteration:
            raise _fail(path, f"sheet {short(name)!r} is empty (no header row)") from None
        headers = [cell_text(h) or "" for h in header_row]
        while headers and not headers[-1]:
            headers.pop()
        if len(headers) > max_columns:
            raise _fail(path, f"{len(headers):,} columns; the limit is {max_columns:,}")
        width = len(headers)
        names, kept, warnings = unique_headers(headers)
        columns: list[list[str | None]] = [[] for _ in kept]
        numbers: list[int] = []
        for number, row in enumerate(rows, start=2):
            values = row[:width]
            cells = [cell_text(v) for v in values]
            if not any(c is not None for c in cells):
                continue
            cells.extend([None] * (width - len(cells)))
            for name, index, column in zip(names, kept, columns, strict=True):
                value = values[index] if index < len(values) else None
                if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
                    fractional.setdefault(name, []).append(number)
                column.append(cells[index])
            numbers.append(number)
    except DataError:
        raise
    except Exception as exc:  # a corrupt sheet fails lazily inside openpyxl
        raise _fail(
            path, f"not a readable XLSX workbook ({type(exc).__name__}: {short(str(exc), 200)})"
        ) from None
    finally:
        # a row iterator left open keeps the workbook's file open past book.close()
        if rows is not None:
            rows.close()
        book.close()
    if scan.merged:
        warnings = [*warnings, *_fill_merged(scan.merged, kept, columns, numbers, sheet_name)]
    data: dict[str, pl.Series] = {
        h: pl.Series(h, c, dtype=pl.String) for h, c in zip(names, columns, strict=True)
    }
    data[row_column] = pl.Series(row_column, numbers, dtype=pl.Int64)
    return pl.DataFrame(data), fractional, warnings, sheet_name


def _sheet_name(path: Path, book: Any, sheet: str | int | None) -> str:
    names: list[str] = book.sheetnames
    if sheet is None:  # the first sheet a user sees (a hidden lookup sheet is not it)
        visible = [n for n in names if getattr(book[n], "sheet_state", "visible") == "visible"]
        return (visible or names)[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise _fail(path, f"no sheet number {sheet} (the workbook has {len(names)})")
        return names[sheet]
    if sheet in names:
        return sheet
    raise _fail(path, f"no sheet named {short(sheet)!r} (sheets: {short(', '.join(names))})")


_REF = re.compile(r"([A-Z]+)([0-9]+)")


def _address(ref: str) -> tuple[int, int]:
    """``"D12"`` -> (column index from 0, row number)."""
    match = _REF.fullmatch(ref)
    if match is None:
        raise ValueError(ref)
    letters, digits = match.groups()
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1, int(digits)


def _fill_merged(
    merged: list[str],
    kept: list[int],
    columns: list[list[str | None]],
    numbers: list[int],
    sheet: str,
) -> list[str]:
    """Give each cell of a merged range within one column the value of its top cell (Excel
    shows it in all of them); warn once naming the ranges filled and those left as read."""
    position = {number: i for i, number in enumerate(numbers)}
    slot = {index: i for i, index in enumerate(kept)}
    filled: list[str] = []
    across: list[str] = []
    for ref in merged:
        if ":" not in ref:
            continue
        try:
            (c0, r0), (c1, r1) = (_address(part) for part in ref.split(":"))
        except ValueError:
            continue
        if r1 <= 1 or (c0 not in slot and c1 not in slot):
            continue  # the header row, or columns not read
        if c0 != c1:
            across.append(ref)
            continue
        column = columns[slot[c0]]
        top = position.get(r0)
        value = column[top] if top is not None else None
        if value is None:
            continue
        for number in range(r0 + 1, r1 + 1):
            at = position.get(number)
            if at is not None and column[at] is None:
                column[at] = value
        filled.append(ref)
    warnings = []
    where = f"sheet {short(sheet)!r}"
    if filled:
        shown = ", ".join(filled[:MERGES_SHOWN]) + (", …" if len(filled) > MERGES_SHOWN else "")
        warnings.append(
            f"{where}: {len(filled):,} merged range{'s' if len(filled) != 1 else ''} ({shown}):"
            " each cell of a range is read with the value of its top cell"
        )
    if across:
        shown = ", ".join(across[:MERGES_SHOWN]) + (", …" if len(across) > MERGES_SHOWN else "")
        warnings.append(
            f"{where}: merged cells across columns ({shown}): only the first cell of each"
            " range holds the value; the others read as empty (unmerge them to import"
            " their values)"
        )
    return warnings
