"""Monthly facts behind the KPIs, built with one pass over the sales lines.

Accounts get an integer code ``acc`` and a ``cell`` (their territory x segment x industry
combination); after the first group-by of sales lines by ``(account_id, month)`` everything
runs on integer keys. Months are the first day of the month (``pl.Date``). A line is *late*
when dated after ``as_of - 1 year``: prior-year windows of a period cut at the as-of date leave
late lines out so that both years cover the same dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from terraplan.domain.deal_types import EXISTING_BUSINESS, NEW_BUSINESS
from terraplan.planning.exact_sums import exact_sum
from terraplan.planning.kpi_inputs import KpiInputs, closed_flags, optional_columns
from terraplan.planning.kpi_periods import Period

GROUP_COLUMNS = ("territory_id", "segment", "industry", "holder_id")
_OPEN = 1 << 40  # the month index of an account still open
_DENSE_LIMIT = 20_000_000  # cells of the dense (accounts x months) blocks
_KEY_SPAN = 1 << 20  # > 2 x the largest month index (year * 12 + month)


def code_accounts(accounts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add ``acc`` (row code) and ``cell`` to the account table; return it and the cells
    table ``(cell, territory_id, segment, industry)``.

    The accounts are numbered in ``account_id`` order, not in the order a query returned them
    (a join's rows come in no set order): the array code adds the accounts' figures in ``acc``
    order, so the same accounts give the same sums on every run."""
    accounts = accounts.sort("account_id")
    cells = accounts.select(GROUP_COLUMNS).unique(maintain_order=True).with_row_index("cell")
    coded = accounts.join(cells, on=list(GROUP_COLUMNS), how="left", nulls_equal=True)
    return coded.with_row_index("acc"), cells


