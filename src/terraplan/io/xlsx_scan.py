"""Look inside an XLSX archive before openpyxl parses it: limits, formulas, merged cells.

An XLSX file is a zip archive of XML parts. A few megabytes can inflate to gigabytes (a "zip
bomb": one cell of two billion letters compresses a thousandfold), and openpyxl would build
that cell in memory before any limit of :mod:`terraplan.io.readers` could see it. So, before
openpyxl reads a part:

- :func:`check_archive` refuses any part whose inflated size (from the archive's directory;
  Python's ``zipfile`` never inflates a part past the size the directory declares) is over
  :data:`MAX_PART_BYTES`, or that inflates more than :data:`MAX_RATIO` times while over
  :data:`RATIO_FLOOR_BYTES`; then it streams the shared strings (which openpyxl loads whole)
  through the cell limit;
- :func:`scan_sheet` streams the sheet read, in chunks, through the same cell limit (any run
  of XML text between two tags longer than the cell limit allows), and on the way collects
  the formula cells without a cached value and the merged ranges (openpyxl's read-only mode
  does not report them).

Each refusal is a :class:`DataError` naming the file, the limit and, for a cell, its address.
Memory stays at one chunk whatever the file holds.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from terraplan.errors import DataError
from terraplan.io.report import short

#: Largest inflated size of one part of the archive (a sheet's XML), in bytes. A full Excel
#: sheet of a million rows of ten short cells is about 400 MB of XML.
MAX_PART_BYTES = 1_000_000_000
#: Largest compression ratio of a part over :data:`RATIO_FLOOR_BYTES` (real sheets inflate
#: 5-60 times; a bomb a thousand times).
MAX_RATIO = 200
#: Parts smaller than this inflated are not judged by their ratio (tiny parts compress oddly).
RATIO_FLOOR_BYTES = 50_000_000
#: Bytes of XML read at a time.
CHUNK_BYTES = 1 << 22
#: An XML entity (``&amp;``) is longer than the character it stands for: a run of text this
#: many times the cell limit cannot be a cell within it whatever its entities.
_ENTITY_SLACK = 10

_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"(?:\s[^>]*)?(?<!/)>(.*?)</c>', re.DOTALL)
#: A cached value (``<v></v>`` is one: a formula whose result is "" in Excel's files); none
#: or ``<v />`` is what a writer that does not calculate leaves.
_VALUE = re.compile(rb"<v(?:\s[^>]*)?(?<!/)>")
_MERGE = re.compile(rb'<mergeCell\s[^>]*ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_CELL_START = b'<c r="'


def _fail(path: Path, reason: str, **details: object) -> DataError:
    return DataError(f"{path}: {reason}", details={"file": str(path), "reason": reason, **details})


@dataclass(slots=True)
class SheetScan:
    """What :func:`scan_sheet` found: formula cells without a cached value (a few, as
    examples) and the merged ranges (``"D2:D3"``)."""

    uncomputed: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


def check_archive(path: Path, cell_limit: int) -> None:
    """Refuse a workbook whose parts inflate past the limits, or whose shared strings hold a
    text over ``cell_limit`` bytes (see the module docstring). A file that is not a zip
    archive passes: openpyxl's own error names it."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                _check_part_size(path, info)
            for info in archive.infolist():
                if info.filename.lower().endswith("sharedstrings.xml"):
                    with archive.open(info) as stream:
                        _scan(path, stream, cell_limit, where="the workbook's shared strings")
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return  # not a readable archive (or an encrypted one): openpyxl's error says so


