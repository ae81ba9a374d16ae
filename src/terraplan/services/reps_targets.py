"""Team sizing, rep matching and targets for a stored plan; results saved with the plan."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from terraplan.domain import Account, OwnerRole, Plan, Rep, Target, TerritoryOwner
from terraplan.domain.names import distinct_labels
from terraplan.planning.capacity import CapacityReport, forecast_hiring, size_team
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.matching import MatchResult, match_reps
from terraplan.planning.revenue import parse_source
from terraplan.planning.target_fill import region_months
from terraplan.planning.target_owners import OwnerSpan
from terraplan.planning.targets import TargetPlan, parse_adjustment, set_targets
from terraplan.planning.team_capacity import DEFAULT_HOURS_PER_REP, DEFAULT_UTILIZATION
from terraplan.services.alignment import plan_alignment
from terraplan.services.owner_sync import OwnerSync, sync_in
from terraplan.services.plan_scopes import covering_active_plan, in_scope, scope_reps
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.record_repository import OPEN
from terraplan.storage.unit_of_work import UnitOfWork


def plan_capacity(
    db: Database,
    plan_id: str,
    *,
    hours_per_rep: float = DEFAULT_HOURS_PER_REP,
    utilization: float = DEFAULT_UTILIZATION,
    workload_model: str | None = None,
    group_by: str | None = None,
    hires: str | None = None,
    ramp_months: int = 3,
    attrition: str | float = 0.0,
    months: int = 12,
    start: date | None = None,
) -> tuple[CapacityReport, list[dict[str, object]]]:
    """Reps needed for the plan's accounts (and a hiring forecast); saved as the plan's ``capacity`` report.

    ``group_by`` defaults to the plan's regions, or its territories when it has no region level.
    """
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        # a scoped plan sizes the team of its part of the market
        accounts = in_scope(uow, plan.scope, uow.accounts.list(where=OPEN))
        reps = scope_reps(uow, plan.scope, uow.reps.list())
        territory_of = plan_alignment(uow, plan, accounts).territory_of
    if group_by is None:
        # Regions when the plan has them, else each territory.
        group_by = "region" if any(t.level == "region" for t in plan.territories) else "territory"
    report = size_team(
        plan,
        accounts,
        reps,
        hours_per_rep=hours_per_rep,
        utilization=utilization,
        workload_model=workload_model,
        group_by=group_by,
        territory_of=territory_of,
    )
    forecast_rows: list[dict[str, object]] = []
    if hires is not None or attrition:
        forecast = forecast_hiring(
            report,
            reps,
            start=start or date.today().replace(day=1),
            hires=hires or (),
            months=months,
            ramp_months=ramp_months,
            attrition=attrition,
        )
        forecast_rows = forecast.rows()
    with UnitOfWork(db) as uow:
        uow.plan_results.put(plan_id, "capacity", _jsonable(report.to_dict()))
        uow.commit()
    return report, forecast_rows


def plan_matching(
    db: Database,
    plan_id: str,
    *,
    weights: str | Mapping[str, float] | None = None,
    must: Sequence[tuple[str, str]] = (),
    must_not: Sequence[tuple[str, str]] = (),
    apply: bool = False,
    by: str | None = None,
) -> MatchOutcome:
    """Match reps to the plan's leaf territories; with ``apply`` the plan's primary owners
    change (new version, in the audit log), and so do the owners of its accounts when no
    other active plan decides them."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if apply:
            plan.require_writable("change its owners")
        accounts = in_scope(uow, plan.scope, uow.accounts.list(where=OPEN))
        reps = uow.reps.list()
        territory_of = plan_alignment(uow, plan, accounts).territory_of
    result = match_reps(
        plan,
        reps,
        accounts,
        weights=weights,
        must=list(must),
        must_not=list(must_not),
        territory_of=territory_of,
    )
    synced = None
    with UnitOfWork(db) as uow:
        uow.plan_results.put(plan_id, "matching", _jsonable(result.to_dict()))
        if apply:
            before = {t.id: list(t.primary_owner_ids) for t in plan.leaves()}
            old_plan = plan
            plan = uow.plans.save(with_primary_owners(plan, result.assignment))
            if covering_active_plan(uow, plan) is None:
                # Accounts of the latest rule run get the new primary reps, unless another
                # active plan decides their owners (activation will move them).
                synced = sync_in(uow, plan)
            after = {t.id: list(t.primary_owner_ids) for t in plan.leaves()}
            uow.audit.record(
                "match", "plan", plan_id, actor=by, plan_id=plan_id,
                before={"owners": _owner_names(old_plan, reps), "owner_ids": before},
                after={
                    "territories_with_new_owner": sum(after[t] != before.get(t) for t in after),
                    "accounts_changed_owner": synced.changed if synced else 0,
                    "owners": _owner_names(plan, reps),
                    "owner_ids": after,
                },
            )  # fmt: skip
        uow.commit()
    return MatchOutcome(result, plan, synced)


