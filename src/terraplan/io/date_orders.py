"""The order of slashed dates declared in a mapping file: ``dates: day first``.

Slashed dates are read in the order their column shows (``25/03/2025`` is day first), else
as the file's other date columns show, else as its numbers suggest (a decimal comma: day
first), else month first (:mod:`terraplan.io.parsing`). A British or Irish export in the
first twelve days of a month shows nothing (``05/03/2026``) and has decimal points, so it
reads month first: 3 May. A mapping file names the order for every date column of the file:
``{"columns": {...}, "dates": "day first"}`` (or ``month first``); a slashed date written in
the other order (``3/31/2026`` in a day-first file) is then an error naming its row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from terraplan.io.time_zones import TIME_ZONE_KEY, declared_time_zone

DateOrder = Literal["day first", "month first"]

#: The mapping file's key naming the order.
DATES_KEY = "dates"

_SPELLINGS: dict[str, DateOrder] = {
    "day first": "day first",
    "dd mm yyyy": "day first",
    "month first": "month first",
    "mm dd yyyy": "month first",
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-./]+", " ", text.strip().lower())


def date_order_of(value: object) -> DateOrder | None:
    """The order ``value`` names (``day first``, ``day_first``, ``DD/MM/YYYY``…), else None."""
    return _SPELLINGS.get(_key(value)) if isinstance(value, str) else None


def declared_date_order(mapping: Mapping[str, object] | None) -> DateOrder | None:
    """The order a mapping declares under :data:`DATES_KEY`, if any."""
    if not mapping or DATES_KEY not in mapping:
        return None
    return date_order_of(mapping[DATES_KEY])


def declared_order_note(order: DateOrder, by: str = "the mapping file") -> str:
    """How the declared order reads the dates (one line of the import report); ``by`` names
    the mapping (``the stored mapping 'uk-leads'``)."""
    shape = "day/month/year" if order == "day first" else "month/day/year"
    return f"slashed dates are read as {shape}, as {by} declares (dates: {order})"


def without_date_settings(mapping: Mapping[str, object]) -> tuple[dict[str, object], str | None]:
    """``mapping`` without its date settings (:data:`DATES_KEY`, ``time_zone``), and why one
    of them is refused (None when none is). In the flat form (``{"Column": "field"}``) a key
    whose value is no setting stays a column name (a column called ``dates``)."""
    nested = any(isinstance(mapping.get(k), Mapping) for k in ("columns", "values"))
    kept = dict(mapping)
    settings = (
        (DATES_KEY, declared_date_order(mapping), "'day first' or 'month first'"),
        (
            TIME_ZONE_KEY,
            declared_time_zone(mapping),
            "a time zone of the IANA database, such as America/New_York or Europe/London",
        ),
    )
    for key, value, wanted in settings:
        if value is not None:
            del kept[key]
        elif key in mapping and nested:
            return kept, f"its {key!r} must be {wanted}"
    return kept, None
