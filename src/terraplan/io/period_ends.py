"""Period ends read from the start dates, for exports that give only a start.

Salesforce's ForecastingQuota export gives each quota a ``StartDate`` and no end: the length
is the forecast period of the org (a month or a quarter), which the records do not carry. A
targets or acquisition-cost file mapping a start column but no end column has its ends
inferred when the start dates tell the length unambiguously: every start is the first of a
month, and the distinct starts are whole months apart with a greatest common step of 1, 3,
6 or 12 months (a quota per month, quarter, half or year). Each period then ends the day
before the next would start, and one note says so. Otherwise (a single start date, starts
mid-month, steps of 2 months) the file is refused with the reason, since a guessed length
would spread every target over the wrong days.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from math import gcd

import polars as pl

from terraplan.io.checker import Checker

#: Kinds whose records cover a period (``period_start``, ``period_end``).
PERIOD_KINDS = ("targets", "acquisition_costs")
#: Period lengths (months) an end may be inferred for, with their names.
LENGTHS = {1: "month", 3: "quarter", 6: "half year", 12: "year"}


def infers_end(kind: str, mapped: set[str]) -> bool:
    """Whether a file of ``kind`` mapping these fields gets its period ends inferred."""
    return kind in PERIOD_KINDS and "period_start" in mapped and "period_end" not in mapped


def fill_period_ends(checker: Checker) -> str | None:
    """Add ``period_end`` from ``period_start`` (see the module docstring) with a note when
    the length is clear; else return the reason the file is refused."""
    if not infers_end(checker.spec.kind, set(checker.table.columns.fields)):
        return None
    starts = checker.ctx["period_start"].drop_nulls().unique().sort().to_list()
    months = _length_in_months(starts)
    if months is None:
        return (
            "no end date column (EndDate, period_end), and the start dates do not tell how long"
            " each period is"
            + (" (one start date only)" if len(starts) == 1 else "")
            + ": add the end dates, or give starts a whole month, quarter or year apart"
        )
    ends = pl.col("period_start").dt.offset_by(f"{months}mo").dt.offset_by("-1d")
    checker.ctx = checker.ctx.with_columns(ends.alias("period_end"))
    checker.warnings.append(
        f"no end date column: each period is one {LENGTHS[months]} from its start (the start"
        f" dates are {months} month{'s' if months != 1 else ''} apart or a multiple of it)"
    )
    return None


def _length_in_months(starts: list[date]) -> int | None:
    if len(starts) < 2 or any(start.day != 1 for start in starts):
        return None
    index = [start.year * 12 + start.month for start in starts]
    step = 0
    for before, after in pairwise(index):
        step = gcd(step, after - before)
    return step if step in LENGTHS else None
