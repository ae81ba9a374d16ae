"""Scenarios on stored plans: copy, compare, move through review to activation, delete."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import polars as pl

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.planning.scenarios import AccountFacts, PlanComparison, compare_plans
from terraplan.rules import dump_rule_set
from terraplan.services.alignment import plan_alignment_frame
from terraplan.services.ownership import RuleApplication, plan_rule_set
from terraplan.services.plan_copy_records import copy_plan_records
from terraplan.services.plan_ids import check_id, new_plan_id
from terraplan.services.plan_scopes import (
    active_plan_id,
    check_scope,
    normalize_scope,
    same_scope,
    scope_account_ids,
)
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: No plan takes effect before this day (sales records do not go further back; earlier dates
#: are typing slips, and the day before the first must exist).
EARLIEST_START = date(1900, 1, 1)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def copy_plan(
    db: Database,
    source_id: str | None = None,
    *,
    new_id: str | None = None,
    name: str | None = None,
    created_by: str | None = None,
    scope: str | None = None,
) -> Plan:
    """A new draft copy of ``source_id`` with its latest rule set and the accounts' territories
    and owners of its latest rule run. Without a source: the active
    plan of ``scope`` when there is one, else the whole-market (or only) active plan. The copy
    keeps the source's scope unless ``scope`` is given ("" = whole market)."""
    with UnitOfWork(db) as uow:
        if source_id is None:
            try:
                source_id = active_plan_id(uow, scope)
            except NotFoundError:
                if normalize_scope(scope) is None:
                    raise
                source_id = active_plan_id(uow)
        source = uow.plans.get(source_id)
        plan_id = new_plan_id(uow, new_id)
        new_scope = source.scope if scope is None else check_scope(uow, scope)
        copy = replace(
            source,
            id=plan_id,
            name=name or f"Copy of {source.name}",
            version=1,
            status=PlanStatus.DRAFT,
            effective_from=None,
            effective_to=None,
            based_on_plan_id=source.id,
            scope=new_scope,
            created_by=created_by,
            created_at=None,
            updated_by=created_by,
            updated_at=None,
        )
        saved = uow.plans.add(copy, generated=new_id is None)
        plan_id = saved.id  # another plan may have taken the id picked first
        try:
            stored = uow.rule_sets.latest(source.id)
        except NotFoundError:
            stored = None
        if stored is not None:
            copied = uow.rule_sets.add(
                plan_id, stored.document, plan_version=saved.version, created_by=created_by
            )
            # The source's latest rule run is its alignment (who is in which territory) for a
            # rule-based plan: the copy starts from the same one, so an unchanged copy compares
            # as unchanged and has the same KPIs until its own rules are applied.
            # (A geo-aligned plan's copy keeps its own geo alignment instead, so that edits of
            # the copy show before its rules are applied.)
            run = (
                []
                if source.alignment_map(RecordKind.GEO_UNIT)
                else uow.assignments.current(source.id)
            )
            if run:
                uow.assignments.record_run(
                    plan_id,
                    plan_version=saved.version,
                    rule_set_version=copied.version,
                    assignments=run,
                )
        uow.territory_notes.copy(source.id, source.version, plan_id, saved.version, created_by)
        carried = copy_plan_records(uow, source.id, plan_id)
        uow.audit.record(
            "copy", "plan", plan_id, actor=created_by, plan_id=plan_id,
            after={"based_on": source.id, "name": saved.name, "scope": saved.scope, **carried},
        )  # fmt: skip
        uow.commit()
    return saved


