"""History: the audit log (who changed what and when) and an account's owners over time."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.query import known_query_parameters
from terraplan.api.routes.scenarios import PLAN_RESPONSES, aware
from terraplan.api.schemas import TOTAL_HEADER, IsoDay, Timestamp
from terraplan.domain.access import Action, sees_everything
from terraplan.errors import PermissionDeniedError
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(tags=["scenarios"], responses=PLAN_RESPONSES)


class AuditEntryPublic(BaseModel):
    id: int
    at: Timestamp
    actor: str | None
    action: str
    object_kind: str
    object_id: str | None
    plan_id: str | None
    # snapshots of whatever the action touched: their keys depend on the action
    before: dict[str, Any] | None = Field(
        description="What the action changed, as it was (its fields depend on the action: "
        "a plan's status, a territory's units, owners...); null when the action records none"
    )
    after: dict[str, Any] | None = Field(
        description="The same after the action; null when the action records none"
    )
    action_text: str = Field(description='The action in words ("change request")')
    summary: str = Field(
        description='What happened, in words with names ("unpinned Pine Construction Group", '
        '"locked Banks County, GA", "change request: move Adams County, CO to Territory 06")'
    )


@router.get("/audit", operation_id="list_audit_log", dependencies=[Depends(known_query_parameters)])
def audit_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    response: Response,
    plan_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 500,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    order: Annotated[
        Literal["oldest", "newest"], Query(description="oldest first (default) or newest first")
    ] = "oldest",
) -> list[AuditEntryPublic]:
    """Who changed what and when (planners and admins)."""
    from terraplan.services.feedback import audit_count, audit_log

    if not sees_everything(principal.user):
        raise PermissionDeniedError(
            f"{principal.user.username} may not read the audit log: it is for planners and admins",
            details={"action": "read_audit_log", "role": principal.user.role.value},
        )
    authorize(principal, Action.EDIT_PLAN)
    entries = audit_log(
        db,
        plan_id=plan_id,
        actor=actor,
        action=action,
        limit=limit,
        offset=offset,
        newest_first=order == "newest",
    )
    response.headers[TOTAL_HEADER] = str(
        audit_count(db, plan_id=plan_id, actor=actor, action=action)
    )
    from terraplan.services.audit_summary import action_words, audit_summaries

    summaries = audit_summaries(db, entries)
    return [
        AuditEntryPublic(
            **{
                **{name: getattr(e, name) for name in e.__slots__},
                "at": aware(e.at),
                "action_text": action_words(e.action),
                "summary": said,
            }
        )
        for e, said in zip(entries, summaries, strict=True)
    ]


class OwnershipPeriodPublic(BaseModel):
    territory_id: str | None
    territory_name: str | None
    owner_id: str | None
    owner_name: str | None
    plan_id: str
    valid_from: date
    valid_to: date | None


@router.get("/accounts/{account_id}/owners", operation_id="get_account_owners")
def account_owners_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    account_id: str,
    on: Annotated[IsoDay | None, Query(description="Only the period covering this day")] = None,
) -> list[OwnershipPeriodPublic]:
    """Who owned the account, in which territory, from which day (recorded at activations)."""
    from terraplan.services.account_reach import require_account_readable
    from terraplan.services.ownership_periods import ownership_history

    with UnitOfWork(db) as uow:
        account = uow.accounts.get(account_id)
        require_account_readable(uow, principal, account.id, account.owner_id)
    periods, names = ownership_history(db, account_id, day=on)
    return [
        OwnershipPeriodPublic(
            territory_id=p.territory_id,
            territory_name=p.territory_name,
            owner_id=p.owner_id,
            owner_name=names.get(p.owner_id or ""),
            plan_id=p.plan_id,
            valid_from=p.valid_from,
            valid_to=p.valid_to,
        )
        for p in periods
    ]
