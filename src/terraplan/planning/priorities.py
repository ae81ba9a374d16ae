"""Account prioritisation: a ranked list per territory with a transparent score.

score = sum of parts, each part = weight x a signal in [0, 1]:

- potential: account potential / the largest potential in its territory;
- whitespace: max(potential - revenue over the lookback window, 0) / the territory's largest;
- recency: 1 - months since the last positive sales line / recency horizon (0 if never or
  older than the horizon);
- pipeline: open opportunity amount as of the date / the territory's largest;
- win_history: smoothed win rate (won + 1) / (closed + 2) of opportunities of accounts with the
  same segment and industry (all territories).

Weights are normalised to sum to 1, so scores lie in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date

import polars as pl

from terraplan.errors import InvalidParameterError
from terraplan.planning.exact_sums import exact_sum
from terraplan.planning.kpi_facts import is_credit
from terraplan.planning.kpi_groups import account_table, open_account_table, territory_table
from terraplan.planning.kpi_inputs import KpiInputs, closed_flags, optional_columns
from terraplan.planning.kpi_periods import add_months
from terraplan.planning.kpis import data_dates

PARTS: tuple[str, ...] = ("potential", "whitespace", "recency", "pipeline", "win_history")
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True, slots=True)
class PriorityWeights:
    """Relative weights of the score parts (any non-negative numbers, not all zero)."""

    potential: float = 0.30
    whitespace: float = 0.25
    recency: float = 0.15
    pipeline: float = 0.15
    win_history: float = 0.15

    def __post_init__(self) -> None:
        values = asdict(self)
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidParameterError(
                    f"weight {name} must be a number", details={"field": name}
                )
            if not math.isfinite(value) or value < 0:
                raise InvalidParameterError(
                    f"weight {name} must be finite and >= 0",
                    details={"field": name, "value": value},
                )
        if sum(values.values()) <= 0:
            raise InvalidParameterError(
                "at least one weight must be > 0", details={"field": "weights"}
            )

    def normalised(self) -> dict[str, float]:
        values = asdict(self)
        total = sum(values.values())
        return {k: float(v) / total for k, v in values.items()}


def prioritise_accounts(
    inputs: KpiInputs,
    *,
    as_of: date | None = None,
    weights: PriorityWeights | None = None,
    lookback_months: int = 12,
    recency_horizon_months: int = 24,
    top_n: int | None = None,
) -> pl.DataFrame:
    """Rank each territory's accounts for its rep.

    Returns one row per aligned account: ``territory_id, rep_id, rank`` (1 = first),
    ``account_id, score``, the weighted parts ``<part>_part`` for each of :data:`PARTS` (they
    sum to ``score``) and the raw signals ``potential, revenue_lookback, whitespace,
    months_since_purchase, open_pipeline, similar_win_rate``. Accounts without a territory are
    left out. Ties rank by account id.
    """
    w = (weights or PriorityWeights()).normalised()
    for name, value in (
        ("lookback_months", lookback_months),
        ("recency_horizon_months", recency_horizon_months),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidParameterError(f"{name} must be an integer >= 1", details={"field": name})
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise InvalidParameterError("top_n must be an integer >= 1", details={"field": "top_n"})
    if as_of is None:
        as_of = data_dates(inputs)[1] or date.today()
    # the lookback window: lines dated after the same day lookback_months earlier, up to as_of
    window_start = _months_before(as_of, lookback_months)

    accounts = open_account_table(inputs).filter(pl.col("territory_id").is_not_null())
    sales = inputs.frame("sales_lines")
    assert sales is not None
    sales = sales.filter(pl.col("date") <= as_of).select(
        pl.col("account_id").cast(pl.String), "date", pl.col("amount").cast(pl.Float64)
    )
    bought = sales.group_by("account_id").agg(
        exact_sum(pl.col("amount").filter(pl.col("date") > window_start)).alias("revenue_lookback"),
        pl.col("date").filter(pl.col("amount") > 0).max().alias("last_purchase"),
    )
    frame = accounts.join(bought, on="account_id", how="left")

    opps = inputs.frame("opportunities")
    if opps is not None:
        opps = optional_columns(opps, ("close_date",), pl.Date)
        opps = opps.filter(pl.col("created_date") <= as_of).select(
            pl.col("account_id").cast(pl.String),
            pl.col("amount").cast(pl.Float64),
            *closed_flags(as_of),  # undated: neither a closed deal nor pipeline, as in KPIs
            pl.col("is_won").fill_null(False).alias("won"),
        )
        # a credit memo or downgrade (won, negative) is no deal: no win, no pipeline (KPIs)
        opps = opps.filter(~is_credit())
        pipeline = (
            opps.filter(~pl.col("closed") & ~pl.col("undated"))
            .group_by("account_id")
            .agg(exact_sum("amount").alias("open_pipeline"))
        )
        history = (
            opps.filter(pl.col("closed"))
            .join(
                account_table(inputs).select("account_id", "segment", "industry"), on="account_id"
            )
            .with_columns(pl.col("segment", "industry").fill_null(""))
            .group_by("segment", "industry")
            .agg(pl.len().alias("closed"), pl.col("won").sum().alias("won"))
        )
        frame = (
            frame.join(pipeline, on="account_id", how="left")
            .with_columns(pl.col("segment", "industry").fill_null("").name.suffix("_key"))
            .join(
                history.rename({"segment": "segment_key", "industry": "industry_key"}),
                on=["segment_key", "industry_key"],
                how="left",
            )
        )
    else:
        frame = frame.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("open_pipeline"),
            pl.lit(None, dtype=pl.UInt32).alias("closed"),
            pl.lit(None, dtype=pl.UInt32).alias("won"),
        )

    frame = frame.with_columns(
        pl.col("potential").fill_null(0.0),
        pl.col("revenue_lookback").fill_null(0.0),
        pl.col("open_pipeline").fill_null(0.0),
        ((pl.col("won").fill_null(0) + 1) / (pl.col("closed").fill_null(0) + 2)).alias(
            "similar_win_rate"
        ),
        (
            (pl.lit(as_of) - pl.col("last_purchase")).dt.total_days().cast(pl.Float64)
            / DAYS_PER_MONTH
        ).alias("months_since_purchase"),
    ).with_columns(
        (pl.col("potential") - pl.col("revenue_lookback")).clip(lower_bound=0.0).alias("whitespace")
    )

    def share_of_max(column: str) -> pl.Expr:
        top = pl.col(column).max().over("territory_id")
        return pl.when(top > 0).then(pl.col(column).clip(lower_bound=0.0) / top).otherwise(0.0)

    signals = {
        "potential": share_of_max("potential"),
        "whitespace": share_of_max("whitespace"),
        "recency": (1.0 - pl.col("months_since_purchase") / recency_horizon_months)
        .clip(0.0, 1.0)
        .fill_null(0.0),
        "pipeline": share_of_max("open_pipeline"),
        "win_history": pl.col("similar_win_rate"),
    }
    frame = frame.with_columns((signals[p] * w[p]).alias(f"{p}_part") for p in PARTS)
    frame = frame.with_columns(pl.sum_horizontal(f"{p}_part" for p in PARTS).alias("score"))
    owners = territory_table(inputs).select("territory_id", pl.col("owner_id").alias("rep_id"))
    ranked = (
        frame.collect()
        .join(owners, on="territory_id", how="left")
        .sort(["territory_id", "score", "account_id"], descending=[False, True, False])
        .with_columns((pl.int_range(pl.len()).over("territory_id") + 1).alias("rank"))
    )
    if top_n is not None:
        ranked = ranked.filter(pl.col("rank") <= top_n)
    return ranked.select(
        "territory_id",
        "rep_id",
        "rank",
        "account_id",
        "score",
        *(f"{p}_part" for p in PARTS),
        "potential",
        "revenue_lookback",
        "whitespace",
        "months_since_purchase",
        "open_pipeline",
        "similar_win_rate",
    )


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (clamped to the month's last day)."""
    first = add_months(day.replace(day=1), -months)
    for candidate in range(day.day, 0, -1):
        try:
            return first.replace(day=candidate)
        except ValueError:
            continue
    return first
