"""Plans: list, read, and move through their status workflow.

Managers and reps see the plans they have a territory in, with only those territories.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StrictInt

from terraplan.api.auth import (
    CALLER_SECURITY,
    Caller,
    CurrentCaller,
    CurrentPrincipal,
    authorize,
    visible_plan,
)
from terraplan.api.deps import DatabaseDep, UowDep
from terraplan.api.query import known_query_parameters
from terraplan.api.response_cache import (
    caller_key,
    plan_data_version,
    response_cache,
    serve_cached,
)
from terraplan.api.routes.scenarios import deciding_resource
from terraplan.api.schemas import (
    IsoDay,
    PlanPublic,
    PlanSummaryPublic,
    TerritoryOwnerPublic,
    TerritoryPublic,
)
from terraplan.domain import Plan, PlanStatus
from terraplan.domain.access import Action, sees_everything, status_action
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.services.access import (
    approval_resource,
    plan_resource,
)
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/plans",
    tags=["plans"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The role, region or the token's scopes do not allow it"},
    },
)


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
        updated_by=plan.updated_by,
        updated_at=plan.updated_at,
        scope=plan.scope,
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


@router.get("", operation_id="list_plans", dependencies=[Depends(known_query_parameters)])
def list_plans(principal: CurrentPrincipal, uow: UowDep) -> list[PlanSummaryPublic]:
    authorize(principal, Action.READ)
    result = []
    for row in uow.plans.list():
        try:
            plan = visible_plan(uow, principal, uow.plans.get(row.id))
        except NotFoundError:
            continue
        result.append(
            PlanSummaryPublic(
                id=plan.id,
                name=plan.name,
                version=plan.version,
                status=plan.status.value,
                territories=len(plan.territories),
                aligned_records=len(plan.alignment),
                scope=plan.scope,
            )
        )
    return result


@router.get(
    "/{plan_id}",
    operation_id="get_plan",
    response_model=PlanPublic,
    openapi_extra=CALLER_SECURITY,
    responses={
        404: {},
        304: {"description": "Not modified: the If-None-Match header names the current ETag"},
    },
)
async def get_plan(request: Request, caller: CurrentCaller, plan_id: str) -> Response:
    """The plan with its territories (managers and reps: theirs only).

    Served from a per-process cache of the serialised body while the plan's data is unchanged
    (see :mod:`terraplan.api.response_cache`); the ETag lets a client revalidate for a 304."""
    return await run_in_threadpool(_plan_response, request, caller, caller.database, plan_id)


def _plan_response(request: Request, caller: Caller, db: Database, plan_id: str) -> Response:
    principal = caller.principal()
    if sees_everything(principal.user):
        authorize(principal, Action.READ)
        version = plan_data_version(request, db, plan_id)
        key: Hashable = ("plan", plan_id, "all", version) if version else None

        def build() -> PlanPublic:
            with UnitOfWork(db) as uow:
                return _public(uow.plans.get(plan_id))

        return serve_cached(request, key, build)
    # Managers and reps: which territories they see is worked out from the stored plan once
    # per caller and data version; the body is cached per set of territories shown.
    version = plan_data_version(request, db, plan_id)

    def visible() -> Plan:
        with UnitOfWork(db) as uow:
            return visible_plan(uow, principal, uow.plans.get(plan_id))

    if version is None:
        return serve_cached(request, None, lambda: _public(visible()))
    shown: frozenset[str] = response_cache(request).remember(
        ("shown territories", plan_id, version, caller_key(principal)),
        lambda: frozenset(t.id for t in visible().territories),
    )
    return serve_cached(request, ("plan", plan_id, shown, version), lambda: _public(visible()))


class PlanStatusUpdate(BaseModel):
    status: PlanStatus
    version: StrictInt = Field(
        ge=1, le=2**31 - 1, description="The plan version the change is made on"
    )
    effective_from: IsoDay | None = Field(
        default=None, description="The first day of an activation (to active only)"
    )
    reason: str | None = Field(
        default=None,
        max_length=2_000,
        description="Why a plan in review or approved goes back to draft (required then)",
    )


@router.post("/{plan_id}/status", operation_id="update_plan_status", responses={404: {}, 409: {}})
def update_plan_status(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: PlanStatusUpdate
) -> PlanPublic:
    """Move a plan through draft -> in_review -> approved -> active -> archived (409 if not
    allowed or stale). Planners may take every step; a manager may approve a plan in review, or
    send it back to draft, when all of its territories are in their region. The signed-in user
    is recorded as the one who made the change (and in the audit log). Activation archives the
    previous active plan and is refused for a plan without rules or with accounts in no
    territory (``effective_from``: the first day, default today)."""
    from terraplan.services.plan_lifecycle import change_status

    if body.effective_from is not None and body.status is not PlanStatus.ACTIVE:
        # Only an activation has a first day: say so rather than drop the date.
        raise InvalidParameterError(
            f"effective_from applies to activation only (status active), not to a move to "
            f"{body.status.value}: leave it out",
            details={"field": "effective_from", "status": body.status.value},
        )
    with UnitOfWork(db) as uow:
        stored = uow.plans.get(plan_id)
        visible = visible_plan(uow, principal, stored)
        if stored.status is body.status:
            # a second click on Approve (or a colleague's approval first) is no step at all:
            # said as such to whoever sees the plan, not as a right the caller lacks
            raise _already(stored)
        resource, _ = plan_resource(uow, stored)
        action = status_action(stored.status, body.status)
        resource = deciding_resource(uow, stored, resource, action)
    if body.status is PlanStatus.APPROVED and not sees_everything(principal.user):
        # an approval takes the accounts its activation would place: their regions count
        # (sending a plan back to draft takes nothing)
        resource = approval_resource(db, stored, resource)
    authorize(principal, action, resource)
    saved = change_status(
        db,
        plan_id,
        body.status,
        version=body.version,
        by=principal.user.username,
        effective_from=body.effective_from,
        reason=body.reason,
    )
    if visible is stored:
        return _public(saved)
    with UnitOfWork(db) as uow:
        return _public(visible_plan(uow, principal, saved))


def _already(plan: Plan) -> ConflictError:
    """The 409 for a status step to the status the plan has: who set it and when."""
    status = plan.status.value.replace("_", " ")
    who = f" by {plan.updated_by}" if plan.updated_by else ""
    when = f" on {plan.updated_at:%Y-%m-%d %H:%M} UTC" if plan.updated_at else ""
    return ConflictError(
        f"{plan.name} ({plan.id}) is already {status}{who}{when}: nothing to do",
        details={
            "plan_id": plan.id,
            "from": plan.status.value,
            "to": plan.status.value,
            "updated_by": plan.updated_by,
        },
    )
