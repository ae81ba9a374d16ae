"""Comparing two stored plans: the accounts, owners, potential, revenue and pipeline that
change hands, the units moved, and each territory's revenue targets over the days both plans
set (optionally over a manager's territories only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.planning.scenarios import AccountFacts, PlanComparison, compare_plans
from terraplan.services.alignment import plan_alignment_frame
from terraplan.services.plan_scopes import scope_account_ids
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _account_facts(db: Database) -> tuple[list[AccountFacts], pl.DataFrame, str | None, str]:
    """Potential, revenue of the last 12 months of history and open pipeline per account;
    the revenue window (None: no revenue history) and the revenue source (see
    :mod:`terraplan.planning.revenue`: sales lines, else Closed Won opportunities)."""
    from terraplan.planning.revenue import revenue_frame

    with db.connect() as connection:
        accounts = pl.from_arrow(
            bulk.read_open_accounts(
                connection,
                [
                    "id",
                    "name",
                    "potential",
                    "county_fips",
                    "postal_code",
                    "owner_id",
                    "crm_owner_id",
                ],
            )
        )
        sales = pl.from_arrow(
            bulk.read_arrow(connection, "sales_lines", ["id", "account_id", "date", "amount"])
        )
        opportunities = pl.from_arrow(
            bulk.read_arrow(
                connection,
                "opportunities",
                ["id", "account_id", "amount", "is_closed", "is_won", "stage", "close_date"],
            )
        )
    assert isinstance(accounts, pl.DataFrame)
    assert isinstance(sales, pl.DataFrame)
    assert isinstance(opportunities, pl.DataFrame)
    history = revenue_frame(sales, opportunities)
    lines = history.frame
    window = None
    revenue: dict[str, float] = {}
    if lines.height:
        end = lines["date"].max()
        assert isinstance(end, date)
        # the 12 months that end on the last day of the history (2025-12-03 to 2026-12-02):
        # whole calendar months from a year back left out the month the year began in
        start = _year_back(end) + timedelta(days=1)
        window = f"{start.isoformat()} to {end.isoformat()}"
        grouped = (
            lines.filter(pl.col("date") >= start).group_by("account_id").agg(pl.col("amount").sum())
        )
        revenue = dict(zip(grouped["account_id"], grouped["amount"], strict=True))
    pipeline: dict[str, float] = {}
    if opportunities.height:
        grouped = (
            opportunities.filter(~pl.col("is_closed").fill_null(False))
            .group_by("account_id")
            .agg(pl.col("amount").sum())
        )
        pipeline = dict(zip(grouped["account_id"], grouped["amount"], strict=True))
    facts = [
        AccountFacts(
            account_id,
            name,
            float(potential or 0.0),
            float(revenue.get(account_id, 0.0)),
            float(pipeline.get(account_id, 0.0)),
        )
        for account_id, name, potential in zip(
            accounts["id"], accounts["name"], accounts["potential"], strict=True
        )
    ]
    return facts, accounts, window, history.source


def _year_back(day: date) -> date:
    """The same day a year earlier (29 February: the 28th)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def compare_stored_plans(
    db: Database,
    base_id: str,
    other_id: str,
    *,
    territories: set[str] | None = None,
    scope_name: str | None = None,
) -> tuple[PlanComparison, str | None]:
    """Compare two stored plans; also returns the revenue window used (``"start to end"``;
    None: no revenue history); a note says when the revenue is Closed Won opportunities.

    Each territory carries each plan's stored revenue target; owners of moved accounts carry
    rep names. Each plan's owners are those its activation would give, from the accounts'
    current owners (see :func:`compare_plans`).

    ``territories``: compare over these territories only (a manager's region): the accounts
    in one of them in either plan, the geo units aligned to one of them in either plan, and
    their rows and targets; every figure is then that region's (``scope_name`` names it in a
    note)."""
    from terraplan.services.rules_follow import pending_rules, pending_rules_note, rules_alignment

    facts, accounts, window, source = _account_facts(db)
    with UnitOfWork(db) as uow:
        base = uow.plans.get(base_id)
        other = uow.plans.get(other_id)
        pending = [pending_rules(uow, plan) for plan in (base, other)]
        # each scoped plan's accounts, read once for its alignment and the comparison
        scope_ids = {plan.id: scope_account_ids(uow, plan.scope) for plan in (base, other)}
        alignments: list[dict[str, str]] = []
        for plan, version in zip((base, other), pending, strict=True):
            if version:  # rules saved since the run: routed below
                alignments.append({})
                continue
            frame, _ = plan_alignment_frame(uow, plan, accounts, in_scope=scope_ids[plan.id])
            alignments.append(dict(frame.iter_rows()))
        rep_names = {r.id: r.name for r in uow.reps.list()}
        connection = uow.connection
        rows = [_territory_target_rows(connection, plan_id) for plan_id in (base_id, other_id)]
        scoped = [(plan, ids) for plan in (base, other) if (ids := scope_ids[plan.id]) is not None]
        owners_then = {
            plan.id: _recorded_owners(connection, plan.id)
            for plan in (base, other)
            if plan.status is PlanStatus.ARCHIVED
        }
    targets, target_notes, target_period = _comparable_targets((base_id, other_id), rows)
    # A region's targets are its territories' added up: counted with them, a plan with
    # regions had its targets twice (353M for a 227M plan).
    leaf_ids = [{leaf.id for leaf in plan.leaves()} for plan in (base, other)]
    targets = [
        {t: v for t, v in ts.items() if t in leaves}
        for ts, leaves in zip(targets, leaf_ids, strict=True)
    ]
    stale = []
    for i, (plan, version) in enumerate(zip((base, other), pending, strict=True)):
        if version:
            # Saved rules not applied yet: count accounts where activation will put them.
            known = {t.id for t in plan.territories}
            routed = rules_alignment(db, plan)
            alignments[i] = {a: t for a, t in routed.items() if t is not None and t in known}
            stale.append(pending_rules_note(plan, version))
    scope_note = None
    if scoped:
        # a scoped plan places only its part of the market: the other accounts stay with the
        # plans of theirs and are not moved by it
        inside = set().union(*(ids for _, ids in scoped))
        facts = [f for f in facts if f.id in inside]
        scope_note = "compared over the accounts of " + " and ".join(
            f"{plan.scope} (the scope of plan {plan.id})" for plan, _ in scoped
        )
    if territories is not None:
        facts = [
            f
            for f in facts
            if alignments[0].get(f.id) in territories or alignments[1].get(f.id) in territories
        ]
        base, other = _within(base, territories), _within(other, territories)
        targets = [{t: v for t, v in ts.items() if t in territories} for ts in targets]
    comparison = compare_plans(
        base,
        other,
        alignments[0],
        alignments[1],
        facts,
        owner_of=dict(zip(accounts["id"], accounts["owner_id"], strict=True)),
        base_targets=targets[0],
        other_targets=targets[1],
        rep_names=rep_names,
        crm_owner_of=dict(zip(accounts["id"], accounts["crm_owner_id"], strict=True)),
        owners_then=owners_then,
    )
    comparison = replace(comparison, target_period=target_period)
    if territories is not None:
        comparison = replace(
            comparison,
            territories=tuple(t for t in comparison.territories if t.territory in territories),
        )
        target_notes = [
            *target_notes,
            f"compared over the territories of {scope_name or 'your region'} only: every "
            "figure counts their accounts and units",
        ]
    compared = None if territories is None else {f.id for f in facts}
    held = _inactive_pipeline_note(db, compared) if comparison.pipeline_protected else None
    if source == "opportunities":  # the window stays two dates: clients parse it
        target_notes = [
            *target_notes,
            "revenue is the amount of Closed Won opportunities on their close dates (no sales "
            "lines are stored)",
        ]
    if scope_note is not None:
        target_notes = [scope_note, *target_notes]
    if stale or target_notes or held:
        extra = (*stale, *target_notes, *([held] if held else []))
        comparison = replace(comparison, notes=(*extra, *comparison.notes))
    return comparison, window