def _owner_names(plan: Plan, reps: Sequence[Rep]) -> dict[str, list[str]]:
    """Each leaf territory's primary owners by name, as a reader of the audit log knows them
    (the ids are kept beside them for integrators)."""
    name_of = {r.id: r.name or r.id for r in reps}
    return {t.name or t.id: [name_of.get(o, o) for o in t.primary_owner_ids] for t in plan.leaves()}


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    """The matching, the plan (a new version when applied) and, when the accounts' owners
    followed the new primary reps, what that sync changed (None: they did not)."""

    result: MatchResult
    plan: Plan
    synced: OwnerSync | None = None

    def __iter__(self) -> Any:  # ``result, plan = plan_matching(...)`` reads as before
        return iter((self.result, self.plan))


def with_primary_owners(plan: Plan, rep_of: Mapping[str, str]) -> Plan:
    """``plan`` with each matched territory's primary owner replaced (other roles kept)."""
    territory_rep = {territory: rep for rep, territory in rep_of.items()}
    territories = []
    for territory in plan.territories:
        if territory.id not in territory_rep and territory not in plan.leaves():
            territories.append(territory)
            continue
        others = tuple(o for o in territory.owners if o.role is not OwnerRole.PRIMARY)
        primary = (
            (TerritoryOwner(territory_rep[territory.id]),) if territory.id in territory_rep else ()
        )
        territories.append(replace(territory, owners=primary + others))
    return replace(plan, territories=tuple(territories))


def plan_targets(
    db: Database,
    plan_id: str,
    *,
    company_target: str | float | None,
    method: str = "blend:history=0.6,potential=0.4",
    growth: str | float = 0.0,
    period: int | str | None = None,
    unit: float | None = None,
    seasonality: str = "history",
    adjustments: Sequence[str] = (),
    revenue_source: str = "auto",
    as_of: date | None = None,
    fiscal: FiscalCalendar | None = None,
    ramp_months: int = 3,
) -> TargetPlan:
    """Set the plan's targets and store them (``ramp_months``: how long a new rep takes to be
    fully productive, for a ``+capacity`` method; the default as ``capacity``'s).

    The plan's revenue targets whose dates overlap the new period (an earlier run for the
    period, an imported quota inside it) are replaced, and a note in the result's warnings
    says which; its targets for other periods (last year's imported quotas) are kept.

    Revenue history is the sales lines, else the Closed Won opportunities (``revenue_source``
    chooses); only months completed before ``as_of`` (default today) count. ``period`` (a
    year or a text such as ``FY2027``; years are ``fiscal`` years) defaults to the plan's
    effective dates, else the year after the revenue history.
    """
    source = parse_source(revenue_source)
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        plan.require_writable("set its targets")
        accounts = in_scope(uow, plan.scope, uow.accounts.list())
        reps = uow.reps.list()
        sales_lines = uow.sales_lines.list() if source != "opportunities" else []
        opportunities = uow.opportunities.list() if not sales_lines else []
        territory_of = plan_alignment(uow, plan, accounts).territory_of
        spans = owner_spans(
            uow, accounts, set(territory_of), [r.id for r in reps], as_of or date.today()
        )
    result = set_targets(
        plan,
        accounts,
        sales_lines,
        reps,
        company_target=company_target,
        method=method,
        growth=growth,
        period=period,
        unit=unit,
        seasonality=seasonality,
        adjustments=[parse_adjustment(a) for a in adjustments],
        opportunities=opportunities,
        revenue_source=source,
        as_of=as_of or date.today(),
        territory_of=territory_of,
        fiscal=fiscal,
        ramp_months=ramp_months,
        owner_spans=spans,
    )
    with UnitOfWork(db) as uow:
        stored = uow.targets.list(where={"plan_id": plan_id})
        replaced = [t for t in stored if _replaced_by(t, result)]
        note = _replaced_note(replaced, result, plan, reps)
        if note:
            result = replace(result, warnings=(*result.warnings, note))
        if replaced:
            # Rewrite the plan's targets without the replaced ones (one statement, not one
            # per target); the kept ones go back unchanged.
            gone = {t.id for t in replaced}
            uow.targets.delete_where({"plan_id": plan_id})
            uow.targets.upsert_records(to_record(t) for t in stored if t.id not in gone)
        uow.targets.upsert_records(
            {**to_record(target), "plan_id": plan_id} for target in result.targets
        )
        # the plan's regions say for every month what their territories say together
        kept = [t for t in stored if not _replaced_by(t, result)]
        filled = region_months(plan, [*kept, *result.targets])
        if filled:
            uow.targets.upsert_records({**to_record(t), "plan_id": plan_id} for t in filled)
        uow.plan_results.put(plan_id, "targets", _jsonable(result.to_dict()))
        uow.commit()
    return result


