"""Rendering for the CLI: Rich tables, JSON or CSV on stdout; messages on stderr."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from terraplan.io.outputs import neutralise_csv_cell

#: ``--force`` of every command that writes files (see :mod:`terraplan.io.outputs`).
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace output files that already exist.")
]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def stdout() -> Console:
    return Console(soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True)


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
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


def render_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    fmt: OutputFormat = OutputFormat.TABLE,
    title: str | None = None,
) -> None:
    """Print ``rows`` as a Rich table, a JSON array or CSV."""
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
        )
        table.add_column(column.replace("_", " "), justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(format_cell(row.get(c)) for c in columns))
    stdout().print(table)


def render_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=_plain) + "\n")
