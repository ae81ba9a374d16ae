"""Targets and acquisition costs per KPI group and period: amounts set on periods of their own,
spread evenly over their days, then summed per territory, region and rep."""

from __future__ import annotations

from typing import Literal

import polars as pl

from terraplan.planning.exact_sums import exact_sum
from terraplan.planning.kpi_groups import rollup
from terraplan.planning.kpi_inputs import KpiInputs, optional_columns
from terraplan.planning.target_days import finest_target_segments

#: Where an amount set on a territory id counts: on a leaf (semi join with the leaves) for
#: that territory, on an inner node (anti join) for that region.
_DIRECT: tuple[tuple[str, Literal["semi", "anti"]], ...] = (
    ("territory", "semi"),
    ("region", "anti"),
)


def spread_by_group(
    inputs: KpiInputs,
    name: str,
    ptable: pl.DataFrame,
    territories: pl.DataFrame,
    dims: tuple[str, ...],
    *,
    whole_period: bool,
) -> pl.LazyFrame:
    """Targets or costs per (dimension, key, period), each amount spread evenly over its days.

    A group uses amounts set on it directly; without any, the sum over its leaf territories
    (regions, reps). Segments and industries get none. ``whole_period`` sums over the full
    period (targets), otherwise up to the cut date (costs). By rep, targets count only the
    days on or after the rep's hire date (:func:`hire_dates`): a period wholly before it has
    no target (null), one it starts in the days from it (a hire on 10 August: 22/31 of the
    August target).
    """
    schema = {"dimension": pl.String, "key": pl.String, "period": pl.String, "amount": pl.Float64}
    frame = inputs.frame(name)
    if frame is None:
        return pl.LazyFrame(schema=schema)
    if name == "targets":
        frame = optional_columns(frame, ("metric",))
        frame = frame.filter(pl.col("metric").is_null() | (pl.col("metric") == "revenue"))
        frame = finest_target_segments(frame)  # a year and its months count once
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("rep_id"))
    end_col = "period_end" if whole_period else "cut"
    segments = frame.select(
        pl.col("territory_id").cast(pl.String),
        pl.col("rep_id").cast(pl.String),
        pl.col("period_start").alias("t_start"),
        pl.col("period_end").alias("t_end"),
        pl.col("amount").cast(pl.Float64),
    ).with_columns(pl.col("t_start").alias("t_from"))
    spread = _spread(segments, ptable, end_col, name)
    by_territory = (
        spread.filter(pl.col("territory_id").is_not_null())
        .group_by("territory_id", "period")
        .agg(exact_sum("amount"))
    )
    leaf_ids = territories.filter(pl.col("is_leaf")).select("territory_id").lazy()
    direct_parts = [
        by_territory.join(leaf_ids, on="territory_id", how=how).select(
            pl.lit(dimension).alias("dimension"),
            pl.col("territory_id").alias("key"),
            "period",
            "amount",
        )
        for dimension, how in _DIRECT
        if dimension in dims
    ]
    # by rep, a target counts from the rep's hire date: a rep hired on 10 August had
    # their territory's target since January (attainment 17 % instead of 46 %)
    hires = hire_dates(inputs) if name == "targets" and "rep" in dims else None
    if "rep" in dims:
        own = segments.filter(pl.col("rep_id").is_not_null()).with_columns(
            pl.col("rep_id").alias("key")
        )
        direct_parts.append(
            _spread(_from_hire(own, hires), ptable, end_col, name)
            .group_by("key", "period")
            .agg(exact_sum("amount"))
            .select(pl.lit("rep").alias("dimension"), "key", "period", "amount")
        )
    rolled_dims = tuple(d for d in dims if d in ("region", "rep"))
    if not direct_parts:
        return pl.LazyFrame(schema=schema)
    direct = pl.concat(direct_parts, how="vertical_relaxed")
    if not rolled_dims:
        return direct
    if hires is not None:
        # a rep's share of each territory segment, from their hire date, then spread
        rolled_dims = tuple(d for d in rolled_dims if d != "rep")
    leaves = split_shared(
        by_territory.join(leaf_ids, on="territory_id", how="semi"), inputs.frame("shared_owners")
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("segment"),
        pl.lit(None, dtype=pl.String).alias("industry"),
    )
    rolled_parts = (
        [
            rollup(
                leaves, territories, keys=("period",), measures=("amount",), dimensions=rolled_dims
            )
        ]
        if rolled_dims
        else []
    )
    if hires is not None:
        held = _rep_segments(segments, territories, inputs.frame("shared_owners"))
        rolled_parts.append(
            _spread(_from_hire(held, hires), ptable, end_col, name)
            .group_by("key", "period")
            .agg(exact_sum("amount"))
            .select(pl.lit("rep").alias("dimension"), "key", "period", "amount")
        )
    rolled = pl.concat(rolled_parts, how="vertical_relaxed")
    # A rep with targets of their own in any period is never given their territories'
    # instead: a rep hired in July, whose own targets start then, got the first half of the
    # territory they took over, which their predecessor kept as their own (counted twice).
    own_reps = (
        frame.lazy()
        .filter(pl.col("rep_id").is_not_null())
        .select(pl.lit("rep").alias("dimension"), pl.col("rep_id").cast(pl.String).alias("key"))
        .unique()
        .with_columns(pl.lit(True).alias("own"))
    )
    return (
        rolled.rename({"amount": "rolled"})
        .join(direct, on=["dimension", "key", "period"], how="full", coalesce=True)
        .join(own_reps, on=["dimension", "key"], how="left")
        .select(
            "dimension",
            "key",
            "period",
            pl.when(pl.col("own").fill_null(False))
            .then(pl.col("amount"))
            .otherwise(pl.coalesce("amount", "rolled"))
            .alias("amount"),
        )
    )


