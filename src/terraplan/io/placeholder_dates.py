"""Placeholder dates: 1900-01-01 written where a record has no date.

Spreadsheets and CRMs fill an empty date with their first day (Excel's day 1, a report's
``1/1/1900``, a migration's default). Read as a real day, such a cell dates a sale, a
created deal or a lead in 1900: the sales history then seems to start in 1900 (last year's
revenue reads 0 where it is unknown) and a deal "created" in 1900 makes the sales cycle
tens of thousands of days. No record of a sales team is dated on that day, so it is read as
no date: an optional date becomes blank, with one warning per column counting the rows; a
required one (a sales line's date, an opportunity's created date) is an error naming the row.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.io.checker import RAW, Checker
from terraplan.io.readers import ROW
from terraplan.io.report import short
from terraplan.io.schema import FieldSpec

PLACEHOLDER_DAY = date(1900, 1, 1)
"""The day spreadsheets and CRMs write for "no date"."""

_WHY = f"{PLACEHOLDER_DAY.isoformat()} is a placeholder for no date, not a real day"


def check_placeholder_dates(checker: Checker, spec: FieldSpec) -> None:
    """Read ``spec``'s placeholder dates as no date: a required field's are errors, an
    optional field's become blank with one warning counting them (the rows kept)."""
    name = spec.name
    found = (pl.col(name) == PLACEHOLDER_DAY).fill_null(False)
    if spec.required:
        checker.add(found, name, f"{_WHY}: give the record's real date")
    else:
        column = short(checker.column_of(name))
        rows = checker.ctx.filter(found).select(pl.col(ROW), checker.value_of(name).alias("value"))

        def say(kept: pl.DataFrame) -> str:
            first = kept.row(0, named=True)
            noun = "rows hold" if kept.height != 1 else "row holds"
            return (
                f"column {column!r}: {kept.height:,} {noun} {PLACEHOLDER_DAY.isoformat()}"
                f" (e.g. row {first[ROW]}: {short(str(first['value']))!r}), a placeholder for"
                " no date, not a real day: read as blank"
            )

        checker.note(rows, say)
    # later checks see no date (ends before it starts); an optional cell reads as blank, its
    # text too, so that a closed deal is refused for want of its close date
    blanked = (
        [name] if spec.required or name + RAW not in checker.ctx.columns else [name, name + RAW]
    )
    checker.ctx = checker.ctx.with_columns(
        pl.when(found).then(None).otherwise(pl.col(column)).alias(column) for column in blanked
    )
