"""Performance KPIs per territory, region, rep, segment and industry and per period.

:func:`compute_kpis` reads the frames of :class:`~terraplan.planning.kpi_inputs.KpiInputs` and
returns one polars row per ``(dimension, key, period)`` with a column per KPI of
:data:`~terraplan.planning.kpi_registry.KPIS`. All work is columnar (polars, lazily planned):
sales lines are summed once per ``(account, month)``; everything after is on small frames.
Undefined ratios are null, never NaN or infinity.

Periods are month-aligned: a period's months are summed, except that lines after the as-of date
are ignored and the prior-year window of a period cut at the as-of date stops on the same day a
year earlier (so YTD compares like with like to the day).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from terraplan.errors import DataError, InvalidParameterError, TerraplanError
from terraplan.planning.exact_sums import exact_sum
from terraplan.planning.fiscal import FiscalCalendar, fiscal_calendar
from terraplan.planning.kpi_credit import (
    apply_corrections,
    credit_corrections,
    ownership_periods,
    today_owners,
)
from terraplan.planning.kpi_facts import (
    account_events,
    account_months,
    code_accounts,
    lead_rows,
    potential_bought,
)
from terraplan.planning.kpi_groups import (
    account_table,
    closed_accounts,
    group_keys,
    rollup,
    territory_table,
)
from terraplan.planning.kpi_inputs import KpiInputs, optional_columns
from terraplan.planning.kpi_periods import (
    GRAINS,
    Period,
    month_map,
    period_table,
    resolve_periods,
    year_earlier,
)
from terraplan.planning.kpi_registry import ATTRIBUTE_DIMENSIONS, DIMENSIONS, KPI_NAMES
from terraplan.planning.kpi_spread import spread_by_group

logger = logging.getLogger(__name__)

KEY_COLUMNS: tuple[str, ...] = (
    "dimension",
    "key",
    "period",
    "grain",
    "period_start",
    "period_end",
)

FLOW_MEASURES = (
    "revenue",
    "new_customers",
    "opps_closed",
    "opps_won",
    "won_amount",
    "cycle_days",
    "new_won",
    "existing_won",
    "leads",
    "leads_converted",
    "leads_won",
)
STOCK_MEASURES = ("pipeline_delta", "active_delta")
LEAD_MEASURES = ("leads", "leads_converted", "leads_won")
_CELL_SPAN = 1 << 20  # > 2 x the largest month index (year * 12 + month)
ACCOUNT_MEASURES = tuple(m for m in (*FLOW_MEASURES, *STOCK_MEASURES) if m not in LEAD_MEASURES)


def compute_kpis(
    inputs: KpiInputs,
    *,
    periods: Iterable[str | Period] | None = None,
    as_of: date | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    inactive_months: int = 6,
    fiscal: FiscalCalendar | int | None = None,
) -> pl.DataFrame:
    """Compute every KPI for every group of ``dimensions`` and every period.

    Args:
        inputs: the frames (see :mod:`terraplan.planning.kpi_inputs` for the column contract).
        periods: labels ("2026Q3", "2026-07", "2026", "YTD"), grain names ("month", "quarter",
            "year": every such period from the first data month to ``as_of``) or
            :class:`Period` objects. Default: all months, quarters, years and YTD.
        as_of: the reporting date; data dated later is ignored. Default: the latest sales line
            or opportunity date.
        dimensions: subset of :data:`DIMENSIONS`.
        inactive_months: N of the ``inactive_accounts`` KPI (>= 1).
        fiscal: the fiscal calendar (a :class:`~terraplan.planning.fiscal.FiscalCalendar` or
            the fiscal year's start month): quarters, years and YTD are fiscal ones, period
            texts read as :func:`~terraplan.planning.kpi_periods.parse_period` says. Default:
            calendar years.

    Returns:
        A DataFrame with :data:`KEY_COLUMNS` then one column per KPI name (registry order),
        sorted by dimension, key, grain and period start. Every group appears in every period.
    """
    dims = _check_dimensions(dimensions)
    calendar = fiscal_calendar(fiscal)
    if isinstance(inactive_months, bool) or not isinstance(inactive_months, int):
        raise InvalidParameterError(
            "inactive_months must be an integer", details={"field": "inactive_months"}
        )
    if inactive_months < 1:
        raise InvalidParameterError(
            "inactive_months must be >= 1",
            details={"field": "inactive_months", "value": inactive_months},
        )
    try:
        return _compute(inputs, periods, as_of, dims, inactive_months, calendar)
    except TerraplanError:
        raise
    except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot compute KPIs: {reason}", details={"reason": reason}) from exc


def _mark_closed(coded: pl.DataFrame, inputs: KpiInputs) -> pl.DataFrame:
    """Add ``closed_m`` (Int32, null while open): the month index (year * 12 + month - 1) in
    which the account closed (see ``accounts.closed_on``). A period's book (accounts,
    potential, whitespace) holds the accounts not closed before its first month; active
    accounts count an account's activity until the month it closed."""
    closed = closed_accounts(inputs)
    if closed is None:
        return coded.with_columns(pl.lit(None, dtype=pl.Int32).alias("closed_m"))
    months = closed.select("account_id", _month_index(pl.col("closed_on")).alias("closed_m"))
    # ``acc`` is each row's position, which the array code indexes by: keep the order
    return coded.join(months.collect(), on="account_id", how="left").sort("acc")


