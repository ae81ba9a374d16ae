"""One layer of targets per day: the finest target that covers it.

A territory (or rep) may hold targets of several lengths for the same dates: ``terraplan
targets`` stores a year target and its twelve months; a yearly quota imported from the CRM
may sit beside monthly targets set for the first quarter only. Summing every layer would
count the same days twice; dropping a long target because some months have their own would
lose the rest of it. :func:`finest_targets` keeps, for each subject (territory, rep,
metric) and each day, the shortest target covering that day (then the earlier start, then
the larger amount, as :mod:`terraplan.planning.target_days` does inside the KPIs): a longer
target keeps only the days no shorter one covers, as pieces whose amounts are its amount
prorated by days.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

import polars as pl


def finest_targets(targets: pl.DataFrame) -> pl.DataFrame:
    """``targets`` (``territory_id``, ``rep_id``, optional ``metric``, ``period_start``,
    ``period_end`` inclusive dates, ``amount`` in currency) with each day counted once."""
    if targets.height == 0:
        return targets
    has_metric = "metric" in targets.columns

    def subject(row: dict[str, Any]) -> tuple[str, str, str]:
        metric = (row.get("metric") or "revenue") if has_metric else ""
        return (row["territory_id"] or "", row["rep_id"] or "", metric)

    rows = sorted(targets.to_dicts(), key=subject)
    kept: list[dict[str, Any]] = []
    for _, group in groupby(rows, key=subject):
        covered: set[int] = set()
        by_length = sorted(
            group,
            key=lambda r: (
                _days(r),
                r["period_start"] or date.min,
                -(r["amount"] or 0.0),  # as the KPI query: the larger of two equal targets
                str(r.get("id")),
            ),
        )
        for row in by_length:
            start, end = row["period_start"], row["period_end"]
            if start is None or end is None or end < start:
                kept.append(row)
                continue
            days = range(start.toordinal(), end.toordinal() + 1)
            free = [d for d in days if d not in covered]
            covered.update(days)
            if len(free) == len(days):
                kept.append(row)
                continue
            amount = row["amount"] or 0.0
            for run in _runs(free):
                kept.append(
                    {
                        **row,
                        "period_start": date.fromordinal(run[0]),
                        "period_end": date.fromordinal(run[-1]),
                        "amount": amount * len(run) / len(days),
                    }
                )
    return pl.DataFrame(kept, schema=targets.schema)


def _days(row: dict[str, Any]) -> int:
    start, end = row["period_start"], row["period_end"]
    return (end - start).days + 1 if start is not None and end is not None else 0


def _runs(days: list[int]) -> list[list[int]]:
    """Consecutive runs of sorted day ordinals."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs
