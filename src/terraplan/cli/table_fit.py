"""Column widths for a CLI table that must fit the screen (80 columns when piped).

A too-wide table is narrowed where it costs the fewest printed lines: first its headers
wrap (a two-line header costs one line in all, a wrapped value one per row), then the
columns whose values wrap the least more for the room they give. A
table of alerts thus wraps its short "kind" column ("pipeline / coverage") before its
reasons take a third line on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

#: Rows whose wrapping is counted when choosing widths (a long table's first rows tell).
SAMPLE_ROWS = 100

_PADDING = 2  # one space either side of each cell


def fit_columns(table: Table, console: Console) -> int:
    """Fix the width of each column of ``table`` so that it fits ``console``, no column
    below its longest word (or its ``min_width``). Returns the width the table takes: more
    than the console's when even that does not fit (Rich would shrink some columns to
    nothing).

    Rich shrinks a too-wide table below the columns' minimum widths and then widens them
    back, so the table came out a few characters wider than the screen and was cut at
    its right edge: the last column's figures were lost without a sign.
    """
    room = console.width - (len(table.columns) + 1)  # the vertical borders
    lows: list[int] = []
    bodies: list[int] = []  # each column as wide as its widest value, its header wrapped
    highs: list[int] = []
    natural = console.options.update_width(10_000)  # each cell's own width, whatever COLUMNS says
    for column in table.columns:
        header = Measurement.get(console, natural, column.header)
        cells = [Measurement.get(console, natural, c) for c in column.cells]
        low = max(column.min_width or 0, header.minimum, *(m.minimum for m in cells)) + _PADDING
        body = max([low, *(m.maximum + _PADDING for m in cells)])
        lows.append(low)
        bodies.append(body)
        highs.append(max(body, header.maximum + _PADDING))
    if sum(highs) <= room:
        return console.width  # Rich gives each column all it needs
    if sum(bodies) <= room:
        chosen = _unwrap_headers(bodies, highs, room)
    else:
        texts = [[_text(column.header), *map(_text, column.cells)] for column in table.columns]
        chosen = _fewest_lines(texts, lows, bodies, room)
    for column, width in zip(table.columns, chosen, strict=True):
        column.width = width - _PADDING
    return max(console.width, sum(chosen) + len(table.columns) + 1)


def _text(cell: Any) -> str:
    return cell if isinstance(cell, str) else str(getattr(cell, "plain", cell))


def _unwrap_headers(bodies: list[int], highs: list[int], room: int) -> list[int]:
    """Widths from ``bodies`` (values whole, headers wrapped), giving the room left to the
    headers that need the least of it to fit on one line."""
    chosen = list(bodies)
    spare = room - sum(chosen)
    for index in sorted(range(len(chosen)), key=lambda i: highs[i] - bodies[i]):
        need = highs[index] - chosen[index]
        if 0 < need <= spare:
            chosen[index] = highs[index]
            spare -= need
    return chosen


def _fewest_lines(
    texts: Sequence[Sequence[str]], lows: Sequence[int], bodies: Sequence[int], room: int
) -> list[int]:
    """Narrow columns from ``bodies`` towards ``lows`` until their widths (padding
    included) add up to ``room``, each step narrowing the column, by as many characters
    as suits it, that adds the fewest lines to the table per character it gives up.
    ``texts[c]`` holds column ``c``'s header then its values."""
    import numpy as np

    sample = [list(t[: SAMPLE_ROWS + 1]) for t in texts]
    memo: dict[tuple[int, int], Any] = {}

    def lines(column: int, width: int) -> Any:
        key = (column, width)
        if key not in memo:
            memo[key] = np.array([wrapped_lines(t, width - _PADDING) for t in sample[column]])
        return memo[key]

    widths = list(bodies)
    while (needed := sum(widths) - room) > 0:
        current = np.stack([lines(c, w) for c, w in enumerate(widths)])  # (columns, rows)
        total = int(current.max(axis=0).sum())
        best: tuple[float, int, int, int] | None = None  # (lines per character, -saved, c, w)
        for c, width in enumerate(widths):
            others = np.delete(current, c, axis=0)
            floor = others.max(axis=0) if len(others) else np.zeros(current.shape[1], int)
            # a column narrowed by several characters at once: its first wrap costs a line
            # per row, the next characters often nothing
            for narrower in range(width - 1, max(lows[c], width - needed) - 1, -1):
                added = int(np.maximum(floor, lines(c, narrower)).sum()) - total
                saved = width - narrower
                candidate = (added / saved, -saved, c, narrower)
                if best is None or candidate < best:
                    best = candidate
        if best is None:
            break  # every column at its narrowest: the table is wider than the screen
        widths[best[2]] = best[3]
    return widths


def wrapped_lines(text: str, width: int) -> int:
    """Lines ``text`` takes in a cell ``width`` characters wide: wrapped between words, a
    word longer than the cell folded."""
    width = max(width, 1)
    count = 0
    for paragraph in text.split("\n"):
        count += 1
        used = 0
        for word in paragraph.split():
            size = cell_len(word)
            if used and used + 1 + size <= width:
                used += 1 + size
                continue
            if used:
                count += 1
            folds = (size - 1) // width if size else 0
            count += folds
            used = size - folds * width
    return count