def _in_book(start: pl.Expr) -> pl.Expr:
    """The account was open at some time from the month of ``start`` (a Date) on."""
    return pl.col("closed_m").is_null() | (pl.col("closed_m") >= _month_index(start))


def _month_index(day: pl.Expr) -> pl.Expr:
    return day.dt.year().cast(pl.Int32) * 12 + day.dt.month().cast(pl.Int32) - 1


def _check_dimensions(dimensions: Sequence[str]) -> tuple[str, ...]:
    dims = tuple(dimensions)
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown or not dims:
        raise InvalidParameterError(
            f"unknown dimensions {unknown!r}" if unknown else "give at least one dimension",
            details={"field": "dimensions", "allowed": list(DIMENSIONS)},
        )
    return tuple(dict.fromkeys(dims))


def data_dates(inputs: KpiInputs) -> tuple[date | None, date | None]:
    """(first, last) date over sales lines and opportunities; None when there is no data."""
    first, last, _ = _data_dates(inputs)
    return first, last


def _data_dates(inputs: KpiInputs) -> tuple[date | None, date | None, date | None]:
    parts = []
    sales = inputs.frame("sales_lines")
    assert sales is not None
    parts.append(sales.select(pl.col("date").min().alias("lo"), pl.col("date").max().alias("hi")))
    opps = inputs.frame("opportunities")
    if opps is not None:
        opps = optional_columns(opps, ("close_date",), pl.Date)
        parts.append(
            opps.select(
                pl.col("created_date").min().alias("lo"),
                pl.max_horizontal(pl.col("created_date").max(), pl.col("close_date").max()).alias(
                    "hi"
                ),
            )
        )
    frames = pl.collect_all(parts)
    lows = [f["lo"][0] for f in frames if f["lo"][0] is not None]
    highs = [f["hi"][0] for f in frames if f["hi"][0] is not None]
    return (min(lows) if lows else None, max(highs) if highs else None, frames[0]["hi"][0])


