"""Read access to accounts and reps, paginated."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from terraplan.api.deps import UowDep
from terraplan.api.schemas import AccountPublic, Page, RepPublic
from terraplan.storage.mappers import to_record

router = APIRouter(tags=["records"])

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/accounts", operation_id="list_accounts")
def list_accounts(
    uow: UowDep, limit: Limit = 100, offset: Offset = 0, owner_id: str | None = None
) -> Page[AccountPublic]:
    where = {"owner_id": owner_id} if owner_id else None
    items = uow.accounts.list(limit=limit, offset=offset, where=where)
    total = uow.accounts.count(where)
    return Page[AccountPublic](
        items=[AccountPublic.model_validate(to_record(a)) for a in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/accounts/{account_id}", operation_id="get_account")
def get_account(uow: UowDep, account_id: str) -> AccountPublic:
    return AccountPublic.model_validate(to_record(uow.accounts.get(account_id)))


@router.get("/reps", operation_id="list_reps")
def list_reps(uow: UowDep, limit: Limit = 100, offset: Offset = 0) -> Page[RepPublic]:
    items = uow.reps.list(limit=limit, offset=offset)
    return Page[RepPublic](
        items=[RepPublic.model_validate(to_record(r)) for r in items],
        total=uow.reps.count(),
        limit=limit,
        offset=offset,
    )


@router.get("/reps/{rep_id}", operation_id="get_rep")
def get_rep(uow: UowDep, rep_id: str) -> RepPublic:
    return RepPublic.model_validate(to_record(uow.reps.get(rep_id)))