def create_plan(
    db: Database,
    name: str,
    territories: list[dict[str, Any]],
    *,
    plan_id: str | None = None,
    created_by: str | None = None,
    scope: str | None = None,
) -> Plan:
    """A new empty draft (no alignment yet) with the given territories, covering ``scope``
    (a part of the market, e.g. "West"; None or "" = the whole market).

    ``territories``: ``{"id", "name"}`` and optionally ``parent_id``, ``type`` (geo, named,
    vertical, segment, overlay, catch_all), ``level``. Geo units and accounts are then aligned
    with edits (``move_units``, ``move_accounts``) or by a design from this plan.
    """
    from terraplan.domain import Territory, TerritoryType
    from terraplan.errors import DataError

    if not territories:
        raise InvalidParameterError(
            "a plan needs at least one territory", details={"field": "territories"}
        )
    built = []
    for index, spec in enumerate(territories):
        if spec.get("id") is not None:  # ids become URL paths: refuse those no route reaches
            check_id(spec["id"], f"territories[{index}].id")
        try:
            built.append(
                Territory(
                    id=str(spec["id"]),
                    name=str(spec.get("name") or spec["id"]),
                    type=TerritoryType(spec.get("type", "geo")),
                    parent_id=spec.get("parent_id"),
                    level=str(spec.get("level", "territory")),
                )
            )
        except (KeyError, ValueError) as exc:  # DataError is a ValueError too
            reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InvalidParameterError(
                f"territories[{index}]: {reason}", details={"field": f"territories[{index}]"}
            ) from None
    with UnitOfWork(db) as uow:
        new_id = new_plan_id(uow, plan_id)
        scope = check_scope(uow, scope)
        try:
            plan = Plan(
                id=new_id,
                name=name,
                territories=tuple(built),
                created_by=created_by,
                scope=scope,
            )
        except DataError as exc:
            raise InvalidParameterError(exc.message, details={"field": "territories"}) from None
        saved = uow.plans.add(plan, generated=plan_id is None)
        new_id = saved.id
        uow.audit.record(
            "create", "plan", new_id, actor=created_by, plan_id=new_id,
            after={"name": name, "territories": len(built), "scope": plan.scope},
        )  # fmt: skip
        uow.commit()
    return saved


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
        start = date(end.year - 1, end.month, 1) + timedelta(days=31)
        start = start.replace(day=1)
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
    targets, target_notes, target_period = _comparable_targets((base_id, other_id), rows)
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
        period = next((_periods_text(s) for s in spans if s), None)
    totals = []
    for frame in rows:
        grouped = frame.group_by("territory_id").agg(pl.col("amount").sum())
        totals.append(
            {
                str(k): float(v)
                for k, v in zip(grouped["territory_id"], grouped["amount"], strict=True)
            }
        )
    return totals, notes, period


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


def change_status(
    db: Database,
    plan_id: str,
    status: PlanStatus | str,
    *,
    version: int | None = None,
    by: str | None = None,
    effective_from: date | None = None,
    reason: str | None = None,
) -> Plan:
    """Move a plan through its workflow; activation goes through :func:`activate_plan`.

    Sending a plan in review or approved back to draft needs a ``reason`` (stored in the
    audit log); InvalidParameterError without one."""
    status = PlanStatus(status)
    if status is PlanStatus.ACTIVE:
        return activate_plan(db, plan_id, effective_from=effective_from, version=version, by=by)
    reason = (reason or "").strip() or None
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if (
            status is PlanStatus.DRAFT
            and plan.status in (PlanStatus.IN_REVIEW, PlanStatus.APPROVED)
            and reason is None
        ):
            raise InvalidParameterError(
                f"plan {plan_id} is {plan.status.value.replace('_', ' ')}: give a reason to send "
                "it back to draft (--reason TEXT)",
                details={"field": "reason", "plan_id": plan_id, "status": plan.status.value},
            )
        if version is not None:
            plan = replace(plan, version=version)
        saved = uow.plans.save(plan.transition(status, by=by, at=_now()))
        after: dict[str, Any] = {"status": saved.status.value, "version": saved.version}
        if reason is not None:
            after["reason"] = reason
        uow.audit.record(
            "status", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"status": plan.status.value, "version": plan.version},
            after=after,
        )  # fmt: skip
        uow.commit()
    return saved


def reopen_reasons(db: Database, plan_id: str) -> list[tuple[datetime, str | None, str]]:
    """``(when, who, reason)`` of each time the plan was sent back to draft, oldest first."""
    with UnitOfWork(db) as uow:
        entries = uow.audit.list(plan_id=plan_id, action="status", limit=5_000)
    return [
        (e.at, e.actor, str(e.after["reason"]))
        for e in entries
        if e.after and e.after.get("status") == "draft" and e.after.get("reason")
    ]