def _compute(
    inputs: KpiInputs,
    periods: Iterable[str | Period] | None,
    as_of: date | None,
    dims: tuple[str, ...],
    inactive_months: int,
    fiscal: FiscalCalendar,
) -> pl.DataFrame:
    first, last, sales_end = _data_dates(inputs)
    if as_of is None:
        if last is None:
            raise InvalidParameterError(
                "no sales lines or opportunities to take the as-of date from; name the day (--as-of"
                " YYYY-MM-DD, or as_of= in the library)",
                details={"field": "as_of"},
            )
        as_of = last
    first = first if first is not None and first <= as_of else as_of
    plist = resolve_periods(periods, as_of=as_of, first=first, fiscal=fiscal)
    if not plist:
        raise InvalidParameterError("no periods to report", details={"field": "periods"})
    ptable = period_table(plist, as_of)
    months = month_map(plist, as_of).lazy()
    territories = territory_table(inputs)
    coded, cells = code_accounts(account_table(inputs).collect())
    coded = _mark_closed(coded, inputs)
    accounts = coded.lazy()
    sales = inputs.frame("sales_lines")
    assert sales is not None
    months_sold = account_months(sales, coded, as_of, year_earlier(as_of), data_ends=sales_end)
    events = account_events(months_sold, inputs, coded, as_of, inactive_months)
    # stack the per-event sums on one integer key (cell, month, late), then name the cells
    stacked = pl.concat(
        pl.collect_all([_by_cell_month(event) for event in events]), how="diagonal_relaxed"
    )
    cube = (
        optional_columns(stacked.lazy(), ACCOUNT_MEASURES, pl.Float64)
        .group_by("key")
        .agg(exact_sum(m) for m in ACCOUNT_MEASURES)
        .select(
            (pl.col("key") // _CELL_SPAN).cast(pl.UInt32).alias("cell"),
            pl.date(
                (pl.col("key") % _CELL_SPAN) // 24, (pl.col("key") % _CELL_SPAN) // 2 % 12 + 1, 1
            ).alias("month"),
            (pl.col("key") % 2 == 1).alias("late"),
            *ACCOUNT_MEASURES,
        )
        .join(cells.lazy(), on="cell", how="inner")
        .drop("cell")
    )
    measures = (*FLOW_MEASURES, *STOCK_MEASURES)
    cube = (
        optional_columns(cube, measures, pl.Float64)
        .with_columns(pl.col(m).cast(pl.Float64).fill_null(0.0) for m in measures)
        .collect()
        .lazy()
    )
    by_group = rollup(
        cube, territories, keys=("month", "late"), measures=measures, dimensions=dims
    ).collect()
    leads = lead_rows(inputs, as_of)
    if leads is not None:
        by_group = pl.concat(
            [by_group, _lead_groups(leads, territories, dims)], how="diagonal_relaxed"
        ).with_columns(pl.col(m).fill_null(0.0) for m in measures)
    history = ownership_periods(inputs) if "rep" in dims else None
    if history is not None:  # reps: revenue, wins and pipeline to the owner of the day
        owners = today_owners(coded, territories)
        late_from = year_earlier(as_of)
        corrections = credit_corrections(inputs, history, owners, as_of, late_from)
        by_group = apply_corrections(by_group, corrections)

    flows = _flows(by_group.lazy(), months)
    stocks = _stocks(by_group.lazy(), ptable.lazy())
    # a period's book (accounts, potential, whitespace) is the accounts open at some time in
    # it: accounts open today once, and those closed in or after a period's first month for
    # that period, so that the revenue they made in it has its account and potential.
    # ``with_potential`` counts the accounts that have one: a group where none has is of
    # unknown potential (null), not of potential 0 with nothing left to sell
    book = accounts.with_columns(
        pl.lit(1.0).alias("account_count"),
        pl.col("potential").fill_null(0.0),
        pl.col("potential").is_not_null().cast(pl.Float64).alias("with_potential"),
    )
    book_measures = ("account_count", "potential", "with_potential")
    static = rollup(
        book.filter(pl.col("closed_m").is_null()),
        territories,
        keys=(),
        measures=book_measures,
        dimensions=dims,
    )
    static_closed = rollup(
        book.filter(pl.col("closed_m").is_not_null())
        .join(ptable.lazy().select("period", "period_start"), how="cross")
        .filter(_in_book(pl.col("period_start"))),
        territories,
        keys=("period",),
        measures=book_measures,
        dimensions=dims,
    ).rename(
        {
            "account_count": "closed_count",
            "potential": "closed_potential",
            "with_potential": "closed_with_potential",
        }
    )
    bought = potential_bought(months_sold, coded, plist, ptable).join(cells, on="cell")
    whitespace = rollup(
        bought.lazy(), territories, keys=("period",), measures=("bought",), dimensions=dims
    )
    targets = spread_by_group(inputs, "targets", ptable, territories, dims, whole_period=True)
    # pace compares revenue with the targets of the days gone: a period its targets cover in
    # part, or monthly targets of different sizes, are paced on what was set for those days
    due = spread_by_group(inputs, "targets", ptable, territories, dims, whole_period=False)
    costs = spread_by_group(inputs, "costs", ptable, territories, dims, whole_period=False)

    keys = pl.concat(
        [
            group_keys(accounts, territories, dims),
            by_group.lazy().select("dimension", "key"),
            # a rep with a target and no accounts of their own (the second primary rep of a
            # shared territory holding none yet) is still a rep to report, with that target
            targets.filter(pl.col("dimension") == "rep").select("dimension", "key"),
        ],
        how="vertical_relaxed",
    ).unique()
    base = keys.join(ptable.lazy().with_columns(_prior_covered(sales, as_of)), how="cross")
    joined = (
        base.join(flows, on=["dimension", "key", "period"], how="left")
        .join(stocks, on=["dimension", "key", "period"], how="left")
        .join(static, on=["dimension", "key"], how="left")
        .join(static_closed, on=["dimension", "key", "period"], how="left")
        .with_columns(
            pl.col("account_count").fill_null(0.0) + pl.col("closed_count").fill_null(0.0),
            pl.col("potential").fill_null(0.0) + pl.col("closed_potential").fill_null(0.0),
            pl.col("with_potential").fill_null(0.0)
            + pl.col("closed_with_potential").fill_null(0.0),
        )
        .drop("closed_count", "closed_potential", "closed_with_potential")
        .join(whitespace, on=["dimension", "key", "period"], how="left")
        .join(targets.rename({"amount": "target"}), on=["dimension", "key", "period"], how="left")
        .join(due.rename({"amount": "target_due"}), on=["dimension", "key", "period"], how="left")
        .join(
            costs.rename({"amount": "acquisition_cost"}),
            on=["dimension", "key", "period"],
            how="left",
        )
    )
    result = _kpi_columns(joined).collect()
    order = {g: i for i, g in enumerate(GRAINS)}
    dim_order = {d: i for i, d in enumerate(DIMENSIONS)}
    result = result.with_columns(
        pl.col("dimension").replace_strict(dim_order, return_dtype=pl.Int32).alias("_d"),
        pl.col("grain").replace_strict(order, default=9, return_dtype=pl.Int32).alias("_g"),
    ).sort("_d", "key", "_g", "period_start", "period")
    logger.info("computed KPIs: %d rows, %d periods", result.height, len(plist))
    return result.select(*KEY_COLUMNS, *KPI_NAMES)


def _lead_groups(
    leads: pl.LazyFrame, territories: pl.DataFrame, dims: tuple[str, ...]
) -> pl.DataFrame:
    """Lead measures per ``(dimension, key, month, late)``. A lead without the field grouped
    by (no territory routing gave it, no segment or industry of its own) is in no group of
    that dimension: a ``(no segment)`` row holding every lead no segment was known for would
    read as that group's conversion."""
    keys, parts = ("month", "late"), []
    placed = tuple(d for d in dims if d not in ATTRIBUTE_DIMENSIONS)
    if placed:
        parts.append(
            rollup(leads, territories, keys=keys, measures=LEAD_MEASURES, dimensions=placed)
        )
    for dim in (d for d in dims if d in ATTRIBUTE_DIMENSIONS):
        known = leads.filter(pl.col(dim).is_not_null())
        parts.append(
            rollup(known, territories, keys=keys, measures=LEAD_MEASURES, dimensions=(dim,))
        )
    return pl.concat(parts, how="vertical_relaxed").collect()


def _by_cell_month(event: pl.LazyFrame) -> pl.LazyFrame:
    """Sum one event frame's measures per integer key (cell, month, late)."""
    schema = event.collect_schema()
    late = pl.col("late").cast(pl.Int64) if "late" in schema else pl.lit(0, dtype=pl.Int64)
    month_index = pl.col("month").dt.year().cast(pl.Int64) * 12 + pl.col("month").dt.month() - 1
    key = pl.col("cell").cast(pl.Int64) * _CELL_SPAN + month_index * 2 + late
    measures = [c for c in schema.names() if c not in ("cell", "month", "late")]
    return event.group_by(key.alias("key")).agg(exact_sum(m) for m in measures)


def _flows(by_group: pl.LazyFrame, months: pl.LazyFrame) -> pl.LazyFrame:
    """Flow measures per (dimension, key, period) plus ``revenue_prior_year``."""
    joined = by_group.join(months, on="month", how="inner").filter(
        pl.col("allow_late") | ~pl.col("late")
    )
    current = (
        joined.filter(~pl.col("prior"))
        .group_by("dimension", "key", "period")
        .agg(exact_sum(m) for m in FLOW_MEASURES)
    )
    prior = (
        joined.filter(pl.col("prior"))
        .group_by("dimension", "key", "period")
        .agg(exact_sum("revenue").alias("revenue_prior_year"))
    )
    return current.join(prior, on=["dimension", "key", "period"], how="full", coalesce=True)


def _stocks(by_group: pl.LazyFrame, ptable: pl.LazyFrame) -> pl.LazyFrame:
    """Open pipeline and active accounts at the end of each period's cut month."""
    running = (
        by_group.group_by("dimension", "key", "month")
        .agg(exact_sum(m) for m in STOCK_MEASURES)
        .sort("dimension", "key", "month")
        .with_columns(
            pl.col("pipeline_delta").cum_sum().over("dimension", "key").alias("open_pipeline"),
            pl.col("active_delta").cum_sum().over("dimension", "key").alias("active_accounts"),
        )
        .select("dimension", "key", "month", "open_pipeline", "active_accounts")
        .sort("month")
    )
    asks = (
        running.select("dimension", "key")
        .unique()
        .join(ptable.select("period", "cut_month"), how="cross")
        .sort("cut_month")
    )
    return asks.join_asof(
        running,
        left_on="cut_month",
        right_on="month",
        by=["dimension", "key"],
        strategy="backward",
        check_sortedness=False,
    ).select("dimension", "key", "period", "open_pipeline", "active_accounts")


def _prior_covered(sales: pl.LazyFrame, as_of: date) -> pl.Expr:
    """Whether the sales history reaches back to the first month of each period's prior-year
    window (``prior_covered``). Where it starts later (an export of the last 14 months, a CRM
    adopted last spring), last year's revenue is unknown rather than small: without this a
    year with six weeks of history behind it grew by 300 %."""
    found = sales.filter(pl.col("date") <= as_of).select(pl.col("date").min()).collect()
    first: date | None = found.item()
    if first is None:
        return pl.lit(False).alias("prior_covered")
    start = pl.col("period_start")
    prior_month = start.dt.year().cast(pl.Int64) * 12 + start.dt.month().cast(pl.Int64) - 13
    return (prior_month >= first.year * 12 + first.month - 1).alias("prior_covered")


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null where the denominator is null or not above 1e-6 (a
    float residue of sums that cancel is no base for a rate)."""
    return pl.when(denominator > 1e-6).then(numerator / denominator).otherwise(None)


def _kpi_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    zero = [
        pl.col(c).fill_null(0.0)
        for c in (
            *FLOW_MEASURES,
            "revenue_prior_year",
            "open_pipeline",
            "active_accounts",
            "account_count",
            "bought",
        )
    ]
    # no account of the group has a potential: unknown (null), and so is its whitespace
    potential_share = (
        pl.when(pl.col("with_potential") > 0)
        .then(pl.col("potential").fill_null(0.0) * pl.col("period_years"))
        .alias("potential")
    )
    frame = frame.with_columns(*zero, potential_share).with_columns(
        pl.when(pl.col("prior_covered"))
        .then(pl.col("revenue_prior_year"))
        .alias("revenue_prior_year")
    )
    revenue = pl.col("revenue")
    attainment = _ratio(revenue, pl.col("target"))
    remaining = pl.col("target") - revenue
    return frame.with_columns(
        _ratio(revenue, pl.col("revenue_prior_year")).sub(1.0).alias("revenue_growth"),
        attainment.alias("attainment"),
        pl.when(attainment.is_not_null())
        .then(_ratio(revenue, pl.col("target_due")))
        .alias("pace_to_target"),
        _ratio(pl.col("open_pipeline"), remaining).alias("pipeline_coverage"),
        _ratio(pl.col("opps_won"), pl.col("opps_closed")).alias("win_rate"),
        _ratio(pl.col("leads_converted"), pl.col("leads")).alias("lead_conversion_rate"),
        _ratio(pl.col("leads_won"), pl.col("leads")).alias("lead_win_rate"),
        _ratio(pl.col("acquisition_cost"), pl.col("new_customers")).alias(
            "customer_acquisition_cost"
        ),
        _ratio(pl.col("won_amount"), pl.col("opps_won")).alias("average_deal_size"),
        _ratio(pl.col("cycle_days"), pl.col("opps_won")).alias("sales_cycle_days"),
        pl.col("new_won").alias("new_business_won"),
        pl.col("existing_won").alias("existing_business_won"),
        _ratio(revenue, pl.col("account_count")).alias("revenue_per_account"),
        _ratio(revenue, pl.col("potential")).alias("penetration"),
        (pl.col("potential") - pl.col("bought")).alias("whitespace"),
        (pl.col("account_count") - pl.col("active_accounts")).alias("inactive_accounts"),
        pl.col("target").cast(pl.Float64),
        pl.col("acquisition_cost").cast(pl.Float64),
    )