def _check_part_size(path: Path, info: zipfile.ZipInfo) -> None:
    name = short(info.filename)
    if info.file_size > MAX_PART_BYTES:
        raise _fail(
            path,
            f"part {name!r} of the workbook inflates to {info.file_size:,} bytes; the limit is"
            f" {MAX_PART_BYTES:,} (a zip bomb, or a sheet too large: save it as CSV or Parquet)",
            limit=MAX_PART_BYTES,
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
        raise _fail(
            path,
            f"part {name!r} of the workbook inflates {ratio:,.0f} times ({info.compress_size:,}"
            f" -> {info.file_size:,} bytes); the limit is {MAX_RATIO} times (a zip bomb?)",
            limit=MAX_RATIO,
        )


def scan_sheet(path: Path, sheet_path: str | None, sheet_name: str, cell_limit: int) -> SheetScan:
    """Stream the sheet's XML once: refuse a cell over ``cell_limit`` bytes, collect the
    formula cells without a cached value and the merged ranges."""
    found = SheetScan()
    if sheet_path is None:
        return found
    try:
        with zipfile.ZipFile(path) as archive, archive.open(sheet_path.lstrip("/")) as stream:
            _scan(path, stream, cell_limit, where=f"sheet {short(sheet_name)!r}", found=found)
    except (KeyError, OSError, zipfile.BadZipFile):
        return found
    return found


def _scan(
    path: Path,
    stream: IO[bytes],
    cell_limit: int,
    *,
    where: str,
    found: SheetScan | None = None,
) -> None:
    """Read ``stream`` in chunks; refuse at the first text run over the cell limit.

    A run is the text between two tags (``>`` ... ``<``). Without entities its length is the
    cell's size in bytes; with them (``&amp;``) it is longer than the cell, so a run over the
    limit that holds an ``&`` is judged by :data:`_ENTITY_SLACK` times the limit.
    """
    run = 0  # length of the text run still open at the end of the previous chunk
    run_has_entity = False
    last_cell = None  # address of the last cell opened before the current chunk
    carry = b""  # an incomplete <c>...</c> or <mergeCell .../> at the end of a chunk
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        data = np.frombuffer(chunk, dtype=np.uint8)
        marks = np.flatnonzero((data == 60) | (data == 62))  # '<' or '>'
        if marks.size == 0:
            run += len(chunk)
            run_has_entity = run_has_entity or b"&" in chunk
            _check_run(path, run, run_has_entity, cell_limit, where, last_cell)
        else:
            first = int(marks[0])
            head_entity = run_has_entity or b"&" in chunk[:first]
            # the run carried over ends at the first mark (a run inside a tag is short)
            _check_run(path, run + first, head_entity, cell_limit, where, last_cell)
            gaps = np.diff(marks) - 1
            long = np.flatnonzero(gaps > cell_limit)
            for index in long.tolist():
                start, end = int(marks[index]) + 1, int(marks[index + 1])
                entity = b"&" in chunk[start:end]
                cell = _last_cell(chunk, start) or last_cell
                _check_run(path, end - start, entity, cell_limit, where, cell)
            tail_start = int(marks[-1]) + 1
            run = len(chunk) - tail_start
            run_has_entity = b"&" in chunk[tail_start:]
            last_cell = _last_cell(chunk, len(chunk)) or last_cell
            _check_run(path, run, run_has_entity, cell_limit, where, last_cell)
        if found is not None:
            carry = _collect(found, carry + chunk if len(carry) < CHUNK_BYTES else chunk)


def _check_run(
    path: Path, size: int, entity: bool, limit: int, where: str, cell: str | None
) -> None:
    if size <= limit or (entity and size <= limit * _ENTITY_SLACK):
        return
    at = f", cell {cell}" if cell else ""
    raise _fail(
        path,
        f"{where}{at}: a cell of more than {limit:,} bytes; the limit is {limit:,}",
        limit=limit,
        **({"cell": cell} if cell else {}),
    )


def _last_cell(chunk: bytes, before: int) -> str | None:
    """The address of the last cell opened in ``chunk`` before offset ``before``."""
    at = chunk.rfind(_CELL_START, 0, before)
    if at < 0:
        return None
    end = chunk.find(b'"', at + len(_CELL_START), at + len(_CELL_START) + 12)
    return None if end < 0 else chunk[at + len(_CELL_START) : end].decode("ascii", "replace")


def _collect(found: SheetScan, data: bytes) -> bytes:
    """Record the uncomputed formulas and merged ranges of the complete elements of
    ``data``; return the incomplete rest (carried into the next chunk)."""
    end = data.rfind(b"</c>")
    cut = end + 4 if end >= 0 else 0
    merge = data.rfind(b"<mergeCell ")
    if merge >= 0:  # past the last complete <mergeCell .../> (they follow the cells)
        close = data.find(b">", merge)
        cut = max(cut, close + 1 if close >= 0 else merge)
    complete, rest = data[:cut], data[cut:]
    if len(found.uncomputed) < 3 and b"<f" in complete:
        for match in _CELL.finditer(complete):
            ref, content = match.groups()
            if b"<f" in content and not _VALUE.search(content):
                found.uncomputed.append(ref.decode())
                if len(found.uncomputed) == 3:
                    break
    if b"<mergeCell" in complete:
        found.merged.extend(m.group(1).decode() for m in _MERGE.finditer(complete))
    return rest
