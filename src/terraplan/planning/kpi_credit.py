"""Credit to the owner of the day: rep-level revenue, wins and pipeline under effective-dated
ownership.

KPIs by rep first sum the territories each rep owns in the plan (today's owner). With an
``ownership`` frame (``account_id, owner_id, valid_from, valid_to``: who owned the account on
which days, ``valid_to`` null = still), each sales line is credited to the rep who owned its
account on the line's date, and each opportunity to the rep who owned the account on the day it
was opened (an open opportunity stays with that rep until it closes). A date before an
account's first recorded period goes to the owner of that first period (the earliest known
owner is the best evidence for earlier dates: a plan activated on a later day must not take
them); other dates no period covers (a gap, or after the last period ended), and accounts with
no recorded period at all, keep today's owner.

Only accounts whose recorded owner differs from today's owner at some time need their lines
looked at: for those, :func:`credit_corrections` moves each line (or opportunity) from today's
owner to the owner of the day, as ``+amount`` / ``-amount`` rows per ``(rep, month, late)``
that are added to the rep rows of the rolled-up measures. Everything is columnar (one
``join_asof`` per frame, on those accounts' rows only).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.planning.exact_sums import exact_sum
from terraplan.planning.kpi_facts import deal_kinds, is_credit, typed_won
from terraplan.planning.kpi_inputs import KpiInputs, closed_flags, optional_columns

#: Measures credited to the owner of the day (the rest stay with today's owner).
CREDITED_MEASURES = (
    "revenue",
    "pipeline_delta",
    "opps_closed",
    "opps_won",
    "won_amount",
    "cycle_days",
    "new_won",
    "existing_won",
)


#: The first day of an account's period with the owner the CRM gave it, before the first
#: recorded activation (see ``terraplan.services.monitoring_data.ownership_frame``).
CRM_HISTORY_START = date(1900, 1, 1)


def today_owners(coded: pl.DataFrame, territories: pl.DataFrame) -> pl.DataFrame:
    """``account_id, today`` (String): the primary rep of each account's leaf territory (in
    one with several, the one holding the account: ``holder_id``)."""
    owners = territories.filter(pl.col("is_leaf")).select(
        "territory_id", pl.col("owner_id").alias("today")
    )
    found = coded.join(owners, on="territory_id", how="left")
    if "holder_id" in coded.columns:
        found = found.with_columns(pl.coalesce("holder_id", "today").alias("today"))
    return found.select("account_id", "territory_id", "today")


def record_owner_periods(
    periods: pl.DataFrame,
    accounts: pl.DataFrame,
    placed: pl.DataFrame,
    rep_ids: list[str],
) -> pl.DataFrame:
    """Periods for the placed accounts no recorded period covers: the owner each account's
    record gives (the CRM export's ``owner_id``), when it is a stored rep, from
    :data:`CRM_HISTORY_START` on (``valid_to`` null).

    Before any activation (a draft for next year, a what-if) the plan's territory owners did
    not sell there: the CRM's owner did, and a rep who has left keeps what they sold. An
    account whose record names no stored rep keeps today's owner, as before. ``periods``:
    ``account_id, owner_id, valid_from, valid_to``; ``accounts``: ``id, owner_id``;
    ``placed``: ``account_id`` of the accounts in the plan's territories.
    """
    return (
        accounts.select(
            pl.col("id").cast(pl.String).alias("account_id"),
            pl.col("owner_id").cast(pl.String),
        )
        .filter(pl.col("owner_id").is_in(rep_ids))
        .join(placed.select(pl.col("account_id").cast(pl.String)).unique(), on="account_id")
        .join(periods.select(pl.col("account_id").cast(pl.String)), on="account_id", how="anti")
        .select(
            "account_id",
            "owner_id",
            pl.lit(CRM_HISTORY_START).alias("valid_from"),
            pl.lit(None, dtype=pl.Date).alias("valid_to"),
        )
    )


def ownership_periods(inputs: KpiInputs) -> pl.DataFrame | None:
    """The ownership frame as ``account_id, owner_id, valid_from, valid_to`` (None if absent)."""
    frame = inputs.frame("ownership")
    if frame is None:
        return None
    return frame.select(
        pl.col("account_id").cast(pl.String),
        pl.col("owner_id").cast(pl.String),
        pl.col("valid_from").cast(pl.Date),
        pl.col("valid_to").cast(pl.Date),
    ).collect()


def credit_corrections(
    inputs: KpiInputs,
    periods: pl.DataFrame,
    owners: pl.DataFrame,
    as_of: date,
    late_from: date,
) -> pl.DataFrame:
    """Rows ``key (rep id), month, late`` + :data:`CREDITED_MEASURES` that move each line and
    opportunity of a re-owned account from today's owner to the owner of the day.

    ``owners``: :func:`today_owners`. Months are month starts; ``late`` as in
    :func:`terraplan.planning.kpi_facts.account_months` (dated after ``late_from``).
    """
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "key": pl.String,
        "month": pl.Date,
        "late": pl.Boolean,
        **{m: pl.Float64 for m in CREDITED_MEASURES},
    }
    changed = (
        periods.join(owners, on="account_id", how="inner")
        .filter(pl.col("owner_id").ne_missing(pl.col("today")))
        .select("account_id")
        .unique()
    )
    if changed.is_empty():
        return pl.DataFrame(schema=schema)
    # among periods starting on the same day the smallest owner id wins (as in the SQL): the
    # as-of join takes the last of them, so owners are sorted descending within a day
    spans = (
        periods.join(changed, on="account_id", how="semi")
        .filter(pl.col("valid_from").is_not_null())
        .sort(["valid_from", "owner_id"], descending=[False, True], nulls_last=False)
    )
    parts: list[pl.LazyFrame] = []
    sales = inputs.frame("sales_lines")
    assert sales is not None
    lines = (
        sales.select(
            pl.col("account_id").cast(pl.String), "date", pl.col("amount").cast(pl.Float64)
        )
        .filter(pl.col("date") <= as_of)
        .join(changed.lazy(), on="account_id", how="semi")
        .collect()
    )
    if lines.height:
        credited = _owner_of_day(lines, "date", spans, owners)
        parts.append(
            _moves(
                credited.lazy().select(
                    "owner",
                    "today",
                    pl.col("date").dt.month_start().alias("month"),
                    (pl.col("date") > late_from).alias("late"),
                    pl.col("amount").alias("revenue"),
                )
            )
        )
    opps = inputs.frame("opportunities")
    if opps is not None:
        opps = optional_columns(opps, ("close_date",), pl.Date)
        opps = optional_columns(opps, ("deal_type",), pl.String)
        base = (
            opps.with_columns(pl.col("account_id").cast(pl.String))
            .filter(pl.col("created_date") <= as_of)
            .join(changed.lazy(), on="account_id", how="semi")
            .select(
                "account_id",
                pl.col("created_date"),
                pl.col("close_date").alias("closed_on"),
                pl.col("amount").cast(pl.Float64),
                *closed_flags(as_of),  # undated: in no KPI of closed deals, no pipeline
                pl.col("is_won").fill_null(False).alias("won"),
                *deal_kinds(pl.col("deal_type").cast(pl.String)),
            )
            .collect()
        )
        if base.height:
            of_day = _owner_of_day(base, "created_date", spans, owners).lazy()
            typed = of_day.filter(pl.col("won") & pl.col("closed")).select(
                "owner", "today", *typed_won(), pl.lit(False).alias("late")
            )
            # a credit or downgrade (won, negative) nets the typed won amounts only, as
            # in kpi_facts: no deal, no pipeline
            of_day = of_day.filter(~is_credit())
            opened = of_day.filter(~pl.col("undated")).select(
                "owner",
                "today",
                pl.col("created_date").dt.month_start().alias("month"),
                pl.lit(False).alias("late"),
                pl.col("amount").alias("pipeline_delta"),
            )
            closed = of_day.filter(pl.col("closed")).select(
                "owner",
                "today",
                pl.col("closed_on").dt.month_start().alias("month"),
                pl.lit(False).alias("late"),
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
            parts.append(_moves(pl.concat([opened, closed, typed], how="diagonal_relaxed")))
    if not parts:
        return pl.DataFrame(schema=schema)
    stacked = optional_columns(
        pl.concat(parts, how="diagonal_relaxed"), CREDITED_MEASURES, pl.Float64
    )
    return (
        stacked.with_columns(pl.col(m).fill_null(0.0) for m in CREDITED_MEASURES)
        .group_by("key", "month", "late")
        .agg(exact_sum(m) for m in CREDITED_MEASURES)
        .collect()
    )


def _owner_of_day(
    rows: pl.DataFrame, day: str, spans: pl.DataFrame, owners: pl.DataFrame
) -> pl.DataFrame:
    """``rows`` with ``owner`` and ``today``, keeping the rows whose owner is not today's.

    ``owner``: the owner of the period covering column ``day``; before the account's first
    period, the owner of that first period; in a gap or after the last period, today's owner.
    ``spans``: the accounts' periods, sorted as in :func:`credit_corrections`.
    """
    first = spans.group_by("account_id").agg(pl.col("valid_from").min().alias("first_from"))
    matched = (
        rows.join(first, on="account_id", how="left")
        # a day before the first period is looked up on the first period's start
        .with_columns(pl.max_horizontal(day, "first_from").alias("_on"))
        .sort("_on")
        .join_asof(
            spans.select("account_id", "owner_id", "valid_from", "valid_to"),
            left_on="_on",
            right_on="valid_from",
            by="account_id",
            strategy="backward",
            check_sortedness=False,  # both sides are sorted on the dates above
        )
        .join(owners.select("account_id", "today"), on="account_id", how="left")
    )
    covered = pl.col("valid_from").is_not_null() & (
        (pl.col(day) < pl.col("first_from"))
        | pl.col("valid_to").is_null()
        | (pl.col(day) <= pl.col("valid_to"))
    )
    return (
        matched.with_columns(
            pl.when(covered).then(pl.col("owner_id")).otherwise(pl.col("today")).alias("owner")
        )
        .drop("first_from", "_on")
        .filter(pl.col("owner").ne_missing(pl.col("today")))
    )


def _moves(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Each row's measures added to ``owner`` and taken from ``today`` (rows keyed by rep)."""
    measures = [c for c in frame.collect_schema().names() if c in CREDITED_MEASURES]
    gained = frame.select(pl.col("owner").alias("key"), "month", "late", *measures)
    lost = frame.select(
        pl.col("today").alias("key"), "month", "late", *[(-pl.col(m)).alias(m) for m in measures]
    )
    return pl.concat([gained, lost]).filter(pl.col("key").is_not_null())


#: Decimals kept of a credited sum (see :func:`apply_corrections`).
CREDIT_DECIMALS = 6


def apply_corrections(by_group: pl.DataFrame, corrections: pl.DataFrame) -> pl.DataFrame:
    """Add the rep ``corrections`` to the rolled-up rows ``dimension, key, month, late, ...``."""
    if corrections.is_empty():
        return by_group
    rows = corrections.with_columns(pl.lit("rep").alias("dimension"))
    stacked = pl.concat([by_group, rows], how="diagonal_relaxed")
    measures = [c for c in by_group.columns if c not in ("dimension", "key", "month", "late")]
    # A measure moved away and back sums to a float residue (about 1e-10) whose sign and size
    # follow the summation order: rounded off, a rep with nothing shows 0 (and no ratio), the
    # same on every run. Money and counts need no more than 6 decimals.
    return (
        stacked.with_columns(pl.col(m).fill_null(0.0) for m in measures)
        .group_by("dimension", "key", "month", "late")
        .agg(exact_sum(m).round(CREDIT_DECIMALS) for m in measures)
        .select(by_group.columns)
    )


def crediting_note(
    periods: pl.DataFrame | None, owners: pl.DataFrame, first_day: date | None
) -> str | None:
    """One sentence saying which dates have no owner of the day and whom they are credited to
    (None when every date has one): dates before an account's first recorded owner go to that
    owner, accounts with no recorded owner to the owner the CRM gives them
    (:func:`record_owner_periods`, periods from :data:`CRM_HISTORY_START` with no end), else
    to today's owners.

    ``first_day``: the earliest sales line or opportunity date.
    """
    if periods is None or periods.is_empty():
        return (
            "no ownership history is recorded yet (no plan was activated): "
            "revenue is credited to today's owners"
        )
    # the owner an account's record gives, for an account no period was recorded for
    on_record = periods.filter(
        (pl.col("valid_from") == CRM_HISTORY_START) & pl.col("valid_to").is_null()
    )
    periods = periods.filter(
        (pl.col("valid_from") != CRM_HISTORY_START) | pl.col("valid_to").is_not_null()
    )
    from_crm = periods.filter(pl.col("valid_from") == CRM_HISTORY_START)
    first = periods.filter(pl.col("valid_from") != CRM_HISTORY_START)["valid_from"].min()
    assert first is None or isinstance(first, date)
    # an account in no territory has no owner today either: its figures are in no row (said
    # with the table's notes), not credited to anyone
    without = (
        owners.filter(pl.col("today").is_not_null())
        .join(periods, on="account_id", how="anti")
        .join(on_record, on="account_id", how="anti")
        .height
    )
    parts = []
    if on_record.height:
        parts.append(
            f"revenue and opportunities of {on_record.height:,} account(s) with no recorded "
            "owner (no activation recorded one) are credited to the owner the CRM gives each "
            "account"
        )
    if first is not None and first_day is not None and first_day < first and from_crm.height:
        parts.append(
            f"revenue and opportunities before {first.isoformat()} (the first recorded "
            f"activation) are credited to the owner the CRM gave each account "
            f"({from_crm.height:,} account(s) whose owner the plans changed), or else to its "
            "first recorded owner"
        )
    elif first is not None and first_day is not None and first_day < first:
        parts.append(
            f"revenue and opportunities before {first.isoformat()} (the first recorded "
            "activation), or before an account's first recorded owner, are credited to that "
            "first recorded owner"
        )
    if without and on_record.height:
        parts.append(
            f"those of {without:,} other account(s), whose CRM owner is no stored rep, are "
            "credited to today's owners"
        )
    elif without:
        parts.append(
            f"{'those' if parts else 'revenue and opportunities'} of {without:,} account(s) "
            "with no recorded owner are credited to today's owners"
        )
    if on_record.height or (first is not None and first_day is not None and first_day < first):
        # a new customer's first sale may be an earlier owner's revenue: said, not hidden
        parts.append(
            "new customers, accounts and leads count for today's owner of their territory "
            "(a new customer's first sale may be credited to an earlier owner)"
        )
    return "; ".join(parts) or None
