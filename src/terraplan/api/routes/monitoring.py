"""KPIs, KPI definitions and alerts of a plan, as the CLI computes them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from terraplan.api.deps import DatabaseDep
from terraplan.errors import InvalidParameterError

router = APIRouter(tags=["monitoring"])

DIMENSIONS = ("territory", "region", "rep", "segment", "industry")


class KpiDefinitionPublic(BaseModel):
    name: str
    label: str
    unit: str
    higher_is_better: bool | None
    definition: str


class KpiTablePublic(BaseModel):
    plan_id: str
    dimension: str
    period: str
    as_of: date | None
    alignment_source: str
    rows: list[dict[str, Any]]


class AlertPublic(BaseModel):
    kind: str
    severity: str
    subject_kind: str
    subject_id: str
    metric: str
    value: float | None
    threshold: float | None
    reason: str


class AlertsPublic(BaseModel):
    plan_id: str
    period: str
    as_of: date
    alerts: list[AlertPublic]
    realignment_recommended: bool
    realignment_reasons: list[str]
    realignment_territories: list[str]


@router.get("/kpis/definitions", operation_id="list_kpi_definitions")
def kpi_definitions() -> list[KpiDefinitionPublic]:
    """The KPI registry: name, unit, direction and definition of every KPI."""
    from terraplan.planning.kpi_registry import KPIS

    return [KpiDefinitionPublic(**asdict(k)) for k in KPIS]


@router.get("/plans/{plan_id}/kpis", operation_id="get_plan_kpis")
def plan_kpis_route(
    db: DatabaseDep,
    plan_id: str,
    by: Annotated[
        str, Query(description="territory, region, rep, segment or industry")
    ] = "territory",
    period: Annotated[
        str, Query(description="2026Q3, 2026-07, 2026, YTD, month, quarter or year")
    ] = "YTD",
) -> KpiTablePublic:
    from terraplan.services.monitoring import plan_kpis

    if by not in DIMENSIONS:
        raise InvalidParameterError(
            f"by must be one of {', '.join(DIMENSIONS)}", details={"field": "by", "value": by}
        )
    data, frame = plan_kpis(db, plan_id, periods=[period], dimensions=[by])
    rows = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
        for row in frame.sort("key").iter_rows(named=True)
    ]
    return KpiTablePublic(
        plan_id=plan_id,
        dimension=by,
        period=period,
        as_of=data.as_of,
        alignment_source=data.alignment_source,
        rows=rows,
    )


@router.get("/plans/{plan_id}/alerts", operation_id="get_plan_alerts")
def plan_alerts_route(db: DatabaseDep, plan_id: str, period: str | None = None) -> AlertsPublic:
    from terraplan.services.monitoring import plan_alerts

    _, report = plan_alerts(db, plan_id, period=period)
    return AlertsPublic(
        plan_id=plan_id,
        period=report.period,
        as_of=report.as_of,
        alerts=[AlertPublic(**asdict(a)) for a in report.alerts],
        realignment_recommended=report.realignment.recommended,
        realignment_reasons=list(report.realignment.reasons),
        realignment_territories=list(report.realignment.territories),
    )
