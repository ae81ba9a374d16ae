"""The history a target rests on: the target period, the window of revenue history used for
it, how much of that window the data covers, and the months' seasonality.

Data coverage runs from the first day of the month of the earliest revenue line to the last
day of the month of the latest one (never past the last month completed before ``as_of``).
The history window is the same number of months just before the target period (for a period
shorter than a year, the same months a year earlier when the data holds them); when the
data ends before that window does (history to 2026-10-31, targets for 2027) the window moves
back to end with the data ("last 12 months to 2026-10-31"); when the data holds fewer months
than the window, the months it has are scaled up ("2026 annualised from 10 months").
Seasonality averages each calendar month over every covered month of every year, so a month
the latest year lacks still gets its share from earlier years; a calendar month no year
covers gets the average month.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from terraplan.engine import quotas
from terraplan.errors import InvalidParameterError
from terraplan.planning.fiscal import FiscalCalendar, fiscal_calendar
from terraplan.planning.kpi_periods import parse_period
from terraplan.planning.reps_support import parse_amount
from terraplan.planning.revenue import describe_source

MONTH_NAMES = tuple(calendar.month_name[1:])


def month_number(day: date) -> int:
    """Months since year 0 (January of year 0 = 0)."""
    return day.year * 12 + day.month - 1


def first_day(number: int) -> date:
    year, month0 = divmod(number, 12)
    return date(year, month0 + 1, 1)


def last_day(number: int) -> date:
    year, month0 = divmod(number, 12)
    return date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])


@dataclass(frozen=True, slots=True)
class HistoryBasis:
    """Which revenue history a target rests on.

    ``kind``: ``"period"`` (the months just before the target period, fully covered),
    ``"same_months"`` (for a period shorter than a year, the same months a year earlier),
    ``"last_months"`` (moved back to end with the data), ``"annualised"`` (fewer months of
    data than the window; scaled by ``factor``) or ``"none"`` (no revenue history in it).
    ``start``/``end`` the window used; ``months`` its length; ``covered`` the months of it the
    data covers; ``factor`` = months / covered (1 when complete). ``data_start``/``data_end``
    the coverage of all revenue history (None without any). ``source`` the revenue source.
    """

    kind: str
    start: date
    end: date
    months: int
    covered: int
    factor: float
    data_start: date | None
    data_end: date | None
    source: str

    @property
    def window(self) -> str:
        """The window in words: ``2026``, ``last 12 months to 2026-10-31``, ..."""
        if self.kind == "none":
            return f"no revenue history in {span(self.start, self.end)}"
        if self.kind == "last_months":
            return f"last {self.months} months to {self.end.isoformat()}"
        if self.kind == "same_months":
            return f"{span(self.start, self.end)}, the same months a year earlier"
        if self.kind == "annualised":
            verb = "annualised" if self.months == 12 else f"scaled to {self.months} months"
            first = max(self.start, self.data_start or self.start)
            last = min(self.end, self.data_end or self.end)
            return (
                f"{span(first, last)} {verb} from {self.covered} month"
                f"{'' if self.covered == 1 else 's'}"
            )
        return span(self.start, self.end)

    @property
    def text(self) -> str:
        """``basis: last 12 months to 2026-10-31; revenue: sales lines``."""
        return f"basis: {self.window}; revenue: {describe_source(self.source)}"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "window": self.window,
            "history_start": self.start.isoformat(),
            "history_end": self.end.isoformat(),
            "months": self.months,
            "months_covered": self.covered,
            "factor": self.factor,
            "data_start": None if self.data_start is None else self.data_start.isoformat(),
            "data_end": None if self.data_end is None else self.data_end.isoformat(),
            "revenue_source": self.source,
            "revenue": describe_source(self.source),
            "text": self.text,
        }


def span(start: date, end: date) -> str:
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{start.isoformat()} to {end.isoformat()}"


def data_coverage(dates: Sequence[date], as_of: date | None = None) -> tuple[date, date] | None:
    """First day of the earliest line's month .. last day of the latest line's month, cut at
    the last month completed before ``as_of``; None when there is nothing in that range."""
    if not dates:
        return None
    start = month_number(min(dates))
    end = month_number(max(dates))
    if as_of is not None:
        end = min(end, month_number(as_of) - 1)
    if end < start:
        return None
    return first_day(start), last_day(end)


def resolve_period(
    period: int | str | tuple[date, date] | None,
    effective: tuple[date | None, date | None],
    coverage: tuple[date, date] | None,
    fiscal: FiscalCalendar | int | None = None,
) -> tuple[date, date]:
    """The target period: ``period`` (a year, a period text such as ``FY2027`` or
    ``FY2027Q1``, or whole months), else the plan's effective dates, else the year after the
    revenue history. Years are the fiscal years of ``fiscal`` (default: calendar years)."""
    calendar_ = fiscal_calendar(fiscal)
    if period is None:
        if effective[0] is not None and effective[1] is not None:
            period = (effective[0], effective[1])
        elif coverage is not None:
            period = calendar_.year_of(coverage[1]) + 1
        else:
            raise InvalidParameterError(
                "period is required (a year such as 2027, or first and last day): the plan has "
                "no effective dates and there is no revenue history to follow",
                details={"parameter": "period"},
            )
    if isinstance(period, str):
        if period.strip().lower() in ("ytd", "month", "quarter", "year"):
            raise InvalidParameterError(
                f"a target period is a year, a quarter or a month, got {period!r}",
                details={"parameter": "period"},
            )
        parsed = parse_period(period, fiscal=calendar_)
        return parsed.start, parsed.end
    if isinstance(period, int) and not isinstance(period, bool):
        if not 1900 <= period <= 9999:
            raise InvalidParameterError(
                f"period year must be between 1900 and 9999, got {period}",
                details={"parameter": "period"},
            )
        return calendar_.year_bounds(period)
    if not (isinstance(period, tuple) and len(period) == 2):
        raise InvalidParameterError("period must be a year or a (first day, last day) pair")
    start, end = period
    if not (isinstance(start, date) and isinstance(end, date)):
        raise InvalidParameterError("period must hold two dates", details={"parameter": "period"})
    last = calendar.monthrange(end.year, end.month)[1]
    if start.day != 1 or end.day != last or end < start:
        raise InvalidParameterError(
            f"period {start}..{end} must run from the first day of a month to the last day of "
            "a month",
            details={"parameter": "period"},
        )
    return start, end


def period_months(start: date, end: date) -> list[tuple[int, int]]:
    """(year, month) of each month from ``start`` to ``end``."""
    return [((k // 12), k % 12 + 1) for k in range(month_number(start), month_number(end) + 1)]


def history_basis(
    period_start: date,
    n_months: int,
    coverage: tuple[date, date] | None,
    source: str,
    history_period: tuple[date, date] | None = None,
) -> HistoryBasis:
    """Choose the history window for a target period (see the module doc).

    An explicit ``history_period`` is kept as given; the part of it the data covers is scaled
    up to its length when the data does not cover all of it.
    """
    if history_period is not None:
        h_start, h_end = history_period
        if not (isinstance(h_start, date) and isinstance(h_end, date)) or h_end < h_start:
            raise InvalidParameterError(
                "history_period must be (first day, last day)",
                details={"parameter": "history_period"},
            )
        first, last = month_number(h_start), month_number(h_end)
    elif (
        n_months < 12
        and coverage is not None
        and _covers(
            coverage,
            month_number(period_start) - 12,
            month_number(period_start) - 12 + n_months - 1,
        )
    ):
        # a quarter or some months: grown from the same months a year earlier, so that a
        # seasonal quarter is not grown from the one before it (Q4 "+8 %" fell below Q4)
        first = month_number(period_start) - 12
        last = first + n_months - 1
        h_start, h_end = first_day(first), last_day(last)
        return HistoryBasis(
            "same_months", h_start, h_end, n_months, n_months, 1.0, *coverage, source
        )
    else:
        last = month_number(period_start) - 1
        first = last - n_months + 1
        if coverage is not None and month_number(coverage[1]) < last:
            last = month_number(coverage[1])
            first = last - n_months + 1
        h_start, h_end = first_day(first), last_day(last)
    length = last - first + 1
    if coverage is None:
        return HistoryBasis("none", h_start, h_end, length, 0, 1.0, None, None, source)
    lo = max(first, month_number(coverage[0]))
    hi = min(last, month_number(coverage[1]))
    covered = max(hi - lo + 1, 0)
    if covered == 0:
        kind, factor = "none", 1.0
    elif covered < length:
        kind, factor = "annualised", length / covered
    elif history_period is None and month_number(h_end) < month_number(period_start) - 1:
        kind, factor = "last_months", 1.0
    else:
        kind, factor = "period", 1.0
    return HistoryBasis(kind, h_start, h_end, length, covered, factor, *coverage, source)


def _covers(coverage: tuple[date, date], first: int, last: int) -> bool:
    return month_number(coverage[0]) <= first and last <= month_number(coverage[1])


def calendar_coverage(coverage: tuple[date, date] | None) -> np.ndarray:
    """How many times each calendar month (0 = January) lies in the data coverage."""
    counts = np.zeros(12)
    if coverage is not None:
        for k in range(month_number(coverage[0]), month_number(coverage[1]) + 1):
            counts[k % 12] += 1
    return counts


def seasonal_sales(monthly_sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average sales per calendar month over the covered months ``(n, 12)``; a calendar
    month no year covers gets the row's average month."""
    sums = np.atleast_2d(np.asarray(monthly_sums, dtype=np.float64)).clip(0)
    seen = counts > 0
    avg = np.zeros_like(sums)
    avg[:, seen] = sums[:, seen] / counts[seen]
    if seen.any() and not seen.all():
        avg[:, ~seen] = avg[:, seen].mean(axis=1, keepdims=True)
    return avg


