"""Dashboard figures the KPI table does not hold: each territory's balance against the plan's
own tolerance band (the criteria stored by its design, else the defaults)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.schemas import Figure
from terraplan.domain.access import Action, require_visible, sees_everything
from terraplan.errors import NotFoundError
from terraplan.services.access import plan_resource, visible_territories
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(
    tags=["monitoring"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The token's scopes do not allow it"},
        404: {"description": "No such plan (or not visible to you)"},
    },
)


class BalanceRowPublic(BaseModel):
    """One territory's total of one metric against its target (potential and annual_revenue
    in the plan currency, workload in hours, account_count in accounts, employees in
    people)."""

    model_config = ConfigDict(extra="forbid")
    territory_id: str
    metric: str = Field(
        description="potential, workload, account_count, or the account sum the plan's "
        "design balanced (annual_revenue, employees, a numeric account attribute), by the "
        "name given to the design"
    )
    value: Figure = Field(description="The territory's total of the metric")
    mean: Figure = Field(description="Its target: the mean over the checked territories")
    tolerance: Figure = Field(description="0.1 = ±10 %")
    deviation: Figure | None = Field(description="value / mean - 1; null when the mean is 0")
    lower: Figure = Field(description="mean x (1 - tolerance)")
    upper: Figure = Field(description="mean x (1 + tolerance)")
    within_tolerance: bool
    territory: str = Field(description="The territory's name")


class BalancePublic(BaseModel):
    plan_id: str
    source: str = Field(description="Where the tolerance band comes from")
    tolerances: dict[str, float] = Field(description="metric -> tolerance (0.1 = ±10 %)")
    rows: list[BalanceRowPublic] = Field(
        description="Each territory's balance metrics, by territory id then metric"
    )
    skipped: dict[str, str] = Field(
        default={},
        description="Territories left out of the rows -> why (e.g. given to one oversize "
        "unit alone by the design), as `terraplan kpis --balance` says",
    )
    notes: list[str] = Field(
        default=[],
        description="What the rows leave out or count as 0, as `terraplan kpis --balance` "
        "says it (a design metric that is no account sum, such as population; a metric no "
        "account carries)",
    )


@router.get("/plans/{plan_id}/balance", operation_id="get_plan_balance")
def plan_balance_route(
    request: Request, principal: CurrentPrincipal, db: DatabaseDep, plan_id: str
) -> BalancePublic:
    """Each territory's balance metrics against the plan's tolerance band; managers and reps
    get the rows of the territories they see."""
    from terraplan.planning.kpi_balance import territory_balance
    from terraplan.services.monitoring_data import PlanData

    shown: set[str] | None = None
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if sees_everything(principal.user):
            authorize(principal, Action.READ)
        else:
            resource, territories = plan_resource(uow, plan)
            require_visible(
                principal.user,
                resource,
                NotFoundError(
                    f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}
                ),
                scopes=principal.scopes,
            )
            shown = visible_territories(principal, territories)
    names = {t.id: t.name for t in plan.territories}

    def compute(data: PlanData) -> tuple[Any, Any]:
        criteria = data.balance_criteria()
        return criteria, territory_balance(data.inputs, criteria=criteria)

    cache = request.app.state.monitoring_cache
    _, (criteria, frame) = cache.memo(db, plan_id, ("dashboard_balance",), compute)
    rows = [
        BalanceRowPublic(**row, territory=names.get(row["territory_id"], row["territory_id"]))
        for row in frame.sort("territory_id", "metric").iter_rows(named=True)
        if shown is None or row["territory_id"] in shown
    ]
    return BalancePublic(
        plan_id=plan_id,
        source=criteria.source,
        tolerances=dict(criteria.tolerances),
        rows=rows,
        skipped={
            territory: why
            for territory, why in sorted(criteria.skipped.items())
            if shown is None or territory in shown
        },
        notes=list(criteria.notes),
    )