def activation_problems(
    plan: Plan,
    application: RuleApplication,
    account_names: Mapping[str, str | None] | None = None,
    without_location: Collection[str] = (),
) -> list[str]:
    """Why the plan cannot be activated (empty when it can), from its rules evaluated on
    every account: for a whole-market plan, accounts in no territory; for a scoped plan, no
    account in any territory. ``account_names``: id -> name, for the accounts named as
    examples. ``without_location``: accounts with no US location (abroad, or no address),
    which no geographic rule can place: left in no territory, they keep their owners (a
    real CRM export always holds a few; one of them must not block every plan)."""
    records = [r for r in application.records if r.status != "closed"]
    uncovered = [r.record_id for r in records if r.territory_id is None]
    if plan.scope is not None:
        # A plan of one part of the market leaves the other accounts to the other plans.
        if len(uncovered) == len(records) and (records or application.outside_scope):
            outside = (
                f" (the {application.outside_scope:,} account(s) outside {plan.scope} stay "
                "with the plans of their own part of the market)"
                if application.outside_scope
                else ""
            )
            return [f"plan {plan.id} ({plan.scope}) puts no account in a territory{outside}"]
        return []
    if not records:
        return []
    names = account_names or {}

    def sample(ids: list[str]) -> str:
        return ", ".join(f"{names[a]} ({a})" if names.get(a) else a for a in ids[:3])

    reopen = (
        f"reopen the plan (`terraplan plans status {plan.id} reopen --reason ...`), "
        if plan.status is not PlanStatus.DRAFT
        else ""
    )
    again = ", then review and activate it again" if reopen else ", then activate"
    conflicts = [r.record_id for r in records if r.territory_id is None and r.status == "conflict"]
    unplaceable = set(without_location)
    gaps = [
        r.record_id
        for r in records
        if r.territory_id is None and r.status != "conflict" and r.record_id not in unplaceable
    ]
    reasons = []
    if conflicts:
        reasons.append(
            f"{len(conflicts):,} account(s) are claimed by two rules of the same priority and "
            f"order (e.g. {sample(conflicts)}; `terraplan rules check` names the rules): "
            f"{reopen}give one of them an `order` or set `tie_breaker: rule_position`{again}"
        )
    if gaps:
        reasons.append(
            f"{len(gaps):,} account(s) match no rule and there is no catch-all territory "
            f"(e.g. {sample(gaps)}): {reopen}add rules or a catch-all territory{again}"
        )
    return reasons


def _without_location(db: Database, application: RuleApplication) -> set[str]:
    """The accounts the rules leave in no territory (not for a conflict) that have no US
    location: no county and no US ZIP (an address abroad, or none)."""
    from sqlalchemy import select

    from terraplan.rules.fields import is_us, zip5
    from terraplan.storage.orm import AccountRow

    gaps = {
        r.record_id
        for r in application.records
        if r.status not in ("closed", "conflict") and r.territory_id is None
    }
    if not gaps:
        return set()
    with db.connect() as connection:
        rows = connection.execute(
            select(
                AccountRow.id, AccountRow.county_fips, AccountRow.postal_code, AccountRow.country
            )
        ).all()
    return {
        account_id
        for account_id, county, postal, country in rows
        if account_id in gaps and not county and (zip5(postal) is None or not is_us(country))
    }


def _uncovered_names(
    db: Database, application: RuleApplication, without_location: Collection[str] = ()
) -> dict[str, str | None]:
    """Names of the first accounts the rules leave in no territory (the examples shown;
    the accounts with no US location are not examples of a gap)."""
    from sqlalchemy import select

    from terraplan.storage.orm import AccountRow

    skipped = set(without_location)
    uncovered = [
        r
        for r in application.records
        if r.status != "closed" and r.territory_id is None and r.record_id not in skipped
    ]
    # the first three of each kind shown (conflicts, gaps)
    ids = [r.record_id for r in uncovered if r.status == "conflict"][:3]
    ids += [r.record_id for r in uncovered if r.status != "conflict"][:3]
    if not ids:
        return {}
    with db.connect() as connection:
        rows = connection.execute(
            select(AccountRow.id, AccountRow.name).where(AccountRow.id.in_(ids))
        ).all()
    return {account_id: name for account_id, name in rows}


