"""The fiscal calendar: which months make up a fiscal year and its quarters, and their names.

A fiscal year starts on the first day of ``start_month`` (1 = January: the calendar year, the
default) and runs twelve months. It is named after the calendar year it ends in (``"end"``,
the common convention: with a February start, FY2027 runs from 2026-02-01 to 2027-01-31) or
the year it starts in (``"start"``: the same months are FY2026). Fiscal quarter 1 holds the
first three months of the fiscal year. Months are always calendar months.

Where the calendar comes from: the library takes it as an explicit parameter (a
:class:`FiscalCalendar`, or just the start month); the apps read it from the settings
``TERRAPLAN_FISCAL_YEAR_START`` and ``TERRAPLAN_FISCAL_YEAR_NAMING`` (:mod:`terraplan.config`).
It is a setting rather than a value stored per database on purpose: one deployment serves one
company, whose fiscal year is fixed and known before any data arrives; a stored value would
need a migration, an edit path and a database read before any period text could be parsed,
and nothing would gain from it. Period labels carry the convention (``FY2027Q1``), so a
report made under another setting cannot be mistaken for a calendar one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from terraplan.errors import InvalidParameterError

#: How a fiscal year is named: by the calendar year it ends in, or the one it starts in.
NAMINGS: tuple[str, ...] = ("end", "start")
MONTH_ABBR: tuple[str, ...] = tuple(calendar.month_abbr[1:])


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """A fiscal year starting on the first of ``start_month`` (1-12), named by ``naming``."""

    start_month: int = 1
    naming: str = "end"

    def __post_init__(self) -> None:
        month = self.start_month
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise InvalidParameterError(
                f"fiscal_year_start must be a month number from 1 (January) to 12 (December), "
                f"got {month!r}",
                details={"field": "fiscal_year_start", "value": repr(month)},
            )
        if self.naming not in NAMINGS:
            raise InvalidParameterError(
                f"fiscal_year_naming must be 'end' (named by the year it ends in) or 'start', "
                f"got {self.naming!r}",
                details={"field": "fiscal_year_naming", "allowed": list(NAMINGS)},
            )

    @property
    def is_calendar(self) -> bool:
        """True when fiscal years are calendar years (a January start)."""
        return self.start_month == 1

    @property
    def _offset(self) -> int:
        """Fiscal year name minus the calendar year the fiscal year starts in."""
        return 1 if self.naming == "end" and self.start_month != 1 else 0

    def year_of(self, day: date) -> int:
        """The name (number) of the fiscal year holding ``day``."""
        begins = day.year if day.month >= self.start_month else day.year - 1
        return begins + self._offset

    def quarter_of(self, day: date) -> tuple[int, int]:
        """``(fiscal year, quarter 1-4)`` holding ``day``."""
        months_in = (day.month - self.start_month) % 12
        return self.year_of(day), months_in // 3 + 1

    def year_bounds(self, fiscal_year: int) -> tuple[date, date]:
        """First and last day of fiscal year ``fiscal_year``."""
        return self.quarter_bounds(fiscal_year, 1)[0], self.quarter_bounds(fiscal_year, 4)[1]

    def quarter_bounds(self, fiscal_year: int, quarter: int) -> tuple[date, date]:
        """First and last day of quarter ``quarter`` (1-4) of fiscal year ``fiscal_year``."""
        if isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4:
            raise InvalidParameterError(
                f"a fiscal quarter is 1 to 4, got {quarter!r}",
                details={"field": "period", "value": repr(quarter)},
            )
        first = (fiscal_year - self._offset) * 12 + self.start_month - 1 + 3 * (quarter - 1)
        last = first + 2
        if first < 12 or last >= 10_000 * 12:  # years 1 to 9999
            raise InvalidParameterError(
                f"fiscal year {fiscal_year} is out of range",
                details={"field": "period", "value": fiscal_year},
            )
        end_year, end_month = divmod(last, 12)
        end = date(end_year, end_month + 1, calendar.monthrange(end_year, end_month + 1)[1])
        return date(first // 12, first % 12 + 1, 1), end

    def describe(self) -> str:
        """``fiscal year from February, named by the year it ends in`` (or ``calendar year``)."""
        if self.is_calendar:
            return "calendar year"
        return (
            f"fiscal year from {calendar.month_name[self.start_month]}, "
            f"named by the year it {'ends' if self.naming == 'end' else 'starts'} in"
        )


#: Fiscal years that are calendar years (the default).
CALENDAR = FiscalCalendar()


def fiscal_calendar(value: FiscalCalendar | int | None) -> FiscalCalendar:
    """A :class:`FiscalCalendar` from itself, a start month (named by the year it ends in) or
    None (the calendar year)."""
    if value is None:
        return CALENDAR
    if isinstance(value, FiscalCalendar):
        return value
    return FiscalCalendar(value)


def month_span(start: date, end: date) -> str:
    """``Feb–Apr 2026``, ``Nov 2026–Jan 2027`` or ``Jul 2026``: the months from start to end."""
    first, last = MONTH_ABBR[start.month - 1], MONTH_ABBR[end.month - 1]
    if (start.year, start.month) == (end.year, end.month):
        return f"{first} {start.year}"
    if start.year == end.year:
        return f"{first}\u2013{last} {end.year}"
    return f"{first} {start.year}\u2013{last} {end.year}"
