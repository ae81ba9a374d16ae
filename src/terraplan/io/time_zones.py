"""The time zone a file's date-times are read in, declared in a mapping file.

Salesforce's Data Loader writes date-times in UTC (``CreatedDate``
``2026-04-01T00:30:00.000Z``), HubSpot and the warehouses likewise. A date-time keeps its date
as written (:mod:`terraplan.io.parsing`): the UTC day, which in the Americas is the next day
from the evening on (a lead created at 8:30 PM in New York on 31 March counts in April and in
the second quarter), while a report export, written in the user's time zone, gives the local
day. A mapping file's ``time_zone: America/New_York`` reads each date-time that says its zone
(``Z``, ``+0000``, ``-05:00``) as its day in that time zone (daylight saving included), so that
both exports put the lead in March. Dates and date-times without a zone are kept as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

#: The mapping file's key naming the time zone.
TIME_ZONE_KEY = "time_zone"

#: A date-time with its zone: date, hour, minute, seconds (optional), then ``Z`` or an offset.
_ZONED = (
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*"
    r"(Z|([+-])(\d{2}):?(\d{2}))\s*$"
)


def time_zone_of(value: object) -> str | None:
    """``value`` when it names a time zone of the IANA database (``Europe/Berlin``), else None."""
    if not isinstance(value, str) or not value.strip() or value.strip() != value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def declared_time_zone(mapping: Mapping[str, object] | None) -> str | None:
    """The time zone a mapping declares under :data:`TIME_ZONE_KEY`, if any."""
    if not mapping or TIME_ZONE_KEY not in mapping:
        return None
    return time_zone_of(mapping[TIME_ZONE_KEY])


def zoned_day(text: pl.Expr, time_zone: str) -> pl.Expr:
    """The day in ``time_zone`` of a date-time ``text`` that says its zone (null otherwise)."""
    parts = text.str.extract_groups(_ZONED)
    day = parts.struct.field("1").str.to_date("%Y-%m-%d", strict=False)
    hours = parts.struct.field("2").cast(pl.Int64, strict=False)
    minutes = parts.struct.field("3").cast(pl.Int64, strict=False)
    seconds = parts.struct.field("4").cast(pl.Int64, strict=False).fill_null(0)
    sign = pl.when(parts.struct.field("6") == "-").then(-1).otherwise(1)
    offset = sign * (
        parts.struct.field("7").cast(pl.Int64, strict=False).fill_null(0) * 60
        + parts.struct.field("8").cast(pl.Int64, strict=False).fill_null(0)
    )
    utc = day.cast(pl.Datetime("us")) + pl.duration(
        hours=hours, minutes=minutes - offset, seconds=seconds
    )
    local = utc.dt.replace_time_zone("UTC").dt.convert_time_zone(time_zone).dt.date()
    return pl.when(hours.is_between(0, 23) & minutes.is_between(0, 59)).then(local)


def declared_zone_note(time_zone: str, by: str = "the mapping file") -> str:
    """What the declared time zone does (one line of the import report); ``by`` names the
    mapping (``the stored mapping 'uk-leads'``)."""
    return (
        f"date-times with a time zone (Z, +0000) are read as their day in {time_zone},"
        f" as {by} declares (time_zone: {time_zone})"
    )
