"""Feedback on a plan: comments, change requests and their decisions, and the actions a
caller may take (so that a client offers only those)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.documented import Documented
from terraplan.api.routes.scenarios import (
    PLAN_RESPONSES,
    WORKFLOW_ACTIONS,
    EditObject,
    aware,
    check_plan,
    deciding_resource,
)
from terraplan.api.schemas import Timestamp
from terraplan.domain.access import Action, require_visible, sees_everything
from terraplan.errors import NotFoundError
from terraplan.services.access import Principal, plan_resource
from terraplan.services.feedback import TARGETS, Concerns, Shown
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(tags=["scenarios"], responses=PLAN_RESPONSES)


class CommentCreate(BaseModel):
    # a misspelt field is refused, not ignored: `territory_id` or `text` made a note meant
    # for one territory a comment on the whole plan, read by every rep who sees it
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=10_000)
    target_kind: str = Field(
        default="plan",
        description="plan, territory, move, unit, account",
        json_schema_extra={"enum": list(TARGETS)},
    )
    target_id: str | None = Field(
        default=None, max_length=100, description="What it is about (none for the plan)"
    )
    proposed_edit: EditObject | None = Field(
        default=None, description="Makes it a change request a planner can accept as is"
    )


class CommentPublic(BaseModel):
    id: int
    plan_id: str
    target_kind: str
    target_id: str | None
    kind: str
    body: str
    author: str | None
    created_at: Timestamp
    status: str | None
    # sent as stored: documented as the edit CommentCreate takes
    proposed_edit: Annotated[dict[str, Any] | None, Documented(EditObject | None)] = Field(
        description="The edit a change request proposes (as CommentCreate.proposed_edit); "
        "null for a comment"
    )
    resolved_by: str | None
    resolved_at: Timestamp | None
    resolution: str | None


def _comment(c: Any) -> CommentPublic:
    return CommentPublic(
        **{
            **{name: getattr(c, name) for name in c.__slots__},
            "created_at": aware(c.created_at),
            "resolved_at": aware(c.resolved_at),
        }
    )


def _shown(
    db: Database, principal: Principal, plan_id: str, *, posting: bool = False
) -> Shown | None:
    """For a caller who sees part of the plan: does a comment concern only territories and
    accounts they see? (None for planners and admins, who see everything.) A unit aligned
    to no territory may be written about (a request to take it in), not read about in
    others' comments. Posting, a caller may also name a territory across their border and
    its units on the border (a request to take a unit in or give one away), as long as the
    request also concerns a territory of theirs."""
    from terraplan.services.access import (
        account_resource,
        visible_rep_ids,
        visible_territories,
    )
    from terraplan.services.account_reach import accounts_in_read_territories
    from terraplan.services.neighbour_ring import border_ring

    if sees_everything(principal.user):
        return None
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        _, territories = plan_resource(uow, plan)
        visible = visible_territories(principal, territories)
        ring = border_ring(uow, plan, visible) if posting else {}
    across = set(ring.values())
    accounts: dict[str, bool] = {}
    placed: list[frozenset[str]] = []

    def account_seen(account_id: str) -> bool:
        if account_id not in accounts:
            with UnitOfWork(db) as uow:
                found = uow.accounts.list(any_of={"id": [account_id]})
                seen = bool(found) and principal.can(
                    Action.READ, account_resource(uow, found[0].id, found[0].owner_id)
                )
                if found and not seen:
                    # an account of a territory of theirs, as the map shows it
                    if not placed:
                        placed.append(accounts_in_read_territories(uow, principal))
                    seen = account_id in placed[0]
                accounts[account_id] = seen
        return accounts[account_id]

    seen_reps: set[str] | None = None

    def reps_seen(reps: frozenset[str]) -> bool:
        nonlocal seen_reps
        if not reps:
            return True
        if seen_reps is None:
            with UnitOfWork(db) as uow:
                seen_reps = set(visible_rep_ids(uow, principal.user) or ())
        return reps <= seen_reps

    def territories_seen(concerned: Concerns) -> bool:
        if concerned.territories <= visible:
            return True
        # a border request: moves only (a rename or new owners of the neighbour's territory
        # is not the caller's to ask), each from or to one of the caller's territories, the
        # others across the border, and of those only their bordering units
        return (
            bool(concerned.ops)
            and concerned.ops <= {"move_units", "batch"}
            and bool(concerned.territories & visible)
            and concerned.territories <= visible | across
            and all(t in visible or ring.get(u) == t for u, t in concerned.units)
            and all(a in visible or b in visible for a, b in concerned.moves)
        )

    def shown(concerned: Concerns) -> bool:
        return (
            (posting or not concerned.unplaced)
            and territories_seen(concerned)
            and all(map(account_seen, concerned.accounts))
            and reps_seen(concerned.reps)
        )

    return shown


@router.get("/plans/{plan_id}/comments", operation_id="list_plan_comments")
def list_comments_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str
) -> list[CommentPublic]:
    """Comments on the plan, and on the territories and accounts the caller sees."""
    from terraplan.services.feedback import list_comments

    check_plan(db, principal, plan_id, Action.READ)
    shown = _shown(db, principal, plan_id)
    mine = principal.user.username
    return [_comment(c) for c in list_comments(db, plan_id, shown=shown, author=mine)]


@router.post(
    "/plans/{plan_id}/comments",
    operation_id="add_plan_comment",
    status_code=201,
    responses={429: {"description": "100 comments on this plan in the last hour: wait"}},
)
def add_comment_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: CommentCreate
) -> CommentPublic:
    """A comment, or a change request when ``proposed_edit`` is given."""
    from terraplan.services.feedback import add_comment

    action = Action.REQUEST_CHANGE if body.proposed_edit is not None else Action.COMMENT
    check_plan(db, principal, plan_id, action)
    return _comment(
        add_comment(
            db,
            plan_id,
            body.body,
            author=principal.user.username,
            target_kind=body.target_kind,
            target_id=body.target_id,
            proposed_edit=body.proposed_edit,
            shown=_shown(db, principal, plan_id, posting=True),
        )
    )


#: The actions on a plan the UI offers (or hides) by what the policy says.
PLAN_ACTIONS = (
    Action.COMMENT,
    Action.REQUEST_CHANGE,
    Action.EDIT_PLAN,
    Action.SUBMIT_PLAN,
    Action.APPROVE_PLAN,
    Action.ACTIVATE_PLAN,
)


class PlanPermissionsPublic(BaseModel):
    actions: list[str] = Field(
        description="What the caller may do on this plan by their role and scope "
        "(its status may still refuse a step, with 409)"
    )


@router.get("/plans/{plan_id}/permissions", operation_id="get_plan_permissions")
def plan_permissions_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str
) -> PlanPermissionsPublic:
    """The plan actions the caller may take (e.g. a manager approves only a plan wholly in
    their region), so that a client offers only those."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        resource, _ = plan_resource(uow, plan)
        # the workflow steps share one answer (the plan's reach): asked once
        reach = deciding_resource(uow, plan, resource, Action.APPROVE_PLAN)
        deciding = {
            a: reach if a in WORKFLOW_ACTIONS else deciding_resource(uow, plan, resource, a)
            for a in PLAN_ACTIONS
        }
    require_visible(
        principal.user,
        resource,
        NotFoundError(f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}),
        scopes=principal.scopes,
    )
    # Each action decided on what the route taking it decides on (``deciding_resource``).
    # Cheap on purpose (every plan page asks): a manager's approval is checked in full, on
    # the accounts the plan's activation would take, when it is sent.
    actions = [a for a in PLAN_ACTIONS if principal.can(a, deciding[a])]
    return PlanPermissionsPublic(actions=[a.value for a in actions])


class ChangeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not ignored

    accept: bool
    note: str | None = Field(default=None, max_length=2_000)


@router.post("/comments/{comment_id}/decision", operation_id="decide_change_request")
def decide_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    comment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: ChangeDecision,
) -> CommentPublic:
    """A planner accepts (the proposed edit is applied to the draft) or rejects a request."""
    from terraplan.services.feedback import resolve_change_request

    # Whoever may not decide at all is told so before any comment is looked up: the answer
    # then says nothing about which comments (and plans) exist.
    authorize(principal, Action.EDIT_PLAN)
    with UnitOfWork(db) as uow:
        plan_id = uow.comments.get(comment_id).plan_id
    check_plan(db, principal, plan_id, Action.EDIT_PLAN)
    return _comment(
        resolve_change_request(
            db, comment_id, accept=body.accept, by=principal.user.username, note=body.note
        )
    )
