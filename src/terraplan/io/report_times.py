"""Date-times as a Salesforce report writes them: local time, no zone, a 12- or 24-hour clock.

A report exported to CSV or Excel writes ``LastModifiedDate`` as ``11/3/2026 9:42 AM`` (or
``11/3/2026 21:42``, ``2026-11-03 9:42 AM``, by the user's locale), in the time zone of the
user who ran it. :func:`report_time` reads one as the local time it is; its slashed order is
the mapping file's ``dates:`` line, else what the column shows (a first number above 12 and no
second one: day first), else month first, as slashed dates are read everywhere
(:mod:`terraplan.io.parsing`). :func:`utc_of_local` turns it into UTC in a declared
``time_zone`` (daylight saving included).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_SLASHED = re.compile(
    r"(?i)^(\d{1,2})/(\d{1,2})/(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([ap])\.?m\.?)?$"
)
_ISO_CLOCK = re.compile(
    r"(?i)^(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])\.?m\.?$"
)


def _clock(hour: int, minute: int, second: int, half: str | None) -> tuple[int, int, int] | None:
    if half is None:
        return (hour, minute, second) if hour <= 23 and minute <= 59 and second <= 59 else None
    if not 1 <= hour <= 12 or minute > 59 or second > 59:
        return None  # 13:30 PM, 0:15 AM: no time on a 12-hour clock
    return (hour % 12 + (12 if half.lower() == "p" else 0), minute, second)


def report_time(text: str, *, day_first: bool = False) -> datetime | None:
    """The local date and time ``text`` writes as a report does, without zone; None when it
    is not one (or names no day or time: ``2/30/2026``, ``13:30 PM``)."""
    value = text.strip()
    found = _SLASHED.fullmatch(value)
    if found is not None:
        first, second, year = int(found[1]), int(found[2]), int(found[3])
        month, day = (second, first) if day_first else (first, second)
    else:
        found = _ISO_CLOCK.fullmatch(value)
        if found is None:
            return None
        year, month, day = int(found[1]), int(found[2]), int(found[3])
    clock = _clock(int(found[4]), int(found[5]), int(found[6] or 0), found[7])
    if clock is None:
        return None
    try:
        return datetime(year, month, day, *clock)
    except ValueError:
        return None


def shows_day_first(values: Iterable[str]) -> bool:
    """True when the slashed report times show the day first (a first number above 12) and
    none shows the month first (a second number above 12)."""
    day = month = False
    for value in values:
        found = _SLASHED.fullmatch(value.strip())
        if found is not None:
            day = day or int(found[1]) > 12
            month = month or int(found[2]) > 12
    return day and not month


def utc_of_local(local: datetime, time_zone: str) -> datetime:
    """``local`` (a wall-clock time in ``time_zone``) as UTC without zone; in the repeated hour
    when clocks go back, its first occurrence."""
    return local.replace(tzinfo=ZoneInfo(time_zone)).astimezone(UTC).replace(tzinfo=None)
