"""Plans: list, read, and move through their status workflow."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter
from pydantic import BaseModel

from terraplan.api.deps import UowDep
from terraplan.api.schemas import (
    PlanPublic,
    PlanSummaryPublic,
    TerritoryOwnerPublic,
    TerritoryPublic,
)
from terraplan.domain import Plan, PlanStatus

router = APIRouter(prefix="/plans", tags=["plans"])


def _public(plan: Plan) -> PlanPublic:
    aligned = Counter(e.territory_id for e in plan.alignment)
    return PlanPublic(
        id=plan.id,
        name=plan.name,
        version=plan.version,
        status=plan.status.value,
        effective_from=plan.effective_from,
        effective_to=plan.effective_to,
        description=plan.description,
        based_on_plan_id=plan.based_on_plan_id,
        created_by=plan.created_by,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        territories=[
            TerritoryPublic(
                id=t.id,
                name=t.name,
                type=t.type.value,
                parent_id=t.parent_id,
                level=t.level,
                owners=[
                    TerritoryOwnerPublic(rep_id=o.rep_id, role=o.role.value, share=o.share)
                    for o in t.owners
                ],
                aligned_records=aligned.get(t.id, 0),
            )
            for t in plan.territories
        ],
    )


@router.get("", operation_id="list_plans")
def list_plans(uow: UowDep) -> list[PlanSummaryPublic]:
    result = []
    for row in uow.plans.list():
        plan = uow.plans.get(row.id)
        result.append(
            PlanSummaryPublic(
                id=plan.id,
                name=plan.name,
                version=plan.version,
                status=plan.status.value,
                territories=len(plan.territories),
                aligned_records=len(plan.alignment),
            )
        )
    return result


@router.get("/{plan_id}", operation_id="get_plan")
def get_plan(uow: UowDep, plan_id: str) -> PlanPublic:
    return _public(uow.plans.get(plan_id))


class PlanStatusUpdate(BaseModel):
    status: PlanStatus
    version: int
    by: str | None = None


@router.post("/{plan_id}/status", operation_id="update_plan_status")
def update_plan_status(uow: UowDep, plan_id: str, body: PlanStatusUpdate) -> PlanPublic:
    """Move a plan through draft -> in_review -> approved -> active -> archived (409 if not allowed or stale)."""
    from dataclasses import replace

    plan = uow.plans.get(plan_id)
    plan = replace(plan, version=body.version).transition(body.status, by=body.by)
    saved = uow.plans.save(plan)
    uow.commit()
    return _public(saved)