def account_months(
    sales: pl.LazyFrame,
    coded: pl.DataFrame,
    as_of: date,
    late_from: date,
    *,
    data_ends: date | None = None,
) -> pl.DataFrame:
    """Sales per account and month: ``acc, cell, month, late, revenue, bought`` where
    ``bought`` is True when the month's net revenue is positive (a sale fully returned in the
    same month is no purchase). Lines of unknown accounts and lines after ``as_of`` are left
    out."""
    # one integer key per (account, month, late): a single-key group-by is the cheapest way
    # through ten million lines
    month_index = pl.col("date").dt.year().cast(pl.Int64) * 12 + pl.col("date").dt.month() - 1
    key = pl.col("acc").cast(pl.Int64) * _KEY_SPAN + month_index * 2 + (pl.col("date") > late_from)
    if data_ends is None or data_ends > as_of:  # no need to filter when no line is later
        sales = sales.filter(pl.col("date") <= as_of)
    grouped = (
        sales.select(
            pl.col("account_id").cast(pl.String), "date", pl.col("amount").cast(pl.Float64)
        )
        .join(coded.lazy().select("account_id", "acc"), on="account_id", how="inner")
        .group_by(key.alias("key"))
        .agg(exact_sum("amount").alias("revenue"))
    )
    return (
        grouped.select(
            (pl.col("key") // _KEY_SPAN).cast(pl.UInt32).alias("acc"),
            _month_of_index((pl.col("key") % _KEY_SPAN) // 2).alias("month"),
            (pl.col("key") % 2 == 1).alias("late"),
            "revenue",
            (pl.col("revenue") > 0).alias("bought"),
        )
        .join(coded.lazy().select("acc", "cell"), on="acc", how="inner")
        .collect()
    )


def account_events(
    months: pl.DataFrame,
    inputs: KpiInputs,
    coded: pl.DataFrame,
    as_of: date,
    inactive_months: int,
) -> list[pl.LazyFrame]:
    """Measure rows keyed by ``(cell, month[, late])``: revenue, new customers, opportunity
    flows, pipeline changes and activity-window changes (``active_delta``: +1 in the month an
    account becomes active, -1 when its activity window of ``inactive_months`` runs out)."""
    am = months.lazy()
    out = [am.select("cell", "month", "late", "revenue")]
    # an account becomes a customer in its first month of positive net sales or, when
    # earlier, the month it won a deal (a renewal of a deal billed before the sales history
    # starts, a prepaid multi-year deal, a free renewal): never new a second time
    became = [am.filter(pl.col("bought")).select("acc", "cell", "month")]
    index = pl.col("month").dt.year().cast(pl.Int32) * 12 + pl.col("month").dt.month() - 1
    activity = [am.filter(pl.col("bought")).select("acc", "cell", index.alias("m"))]
    opps = inputs.frame("opportunities")
    renewed: pl.LazyFrame | None = None
    if opps is not None:
        opps = optional_columns(opps, ("close_date",), pl.Date)
        opps = optional_columns(opps, ("deal_type",), pl.String)
        base = (
            opps.filter(pl.col("created_date") <= as_of)
            .select(
                pl.col("account_id").cast(pl.String),
                pl.col("created_date"),
                pl.col("close_date").alias("closed_on"),
                pl.col("amount").cast(pl.Float64),
                *closed_flags(as_of),
                pl.col("is_won").fill_null(False).alias("won"),
                *deal_kinds(pl.col("deal_type").cast(pl.String)),
            )
            .join(coded.lazy().select("account_id", "acc", "cell"), on="account_id", how="inner")
            .collect()
            .lazy()
        )
        won_by_then = base.filter(pl.col("won") & pl.col("closed"))
        out.append(won_by_then.select("cell", *typed_won()))
        # a credit memo or downgrade (won, negative) reduces revenue and the typed won
        # amounts above; it is no deal: no win, no pipeline, no customer, no activity
        deals = base.filter(~is_credit())
        won_deals = deals.filter(pl.col("won") & pl.col("closed"))
        became.append(
            won_deals.select("acc", "cell", pl.col("closed_on").dt.month_start().alias("month"))
        )
        renewed = won_deals.group_by("acc").agg(
            pl.col("closed_on")
            .filter(pl.col("existing_deal"))
            .dt.month_start()
            .min()
            .alias("renewed"),
            pl.col("closed_on").filter(pl.col("new_deal")).dt.month_start().min().alias("newbiz"),
        )
        out.append(
            deals.filter(~pl.col("undated")).select(
                "cell",
                pl.col("created_date").dt.month_start().alias("month"),
                pl.col("amount").alias("pipeline_delta"),
            )
        )
        out.append(
            deals.filter(pl.col("closed")).select(
                "cell",
                pl.col("closed_on").dt.month_start().alias("month"),
                (-pl.col("amount")).alias("pipeline_delta"),
                pl.lit(1.0).alias("opps_closed"),
                pl.col("won").cast(pl.Float64).alias("opps_won"),
                pl.when(pl.col("won")).then(pl.col("amount")).otherwise(0.0).alias("won_amount"),
                pl.when(pl.col("won"))
                .then((pl.col("closed_on") - pl.col("created_date")).dt.total_days())
                .otherwise(0)
                .cast(pl.Float64)
                .alias("cycle_days"),
            )
        )
        activity.append(
            deals.select(
                "acc",
                "cell",
                (pl.col("created_date").dt.month_start().pipe(_month_index)).alias("m"),
            )
        )
    first = pl.concat(became).group_by("acc").agg(pl.col("month").min(), pl.col("cell").first())
    if renewed is not None:
        # a renewal or expansion won before (or in) the first month, with no new business
        # won that month: the account was a customer before the history starts
        first = first.join(renewed, on="acc", how="left").filter(
            pl.col("renewed").is_null()
            | (pl.col("renewed") > pl.col("month"))
            | (pl.col("newbiz") == pl.col("month")).fill_null(False)
        )
    out.append(first.select("cell", "month", pl.lit(1.0).alias("new_customers")))
    out.append(_active_changes(pl.concat(activity).collect(), coded, inactive_months))
    return out


def deal_kinds(deal_type: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``new_deal`` and ``existing_deal``: the opportunity's type is new business, or a
    renewal or expansion (:mod:`terraplan.domain.deal_types`); neither for no type."""
    return (
        deal_type.is_in(NEW_BUSINESS).fill_null(False).alias("new_deal"),
        deal_type.is_in(EXISTING_BUSINESS).fill_null(False).alias("existing_deal"),
    )


def is_credit() -> pl.Expr:
    """A credit memo or downgrade: won, of a negative amount (False for a null amount)."""
    return (pl.col("won") & (pl.col("amount") < 0)).fill_null(False)


def typed_won() -> tuple[pl.Expr, ...]:
    """Month and the won amounts by type of won opportunities (credits included)."""
    return (
        pl.col("closed_on").dt.month_start().alias("month"),
        pl.when(pl.col("new_deal")).then(pl.col("amount")).otherwise(0.0).alias("new_won"),
        pl.when(pl.col("existing_deal"))
        .then(pl.col("amount"))
        .otherwise(0.0)
        .alias("existing_won"),
    )


def _active_changes(
    activity: pl.DataFrame, coded: pl.DataFrame, inactive_months: int
) -> pl.LazyFrame:
    """``active_delta`` per (cell, month): the change in accounts with an event in the last
    ``inactive_months`` months.

    ``activity`` holds ``acc, cell, m`` (month index = year * 12 + month - 1). Works on dense
    ``(accounts in a block, n_months)`` boolean arrays: a cumulative sum along months gives, for
    every account and month, whether an event falls in the trailing window.
    """
    schema = {"cell": pl.UInt32, "month": pl.Date, "active_delta": pl.Float64}
    closed_m = _closed_months(coded)
    # a closed account is out of the book from the month it closed: no event then starts a
    # stretch of activity, and a stretch running then ends
    activity = activity.filter(activity["m"].to_numpy() < closed_m[activity["acc"].to_numpy()])
    if activity.is_empty():
        return pl.LazyFrame(schema=schema)
    ordered = activity.sort("acc")
    acc = ordered["acc"].to_numpy().astype(np.int64)
    m = ordered["m"].to_numpy().astype(np.int64)
    first, last = int(m.min()), int(m.max()) + inactive_months
    n_acc, n_months = coded.height, last - first + 1
    cell = coded["cell"].to_numpy().astype(np.int64)
    n_cells = int(cell.max()) + 1
    per_cell = np.zeros((n_cells, n_months), dtype=np.int64)
    lookback = np.maximum(np.arange(n_months) + 1 - inactive_months, 0)
    block = max(1, _DENSE_LIMIT // n_months)
    for lo in range(0, n_acc, block):  # blocks of accounts bound the dense arrays' memory
        hi = min(lo + block, n_acc)
        a, b = np.searchsorted(acc, [lo, hi])
        seen = np.zeros((hi - lo, n_months), dtype=np.bool_)
        seen[acc[a:b] - lo, m[a:b] - first] = True
        counts = np.zeros((hi - lo, n_months + 1), dtype=np.int32)
        np.cumsum(seen, axis=1, out=counts[:, 1:])  # counts[:, t + 1] = events up to month t
        active = (counts[:, 1:] - counts[:, lookback]) > 0  # an event in (t - N, t]
        active &= np.arange(first, first + n_months) < closed_m[lo:hi, None]
        block_cells = cell[lo:hi]
        order = np.argsort(block_cells, kind="stable")
        sorted_cells = block_cells[order]
        starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
        per_cell[sorted_cells[starts]] += np.add.reduceat(
            active[order].astype(np.int64), starts, axis=0
        )
    delta = np.diff(per_cell, axis=1, prepend=0)
    rows, cols = np.nonzero(delta)
    return (
        pl.DataFrame(
            {
                "cell": rows.astype(np.uint32),
                "m": (cols + first).astype(np.int32),
                "active_delta": delta[rows, cols].astype(np.float64),
            }
        )
        .lazy()
        .select("cell", _month_of("m"), "active_delta")
    )


def _month_index(month: pl.Expr) -> pl.Expr:
    return month.dt.year().cast(pl.Int32) * 12 + month.dt.month().cast(pl.Int32) - 1


def _month_of_index(index: pl.Expr) -> pl.Expr:
    return pl.date(index // 12, index % 12 + 1, 1)


def _month_of(column: str) -> pl.Expr:
    return _month_of_index(pl.col(column)).alias("month")


def lead_rows(inputs: KpiInputs, as_of: date) -> pl.LazyFrame | None:
    """Leads per ``(territory_id, segment, industry, holder_id, month)`` of creation:
    ``leads``, ``leads_converted`` (its opportunity created by as_of), ``leads_won`` (that
    opportunity won by as_of).

    The groups are the lead's own fields: its territory where routing put it, its own segment
    and industry; never the account it converted to (only converted leads have one, so a group
    would hold its converted leads and none of the others: 100 % conversion by construction).
    A lead is converted as of ``as_of`` unless its opportunity is stored with a later
    creation day (the day the lead converted): figures as of a past day count only what was
    converted by then. A converted lead whose opportunity is not stored keeps counting (its day
    is unknown). In a territory with several primary reps, the leads are handed out in turn
    (``holder_id``), as routing hands them out: see :func:`lead_holders`.
    """
    leads = inputs.frame("leads")
    if leads is None:
        return None
    leads = optional_columns(
        leads, ("id", "converted_opportunity_id", "territory_id", "segment", "industry")
    )
    leads = leads.filter(pl.col("created_date") <= as_of)
    frame = lead_holders(leads, inputs.frame("shared_owners")).select(
        pl.col("created_date").dt.month_start().alias("month"),
        pl.col("converted_opportunity_id").cast(pl.String).alias("opp_id"),
        pl.col("territory_id").cast(pl.String),
        pl.col("segment").cast(pl.String),
        pl.col("industry").cast(pl.String),
        "holder_id",
    )
    opps = inputs.frame("opportunities")
    if opps is not None:
        opps = optional_columns(opps, ("close_date", "id"), pl.String)
        closed_on = pl.col("close_date").cast(pl.Date)  # none: not known to be won by as_of
        won = opps.filter(pl.col("created_date") <= as_of).select(
            pl.col("id").cast(pl.String).alias("opp_id"),
            (pl.col("is_won").fill_null(False) & (closed_on <= as_of))
            .fill_null(False)
            .alias("opp_won"),
        )
        later = (
            opps.filter(pl.col("created_date") > as_of)
            .select(pl.col("id").cast(pl.String).alias("opp_id"), pl.lit(True).alias("later"))
            .unique("opp_id")
        )
        frame = frame.join(won, on="opp_id", how="left").join(later, on="opp_id", how="left")
    else:
        frame = frame.with_columns(pl.lit(False).alias("opp_won"), pl.lit(None).alias("later"))
    converted = pl.col("opp_id").is_not_null() & pl.col("later").is_null()
    return (
        frame.select(
            "territory_id",
            "segment",
            "industry",
            "holder_id",
            "month",
            pl.lit(False).alias("late"),
            pl.lit(1.0).alias("leads"),
            converted.cast(pl.Float64).alias("leads_converted"),
            pl.col("opp_won").fill_null(False).cast(pl.Float64).alias("leads_won"),
        )
        .group_by(*GROUP_COLUMNS, "month", "late")
        .agg(pl.col("leads", "leads_converted", "leads_won").sum())
    )


def lead_holders(leads: pl.LazyFrame, shared: pl.LazyFrame | None) -> pl.LazyFrame:
    """Add ``holder_id``: in a territory with several primary reps (``shared``:
    ``territory_id, rep_id``, in the plan's order of its reps: ``rep_order``, else the
    frame's order), the rep whose turn the lead
    was, else null (the territory's owner).

    Routing hands a shared territory's leads out in turn (round robin), so KPIs by rep do the
    same: its leads in order of creation (then id) go to its reps one after the other. The
    first rep taking all of them would give one rep the territory's whole lead conversion and
    the others none.
    """
    if shared is None:
        return leads.with_columns(pl.lit(None, dtype=pl.String).alias("holder_id"))
    if "rep_order" in shared.collect_schema().names():  # the plan's order, else the frame's
        shared = shared.sort("rep_order", nulls_last=True, maintain_order=True)
    reps = (
        shared.select(pl.col("territory_id").cast(pl.String), pl.col("rep_id").cast(pl.String))
        .unique(maintain_order=True)
        .with_columns(pl.int_range(pl.len()).over("territory_id").alias("turn"))
    )
    sizes = reps.group_by("territory_id").agg(pl.len().alias("n_reps"))
    ordered = (
        leads.with_columns(pl.col("territory_id").cast(pl.String))
        .sort("created_date", "id", nulls_last=True)
        .join(sizes, on="territory_id", how="left", maintain_order="left")
        .with_columns(
            (pl.int_range(pl.len()).over("territory_id") % pl.col("n_reps")).alias("turn")
        )
    )
    return ordered.join(reps, on=["territory_id", "turn"], how="left").rename(
        {"rep_id": "holder_id"}
    )


def potential_bought(
    months: pl.DataFrame, coded: pl.DataFrame, periods: Sequence[Period], ptable: pl.DataFrame
) -> pl.DataFrame:
    """Per ``(cell, period)``: the sum over accounts with a potential of
    min(potential x period_years, revenue in the period) — the part of potential bought.

    Works on a dense ``(n_accounts, n_months)`` revenue array (built block by block to bound
    memory): a period's revenue per account is a sum over its month columns.
    """
    schema = {"cell": pl.UInt32, "period": pl.String, "bought": pl.Float64}
    cuts = dict(zip(ptable["period"], ptable["cut"], strict=True))
    years = dict(zip(ptable["period"], ptable["period_years"], strict=True))
    spans = []
    for p in periods:
        cut = cuts[p.label]
        if cut >= p.start:
            spans.append((p.label, _index(p.start), _index(cut), years[p.label]))
    potential = coded["potential"].to_numpy().astype(np.float64)
    has_potential = ~np.isnan(potential)
    closed_m = _closed_months(coded)
    if not spans or not has_potential.any() or months.is_empty():
        return pl.DataFrame(schema=schema)
    first = min(s[1] for s in spans)
    n_months = max(s[2] for s in spans) - first + 1
    rows = months.select(
        "acc", (_month_index(pl.col("month")) - first).alias("mi"), "revenue"
    ).filter(pl.col("mi").is_between(0, n_months - 1))
    acc = rows["acc"].to_numpy().astype(np.int64)
    mi = rows["mi"].to_numpy().astype(np.int64)
    revenue = rows["revenue"].to_numpy()
    cell = coded["cell"].to_numpy().astype(np.int64)
    n_cells = int(cell.max()) + 1 if cell.size else 0
    n_acc = coded.height
    out = np.zeros((len(spans), n_cells))
    block = max(1, _DENSE_LIMIT // n_months)
    order = np.argsort(acc, kind="stable")
    acc, mi, revenue = acc[order], mi[order], revenue[order]
    for lo in range(0, n_acc, block):
        hi = min(lo + block, n_acc)
        a, b = np.searchsorted(acc, [lo, hi])
        dense = np.bincount(
            (acc[a:b] - lo) * n_months + mi[a:b],
            weights=revenue[a:b],
            minlength=(hi - lo) * n_months,
        ).reshape(hi - lo, n_months)
        cumulative = np.concatenate([np.zeros((hi - lo, 1)), np.cumsum(dense, axis=1)], axis=1)
        pot = np.where(has_potential[lo:hi], potential[lo:hi], 0.0)
        mask = has_potential[lo:hi]
        for k, (_, start, end, share) in enumerate(spans):
            period_revenue = cumulative[:, end - first + 1] - cumulative[:, start - first]
            in_book = mask & (closed_m[lo:hi] >= start)  # not closed before the period
            bought = np.where(in_book, np.minimum(pot * share, period_revenue), 0.0)
            out[k] += np.bincount(cell[lo:hi], weights=bought, minlength=n_cells)
    ks, cs = np.nonzero(out)
    return pl.DataFrame(
        {
            "cell": cs.astype(np.uint32),
            "period": [spans[k][0] for k in ks],
            "bought": out[ks, cs],
        },
        schema=schema,
    )


def _closed_months(coded: pl.DataFrame) -> npt.NDArray[np.int64]:
    """Per account row: the month index it closed in (``closed_m``), a very late month while
    it is open."""
    if "closed_m" not in coded.columns:
        return np.full(coded.height, _OPEN, dtype=np.int64)
    return coded["closed_m"].fill_null(_OPEN).to_numpy().astype(np.int64)


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1
