"""Notes on the targets behind a KPI table: periods the revenue targets cover only in part,
and, by rep, territories whose target goes to today's owner while another rep sold there
(the other notes are in :mod:`terraplan.services.kpi_notes`)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from terraplan.services.monitoring_data import PlanData


def target_coverage_note(data: PlanData, frame: pl.DataFrame) -> list[str]:
    """Periods the plan's revenue targets cover only in part (a fiscal quarter running into a
    year no target is set for yet): their target, attainment and pace count the covered days'
    targets only, which a reader of a 410 % pace must be told (one note, the first periods)."""
    targets = data.inputs.frame("targets")
    if targets is None or not {"period_start", "period_end"} <= set(frame.columns):
        return []
    names = targets.collect_schema().names()
    if "metric" in names:
        targets = targets.filter(pl.col("metric").is_null() | (pl.col("metric") == "revenue"))
    spans = (
        targets.select(pl.col("period_start").cast(pl.Date), pl.col("period_end").cast(pl.Date))
        .unique()
        .sort("period_start")
        .collect()
    )
    if spans.is_empty():
        return []
    merged: list[list[date]] = []
    for start, end in spans.iter_rows():
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    partial = []
    periods = frame.select("period", "period_start", "period_end").unique().sort("period_start")
    for label, first, last in periods.iter_rows():
        days = (last - first).days + 1
        covered = sum(
            max(0, (min(end, last) - max(start, first)).days + 1) for start, end in merged
        )
        if 0 < covered < days:
            partial.append(f"{label} ({covered} of {days} days)")
    if not partial:
        return []
    shown = ", ".join(partial[:3]) + (", ..." if len(partial) > 3 else "")
    return [
        f"revenue targets cover only part of {shown}: target and attainment count the "
        "targets of the days covered, pace to target those of the covered days gone; set "
        "targets for the rest (`terraplan targets`, or import them)"
    ]


#: Territories a note names before it says how many more there are.
NAMED = 6


def target_owner_note(data: PlanData, frame: pl.DataFrame) -> list[str]:
    """By rep, a territory's target stays with today's owner (from their hire date) while
    revenue goes to the owner of the day: where another rep owned a targeted territory's
    accounts on days of a period shown that count toward today's owner's target, attainment
    by rep mixes one rep's target with another's revenue. Says where (one note, each
    territory once with its periods: the first :data:`NAMED`, then how many more). A rep
    with revenue targets of their own gets none of their territories' (as the KPIs count
    them), so no attainment of theirs mixes two reps: their territories are not named."""
    from terraplan.planning.kpi_groups import territory_table
    from terraplan.planning.kpi_spread import hire_dates
    from terraplan.services.kpi_notes import group_names

    ownership = data.inputs.frame("ownership")
    targets = data.inputs.frame("targets")
    alignment = data.inputs.frame("alignment")
    if ownership is None or targets is None or alignment is None:
        return []
    if not {"period", "period_start", "period_end"} <= set(frame.columns):
        return []
    columns = targets.collect_schema().names()
    if "metric" in columns:  # revenue targets only, as the KPIs read them
        targets = targets.filter(pl.col("metric").is_null() | (pl.col("metric") == "revenue"))
    own = (
        targets.filter(pl.col("rep_id").is_not_null()).select(pl.col("rep_id").cast(pl.String))
        if "rep_id" in columns
        else pl.LazyFrame(schema={"rep_id": pl.String})
    )
    leaves = territory_table(data.inputs).filter(pl.col("is_leaf"))
    hires = hire_dates(data.inputs).collect()
    owners = (
        leaves.select("territory_id", pl.col("owner_id").alias("today"), "name")
        .join(own.unique().collect(), left_on="today", right_on="rep_id", how="anti")
        .join(hires, left_on="today", right_on="rep_id", how="left")
    )
    periods = frame.select("period", "period_start", "period_end").unique().sort("period_start")
    held = (
        ownership.select(
            pl.col("account_id").cast(pl.String),
            pl.col("owner_id").cast(pl.String),
            pl.col("valid_from").cast(pl.Date),
            pl.col("valid_to").cast(pl.Date),
        )
        .join(
            alignment.select(
                pl.col("account_id").cast(pl.String), pl.col("territory_id").cast(pl.String)
            ),
            on="account_id",
        )
        .collect()
        .join(owners, on="territory_id")
        .filter(pl.col("owner_id") != pl.col("today"))
    )
    set_on = (
        targets.filter(pl.col("territory_id").is_not_null())
        .select(
            pl.col("territory_id").cast(pl.String),
            pl.col("period_start").cast(pl.Date).alias("t_start"),
            pl.col("period_end").cast(pl.Date).alias("t_end"),
        )
        .collect()
    )
    if held.is_empty() or set_on.is_empty():
        return []
    # the days of each period that count toward today's owner's target: the territory's
    # targets' days in the period, from the owner's hire date
    spans = (
        set_on.join(periods, how="cross")
        .join(owners.select("territory_id", "hire_date"), on="territory_id")
        .select(
            "territory_id",
            "period",
            "period_start",
            pl.max_horizontal("t_start", "period_start", "hire_date").alias("first"),
            pl.min_horizontal("t_end", "period_end").alias("last"),
        )
        .filter(pl.col("first") <= pl.col("last"))
    )
    mixed = (
        held.join(spans, on="territory_id")
        .filter(
            (pl.col("valid_from") <= pl.col("last"))
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("first")))
        )
        .sort("territory_id", "period_start", "period")
    )
    if mixed.is_empty():
        return []
    names = group_names(data, "rep")
    found: list[str] = []
    for (territory,), part in mixed.group_by("territory_id", maintain_order=True):
        shown = list(dict.fromkeys(part["period"].to_list()))
        before = sorted({names.get(r, r) for r in part["owner_id"].to_list()})
        today = part["today"][0]
        found.append(
            f"{part['name'][0] or territory} in {', '.join(shown)} (its target goes to "
            f"{names.get(today, today) if today else 'no one'}; {', '.join(before)} "
            "owned accounts of it then)"
        )
    more = len(found) - NAMED
    listed = "; ".join(found[:NAMED]) + (
        f"; and {more} more {'territory' if more == 1 else 'territories'}" if more > 0 else ""
    )
    return [
        "by rep, revenue goes to the owner of the day but a territory's target to today's "
        f"owner (from their hire date), so attainment mixes two reps where the owner changed: "
        f"{listed}"
    ]