def _recorded_owners(connection: Any, plan_id: str) -> dict[str, str | None]:
    """Each account's owner as last recorded while ``plan_id`` was in force (empty: the plan
    was never in force)."""
    from sqlalchemy import select

    from terraplan.storage.orm import OwnershipPeriodRow as Row

    rows = connection.execute(
        select(Row.record_id, Row.owner_id)
        .where(Row.record_kind == "account", Row.plan_id == plan_id)
        .order_by(Row.valid_from, Row.id)
    ).all()
    return {str(account): owner for account, owner in rows}


def _within(plan: Plan, territories: set[str]) -> Plan:
    """``plan`` with only the geo units aligned to one of ``territories`` (units moved are
    then counted within a region)."""
    return plan.with_alignment(
        [
            e
            for e in plan.alignment
            if e.record_kind is not RecordKind.GEO_UNIT or e.territory_id in territories
        ]
    )


def _inactive_pipeline_note(db: Database, accounts: set[str] | None = None) -> str | None:
    """A note when open opportunities belong to reps marked inactive: the pipeline a
    realignment leaves with its owner would stay with someone who left. ``accounts``: the
    compared accounts only (a region's), None: all."""
    from sqlalchemy import select

    from terraplan.storage.orm import OpportunityRow, RepRow

    with db.connect() as connection:
        rows = connection.execute(
            select(RepRow.name, OpportunityRow.amount, OpportunityRow.account_id)
            .join(RepRow, RepRow.id == OpportunityRow.owner_id)
            .where(RepRow.active.is_(False), OpportunityRow.is_closed.isnot(True))
        ).all()
    total: dict[str, float] = {}
    for name, amount, account_id in rows:
        if accounts is None or account_id in accounts:
            total[name] = total.get(name, 0.0) + float(amount or 0.0)
    if not total:
        return None
    names = ", ".join(sorted(total, key=lambda n: -total[n]))
    return (
        f"{sum(total.values()):,.0f} of open pipeline is owned by inactive reps ({names}): "
        "it stays with them until those opportunities are reassigned in the CRM"
    )


