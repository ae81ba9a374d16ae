"""Read access to accounts and reps, paginated, narrowed to what the caller may see."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import UowDep
from terraplan.api.query import known_query_parameters
from terraplan.api.schemas import AccountPublic, Page, RepPublic
from terraplan.domain.access import Action, require_visible
from terraplan.errors import NotFoundError
from terraplan.services.access import rep_resource, visible_rep_ids
from terraplan.services.account_reach import (
    accounts_in_read_territories,
    require_account_readable,
)
from terraplan.storage.mappers import to_record

router = APIRouter(
    tags=["records"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The role or the token's scopes do not allow reading"},
    },
)

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=2**31)]


def _not_found(kind: str, record_id: str) -> NotFoundError:
    # The same error as for an id that does not exist, so that ids of others don't leak.
    return NotFoundError(
        f"no {kind[:-1]} with id {record_id!r}", details={"kind": kind, "id": record_id}
    )


@router.get(
    "/accounts", operation_id="list_accounts", dependencies=[Depends(known_query_parameters)]
)
def list_accounts(
    principal: CurrentPrincipal,
    uow: UowDep,
    limit: Limit = 100,
    offset: Offset = 0,
    owner_id: str | None = None,
    status: Annotated[
        Literal["open", "closed", "all"],
        Query(description="open (default): accounts not closed; closed; or all"),
    ] = "open",
) -> Page[AccountPublic]:
    """Accounts: all for planners and admins, their region's for managers, their own for reps
    (and, for both, the accounts a plan they may read places in a territory of theirs)."""
    authorize(principal, Action.READ)
    where: dict[str, Any] = {"owner_id": owner_id} if owner_id else {}
    if status == "open":
        where["closed_on"] = None
    visible = visible_rep_ids(uow, principal.user)
    any_of: dict[str, Any] | None = None if visible is None else {"owner_id": visible}
    # and the accounts of their territories, as the plans' maps show them
    placed = (
        frozenset()
        if visible is None
        else accounts_in_read_territories(uow, principal, except_owners=visible)
    )
    closed = ("closed_on",) if status == "closed" else ()
    items = uow.accounts.list(
        limit=limit, offset=offset, where=where, any_of=any_of, not_null=closed, or_ids=placed
    )
    total = uow.accounts.count(where, any_of, not_null=closed, or_ids=placed)
    return Page[AccountPublic](
        items=[AccountPublic.model_validate(to_record(a)) for a in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/accounts/{account_id}", operation_id="get_account", responses={404: {}})
def get_account(principal: CurrentPrincipal, uow: UowDep, account_id: str) -> AccountPublic:
    account = uow.accounts.get(account_id)
    require_account_readable(uow, principal, account.id, account.owner_id)
    return AccountPublic.model_validate(to_record(account))


@router.get("/reps", operation_id="list_reps", dependencies=[Depends(known_query_parameters)])
def list_reps(
    principal: CurrentPrincipal, uow: UowDep, limit: Limit = 100, offset: Offset = 0
) -> Page[RepPublic]:
    """Reps: all for planners and admins, their region's for managers, themselves for reps."""
    authorize(principal, Action.READ)
    visible = visible_rep_ids(uow, principal.user)
    any_of: dict[str, Any] | None = None if visible is None else {"id": visible}
    items = uow.reps.list(limit=limit, offset=offset, any_of=any_of)
    return Page[RepPublic](
        items=[RepPublic.model_validate(to_record(r)) for r in items],
        total=uow.reps.count(any_of=any_of),
        limit=limit,
        offset=offset,
    )


@router.get("/reps/{rep_id}", operation_id="get_rep", responses={404: {}})
def get_rep(principal: CurrentPrincipal, uow: UowDep, rep_id: str) -> RepPublic:
    rep = uow.reps.get(rep_id)
    require_visible(
        principal.user,
        rep_resource(rep.id, rep.region),
        _not_found("reps", rep_id),
        scopes=principal.scopes,
    )
    return RepPublic.model_validate(to_record(rep))