def uncovered_months_note(counts: np.ndarray) -> str | None:
    missing = [MONTH_NAMES[m] for m in range(12) if counts[m] == 0]
    if not missing or len(missing) == 12:
        return None
    return (
        f"no revenue history for {', '.join(missing)} in any year; "
        f"{'that month gets' if len(missing) == 1 else 'those months get'} the average month "
        "of the seasonality"
    )


def month_profile(
    seasonality: str | Sequence[float],
    months: Sequence[tuple[int, int]],
    monthly_hist: np.ndarray,
    company_monthly: np.ndarray,
    warnings: list[str],
    fiscal: FiscalCalendar | int | None = None,
) -> np.ndarray:
    """Weights ``(n_leaves, n_months)`` from a calendar-month profile.

    ``monthly_hist`` ``(n_leaves, 12)`` and ``company_monthly`` ``(12,)`` are average sales
    per calendar month (see :func:`seasonal_sales`). Four quarterly weights are the quarters
    of ``fiscal``'s year (the first weight is the fiscal Q1); twelve weights are January to
    December whatever the fiscal year.
    """
    n = monthly_hist.shape[0]
    cols = [m - 1 for _, m in months]
    if isinstance(seasonality, str) and "," in seasonality:
        seasonality = [parse_amount(v, name="seasonality") for v in seasonality.split(",")]
    if isinstance(seasonality, str):
        kind = seasonality.strip().lower()
        if kind == "flat":
            return np.ones((n, len(cols)))
        if kind not in ("history", "territory"):
            raise InvalidParameterError(
                f"seasonality must be history, territory, flat or 12/4 weights, got "
                f"{seasonality!r}",
                details={"parameter": "seasonality"},
            )
        if company_monthly.clip(0).sum() <= 0:
            warnings.append("no sales history by month; months are split evenly")
        company = quotas.monthly_profile(company_monthly)
        if kind == "history":
            return np.broadcast_to(company[cols], (n, len(cols))).copy()
        own = monthly_hist.clip(0).sum(axis=1) > 0
        prof = np.where(own[:, None], quotas.monthly_profile(monthly_hist), company[None, :])
        return prof[:, cols]
    try:
        values = np.asarray(list(seasonality), dtype=float)
    except (TypeError, ValueError):
        values = np.zeros(0)
    if values.size == 4:
        # calendar month m belongs to fiscal quarter ((m - start) mod 12) // 3
        values = np.roll(quotas.expand_quarters(values), fiscal_calendar(fiscal).start_month - 1)
    if values.size != 12 or np.any(~np.isfinite(values)) or np.any(values < 0) or values.sum() <= 0:
        raise InvalidParameterError(
            "a seasonality profile lists 12 monthly (Jan..Dec) or 4 quarterly (fiscal Q1..Q4) "
            "weights >= 0 "
            "with a positive sum",
            details={"parameter": "seasonality"},
        )
    return np.broadcast_to(values[cols], (n, len(cols))).copy()
