"""The default reporting day is the latest thing that happened: a sale, an opportunity
created, or one closed won or lost; never an open deal's expected close."""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.services.reporting_day import latest_fact


def _opps(rows: list[tuple[date, date | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "created_date": [r[0] for r in rows],
            "close_date": [r[1] for r in rows],
            "is_closed": [r[2] for r in rows],
        },
        schema={"created_date": pl.Date, "close_date": pl.Date, "is_closed": pl.Boolean},
    )


def test_a_lost_deal_after_the_last_won_one_counts() -> None:
    won_revenue = pl.DataFrame({"date": [date(2026, 2, 11)]})  # opportunities only: won deals
    opps = _opps(
        [
            (date(2026, 1, 5), date(2026, 2, 11), True),  # won
            (date(2026, 1, 6), date(2026, 2, 12), True),  # lost the day after
            (date(2026, 1, 7), date(2026, 9, 30), False),  # open: a forecast, not a fact
        ]
    )
    assert latest_fact(won_revenue, opps) == date(2026, 2, 12)


def test_sales_lines_alone_and_nothing_at_all() -> None:
    lines = pl.DataFrame({"date": [date(2025, 12, 31), date(2025, 6, 1)]})
    assert latest_fact(lines, None) == date(2025, 12, 31)
    assert latest_fact(pl.DataFrame({"date": []}, schema={"date": pl.Date}), None) is None
