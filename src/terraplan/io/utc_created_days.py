"""An opportunity created in UTC the day after the day it closed.

Salesforce writes ``CreatedDate`` as a UTC date-time (Data Loader:
``2026-04-01T02:00:00.000Z``) and ``CloseDate`` as a plain date, the day in the user's
time zone. A deal created and won on the same evening in the Americas (31 March, 7 PM in
California) is created on 1 April in UTC: read as written, it closed before it was created
and was refused. No time zone is more than 14 hours from UTC, so a UTC day is never more
than one day from the local one: such a deal is taken as created on its close day (its
sales cycle 0 days), with one warning counting them. A created date two or more days after
the close date, or one written without a time zone, is still refused.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW
from terraplan.io.report import counted, short

#: A date-time with a time zone: ``…T02:00:00.000Z``, ``… 02:00:00+0000``, ``…-05:00``.
_ZONED = r"(?i)^\s*\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}.*(?:Z|[+-]\d{2}:?\d{2})\s*$"


def created_the_day_after_closing(checker: Checker) -> pl.Expr:
    """Rows whose zoned ``created_date`` falls on the day after their ``close_date``."""
    if not (checker.has("created_date") and checker.has("close_date")):
        return pl.lit(False)
    if checker.table.columns.time_zone is not None:  # both are local days already
        return pl.lit(False)
    zoned = checker.value_of("created_date").str.contains(_ZONED).fill_null(False)
    day_after = (pl.col("created_date") == pl.col("close_date") + timedelta(days=1)).fill_null(
        False
    )
    return zoned & day_after


def date_created_on_close_day(checker: Checker) -> None:
    """Take the opportunities created (in UTC) the day after they closed as created on their
    close day, with one warning counting them; the rest are left to the checks."""
    mask = created_the_day_after_closing(checker)
    rows = checker.ctx.filter(mask).select(
        pl.col(ROW),
        checker.value_of("created_date").alias("created"),
        pl.col("close_date").alias("closed"),
    )
    if rows.height == 0:
        return
    created, closed = (
        short(checker.column_of("created_date")),
        short(checker.column_of("close_date")),
    )

    def say(kept: pl.DataFrame) -> str:
        first = kept.row(0, named=True)
        return (
            f"{counted(kept.height, 'opportunity', 'opportunities')} created, in UTC, the day"
            f" after their close date (e.g. row {first[ROW]}: {created!r}"
            f" {short(str(first['created']))!r}, {closed!r} {first['closed'].isoformat()}):"
            " created and closed the same evening in the Americas, they are taken as created"
            " on their close day"
        )

    checker.note(rows, say)
    checker.ctx = checker.ctx.with_columns(
        pl.when(mask)
        .then(pl.col("close_date"))
        .otherwise(pl.col("created_date"))
        .alias("created_date")
    )