def activate_plan(
    db: Database,
    plan_id: str,
    *,
    effective_from: date | None = None,
    version: int | None = None,
    by: str | None = None,
) -> Plan:
    """Activate an approved plan from ``effective_from`` (default today); the previous active plan
    of the same scope is archived with ``effective_to`` the day before (plans of other scopes stay
    active), and the plan's rules are applied to every account (owners follow its primary reps).
    Refused (ConflictError) when the plan has no rule set or, for a whole-market plan, leaves
    accounts without a territory."""
    with UnitOfWork(db) as uow:
        current = uow.plans.get(plan_id)
    current.transition(PlanStatus.ACTIVE)  # a step the status does not allow is refused first
    if version is not None and version != current.version:
        with UnitOfWork(db) as uow:
            raise uow.plans.stale(plan_id, current.version, version)
    # The rules are evaluated first (reads only, the same evaluation that is written below);
    # the activation, the archived predecessor, the accounts' territories and owners and the
    # ownership history are then written in one transaction, so a failure leaves the
    # previous plan active and every account as it was.
    from terraplan.services.ownership import evaluate_rules, write_rule_application
    from terraplan.storage.ownership_history import record_ownership

    try:
        application = evaluate_rules(db, plan_id)
    except NotFoundError as exc:
        if exc.details.get("kind") != "rule_sets":
            raise
        raise ConflictError(
            f"plan {plan_id} cannot be activated: plan {plan_id} has no rule set: routing would "
            f"fail (run `terraplan rules save FILE --plan {plan_id}`)",
            details={"plan_id": plan_id, "problems": ["no rule set"]},
        ) from None
    without_location = _without_location(db, application) if current.scope is None else set()
    problems = activation_problems(
        current, application, _uncovered_names(db, application, without_location), without_location
    )
    if problems:
        raise ConflictError(
            f"plan {plan_id} cannot be activated: {problems[0]}",
            details={"plan_id": plan_id, "problems": problems},
        )
    start = effective_from or date.today()
    if start < EARLIEST_START:
        raise InvalidParameterError(
            f"effective_from {start} is too early: a plan takes effect from "
            f"{EARLIEST_START} at the earliest",
            details={"field": "effective_from", "value": start.isoformat()},
        )
    now = _now()
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if version is not None:
            plan = replace(plan, version=version)
        activated = replace(plan.transition(PlanStatus.ACTIVE, by=by, at=now), effective_from=start)
        for row in uow.plans.list(status=PlanStatus.ACTIVE):
            if row.id == plan_id or not same_scope(row.scope, plan.scope):
                continue
            previous = uow.plans.get(row.id)
            if previous.effective_from is not None and start < previous.effective_from:
                # The plan it replaces would end before it began: history is not rewritten.
                raise ConflictError(
                    f"plan {plan_id} cannot take effect on {start}: plan {previous.id} "
                    f"({previous.name}) is in force from {previous.effective_from}; take "
                    f"effect on {previous.effective_from} or later",
                    details={"plan_id": plan_id, "effective_from": start.isoformat(),
                             "active_plan_id": previous.id,
                             "earliest": previous.effective_from.isoformat()},
                )  # fmt: skip
            end = max(start - timedelta(days=1), previous.effective_from or date.min)
            try:
                uow.plans.save(
                    replace(
                        previous.transition(PlanStatus.ARCHIVED, by=by, at=now), effective_to=end
                    )
                )
            except ConflictError:
                # the plan it replaces changed meanwhile: another activation of this scope
                # ran at the same moment (say it about the plan the caller activates)
                raise ConflictError(
                    f"plan {plan_id} was not activated: plan {previous.id} ({previous.name}), "
                    "which it replaces, changed at the same moment (another activation?); "
                    "reload and try again",
                    details={"plan_id": plan_id, "changed_plan_id": previous.id},
                ) from None
            uow.audit.record(
                "archive", "plan", row.id, actor=by, plan_id=row.id,
                before={"status": "active"},
                after={"status": "archived", "effective_to": end.isoformat()},
            )  # fmt: skip
        saved = uow.plans.save(activated)
        # Accounts and their owners follow the plan that is now active, and who owns what
        # from its first day is recorded (effective-dated: the previous owners' periods end
        # the day before).
        applied = write_rule_application(uow, replace(application, plan=saved))
        uow.audit.record(
            "activate", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"status": plan.status.value},
            after={"status": "active", "effective_from": start.isoformat(), "scope": plan.scope,
                   "accounts_placed": applied.run.records - applied.run.gaps,
                   # no rule placed them, the catch-all took them (a gap with a territory)
                   "accounts_in_catch_all": sum(
                       r.status == "gap" and r.territory_id is not None
                       for r in application.records
                   ),
                   "owner_changes": applied.run.owner_changes,
                   # no US location: in no territory, they keep their owners
                   "accounts_without_location": len(without_location)},
        )  # fmt: skip
        names = {t.id: t.name for t in saved.territories}
        # An account in a territory with no primary rep keeps the owner it has: that owner,
        # not "vacant", is who owns it from this day (and is credited with its sales).
        kept = {a: owner for a, (_, owner) in uow.assignments.accounts_named().items()}
        owners = {
            a.record_id: (
                a.territory_id,
                names.get(a.territory_id or ""),
                a.owner_id or kept.get(a.record_id),
            )
            for a in uow.assignments.current(plan_id)
            if a.record_kind == "account" and (saved.scope is None or a.territory_id is not None)
        }
        record_ownership(uow.connection, plan_id, start, owners)
        uow.commit()
    return saved