def _year_before(end: date) -> date:
    """The first day of the year that ends on ``end`` (2027-12-31 -> 2027-01-01; a fiscal
    year ending 2028-01-31 -> 2027-02-01)."""
    try:
        back = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - 1, day=28)
    return back + timedelta(days=1)


def _comparable_targets(
    plan_ids: tuple[str, str], rows: list[pl.DataFrame]
) -> tuple[list[dict[str, float]], list[str], str | None]:
    """Each plan's ``territory id -> revenue target`` over the same days, notes, and those
    days in words (None: no target is compared).

    ``rows``: each plan's :func:`_territory_target_rows`. When both plans store targets, only
    those within the days both plans' targets cover count (last year's targets kept beside
    next year's would otherwise be summed with them and read as a cut; a year set monthly in
    one plan and as a whole in the other compares whole); the notes name the days compared,
    or say that the plans share none (then no target change is shown)."""
    spans = [
        {(a, b) for a, b in zip(f["period_start"], f["period_end"], strict=True) if a and b}
        for f in rows
    ]
    notes: list[str] = []
    period: str | None
    if all(spans):
        start = max(min(a for a, _ in s) for s in spans)
        end = min(max(b for _, b in s) for s in spans)
        inside = [
            f.filter((pl.col("period_start") >= start) & (pl.col("period_end") <= end))
            for f in rows
        ]
        if start > end or any(f.is_empty() for f in inside):
            shown = [_periods_text(s) for s in spans]
            latest = [_latest_year(s) for s in spans]
            if all(y is not None for y in latest):
                # this year's plan against next year's: each plan's own (latest) year, the
                # change year over year (the question a realignment's review asks)
                picked = [
                    f.filter((pl.col("period_start") >= y[0]) & (pl.col("period_end") <= y[1]))
                    for f, y in zip(rows, latest, strict=True)
                    if y is not None
                ]
                said = [_periods_text({y}) for y in latest if y is not None]
                notes.append(
                    f"the plans set targets for different periods ({plan_ids[0]}: {shown[0]}; "
                    f"{plan_ids[1]}: {shown[1]}): {plan_ids[0]}'s {said[0]} is compared with "
                    f"{plan_ids[1]}'s {said[1]}, the change is year over year"
                )
                return _totals(picked), notes, f"{said[0]} -> {said[1]}"
            notes.append(
                f"the plans set targets for different periods ({plan_ids[0]}: {shown[0]}; "
                f"{plan_ids[1]}: {shown[1]}), so no target change is shown"
            )
            return [{}, {}], notes, None
        years = set.intersection(
            *(
                {
                    (a, b)
                    for a, b in zip(f["period_start"], f["period_end"], strict=True)
                    if a and b and (b - a).days >= 364
                }
                for f in inside
            )
        )
        if (end - start).days > 366:
            # a copy keeps its source's years: last year's and next year's targets summed
            # read as one year's quota; the latest year both plans set is compared (a
            # year-long target both hold, else the twelve months that end with them)
            start, end = max(years) if years else (_year_before(end), end)
            inside = [
                f.filter((pl.col("period_start") >= start) & (pl.col("period_end") <= end))
                for f in inside
            ]
        if any(f.height != g.height for f, g in zip(inside, rows, strict=True)):
            notes.append(
                f"targets are compared over {_periods_text({(start, end)})}, the periods both "
                "plans set (their other targets are left out)"
            )
        rows = inside
        period = _periods_text({(start, end)})
    else:  # one plan sets targets (or neither): its own periods are what is shown
        period = None
        which = next((i for i, s in enumerate(spans) if s), None)
        if which is not None:
            own = spans[which]
            start, end = min(a for a, _ in own), max(b for _, b in own)
            if (end - start).days > 366:
                # several years (this year's and next year's): summed, they read as one
                # year's quota; the latest year is shown, as when both plans set targets
                years = {(a, b) for a, b in own if (b - a).days >= 364}
                start, end = max(years) if years else (_year_before(end), end)
                rows = [
                    f.filter((pl.col("period_start") >= start) & (pl.col("period_end") <= end))
                    for f in rows
                ]
                notes.append(
                    f"targets are shown over {_periods_text({(start, end)})}, the latest year "
                    f"{plan_ids[which]} sets (its other targets are left out)"
                )
                period = _periods_text({(start, end)})
            else:
                period = _periods_text(own)
    return _totals(rows), notes, period


