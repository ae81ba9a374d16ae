"""No credit before a rep was hired: the ownership frame KPIs credit reps by, with the days
before each rep's hire date owned by no rep.

A CRM export names each account's owner today. A rep hired in August who took over accounts
then is named as their owner, and KPIs by rep credited that rep with the accounts' sales since
January (the CRM's owner is the best word on who sold before the first activation), while the
rep's target starts at the hire (:mod:`terraplan.planning.targets` ramps from the hire month):
attainment 249 % and pace 5.3 for a rep who had sold for two months. Who sold before the hire
is not known; those days are credited to no rep (as a vacant territory's are), and the KPIs
say so in a note. The other side, the target, counts from the hire too: a territory's target
goes to today's owner only for the days from their hire date
(:func:`terraplan.planning.kpi_spread.hire_dates`).

Both KPI paths (in-process and the compiled SQL) read the frame this module returns, so they
agree; ``kpis --write-tables`` writes it for the warehouse.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.planning.kpi_credit import CRM_HISTORY_START

_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "account_id": pl.String,
    "owner_id": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}


def before_hire_unowned(
    ownership: pl.DataFrame, hires: pl.DataFrame, today: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``ownership`` (``account_id, owner_id, valid_from, valid_to``) with no owner on the
    days before the owner's hire date, and the reps (``rep_id, hire_date``) whose days were
    taken.

    ``hires``: ``rep_id, hire_date`` (reps with a known hire date). ``today``:
    ``account_id, today`` (each account's owner today in the plan reported on). The implicit
    rule for a day before an account's first period (its first owner) is written out as a
    period from :data:`CRM_HISTORY_START`, then every period of a rep starting before the
    rep's hire date is split at it, the part before owned by no one (``owner_id`` null). An
    account with no period whose owner today was hired after :data:`CRM_HISTORY_START` gets
    one period owned by no one up to the day before the hire (later days stay today's
    owner's, as for any day no period covers). Unchanged when no rep has a hire date.
    """
    hires = hires.filter(pl.col("hire_date") > CRM_HISTORY_START).select(
        pl.col("rep_id").cast(pl.String), pl.col("hire_date").cast(pl.Date)
    )
    if hires.is_empty():
        return ownership, hires
    periods = ownership.select(*(pl.col(c).cast(t) for c, t in _SCHEMA.items()))
    first = (
        periods.sort("valid_from", "owner_id", descending=[False, False])
        .group_by("account_id", maintain_order=True)
        .first()
        .filter(pl.col("valid_from") > CRM_HISTORY_START)
        .select(
            "account_id",
            "owner_id",
            pl.lit(CRM_HISTORY_START).alias("valid_from"),
            (pl.col("valid_from") - pl.duration(days=1)).alias("valid_to"),
        )
    )
    periods = pl.concat([first, periods])
    with_hire = periods.join(hires, left_on="owner_id", right_on="rep_id", how="left")
    starts_before = pl.col("hire_date").is_not_null() & (pl.col("valid_from") < pl.col("hire_date"))
    untouched = with_hire.filter(~starts_before).drop("hire_date")
    split = with_hire.filter(starts_before)
    day_before = pl.col("hire_date") - pl.duration(days=1)
    unowned = split.select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("owner_id"),
        "valid_from",
        pl.when(pl.col("valid_to").is_not_null() & (pl.col("valid_to") < pl.col("hire_date")))
        .then(pl.col("valid_to"))
        .otherwise(day_before)
        .alias("valid_to"),
    )
    owned = split.filter(
        pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("hire_date"))
    ).select("account_id", "owner_id", pl.col("hire_date").alias("valid_from"), "valid_to")
    without = (
        today.select(pl.col("account_id").cast(pl.String), pl.col("today").cast(pl.String))
        .join(periods.select("account_id").unique(), on="account_id", how="anti")
        .join(hires, left_on="today", right_on="rep_id")
    )
    taken = pl.concat(
        [split.select(pl.col("owner_id").alias("rep_id"), "hire_date"),
         without.select(pl.col("today").alias("rep_id"), "hire_date")]
    ).unique().sort("hire_date", "rep_id")  # fmt: skip
    without = without.select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("owner_id"),
        pl.lit(CRM_HISTORY_START).alias("valid_from"),
        (pl.col("hire_date") - pl.duration(days=1)).alias("valid_to"),
    )
    frame = pl.concat([untouched, unowned, owned])
    gaps, hired_today = _gaps_before_hire(frame, today, hires)
    taken = pl.concat([taken, hired_today]).unique().sort("hire_date", "rep_id")
    frame = pl.concat([frame, gaps, without]).sort("account_id", "valid_from")
    return frame, taken


def _gaps_before_hire(
    periods: pl.DataFrame, today: pl.DataFrame, hires: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Periods owned by no one over the days no period covers (a gap, or after the last
    period ended: today's owner's days) before the hire of the account's owner today, and
    the reps (``rep_id, hire_date``) they were taken from.

    A day is covered by the period with the latest start on or before it (ties: the
    smallest owner id, as the KPI credit reads them) up to that period's end.
    """
    owners = today.select(
        pl.col("account_id").cast(pl.String), pl.col("today").cast(pl.String)
    ).join(hires, left_on="today", right_on="rep_id")
    winners = (
        periods.join(owners, on="account_id", how="semi")
        .sort("account_id", "valid_from", "owner_id", nulls_last=True)
        .unique(["account_id", "valid_from"], keep="first", maintain_order=True)
        .with_columns(pl.col("valid_from").shift(-1).over("account_id").alias("next_from"))
        .filter(pl.col("valid_to").is_not_null())
        .join(owners, on="account_id")
        .with_columns((pl.col("valid_to") + pl.duration(days=1)).alias("gap_from"))
        .with_columns(
            pl.min_horizontal(
                pl.col("next_from") - pl.duration(days=1),
                pl.col("hire_date") - pl.duration(days=1),
            ).alias("gap_to")
        )
        .filter(pl.col("gap_from") <= pl.col("gap_to"))
    )
    gaps = winners.select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("owner_id"),
        pl.col("gap_from").alias("valid_from"),
        pl.col("gap_to").alias("valid_to"),
    )
    return gaps, winners.select(pl.col("today").alias("rep_id"), "hire_date")


def hire_note(taken: pl.DataFrame, names: dict[str, str], first_day: date | None) -> str | None:
    """One sentence naming the reps whose sales before their hire date are credited to no
    rep (None when no hire falls after ``first_day``, the earliest fact).

    ``taken``: the reps :func:`before_hire_unowned` took days from (``rep_id, hire_date``).
    """
    if first_day is None:
        return None
    reps = taken.filter(pl.col("hire_date") > first_day).sort(
        "hire_date", "rep_id", descending=[True, False]
    )
    if reps.is_empty():
        return None
    shown = [
        f"{names.get(r, r)} ({hired.isoformat()})"
        for r, hired in reps.head(4).iter_rows()
        if isinstance(hired, date)
    ]
    more = f" and {reps.height - 4} more" if reps.height > 4 else ""
    return (
        "sales and opportunities dated before a rep's hire date are credited to no rep (who "
        f"sold then is not known): {', '.join(shown)}{more}"
    )
