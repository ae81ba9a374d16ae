"""Reporting periods: parse "2026Q3", "2026-07", "2026", "YTD" and build period grids."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from terraplan.errors import InvalidParameterError

GRAINS: tuple[str, ...] = ("month", "quarter", "year", "ytd")

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A reporting period ``[start, end]`` (inclusive dates) with its label and grain."""

    start: date
    end: date
    label: str
    grain: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """First day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shift_year(day: date, years: int) -> date:
    """Same day ``years`` later (Feb 29 becomes Feb 28 in a non-leap year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, month_end(start), f"{year:04d}-{month:02d}", "month")


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    return Period(start, month_end(add_months(start, 2)), f"{year:04d}Q{quarter}", "quarter")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year:04d}", "year")


def ytd_period(as_of: date) -> Period:
    return Period(date(as_of.year, 1, 1), as_of, "YTD", "ytd")


def parse_period(text: str, *, as_of: date | None = None) -> Period:
    """Parse "2026Q3" (also "2026-Q3"), "2026-07", "2026" or "YTD" (needs ``as_of``)."""
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"a period must be text, got {type(text).__name__}", details={"field": "period"}
        )
    value = text.strip()
    if value.upper() == "YTD":
        if as_of is None:
            raise InvalidParameterError(
                "period 'YTD' needs an as-of date", details={"field": "as_of", "period": text}
            )
        return ytd_period(as_of)
    if match := _QUARTER.match(value):
        return quarter_period(int(match.group(1)), int(match.group(2)))
    if match := _MONTH.match(value):
        month = int(match.group(2))
        if 1 <= month <= 12:
            return month_period(int(match.group(1)), month)
    elif match := _YEAR.match(value):
        return year_period(int(value))
    raise InvalidParameterError(
        f"cannot read period {text!r}; use e.g. 2026Q3, 2026-07, 2026 or YTD",
        details={"field": "period", "value": text},
    )


def period_grid(grain: str, first: date, last: date) -> list[Period]:
    """All periods of ``grain`` ("month", "quarter", "year") overlapping ``[first, last]``."""
    if grain not in ("month", "quarter", "year"):
        raise InvalidParameterError(
            f"unknown grain {grain!r}", details={"field": "grain", "allowed": list(GRAINS[:3])}
        )
    if last < first:
        return []
    out: list[Period] = []
    if grain == "year":
        return [year_period(y) for y in range(first.year, last.year + 1)]
    step = 1 if grain == "month" else 3
    cursor = date(first.year, first.month if step == 1 else 3 * ((first.month - 1) // 3) + 1, 1)
    while cursor <= last:
        if step == 1:
            out.append(month_period(cursor.year, cursor.month))
        else:
            out.append(quarter_period(cursor.year, (cursor.month - 1) // 3 + 1))
        cursor = add_months(cursor, step)
    return out


def resolve_periods(
    periods: Iterable[str | Period] | None, *, as_of: date, first: date
) -> list[Period]:
    """Turn labels, grain names ("month", "quarter", "year") and Periods into a period list.

    ``None`` means every month, quarter and year from ``first`` to ``as_of`` plus "YTD".
    Duplicates are removed; order is by grain then start.
    """
    wanted: Sequence[str | Period] = (
        ("month", "quarter", "year", "YTD") if periods is None else list(periods)
    )
    found: dict[tuple[str, date, date], Period] = {}
    for item in wanted:
        if isinstance(item, Period):
            chosen = [item]
        elif isinstance(item, str) and item.strip().lower() in ("month", "quarter", "year"):
            chosen = period_grid(item.strip().lower(), first, as_of)
        else:
            chosen = [parse_period(item, as_of=as_of)]
        for period in chosen:
            found.setdefault((period.label, period.start, period.end), period)
    order = {g: i for i, g in enumerate(GRAINS)}
    return sorted(found.values(), key=lambda p: (order.get(p.grain, 9), p.start, p.label))


def elapsed_months(period: Period, as_of: date) -> float:
    """Months of ``period`` elapsed by ``as_of``; a partial month counts by its days."""
    cut = min(period.end, as_of)
    if cut < period.start:
        return 0.0
    full = (cut.year - period.start.year) * 12 + cut.month - period.start.month
    last_month_days = calendar.monthrange(cut.year, cut.month)[1]
    first_day = period.start.day if full == 0 else 1
    return (
        full
        + (cut.day - first_day + 1) / last_month_days
        - (
            (period.start.day - 1) / calendar.monthrange(period.start.year, period.start.month)[1]
            if full > 0
            else 0.0
        )
    )


def elapsed_share(period: Period, as_of: date) -> float:
    cut = min(period.end, as_of)
    if cut < period.start:
        return 0.0
    return ((cut - period.start).days + 1) / period.days


def period_table(periods: Sequence[Period], as_of: date) -> pl.DataFrame:
    """One row per period: label, grain, start, end, cut (= min(end, as_of)), cut_month,
    elapsed_share, period_years (elapsed months / 12)."""
    return pl.DataFrame(
        {
            "period": [p.label for p in periods],
            "grain": [p.grain for p in periods],
            "period_start": [p.start for p in periods],
            "period_end": [p.end for p in periods],
            "cut": [min(p.end, as_of) for p in periods],
            "cut_month": [min(p.end, as_of).replace(day=1) for p in periods],
            "elapsed_share": [elapsed_share(p, as_of) for p in periods],
            "period_years": [elapsed_months(p, as_of) / 12.0 for p in periods],
        },
        schema={
            "period": pl.String,
            "grain": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "cut": pl.Date,
            "cut_month": pl.Date,
            "elapsed_share": pl.Float64,
            "period_years": pl.Float64,
        },
    )


def month_map(periods: Sequence[Period], as_of: date) -> pl.DataFrame:
    """Which months make up each period (``prior=False``) and its prior-year window
    (``prior=True``). ``allow_late`` is False where lines after ``as_of - 1 year`` must be
    left out (the prior-year window of a period still in progress)."""
    rows: dict[str, list[object]] = {"period": [], "month": [], "prior": [], "allow_late": []}
    for p in periods:
        cut = min(p.end, as_of)
        if cut < p.start:
            continue
        partial = cut < p.end
        windows = (
            (p.start, cut, False, True),
            (shift_year(p.start, -1), shift_year(cut, -1), True, not partial),
        )
        for start, end, prior, allow_late in windows:
            month = start.replace(day=1)
            while month <= end:
                rows["period"].append(p.label)
                rows["month"].append(month)
                rows["prior"].append(prior)
                rows["allow_late"].append(allow_late)
                month = add_months(month, 1)
    return pl.DataFrame(
        rows,
        schema={
            "period": pl.String,
            "month": pl.Date,
            "prior": pl.Boolean,
            "allow_late": pl.Boolean,
        },
    )
