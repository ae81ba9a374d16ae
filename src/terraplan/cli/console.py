"""Rendering for the CLI: Rich tables, JSON or CSV on stdout; messages on stderr."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from terraplan.cli.table_fit import fit_columns
from terraplan.domain import amounts
from terraplan.io.outputs import neutralise_csv_cell

#: ``--force`` of every command that writes files (see :mod:`terraplan.io.outputs`).
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace output files that already exist.")
]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class ReportFormat(StrEnum):
    """The formats of a command whose answer is one document (a report, a route), not rows:
    ``-f csv`` is refused (exit 2) rather than answered with a table a CSV reader misreads."""

    TABLE = "table"
    JSON = "json"


#: ``--format`` of such a command.
ReportFormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="table or json")]


# Text is printed as it is (names from a CRM hold brackets and colons: "Smith [/] Sons",
# "Acme :fire: Corp"); a line that styles itself says so with ``markup=True`` and escapes
# what it interpolates.
def stdout() -> Console:
    return Console(soft_wrap=False, markup=False, emoji=False)


def stderr() -> Console:
    return Console(stderr=True, markup=False, emoji=False)


_NOTES_SHOWN: set[str] = set()


def reset_notes() -> None:
    """Forget the notes shown (a new run of the command line in the same process)."""
    _NOTES_SHOWN.clear()


def _note_text(text: str) -> str:
    """``"territory design diagnosis: unit 18 ..."`` -> ``"unit 18 ..."`` (the fact, not the topic)."""
    topic, sep, rest = text.partition(": ")
    if sep and len(topic) < 40 and not any(ch.isdigit() for ch in topic):
        return rest.strip()
    return text.strip()


def note(text: str) -> None:
    """Print ``note: <text>`` on stderr once per run, whichever way the fact arrives (a Python
    warning, a log line or the command's own report); a fact already part of a printed note
    is not printed again."""
    fact = _note_text(text)
    if not fact or any(fact in shown for shown in _NOTES_SHOWN):
        return
    _NOTES_SHOWN.add(fact)
    stderr().print(f"[yellow]note:[/yellow] {escape(fact)}", highlight=False, markup=True)


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` for the CLI: a plain ``note:``, no file path or source line."""
    note(str(message))


class NoteHandler(logging.Handler):
    """Log records of WARNING and above as plain notes (errors keep their level name)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not stop the command
            self.handleError(record)
            return
        if record.levelno >= logging.ERROR:
            stderr().print(f"{record.levelname.lower()}: {message}", highlight=False)
        else:
            note(message)


def _plain(value: Any) -> Any:
    """A cell as JSON and CSV carry it: a date in ISO form, a float as its value (binary noise
    dropped, never rounded to a few decimals: a win rate is 0.289473684211, not 0.289474)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return amounts.exact_figure(value)
    return value


def format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(_plain(value))


def compact_amount(value: Any) -> str:
    """An amount the way people read it in a table (``6.4M``, ``850k``, ``-12k``, ``950``);
    an empty cell for no value."""
    return "" if value is None else amounts.compact_amount(float(value))


def percent(value: Any) -> str:
    """A ratio as a percentage: ``0.0651`` -> ``6.5%``, ``1.2`` -> ``120%``."""
    if value is None:
        return ""
    share = float(value) * 100
    return f"{share:.0f}%" if abs(share) >= 100 else f"{share:.1f}%"


def band_deviation(
    value: float, tolerance: float | None, within: bool, *, signed: bool = True
) -> str:
    """A deviation from the target (a ratio) with one decimal, or with as many more (up to
    three) as it takes not to read as the band's edge when it lies outside it: ``-10.01%``
    beside NO, never ``-10.0%`` beside a 10 % band."""
    pattern = "{:+.%d%%}" if signed else "{:.%d%%}"
    text = (pattern % 1).format(value)
    if within or tolerance is None:
        return text
    for digits in (1, 2, 3):
        text = (pattern % digits).format(value)
        if round(abs(value) * 100, digits) > round(tolerance * 100, digits):
            break
    return text


def _multiple(value: float) -> str:
    """``1.74x``: a coverage read as a multiple, as sales teams say it ("3x pipeline")."""
    return f"{value:,.2f}x"


def render_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    fmt: OutputFormat = OutputFormat.TABLE,
    title: str | None = None,
    amounts: Sequence[str] = (),
    percents: Sequence[str] = (),
    multiples: Sequence[str] = (),
) -> None:
    """Print ``rows`` as a Rich table, a JSON array or CSV.

    In a table, the ``amounts`` columns read like ``6.4M``, the ``percents`` columns
    (ratios) like ``12.5%`` and the ``multiples`` (a coverage) like ``1.74x``; JSON and CSV
    keep the exact values.
    """
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt is OutputFormat.JSON:
        sys.stdout.write(
            json.dumps([{c: _plain(r.get(c)) for c in columns} for r in rows], indent=2) + "\n"
        )
        return
    if fmt is OutputFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [
                    "" if row.get(c) is None else neutralise_csv_cell(_plain(row.get(c)))
                    for c in columns
                ]
            )
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(title=title, header_style="bold")
    for column in columns:
        numeric = any(
            isinstance(r.get(column), int | float) and not isinstance(r.get(column), bool)
            for r in rows
        ) or _figures_as_text(rows, column)
        # a date cut to "2026-12-…" says nothing: date columns keep their ten characters
        dated = any(r.get(column) is not None for r in rows) and all(
            _is_day(r.get(column)) for r in rows if r.get(column) is not None
        )
        # a column is at least as wide as its longest word (up to 14 characters), so that
        # names wrap between words ("International", not "Internationa" / "l")
        words = [
            len(word)
            for r in rows[:200]
            if r.get(column) is not None and not numeric
            for word in str(r.get(column)).split()
        ]
        longest = min(max(words, default=0), 14)
        table.add_column(
            column.replace("_", " "),
            justify="right" if numeric else "left",
            no_wrap=dated,
            min_width=10 if dated else (longest or None),
            overflow="fold",  # a long word folds onto the next line rather than losing its end
        )
    shown: dict[str, Callable[[Any], str]] = {}
    for column in columns:
        decimals = _common_decimals(rows, column)
        if decimals is not None:
            shown[column] = decimals
    shown |= {c: compact_amount for c in amounts} | {c: percent for c in percents}
    shown |= {c: _multiple for c in multiples}

    def cell(column: str, value: Any) -> str:
        render = shown.get(column)
        if render is None or not isinstance(value, int | float) or isinstance(value, bool):
            return format_cell(value)
        return render(value)

    for row in rows:
        table.add_row(*(cell(c, row.get(c)) for c in columns))
    console = stdout()
    # a table wider than the screen even at its narrowest is printed whole (the terminal
    # wraps its lines), never with columns cut off or emptied
    console.width = fit_columns(table, console)
    console.print(table)


