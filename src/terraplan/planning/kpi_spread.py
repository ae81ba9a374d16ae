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
    period (targets), otherwise up to the cut date (costs).
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
    spread = (
        frame.select(
            pl.col("territory_id").cast(pl.String),
            pl.col("rep_id").cast(pl.String),
            pl.col("period_start").alias("t_start"),
            pl.col("period_end").alias("t_end"),
            pl.col("amount").cast(pl.Float64),
        )
        .join(
            ptable.lazy().select(
                "period", "period_start", "period_end", pl.col(end_col).alias("p_end")
            ),
            how="cross",
        )
        .with_columns(
            _days_between(pl.max_horizontal("t_start", "period_start"), "t_end", "p_end").alias(
                "overlap"
            ),
            _days_between(
                pl.max_horizontal("t_start", "period_start"), "t_end", "period_end"
            ).alias("in_period"),
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
    if "rep" in dims:
        direct_parts.append(
            spread.filter(pl.col("rep_id").is_not_null())
            .group_by("rep_id", "period")
            .agg(exact_sum("amount"))
            .select(
                pl.lit("rep").alias("dimension"), pl.col("rep_id").alias("key"), "period", "amount"
            )
        )
    rolled_dims = tuple(d for d in dims if d in ("region", "rep"))
    if not direct_parts:
        return pl.LazyFrame(schema=schema)
    direct = pl.concat(direct_parts, how="vertical_relaxed")
    if not rolled_dims:
        return direct
    leaves = split_shared(
        by_territory.join(leaf_ids, on="territory_id", how="semi"), inputs.frame("shared_owners")
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("segment"),
        pl.lit(None, dtype=pl.String).alias("industry"),
    )
    rolled = rollup(
        leaves, territories, keys=("period",), measures=("amount",), dimensions=rolled_dims
    )
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
