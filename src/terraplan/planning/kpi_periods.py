"""Reporting periods: parse "2026Q3", "2026-07", "2026", "YTD", "FY2027Q1" and build period grids.

Quarters, years and YTD follow a :class:`~terraplan.planning.fiscal.FiscalCalendar` (default:
calendar years). With a fiscal year starting in another month than January:

- ``FY2027Q1`` (also ``FY2027-Q1``, ``FY27Q1``) is a fiscal quarter and ``FY2027`` a fiscal
  year; their labels are ``FY2027Q1`` and ``FY2027``;
- the grains ``quarter`` and ``year`` are fiscal quarters and years, ``YTD`` runs from the
  start of the fiscal year holding the as-of date;
- a bare ``2027Q1`` or ``2027`` is refused as ambiguous (fiscal or calendar?); ``CY2027Q1``
  and ``CY2027`` name calendar quarters and years (labels ``CY2027Q1``, ``CY2027``);
- months (``2026-07``) are calendar months.

With calendar years (the default) nothing of this changes the labels: ``FY2026Q3`` and
``CY2026Q3`` are read as ``2026Q3``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from terraplan.errors import InvalidParameterError
from terraplan.planning.fiscal import FiscalCalendar, fiscal_calendar, month_span

GRAINS: tuple[str, ...] = ("month", "quarter", "year", "ytd")

_QUARTER = re.compile(r"^(FY|CY)?\s*(\d{4}|(?<=Y)\d{2})\s*-?\s*Q(\d+)$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(FY|CY)?\s*(\d{4}|(?<=Y)\d{2})$", re.IGNORECASE)


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

    @property
    def title(self) -> str:
        """The label as people read it: ``FY2027 Q1 (Feb–Apr 2026)``, ``2026 Q3 (Jul–Sep
        2026)``, ``Jul 2026``, ``YTD (2026-02-01 to 2026-06-15)``."""
        if self.grain == "month":
            return month_span(self.start, self.end)
        if self.grain == "ytd":
            return f"{self.label} ({self.start.isoformat()} to {self.end.isoformat()})"
        if match := re.match(r"^(.*?)(Q[1-4])$", self.label):
            return f"{match.group(1)} {match.group(2)} ({month_span(self.start, self.end)})"
        if self.label.isdigit():
            return self.label
        return f"{self.label} ({month_span(self.start, self.end)})"


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


def year_earlier(day: date) -> date:
    """The last day of last year's same dates ending on ``day``: the same day a year earlier,
    and a month's last day for a month's last day, so that a complete February compares with
    a complete February (28 February 2025 gives 29 February 2024)."""
    back = shift_year(day, -1)
    return month_end(back) if day == month_end(day) else back


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, month_end(start), f"{year:04d}-{month:02d}", "month")


def quarter_period(year: int, quarter: int, *, prefix: str = "") -> Period:
    """Calendar quarter ``quarter`` of ``year`` (label ``2026Q3``, or ``CY2026Q3``)."""
    start = date(year, 3 * quarter - 2, 1)
    return Period(
        start, month_end(add_months(start, 2)), f"{prefix}{year:04d}Q{quarter}", "quarter"
    )


def year_period(year: int, *, prefix: str = "") -> Period:
    """Calendar year ``year`` (label ``2026``, or ``CY2026``)."""
    return Period(date(year, 1, 1), date(year, 12, 31), f"{prefix}{year:04d}", "year")


def fiscal_quarter_period(
    fiscal_year: int, quarter: int, fiscal: FiscalCalendar | int | None = None
) -> Period:
    """Quarter ``quarter`` of fiscal year ``fiscal_year`` (label ``FY2027Q1``; a calendar
    quarter and its plain label ``2027Q1`` with calendar years)."""
    cal = fiscal_calendar(fiscal)
    if cal.is_calendar:
        cal.quarter_bounds(fiscal_year, quarter)  # range checks
        return quarter_period(fiscal_year, quarter)
    start, end = cal.quarter_bounds(fiscal_year, quarter)
    return Period(start, end, f"FY{fiscal_year:04d}Q{quarter}", "quarter")


def fiscal_year_period(fiscal_year: int, fiscal: FiscalCalendar | int | None = None) -> Period:
    """Fiscal year ``fiscal_year`` (label ``FY2027``; ``2027`` with calendar years)."""
    cal = fiscal_calendar(fiscal)
    start, end = cal.year_bounds(fiscal_year)
    return Period(start, end, f"{'' if cal.is_calendar else 'FY'}{fiscal_year:04d}", "year")


def current_quarter(as_of: date, fiscal: FiscalCalendar | int | None = None) -> Period:
    """The (fiscal) quarter holding ``as_of``."""
    cal = fiscal_calendar(fiscal)
    return fiscal_quarter_period(*cal.quarter_of(as_of), cal)


def ytd_period(as_of: date, fiscal: FiscalCalendar | int | None = None) -> Period:
    """From the first day of the (fiscal) year holding ``as_of`` to ``as_of``."""
    cal = fiscal_calendar(fiscal)
    return Period(cal.year_bounds(cal.year_of(as_of))[0], as_of, "YTD", "ytd")


def parse_period(
    text: str, *, as_of: date | None = None, fiscal: FiscalCalendar | int | None = None
) -> Period:
    """Parse "2026Q3" (also "2026-Q3"), "2026-07", "2026", "YTD" (needs ``as_of``), and
    "FY2027Q1", "FY2027", "CY2026Q3", "CY2026" (see the module doc for fiscal years)."""
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"a period must be text, got {type(text).__name__}", details={"field": "period"}
        )
    cal = fiscal_calendar(fiscal)
    value = text.strip()
    if value.upper() == "YTD":
        if as_of is None:
            raise InvalidParameterError(
                "period 'YTD' needs an as-of date", details={"field": "as_of", "period": text}
            )
        return ytd_period(as_of, cal)
    if match := _MONTH.match(value):
        month = int(match.group(2))
        if 1 <= month <= 12:
            return month_period(int(match.group(1)), month)
    elif (match := _QUARTER.match(value)) or (match := _YEAR.match(value)):
        kind = (match.group(1) or "").upper()
        year = int(match.group(2)) + (2000 if len(match.group(2)) == 2 else 0)
        quarter = int(match.group(3)) if match.re is _QUARTER else None
        if quarter is not None and not 1 <= quarter <= 4:
            raise InvalidParameterError(
                f"cannot read period {text!r}: quarters are Q1 to Q4",
                details={"field": "period", "value": text},
            )
        if not 1 <= year <= 9999:
            raise InvalidParameterError(
                f"cannot read period {text!r}: the year is out of range",
                details={"field": "period", "value": text},
            )
        if kind == "FY" or (not kind and cal.is_calendar):
            if quarter is None:
                return fiscal_year_period(year, cal)
            return fiscal_quarter_period(year, quarter, cal)
        if kind == "CY":
            prefix = "" if cal.is_calendar else "CY"
            if quarter is None:
                return year_period(year, prefix=prefix)
            return quarter_period(year, quarter, prefix=prefix)
        _ambiguous(text, year, quarter, cal)
    raise InvalidParameterError(
        f"cannot read period {text!r}; use e.g. "
        + ("2026Q3, 2026-07, 2026" if cal.is_calendar else "FY2027Q1, FY2027, 2026-07")
        + " or YTD",
        details={"field": "period", "value": text},
    )


def _ambiguous(text: str, year: int, quarter: int | None, cal: FiscalCalendar) -> None:
    """Refuse a bare year or quarter under a fiscal calendar, naming both readings."""
    if quarter is None:
        fiscal, calendar_ = fiscal_year_period(year, cal), year_period(year, prefix="CY")
        kind = "year"
    else:
        fiscal = fiscal_quarter_period(year, quarter, cal)
        calendar_ = quarter_period(year, quarter, prefix="CY")
        kind = "quarter"
    raise InvalidParameterError(
        f"period {text!r} is ambiguous with a {cal.describe()}: write {fiscal.label} for the "
        f"fiscal {kind} {month_span(fiscal.start, fiscal.end)} or {calendar_.label} for the "
        f"calendar {kind} {month_span(calendar_.start, calendar_.end)}",
        details={"field": "period", "value": text, "fiscal_year_start": cal.start_month},
    )


def period_title(
    label: str, *, as_of: date | None = None, fiscal: FiscalCalendar | int | None = None
) -> str:
    """:attr:`Period.title` of a period label; the label itself when it names no one period
    (a grain)."""
    try:
        return parse_period(label, as_of=as_of, fiscal=fiscal).title
    except InvalidParameterError:
        return label


def period_grid(
    grain: str, first: date, last: date, *, fiscal: FiscalCalendar | int | None = None
) -> list[Period]:
    """All periods of ``grain`` ("month", "quarter", "year": fiscal quarters and years under
    ``fiscal``) overlapping ``[first, last]``."""
    if grain not in ("month", "quarter", "year"):
        raise InvalidParameterError(
            f"unknown grain {grain!r}", details={"field": "grain", "allowed": list(GRAINS[:3])}
        )
    cal = fiscal_calendar(fiscal)
    if last < first:
        return []
    if grain == "year":
        years = range(cal.year_of(first), cal.year_of(last) + 1)
        return [fiscal_year_period(y, cal) for y in years]
    if grain == "month":
        out: list[Period] = []
        cursor = first.replace(day=1)
        while cursor <= last:
            out.append(month_period(cursor.year, cursor.month))
            cursor = add_months(cursor, 1)
        return out
    quarters = [current_quarter(first, cal)]
    while quarters[-1].end < last:
        quarters.append(current_quarter(add_months(quarters[-1].start, 3), cal))
    return quarters


def resolve_periods(
    periods: Iterable[str | Period] | None,
    *,
    as_of: date,
    first: date,
    fiscal: FiscalCalendar | int | None = None,
) -> list[Period]:
    """Turn labels, grain names ("month", "quarter", "year") and Periods into a period list.

    ``None`` means every month, quarter and year from ``first`` to ``as_of`` plus "YTD".
    Quarters, years and YTD follow ``fiscal`` (default: calendar years).
    Duplicates are removed; order is by grain then start.
    """
    cal = fiscal_calendar(fiscal)
    wanted: Sequence[str | Period] = (
        ("month", "quarter", "year", "YTD") if periods is None else list(periods)
    )
    found: dict[tuple[str, date, date], Period] = {}
    for item in wanted:
        if isinstance(item, Period):
            chosen = [item]
        elif isinstance(item, str) and item.strip().lower() in ("month", "quarter", "year"):
            chosen = period_grid(item.strip().lower(), first, as_of, fiscal=cal)
        else:
            chosen = [parse_period(item, as_of=as_of, fiscal=cal)]
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


def in_progress(period: Period, as_of: date) -> bool:
    """Whether ``period`` is still running on ``as_of``: its last day lies after it. A period
    ending on the as-of date is complete (that day is reported), so it compares with the whole
    period a year earlier. A year to date ends on the as-of date by definition: it is in
    progress until its year's last day, when it is that whole year."""
    cut = min(period.end, as_of)
    if period.grain == "ytd":
        return cut < add_months(period.start, 12) - timedelta(days=1)
    return cut < period.end


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
    left out: the prior-year window of a period :func:`in_progress` on the as-of date (a
    period ending on it is complete and compares with the whole period a year earlier: all
    of February 2024, 29 February included, for February 2025 as of 28 February)."""
    rows: dict[str, list[object]] = {"period": [], "month": [], "prior": [], "allow_late": []}
    for p in periods:
        cut = min(p.end, as_of)
        if cut < p.start:
            continue
        # a period in progress (YTD before its year's last day) compares with last year to
        # the day; a complete one with the whole period a year earlier
        running = in_progress(p, as_of)
        windows = (
            (p.start, cut, False, True),
            (shift_year(p.start, -1), year_earlier(cut), True, not running),
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
