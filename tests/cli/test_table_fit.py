"""Column widths of CLI tables at 80 columns: the fewest printed lines, nothing cut."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from terraplan.cli.table_fit import _fewest_lines, fit_columns, wrapped_lines


def _uniform_cap(lows: list[int], bodies: list[int], room: int) -> list[int]:
    """The fitting used before: one cap lowered on every column until the table fits."""
    cap = max(bodies)
    while (
        cap > 0 and sum(min(max(cap, lo), hi) for lo, hi in zip(lows, bodies, strict=True)) > room
    ):
        cap -= 1
    return [min(max(cap, lo), hi) for lo, hi in zip(lows, bodies, strict=True)]


def _printed_lines(texts: list[list[str]], widths: list[int]) -> int:
    rows = zip(*texts, strict=True)
    return sum(
        max(wrapped_lines(t, w - 2) for t, w in zip(row, widths, strict=True)) for row in rows
    )


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [("pipeline coverage", 17, 1), ("pipeline coverage", 16, 2), ("a b c", 1, 3),
     ("", 5, 1), ("abcdefghij", 4, 3), ("one\ntwo three", 9, 2), ("x  y", 3, 1)],
)  # fmt: skip
def test_wrapped_lines_counts_what_a_cell_shows(text: str, width: int, lines: int) -> None:
    assert wrapped_lines(text, width) == lines


def test_an_alerts_table_wraps_its_short_columns_before_the_reasons() -> None:
    """With one cap on every column the reasons took three lines per alert while the
    kind ("pipeline coverage") and subject kept one; now two lines per alert."""
    reason = "2026Q4: open pipeline 1.3M covers 1.3x the remaining target 1.0M (1.3 < 3.0x)"
    table = Table()
    for name in ("severity", "kind", "subject", "reason"):
        table.add_column(name, overflow="fold")
    for n in range(30):
        table.add_row("warning", "pipeline coverage", f"Territory {n:02d}", reason)
    console = Console(width=80, file=io.StringIO(), force_terminal=False)
    assert fit_columns(table, console) == 80
    console.print(table)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert max(len(line) for line in lines) <= 80
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 60
    texts = [["severity", *["warning"] * 30], ["kind", *["pipeline coverage"] * 30],
             ["subject", *[f"Territory {n:02d}" for n in range(30)]], ["reason", *[reason] * 30]]  # fmt: skip
    lows, bodies = [10, 10, 11, 10], [10, 19, 14, len(reason) + 2]
    assert _printed_lines(texts, _uniform_cap(lows, bodies, 75)) == 1 + 30 * 3  # as before


_word = st.text(alphabet="abcdefghij", min_size=1, max_size=12)
_cell = st.lists(_word, min_size=1, max_size=8).map(" ".join)


@given(
    st.integers(2, 5).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(_cell, min_size=n, max_size=n), min_size=1, max_size=12),
            st.integers(20, 90),
        )
    )
)
def test_widths_fit_the_room_and_cost_no_more_lines_than_one_cap(case: tuple) -> None:
    rows, room = case
    texts = [list(column) for column in zip(*(["h"] * len(rows[0]), *rows), strict=True)]
    lows = [max(max(len(w) for w in t.split()) for t in column) + 2 for column in texts]
    bodies = [max(len(t) for t in column) + 2 for column in texts]
    if sum(bodies) <= room:
        return
    widths = _fewest_lines(texts, lows, bodies, room)
    assert all(lo <= w <= hi for lo, w, hi in zip(lows, widths, bodies, strict=True))
    assert sum(widths) == max(room, sum(lows))
    assert _printed_lines(texts, widths) <= _printed_lines(texts, _uniform_cap(lows, bodies, room))