class ActivationCounts(NamedTuple):
    """What a plan's activation did: accounts its rules placed, accounts whose owner changed,
    accounts no rule placed that went to the catch-all territory, and accounts with no US
    location left in no territory (they keep their owners)."""

    placed: int
    owner_changes: int
    in_catch_all: int = 0
    without_location: int = 0


def activation_counts(db: Database, plan_id: str) -> ActivationCounts | None:
    """The counts of the plan's latest activation, as its audit entry keeps them (None: not
    activated, or before the entry kept them)."""
    with UnitOfWork(db) as uow:
        done = uow.audit.list(plan_id=plan_id, action="activate", limit=1, newest_first=True)
    after = (done[0].after or {}) if done else {}
    if "owner_changes" not in after:
        return None
    return ActivationCounts(
        int(after["accounts_placed"]),
        int(after["owner_changes"]),
        int(after.get("accounts_in_catch_all", 0)),
        int(after.get("accounts_without_location", 0)),
    )


def delete_plan(db: Database, plan_id: str, *, by: str | None = None) -> None:
    """Delete a draft or archived plan with its results (an active plan cannot be deleted)."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if plan.status in (PlanStatus.ACTIVE, PlanStatus.APPROVED, PlanStatus.IN_REVIEW):
            raise ConflictError(
                f"plan {plan_id} is {plan.status.value.replace('_', ' ')}; only draft or archived "
                "plans can be deleted",
                details={"plan_id": plan_id, "status": plan.status.value},
            )
        uow.targets.delete_where({"plan_id": plan_id})
        uow.records("acquisition_costs").delete_where({"plan_id": plan_id})
        uow.plans.delete(plan_id)
        uow.audit.record(
            "delete", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"status": plan.status.value, "name": plan.name},
        )  # fmt: skip
        uow.commit()


def rule_set_text(db: Database, plan_id: str) -> str:
    """The plan's latest rule set as YAML (what `rules export` writes)."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        rule_set, _ = plan_rule_set(uow, plan)
    return dump_rule_set(rule_set)


def parse_effective_date(text: str | None, *, parameter: str = "effective") -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParameterError(
            f"--{parameter}: {text!r} is not a date (YYYY-MM-DD)",
            details={"parameter": parameter},
        ) from None


def ownership_history(
    db: Database, account_id: str, *, day: date | None = None
) -> tuple[list[Any], dict[str, str]]:
    """The account's ownership periods (or the one covering ``day``) and rep names."""
    from terraplan.storage.ownership_history import history, owner_on

    with UnitOfWork(db) as uow:
        uow.accounts.get(account_id)  # NotFoundError for an unknown account
        names = {r.id: r.name for r in uow.reps.list()}
        if day is None:
            periods = history(uow.connection, account_id)
        else:
            found = owner_on(uow.connection, account_id, day)
            periods = [found] if found is not None else []
    return periods, names
