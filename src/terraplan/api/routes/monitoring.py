"""KPIs and KPI definitions of a plan, as the CLI computes them (alerts: ``routes.alerts``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from terraplan.api.auth import CALLER_SECURITY, Caller, CurrentCaller, CurrentPrincipal, authorize
from terraplan.api.monitoring_params import (
    CACHED_READ,
    MONITORING_RESPONSES,
    AsOfQuery,
    CallerScope,
    InactiveMonthsQuery,
    MarketScopeQuery,
    PeriodQuery,
    active_plan_id,
    check_as_of,
    check_period,
    crediting_notes,
    fiscal_calendar,
    scope_key,
    visible_scope,
)
from terraplan.api.response_cache import (
    plan_data_version,
    serve_cached,
)
from terraplan.api.schemas import Figure
from terraplan.domain.access import Action
from terraplan.errors import InvalidParameterError, PermissionDeniedError
from terraplan.planning.kpi_registry import KPIS
from terraplan.storage.database import Database

router = APIRouter(tags=["monitoring"], responses=MONITORING_RESPONSES)


DIMENSIONS = ("territory", "region", "rep", "segment", "industry")


class KpiDefinitionPublic(BaseModel):
    name: str
    label: str
    unit: str
    higher_is_better: bool | None
    definition: str


#: The KPI columns of a row, as ``GET /kpis/definitions`` lists them (name and unit).
_KPI_COLUMNS = ", ".join(f"{k.name} ({k.unit})" for k in KPIS)

#: One row of a KPI table: its group and period, then one value per KPI.
KpiRow = dict[str, Figure | str | None]


class KpiTablePublic(BaseModel):
    plan_id: str
    dimension: str
    period: str
    as_of: date | None
    alignment_source: str
    rows: list[KpiRow] = Field(
        description="One row per group, by key: dimension, key (the group: territory or rep "
        "id, region, segment, industry), period (its label), grain, period_start and "
        "period_end (ISO dates), one column per KPI of GET /kpis/definitions ("
        + _KPI_COLUMNS
        + "; currency in the plan currency, ratio as a fraction: 0.25 = 25 %, null when "
        "undefined), and name (what people call the group; for territories, regions and reps)"
    )
    notes: list[str] = []
    #: Each period label of the rows as people read it: ``FY2027Q1`` -> ``FY2027 Q1 (Feb–Apr 2026)``.
    period_titles: dict[str, str] = {}
    #: Month the fiscal year starts in (1: calendar years), from the settings.
    fiscal_year_start: int = 1


@router.get("/kpis/definitions", operation_id="list_kpi_definitions")
def kpi_definitions(principal: CurrentPrincipal) -> list[KpiDefinitionPublic]:
    """The KPI registry: name, unit, direction and definition of every KPI."""
    authorize(principal, Action.READ)
    return [KpiDefinitionPublic(**asdict(k)) for k in KPIS]


_Dimension = Annotated[
    str,
    Query(
        description="territory, region, rep, segment or industry",
        json_schema_extra={"enum": list(DIMENSIONS)},
    ),
]


def _check_dimension(by: str) -> None:
    if by not in DIMENSIONS:
        raise InvalidParameterError(
            f"by must be one of {', '.join(DIMENSIONS)}", details={"field": "by", "value": by}
        )


@router.get(
    "/plans/{plan_id}/kpis",
    operation_id="get_plan_kpis",
    response_model=KpiTablePublic,
    responses=CACHED_READ,
    openapi_extra=CALLER_SECURITY,
)
async def plan_kpis_route(
    request: Request,
    caller: CurrentCaller,
    plan_id: str,
    by: _Dimension = "territory",
    period: PeriodQuery = "YTD",
    as_of: AsOfQuery = None,
    inactive_months: InactiveMonthsQuery = 6,
) -> Response:
    """The KPI table of the plan by ``by`` for ``period`` (managers and reps: their rows).

    Served from a per-process cache of the serialised body while the plan's data is unchanged
    (see :mod:`terraplan.api.response_cache`); the ETag lets a client revalidate for a 304."""
    _check_dimension(by)
    check_as_of(as_of)
    check_period(period, fiscal_calendar(request))
    return await run_in_threadpool(
        _kpis_response,
        request,
        caller,
        caller.database,
        plan_id,
        None,
        by,
        period,
        as_of,
        inactive_months,
    )


@router.get(
    "/active-plan/kpis",
    operation_id="get_active_plan_kpis",
    response_model=KpiTablePublic,
    responses=CACHED_READ,
    openapi_extra=CALLER_SECURITY,
)
async def active_plan_kpis_route(
    request: Request,
    caller: CurrentCaller,
    scope: MarketScopeQuery = None,
    by: _Dimension = "territory",
    period: PeriodQuery = "YTD",
    as_of: AsOfQuery = None,
    inactive_months: InactiveMonthsQuery = 6,
) -> Response:
    """The KPI table of the active plan of a part of the market (``scope``), as
    ``/plans/{plan_id}/kpis`` gives it; the body names the plan."""
    _check_dimension(by)
    check_as_of(as_of)
    check_period(period, fiscal_calendar(request))
    return await run_in_threadpool(
        _kpis_response,
        request,
        caller,
        caller.database,
        None,
        scope,
        by,
        period,
        as_of,
        inactive_months,
    )


def _kpis_response(
    request: Request,
    caller: Caller,
    db: Database,
    plan_id: str | None,
    market: str | None,
    by: str,
    period: str,
    as_of: date | None = None,
    inactive_months: int = 6,
) -> Response:
    principal = caller.principal()
    asked = plan_id is not None
    plan_id = plan_id or active_plan_id(db, market)
    version = plan_data_version(request, db, plan_id)
    scope = visible_scope(request, db, principal, plan_id, version, asked=asked)
    if scope is not None and not (by in ("territory", "rep") or (by == "region" and scope.region)):
        raise PermissionDeniedError(
            f"KPIs by {by} add up territories that are not yours; ask by territory or rep",
            details={"field": "by", "value": by, "role": principal.user.role.value},
        )
    key = (
        ("kpis", plan_id, by, period, as_of, inactive_months, scope_key(scope), version)
        if version
        else None
    )
    return serve_cached(
        request,
        key,
        lambda: _kpi_table(request, db, plan_id, by, period, scope, as_of, inactive_months),
    )


def _scoped_region_note(data: Any, rows: list[dict[str, Any]]) -> list[str]:
    """Why a manager's or rep's KPIs by region are empty, said without the plan's other
    territories: the plan has no regions, or none lies wholly in theirs."""
    if rows:
        return []
    if not any(t.parent_id for t in data.plan.territories):
        return ["this plan has no regions (its territories have no parent): see KPIs by territory"]
    return ["no region of this plan lies wholly in yours: see KPIs by territory"]


def _kpi_table(
    request: Request,
    db: Database,
    plan_id: str,
    by: str,
    period: str,
    scope: CallerScope | None,
    as_of: date | None = None,
    inactive_months: int = 6,
) -> KpiTablePublic:
    from terraplan.planning.kpi_periods import Period
    from terraplan.planning.kpi_registry import shown_value, whole_counts
    from terraplan.services.kpi_notes import (
        credits_note,
        future_facts_note,
        group_names,
        grouping_notes,
        history_start_note,
        inactive_reps_note,
        lead_note,
        potential_note,
        prior_year_note,
        recut_note,
        revenue_source_note,
        undated_closed_note,
    )
    from terraplan.services.kpi_target_notes import target_coverage_note, target_owner_note
    from terraplan.services.monitoring import plan_kpis

    fiscal = fiscal_calendar(request)
    data, frame = plan_kpis(
        db,
        plan_id,
        periods=[period],
        dimensions=[by],
        cache=request.app.state.monitoring_cache,
        fiscal=fiscal,
        as_of=as_of,
        inactive_months=inactive_months,
    )
    spans = frame.select("period", "period_start", "period_end", "grain").unique()
    titles = {
        label: Period(start, end, label, grain).title
        for label, start, end, grain in spans.iter_rows()
    }
    names = group_names(data, by)
    rows: list[dict[str, Any]] = [
        {
            **{
                k: (v.isoformat() if isinstance(v, date) else shown_value(v))
                for k, v in row.items()
            },
            # what people call the group; the key stays for joins (as in the CLI's files)
            **({"name": names.get(str(row["key"]), str(row["key"]))} if names else {}),
        }
        for row in whole_counts(frame.sort("key")).iter_rows(named=True)
        if scope is None or scope.shows(by, str(row["key"]))
    ]
    return KpiTablePublic(
        plan_id=plan_id,
        dimension=by,
        period=period,
        as_of=data.as_of,
        alignment_source=data.alignment_source,
        rows=rows,
        notes=[
            *future_facts_note(data),
            *revenue_source_note(data),
            *undated_closed_note(data),
            *credits_note(data),
            *crediting_notes(data.crediting_note if by == "rep" else None, scope),
            # about the whole plan (its other territories, shared ones): planners only
            *(grouping_notes(data, by, frame["key"].unique().to_list()) if scope is None else []),
            *(_scoped_region_note(data, rows) if scope is not None and by == "region" else []),
            # counts of the company's unplaced leads: planners only (the segment note has none)
            *(lead_note(data, by, frame) if scope is None or by == "segment" else []),
            *prior_year_note(data, frame),
            *history_start_note(data, frame, inactive_months=inactive_months),
            # counts of the company's accounts: planners only
            *(potential_note(data, frame) if scope is None else []),
            *target_coverage_note(data, frame),
            # a rep does not see the archived plan it was made from (access: past plans)
            *recut_note(data, by, frame, source_shown=scope is None or scope.region is not None),
            *(target_owner_note(data, frame) if by == "rep" and scope is None else []),
            *(inactive_reps_note(data, frame) if by == "rep" else []),
        ],
        period_titles=titles,
        fiscal_year_start=fiscal.start_month,
    )
