"""Days given as command-line options (``--as-of``, ``--since``, ``--effective``, ``--on``): a
calendar date written YYYY-MM-DD, or one refusal that names the option and shows the form."""

from __future__ import annotations

import calendar
import re
from datetime import date

from terraplan.errors import InvalidParameterError

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str | None, option: str, example: str = "2026-03-31") -> date | None:
    """``text`` as a day (None when the option was not given). ``option`` is the option as
    typed (``"--as-of"``); only that form is taken: ``20260331`` or the week date
    ``2026-W13-2``, which Python would read, are refused as a user would not expect them."""
    if text is None:
        return None
    value = text.strip()
    why = f"write it as YYYY-MM-DD, e.g. {example}"
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        if _DAY.fullmatch(value):  # the right form, a day the calendar lacks (2026-02-29)
            year, month, _ = (int(part) for part in value.split("-"))
            if 1 <= month <= 12 and year:
                days = calendar.monthrange(year, month)[1]
                why = f"no such day ({calendar.month_name[month]} {year} has {days} days)"
        raise InvalidParameterError(
            f"{option} {text!r} is not a date: {why}",
            details={"field": option.removeprefix("--").replace("-", "_"), "value": text},
        ) from None
