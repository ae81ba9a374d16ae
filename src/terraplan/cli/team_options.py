"""What ``capacity``, ``match`` and ``targets`` share: their ``--plan``, ``--format`` and
``--out`` options, the ``--out`` file (refused before any work is saved, written after) and
their warnings on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from terraplan.cli.console import OutputFormat, stderr, stdout
from terraplan.errors import InvalidParameterError

PlanOption = Annotated[str, typer.Option("--plan", help="Plan id.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Also write the table to .csv/.xlsx/.parquet.")
]


def warn(warnings: tuple[str, ...] | list[str]) -> None:
    """Each of a result's warnings on stderr (after the rows, whatever the format)."""
    for warning in warnings:
        stderr().print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, markup=True)


def check_out(out: Path | None, force: bool) -> None:
    """Refuse an existing --out file before any work is done (and saved)."""
    if out is not None:
        from terraplan.io.outputs import check_output
        from terraplan.io.writers import FORMATS

        if out.suffix.lower() not in FORMATS:
            raise InvalidParameterError(f"--out {out}: use .csv, .xlsx or .parquet")
        check_output(out, overwrite=force)


def write_rows(rows: list[dict[str, object]], out: Path, force: bool, fmt: OutputFormat) -> None:
    """Write ``rows`` to ``out`` (.csv, .xlsx or .parquet) and say so: on stdout under a
    table, on stderr when stdout carries JSON or CSV."""
    import polars as pl

    from terraplan.io.writers import FORMATS, write_table

    if out.suffix.lower() not in FORMATS:
        raise InvalidParameterError(f"--out {out}: use .csv, .xlsx or .parquet")
    write_table(pl.DataFrame(rows, infer_schema_length=None), out, overwrite=force, figures=True)
    # on stderr when stdout carries JSON or CSV: a line after the CSV rows read as a row
    (stdout() if fmt is OutputFormat.TABLE else stderr()).print(
        f"Wrote {len(rows):,} rows to {out}", highlight=False
    )
