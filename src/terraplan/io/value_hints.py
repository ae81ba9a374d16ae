"""Why a cell could not be read as a date or a number, in the words of the cell.

The generic reasons ("not a date (use YYYY-MM-DD)", "not a number") are right but unhelpful
for a few common cells: an impossible day written in the right form (``2026-02-30``), an
Excel date serial that lost its date format (``45000``), an accounting negative
(``(500)``) or a percentage (``50%``). Each gets a reason that says what it is and what to
write; every other cell keeps the generic one. Run on the refused cells only.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

#: Day zero of Excel's (1900) date serials, as Excel counts them (with its 1900-02-29).
_EXCEL_EPOCH = date(1899, 12, 30)
#: Serials of 1950-01-01 .. 2199-12-31: plausible dates of records.
_SERIALS = (18_264, 109_573)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_SLASHED = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})(?:[ ,T].*)?")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
#: Unix times of 1990-01-01 .. 2199-12-31 in seconds (10 digits) or milliseconds (13 digits:
#: HubSpot's API and its integrations write dates so).
_UNIX = re.compile(r"\d{10}|\d{13}")
_UNIX_SECONDS = (631_152_000, 7_258_118_399)
_PARENTHESES = re.compile(r"\(\s*([^()]*\d[^()]*?)\s*\)")
_PERCENT = re.compile(r"[+-]?\d[\d.,]*\s*%")


def _no_such_day(year: int, month: int, day: int) -> str | None:
    if not 1 <= month <= 12 or day < 1:
        return None
    days = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    if day <= days:
        return None
    name = calendar.month_name[month]
    return f"not a date: no such day ({name} {year} has {days} days)"


def date_hint(text: str, generic: str) -> str:
    """The reason a date cell was refused (``generic`` when nothing better is known)."""
    value = text.strip()
    match = _ISO.fullmatch(value)
    if match is not None:
        year, month, day = (int(g) for g in match.groups())
        if not 1 <= month <= 12:
            return f"not a date: no month {month} (the form is YYYY-MM-DD)"
        return _no_such_day(year, month, day) or generic
    match = _SLASHED.fullmatch(value)
    if match is not None:
        first, second, year = (int(g) for g in match.groups())
        # either order: the day the cell names does not exist in its month
        for day, month in ((first, second), (second, first)):
            if 1 <= month <= 12 and day > 12:
                missing = _no_such_day(year, month, day)
                if missing is not None or "/" not in value:
                    return missing or generic
                # a real day in the other order: the column reads slashed dates this way
                written, read = ("day", "month") if day == first else ("month", "day")
                return (
                    f"not a date in this column's order: written {written} first ({day} is no"
                    f" month), while the column reads slashed dates {read} first; write"
                    " YYYY-MM-DD"
                )
        return generic
    if _SERIAL.fullmatch(value) is not None:
        serial = float(value)
        if _SERIALS[0] <= serial <= _SERIALS[1]:
            shown = _EXCEL_EPOCH + timedelta(days=int(serial))
            return (
                f"not a date: looks like an Excel date serial ({int(serial)} = {shown.isoformat()});"
                " format the column as a date in the workbook, or write YYYY-MM-DD"
            )
    if _UNIX.fullmatch(value) is not None:
        return _unix_hint(value) or generic
    return generic


def _unix_hint(value: str) -> str | None:
    """The reason for a Unix time in seconds or milliseconds, naming its UTC day."""
    milliseconds = len(value) == 13
    seconds = int(value) // 1000 if milliseconds else int(value)
    if not _UNIX_SECONDS[0] <= seconds <= _UNIX_SECONDS[1]:
        return None
    shown = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M")
    unit = "milliseconds" if milliseconds else "seconds"
    return (
        f"not a date: looks like a Unix time in {unit} ({value} = {shown} UTC); write the"
        " day as YYYY-MM-DD"
    )


def number_hint(text: str, generic: str) -> str:
    """The reason a number cell was refused (``generic`` when nothing better is known)."""
    value = text.strip()
    match = _PARENTHESES.fullmatch(value)
    if match is not None:
        return f"{generic}: an accounting negative? write {value!r} as -{match.group(1)}"
    if _PERCENT.fullmatch(value) is not None:
        number = value.rstrip("% ").strip()
        return f"{generic}: a percentage? write it as a plain number ({number} or its fraction)"
    return generic