def _totals(rows: list[pl.DataFrame]) -> list[dict[str, float]]:
    """Each frame's ``territory id -> summed amount``."""
    totals = []
    for frame in rows:
        grouped = frame.group_by("territory_id").agg(pl.col("amount").sum())
        totals.append(
            {
                str(k): float(v)
                for k, v in zip(grouped["territory_id"], grouped["amount"], strict=True)
            }
        )
    return totals


def _latest_year(spans: set[tuple[date, date]]) -> tuple[date, date] | None:
    """The latest year a plan's target periods cover whole (a year-long target, else the
    twelve months ending with its last period when they reach back that far); None when
    its targets cover less than a year (a quarter is not compared with a year)."""
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    years = {(a, b) for a, b in spans if (b - a).days >= 364}
    if years:
        return max(years)
    if (end - start).days >= 364:
        return _year_before(end), end
    return None


def _periods_text(spans: set[tuple[date, date]]) -> str:
    """The days a set of target periods covers, as a reader says them: "2027" for a whole
    calendar year, else "2026-07-01 to 2027-06-30" (gaps between periods are not shown)."""
    dated = [(a, b) for a, b in spans if a is not None and b is not None]
    if not dated:
        return "undated periods"
    first = min(a for a, _ in dated)
    last = max(b for _, b in dated)
    if first == date(first.year, 1, 1) and last == date(first.year, 12, 31):
        return str(first.year)
    return f"{first.isoformat()} to {last.isoformat()}"


def _territory_target_rows(connection: Any, plan_id: str) -> pl.DataFrame:
    """``territory_id, period_start, period_end, amount``: the plan's stored revenue targets
    of territories (one layer: monthly targets when a territory has them, else its longer
    ones)."""
    from terraplan.services.target_layers import finest_targets

    frame = pl.from_arrow(
        bulk.read_arrow(
            connection,
            "targets",
            ["plan_id", "territory_id", "rep_id", "period_start", "period_end", "amount", "metric"],
        )
    )
    assert isinstance(frame, pl.DataFrame)
    frame = frame.filter(
        (pl.col("plan_id") == plan_id)
        & pl.col("territory_id").is_not_null()
        & (pl.col("metric").is_null() | (pl.col("metric") == "revenue"))
    )
    columns = ["territory_id", "period_start", "period_end", "amount"]
    if frame.height == 0:
        return frame.select(columns)
    return finest_targets(frame.drop("plan_id")).select(columns)