def owner_spans(
    uow: UnitOfWork,
    accounts: Sequence[Account],
    placed: set[str],
    rep_ids: list[str],
    as_of: date,
) -> list[OwnerSpan]:
    """The accounts' owners over time, as KPIs credit their sales (the recorded ownership
    periods, the CRM's owner before the first, and, to the end of ``as_of``'s month (the
    months begun), the CRM's owner of a
    placed account none was recorded for: the plan's owners carry the days after, once its
    activation records them): with ``+capacity`` the months before a new owner's hire are
    carried by the rep those months' sales are credited to, and months whose rep target
    goes to another rep than the owner of the day are named in a note."""
    import polars as pl

    from terraplan.planning.kpi_credit import record_owner_periods
    from terraplan.services.monitoring_data import ownership_frame
    from terraplan.services.ownership_periods import crm_owner_frame

    frame = ownership_frame(uow.connection)
    crm = crm_owner_frame(
        uow.connection,
        pl.DataFrame(
            {"id": [a.id for a in accounts], "owner_id": [a.owner_id for a in accounts]},
            schema={"id": pl.String, "owner_id": pl.String},
        ),
    )
    placed_frame = pl.DataFrame({"account_id": sorted(placed)}, schema={"account_id": pl.String})
    # the months begun by ``as_of``: the month in progress is the CRM owner's to its end
    month_end = (as_of.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    on_record = record_owner_periods(frame, crm, placed_frame, rep_ids).with_columns(
        pl.lit(month_end).alias("valid_to")
    )
    frame = pl.concat([frame, on_record])
    ids = {a.id for a in accounts}
    return [
        (account, owner, start, end)
        for account, owner, start, end in frame.select(
            "account_id", "owner_id", "valid_from", "valid_to"
        ).iter_rows()
        if account in ids
    ]


def _replaced_by(target: Target, result: TargetPlan) -> bool:
    """Whether setting ``result`` replaces the stored ``target``: a revenue target of the plan
    whose dates overlap the new period."""
    return (
        target.metric == "revenue"
        and target.period_start <= result.period_end
        and target.period_end >= result.period_start
    )


def _replaced_note(
    replaced: Sequence[Target], result: TargetPlan, plan: Plan, reps: Sequence[Rep]
) -> str | None:
    """One plain sentence on the stored targets the new ones replace (none: ``None``)."""
    if not replaced:
        return None
    period = f"{result.period_start} to {result.period_end}"
    own = {t.id for t in result.targets}
    earlier = [t for t in replaced if t.id in own]
    others = [t for t in replaced if t.id not in own]
    if not others:
        return f"replaced the {len(earlier):,} targets an earlier run set for {period}"
    names = {t.id: t.name for t in plan.territories} | distinct_labels((r.id, r.name) for r in reps)

    def describe(t: Target) -> str:
        who = names.get(t.territory_id or t.rep_id or "", t.territory_id or t.rep_id or "")
        return f"{who} {t.period_start} to {t.period_end} ({t.amount:,.0f})"

    shown = sorted(others, key=lambda t: (t.period_start, t.territory_id or "", t.rep_id or ""))
    more = f" and {len(shown) - 3:,} more" if len(shown) > 3 else ""
    return (
        f"replaced {len(others):,} stored target(s) of the plan that overlap {period}: "
        f"{'; '.join(describe(t) for t in shown[:3])}{more}"
        + (f" (and the {len(earlier):,} an earlier run set for it)" if earlier else "")
        + "; targets for other periods are kept"
    )


def _jsonable(value: Any) -> Any:
    """Dates and tuples made JSON-friendly for the plan's stored reports."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