def _common_decimals(rows: Sequence[Mapping[str, Any]], column: str) -> Callable[[Any], str] | None:
    """One number of decimals for a column of fractions mixing values below and above 1
    (``0.566`` above ``3.29`` read as if the first were more precise and did not line
    up): 2, or 3 when some value is below 0.1. None for other columns."""
    values = [r.get(column) for r in rows if r.get(column) is not None]
    if not values or not all(isinstance(v, float) and math.isfinite(v) for v in values):
        return None
    sizes = [abs(v) for v in values if v]
    if not sizes or max(sizes) >= 1000 or max(sizes) < 1 or min(sizes) >= 1:
        return None
    places = 2 if min(sizes) >= 0.1 else 3
    return lambda value: f"{value:,.{places}f}"


#: A figure a command wrote as text: ``1,330``, ``42.4M``, ``-13.7%``, ``0.81`` (codes such
#: as ZIPs, ``07030`` or ``94107``, are not: figures from 10,000 on carry commas).
_FIGURE = re.compile(r"[+-]?([1-9]\d{0,2}(,\d{3})+|0|[1-9]\d{0,3})(\.\d+)?[kMBT%]?")


def _figures_as_text(rows: Sequence[Mapping[str, Any]], column: str) -> bool:
    """Whether every value of ``column`` is a figure some command formatted as text (they
    are right-aligned like numbers, so that their digits line up)."""
    values = [r.get(column) for r in rows if r.get(column) not in (None, "")]
    return bool(values) and all(
        isinstance(v, str) and _FIGURE.fullmatch(v) is not None for v in values
    )


def _is_day(value: Any) -> bool:
    if isinstance(value, date):
        return True
    return isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"


def render_json(payload: Any) -> None:
    """Print a JSON document; its floats as values without binary noise, as rows carry them
    (``plans move -f json`` gave ``-0.16000000000000003``)."""
    sys.stdout.write(json.dumps(_figures(payload), indent=2, default=_plain) + "\n")


def _figures(payload: Any) -> Any:
    if isinstance(payload, float):
        return _plain(payload)
    if isinstance(payload, Mapping):
        return {key: _figures(value) for key, value in payload.items()}
    if isinstance(payload, list | tuple):
        return [_figures(value) for value in payload]
    return payload
