"""Targets of several lengths for one subject: each day counted once, from the finest target.

A territory (or rep) may hold a year target and its months, or a yearly quota beside
monthly targets for one quarter. The KPIs must not add the layers up. Per subject
(territory, rep) the dates are cut at every target's start and at the day after every
target's end, so that each elementary segment lies wholly inside or outside each target.
A segment takes the shortest target covering it (then the earlier start, then the larger
amount), and that target's amount prorated by days.

The warehouse SQL (:mod:`terraplan.planning.kpi_sql_targets`) builds the same segments, so
both give the same figures.
"""

from __future__ import annotations

import polars as pl


def finest_target_segments(targets: pl.LazyFrame) -> pl.LazyFrame:
    """``targets`` (``territory_id``, ``rep_id``, ``period_start``, ``period_end`` inclusive
    dates, ``amount`` in currency) as non-overlapping segments per subject with the same
    columns; rows without both dates, or ending before they start, are left out (no day
    of theirs can count)."""
    keyed = (
        targets.select(
            pl.col("territory_id").cast(pl.String),
            pl.col("rep_id").cast(pl.String),
            pl.col("period_start").cast(pl.Date),
            pl.col("period_end").cast(pl.Date),
            pl.col("amount").cast(pl.Float64),
        )
        .filter(pl.col("period_end") >= pl.col("period_start"))
        .with_columns(
            pl.col("territory_id").fill_null("").alias("_t"),
            pl.col("rep_id").fill_null("").alias("_r"),
            pl.col("period_start").cast(pl.Int64).alias("_s"),
            (pl.col("period_end").cast(pl.Int64) + 1).alias("_e"),
        )
        .with_columns((pl.col("_e") - pl.col("_s")).alias("_span"))
    )
    cuts = (
        pl.concat(
            [
                keyed.select("_t", "_r", pl.col("_s").alias("_a")),
                keyed.select("_t", "_r", pl.col("_e").alias("_a")),
            ]
        )
        .unique()
        .sort("_t", "_r", "_a")
        .with_columns(pl.col("_a").shift(-1).over("_t", "_r").alias("_b"))
        .filter(pl.col("_b").is_not_null())
    )
    covering = (
        cuts.join(keyed, on=["_t", "_r"], how="inner")
        .filter((pl.col("_s") <= pl.col("_a")) & (pl.col("_a") < pl.col("_e")))
        .sort("_t", "_r", "_a", "_span", "_s", pl.col("amount"), descending=[False] * 5 + [True])
        .group_by("_t", "_r", "_a", maintain_order=True)
        .first()
    )
    return covering.select(
        "territory_id",
        "rep_id",
        pl.col("_a").cast(pl.Date).alias("period_start"),
        (pl.col("_b") - 1).cast(pl.Date).alias("period_end"),
        (pl.col("amount") * (pl.col("_b") - pl.col("_a")) / pl.col("_span")).alias("amount"),
    )
