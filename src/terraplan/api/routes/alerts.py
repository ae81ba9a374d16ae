"""Alerts of a plan and of the active plan, as the CLI computes them; managers and reps get
those about their territories and reps (the caller's scope and the query checks are the KPI
routes', :mod:`terraplan.api.routes.monitoring`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from terraplan.api.auth import CALLER_SECURITY, Caller, CurrentCaller
from terraplan.api.monitoring_params import (
    CACHED_READ,
    MONITORING_RESPONSES,
    PERIOD_PATTERN,
    CallerScope,
    MarketScopeQuery,
    active_plan_id,
    check_period,
    fiscal_calendar,
    scope_key,
    visible_scope,
)
from terraplan.api.response_cache import plan_data_version, serve_cached
from terraplan.api.schemas import Figure
from terraplan.storage.database import Database

router = APIRouter(tags=["monitoring"], responses=MONITORING_RESPONSES)


class AlertPublic(BaseModel):
    kind: str
    severity: str
    subject_kind: str = Field(description="territory, rep or account")
    subject_id: str
    subject: str = Field(
        description="The subject's name, looked up by its kind (a territory's, a rep's or an "
        "account's name, as the CLI shows it); its id when it has no name"
    )
    metric: str
    value: Figure | None = Field(description="The figure alerted on (a count as an integer)")
    threshold: Figure | None
    reason: str


class AlertsPublic(BaseModel):
    plan_id: str
    period: str
    #: ``FY2027 Q1 (Feb–Apr 2026)``: the period with its months.
    period_title: str = ""
    as_of: date
    alerts: list[AlertPublic]
    realignment_recommended: bool
    realignment_reasons: list[str]
    realignment_territories: list[str]
    realignment_territory_names: list[str] = Field(
        default=[], description="The realignment_territories' names, in the same order"
    )
    notes: list[str] = Field(
        default=[],
        description="Checks that could not run, said plainly, as `terraplan alerts` prints "
        "them: balance metrics not checked (a geo unit's own figure, one no account carries) "
        "and reps whose capacity is unknown, with their load",
    )


_AlertPeriod = Annotated[
    str | None,
    Query(
        description="As for the KPIs; default the current (fiscal) quarter",
        json_schema_extra={"pattern": PERIOD_PATTERN},
    ),
]


@router.get(
    "/plans/{plan_id}/alerts",
    operation_id="get_plan_alerts",
    response_model=AlertsPublic,
    responses=CACHED_READ,
    openapi_extra=CALLER_SECURITY,
)
async def plan_alerts_route(
    request: Request,
    caller: CurrentCaller,
    plan_id: str,
    period: _AlertPeriod = None,
) -> Response:
    """Alerts of the plan; managers and reps get those about their territories and reps (the
    realignment reasons, which name every territory concerned, only go to planners).

    Cached and revalidated like the KPI table (ETag, 304)."""
    check_period(period, fiscal_calendar(request))
    return await run_in_threadpool(
        _alerts_response, request, caller, caller.database, plan_id, None, period
    )


@router.get(
    "/active-plan/alerts",
    operation_id="get_active_plan_alerts",
    response_model=AlertsPublic,
    responses=CACHED_READ,
    openapi_extra=CALLER_SECURITY,
)
async def active_plan_alerts_route(
    request: Request,
    caller: CurrentCaller,
    scope: MarketScopeQuery = None,
    period: _AlertPeriod = None,
) -> Response:
    """Alerts of the active plan of a part of the market (``scope``), as
    ``/plans/{plan_id}/alerts`` gives them; the body names the plan."""
    check_period(period, fiscal_calendar(request))
    return await run_in_threadpool(
        _alerts_response, request, caller, caller.database, None, scope, period
    )


def _alerts_response(
    request: Request,
    caller: Caller,
    db: Database,
    plan_id: str | None,
    market: str | None,
    period: str | None,
) -> Response:
    principal = caller.principal()
    asked = plan_id is not None
    plan_id = plan_id or active_plan_id(db, market)
    version = plan_data_version(request, db, plan_id)
    scope = visible_scope(request, db, principal, plan_id, version, asked=asked)
    key = ("alerts", plan_id, period, scope_key(scope), version) if version else None
    return serve_cached(request, key, lambda: _alerts(request, db, plan_id, period, scope))


def _alerts(
    request: Request, db: Database, plan_id: str, period: str | None, scope: CallerScope | None
) -> AlertsPublic:
    from terraplan.planning.kpi_periods import period_title
    from terraplan.services.monitoring import alert_notes, alert_records, plan_alerts

    fiscal = fiscal_calendar(request)
    data, report = plan_alerts(
        db, plan_id, period=period, cache=request.app.state.monitoring_cache, fiscal=fiscal
    )
    realign = report.realignment
    territories = [
        (t, name)
        for t, name in zip(realign.territories, realign.territory_names, strict=True)
        if scope is None or t in scope.territories
    ]
    return AlertsPublic(
        plan_id=plan_id,
        period=report.period,
        period_title=period_title(report.period, as_of=report.as_of, fiscal=fiscal),
        as_of=report.as_of,
        alerts=[
            AlertPublic(**a)
            for a in alert_records(data, report.alerts)
            if scope is None or scope.shows(a["subject_kind"], a["subject_id"])
        ],
        realignment_recommended=realign.recommended,
        realignment_reasons=list(realign.reasons) if scope is None else [],
        realignment_territories=[t for t, _ in territories],
        realignment_territory_names=[name for _, name in territories],
        notes=alert_notes(report, reps=None if scope is None else scope.reps),
    )