def hire_dates(inputs: KpiInputs) -> pl.LazyFrame:
    """``rep_id, hire_date`` of the reps with a known hire date (none without a ``reps``
    frame or its ``hire_date`` column)."""
    reps = inputs.frame("reps")
    schema = {"rep_id": pl.String, "hire_date": pl.Date}
    if reps is None or "hire_date" not in reps.collect_schema().names():
        return pl.LazyFrame(schema=schema)
    return (
        reps.select(pl.col("id").cast(pl.String).alias("rep_id"), pl.col("hire_date").cast(pl.Date))
        .filter(pl.col("rep_id").is_not_null() & pl.col("hire_date").is_not_null())
        .group_by("rep_id")
        .agg(pl.col("hire_date").min())  # one per rep (the warehouse query takes the first)
    )


def _rep_segments(
    segments: pl.LazyFrame, territories: pl.DataFrame, shared: pl.LazyFrame | None
) -> pl.LazyFrame:
    """Leaf territories' target segments with ``key``, the rep they count for: the holder
    in a territory with several primary reps (amount split by shares, as
    :func:`split_shared`), else the territory's owner today; vacant territories' are left
    out (as :func:`~terraplan.planning.kpi_groups.rollup` leaves them out)."""
    leaves = territories.filter(pl.col("is_leaf")).select("territory_id", "owner_id").lazy()
    on_leaves = segments.filter(pl.col("territory_id").is_not_null()).join(
        leaves, on="territory_id", how="inner"
    )
    return (
        split_shared(on_leaves, shared)
        .with_columns(pl.coalesce("holder_id", "owner_id").alias("key"))
        .filter(pl.col("key").is_not_null())
        .drop("holder_id", "owner_id")
    )


def _from_hire(segments: pl.LazyFrame, hires: pl.LazyFrame | None) -> pl.LazyFrame:
    """``segments`` (with ``key``, a rep id) whose first counted day ``t_from`` is moved to
    the rep's hire date when it falls later (a segment wholly before it counts no day)."""
    if hires is None:
        return segments
    return (
        segments.join(hires, left_on="key", right_on="rep_id", how="left")
        .with_columns(pl.max_horizontal("t_from", "hire_date").alias("t_from"))
        .drop("hire_date")
    )


def _spread(segments: pl.LazyFrame, ptable: pl.DataFrame, end_col: str, name: str) -> pl.LazyFrame:
    """``segments`` x periods with ``amount`` the part of each segment's amount (spread evenly
    over its days ``t_start..t_end``) on the days from ``t_from`` that fall in the period, up
    to its end (``end_col`` "period_end") or its cut date ("cut")."""
    return (
        segments.join(
            ptable.lazy().select(
                "period", "period_start", "period_end", pl.col(end_col).alias("p_end")
            ),
            how="cross",
        )
        .with_columns(
            _days_between(pl.max_horizontal("t_from", "period_start"), "t_end", "p_end").alias(
                "overlap"
            ),
            _days_between(pl.max_horizontal("t_from", "period_start"), "t_end", "period_end").alias(
                "in_period"
            ),
            ((pl.col("t_end") - pl.col("t_start")).dt.total_days() + 1).alias("length"),
        )
        # a target of the period counts for its group even before any of its days are gone:
        # a region with a target of its own is paced on it (nothing due yet), never on its
        # territories' targets of the days gone (costs count only up to the cut date)
        .filter(pl.col("in_period" if name == "targets" else "overlap") > 0)
        .with_columns(
            (pl.col("amount") * pl.col("overlap").clip(lower_bound=0) / pl.col("length")).alias(
                "amount"
            )
        )
    )


def split_shared(amounts: pl.LazyFrame, shared: pl.LazyFrame | None) -> pl.LazyFrame:
    """Per-territory ``amount`` rows with ``holder_id``: a territory with several primary reps
    splits its amount among them by their shares (null holder elsewhere: the owner)."""
    if shared is None:
        return amounts.with_columns(pl.lit(None, dtype=pl.String).alias("holder_id"))
    weights = shared.select(
        pl.col("territory_id").cast(pl.String),
        pl.col("rep_id").cast(pl.String).alias("holder_id"),
        (pl.col("share") / exact_sum("share").over("territory_id")).alias("weight"),
    )
    split = amounts.join(weights, on="territory_id", how="inner").with_columns(
        pl.col("amount") * pl.col("weight")
    )
    whole = amounts.join(weights, on="territory_id", how="anti").with_columns(
        pl.lit(None, dtype=pl.String).alias("holder_id")
    )
    return pl.concat([whole, split.drop("weight")], how="diagonal_relaxed")


def _days_between(start: pl.Expr, end_a: str, end_b: str) -> pl.Expr:
    """Days from ``start`` to the earlier of two end dates, both ends included (0 or less
    when they do not overlap)."""
    return (pl.min_horizontal(end_a, end_b) - start).dt.total_days() + 1
