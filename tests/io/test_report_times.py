"""Date-times as Salesforce reports write them, where a day is read and where a time is."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from terraplan.io.parsing import parse_date
from terraplan.io.report_times import report_time, shows_day_first, utc_of_local


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-03 9:42 AM", date(2026, 11, 3)),
        ("2026-11-03 9:42 pm", date(2026, 11, 3)),
        ("2026-11-03 12:05:09 P.M.", date(2026, 11, 3)),
        ("11/3/2026 9:42 AM", date(2026, 11, 3)),
        ("11/3/2026 21:42", date(2026, 11, 3)),
        ("2026-11-03 13:30 PM", None),
        ("2026-11-03 9:42 XM", None),
    ],
)
def test_a_report_date_time_keeps_its_day_where_a_day_is_read(text: str, day: date | None) -> None:
    frame = pl.DataFrame({"v": [text]}).select(parse_date(pl.col("v")))
    assert frame.item() == day


@pytest.mark.parametrize(
    ("text", "day_first", "when"),
    [
        ("11/3/2026 9:42 AM", False, datetime(2026, 11, 3, 9, 42)),
        ("11/3/2026 12:10 AM", False, datetime(2026, 11, 3, 0, 10)),
        ("11/3/2026 12:10 PM", False, datetime(2026, 11, 3, 12, 10)),
        ("11/3/2026 21:42:05", False, datetime(2026, 11, 3, 21, 42, 5)),
        ("2026-11-03 9:42 PM", False, datetime(2026, 11, 3, 21, 42)),
        ("03/11/2026, 21:42", True, datetime(2026, 11, 3, 21, 42)),
        ("3/31/2026 9:42 AM", True, None),
        ("11/3/2026 24:00", False, None),
        ("11/3/2026", False, None),
        ("2026-11-03T09:42:00Z", False, None),
    ],
)
def test_report_time(text: str, day_first: bool, when: datetime | None) -> None:
    assert report_time(text, day_first=day_first) == when


def test_the_order_a_column_shows_and_local_time_in_utc() -> None:
    assert shows_day_first(["25/11/2026 09:42", "03/11/2026 21:42"])
    assert not shows_day_first(["11/25/2026 09:42", "25/11/2026 21:42"])
    assert not shows_day_first(["03/11/2026 21:42"])
    # New York: EDT (UTC-4) before 1 November 2026, EST (UTC-5) after
    assert utc_of_local(datetime(2026, 10, 30, 21, 42), "America/New_York") == datetime(
        2026, 10, 31, 1, 42
    )
    assert utc_of_local(datetime(2026, 11, 3, 21, 42), "America/New_York") == datetime(
        2026, 11, 4, 2, 42
    )
