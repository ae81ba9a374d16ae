"""The day KPIs are reported at when the user names none."""

from __future__ import annotations

from datetime import date

import polars as pl


def latest_fact(sales_lines: pl.DataFrame, opportunities: pl.DataFrame | None) -> date | None:
    """The default reporting day: the latest thing that happened, a sale, an opportunity
    created, or one closed (won or lost). An open opportunity's close date is a forecast,
    not a fact, so it does not count (it would put the day in the future)."""
    days: list[date] = []
    if sales_lines.height:
        days.append(sales_lines["date"].max())  # type: ignore[arg-type]
    if opportunities is not None and opportunities.height:
        created = opportunities["created_date"].max()
        if created is not None:
            days.append(created)  # type: ignore[arg-type]
        if "close_date" in opportunities.columns and "is_closed" in opportunities.columns:
            closed = opportunities.filter(pl.col("is_closed").fill_null(False))["close_date"].max()
            if closed is not None:
                days.append(closed)  # type: ignore[arg-type]
    return max(days) if days else None
