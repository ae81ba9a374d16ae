"""Scenarios: create, copy, compare, edit (with undo/redo), activate, delete. Every route
asks the one access policy; comments live in :mod:`feedback`, the audit log and ownership
history in :mod:`history`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, WithJsonSchema, field_validator

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.schemas import IsoDay
from terraplan.api.schemas_scenarios import (
    EditResultPublic,
    PlanComparisonPublic,
    PlanRegionsPublic,
)
from terraplan.domain import Plan, TerritoryType
from terraplan.domain.access import Action, Resource, require_visible, sees_everything
from terraplan.domain.user import Role
from terraplan.errors import NotFoundError, PermissionDeniedError
from terraplan.planning.plan_edits import FIELDS as EDIT_FIELDS
from terraplan.services.access import Principal, plan_resource, regional_reach
from terraplan.services.plan_ids import ID_PATTERN
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: The answers every plan route may give besides its own (shared with the feedback and
#: history routes).
PLAN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "The role, region or the token's scopes do not allow it"},
    404: {"description": "No such plan (or not visible to you)"},
}

router = APIRouter(
    tags=["scenarios"],
    responses={
        **PLAN_RESPONSES,
        409: {"description": "Stale version, or a step the plan's status does not allow"},
    },
)


def aware(value: datetime | None) -> datetime | None:
    """Stored timestamps are naive UTC; the API says so."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


#: The steps of the status workflow: decided on the part of the market the plan reaches (a
#: plan of one region by that region's manager, see ``regional_reach``). Every other action
#: (comment, request a change, edit) is decided on the plan's own territories and owners.
WORKFLOW_ACTIONS = frozenset({Action.SUBMIT_PLAN, Action.APPROVE_PLAN, Action.ACTIVATE_PLAN})


def deciding_resource(uow: UnitOfWork, plan: Plan, resource: Resource, action: Action) -> Resource:
    """What ``action`` on ``plan`` (whose resource is ``resource``) is decided on: the one rule
    that the routes taking the action and ``GET /plans/{id}/permissions`` both ask."""
    if action in WORKFLOW_ACTIONS:
        return regional_reach(uow, plan, resource)
    return resource


def check_plan(db: Database, principal: Principal, plan_id: str, action: Action) -> None:
    """404 when the caller cannot see the plan, 403 when they see it but may not ``action``."""
    with UnitOfWork(db) as uow:
        if sees_everything(principal.user):
            uow.plans.version(plan_id)  # 404 when there is no such plan
            authorize(principal, action)
            return
        plan = uow.plans.get(plan_id)
        resource, _ = plan_resource(uow, plan)
        deciding = deciding_resource(uow, plan, resource, action)
    require_visible(
        principal.user,
        resource,
        NotFoundError(f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}),
        scopes=principal.scopes,
    )
    authorize(principal, action, deciding)


#: A user-given plan id, as the JSON schema's ``pattern`` (the check is ``check_id``'s, whose
#: message says what is allowed).
PLAN_ID_PATTERN = f"^{ID_PATTERN.pattern}$"

#: An edit (``POST /plans/{id}/edits``, a change request's ``proposed_edit``): an object with
#: an ``op``; its fields are checked by ``parse_edit``.
EditObject = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "required": ["op"],
            "properties": {"op": {"type": "string", "enum": [*EDIT_FIELDS, "batch"]}},
            "additionalProperties": True,
        }
    ),
]


ScopeField = Field(
    default=None,
    max_length=120,
    description='Part of the market the plan covers, e.g. "West" ("" or null: the whole market)',
)


class PlanCopyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not ignored

    plan_id: str | None = Field(
        default=None,
        max_length=100,
        description="Id of the copy",
        json_schema_extra={"pattern": PLAN_ID_PATTERN},
    )
    name: str | None = Field(default=None, max_length=255)
    scope: str | None = Field(
        default=None,
        max_length=120,
        description='Part of the market of the copy (default: the source\'s; "" = whole market)',
    )


class PlanRef(BaseModel):
    id: str
    name: str
    version: int
    status: str
    based_on_plan_id: str | None = None
    scope: str | None = None


class ActivationPublic(PlanRef):
    notes: list[str] = Field(
        default=[], description="Plain notes, e.g. a territory's owner is marked inactive"
    )
    accounts_placed: int | None = Field(
        default=None, description="Accounts the plan's rules placed at activation"
    )
    owner_changes: int | None = Field(
        default=None, description="Accounts whose owner the activation changed"
    )
    accounts_in_catch_all: int | None = Field(
        default=None, description="Accounts no rule placed, given to the catch-all territory"
    )


def _ref(plan: Any) -> PlanRef:
    return PlanRef(
        id=plan.id,
        name=plan.name,
        version=plan.version,
        status=plan.status.value,
        based_on_plan_id=plan.based_on_plan_id,
        scope=plan.scope,
    )


class TerritoryCreate(BaseModel):
    id: str = Field(min_length=1, max_length=100, json_schema_extra={"pattern": PLAN_ID_PATTERN})
    name: str = Field(min_length=1, max_length=255)
    parent_id: str | None = Field(default=None, max_length=100)
    type: str = Field(
        default="geo",
        description="geo, named, vertical, segment, overlay, catch_all",
        json_schema_extra={"enum": [t.value for t in TerritoryType]},
    )
    level: str = Field(default="territory", max_length=60)


class PlanCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)

    @field_validator("name")
    @classmethod
    def _name_has_text(cls, value: str) -> str:
        # Refused here, naming the field (the plan's own check was reported on territories).
        if not value.strip():
            raise ValueError("a plan needs a name (not only blanks)")
        return value

    plan_id: str | None = Field(
        default=None, max_length=100, json_schema_extra={"pattern": PLAN_ID_PATTERN}
    )
    territories: list[TerritoryCreate] = Field(min_length=1, max_length=5_000)
    scope: str | None = ScopeField


@router.post("/plans", operation_id="create_plan", status_code=201)
def create_plan_route(principal: CurrentPrincipal, db: DatabaseDep, body: PlanCreate) -> PlanRef:
    """A new empty draft with these territories (align units with edits, or design from it)."""
    from terraplan.services.new_plans import create_plan

    authorize(principal, Action.EDIT_PLAN)
    created = create_plan(
        db,
        body.name,
        [t.model_dump() for t in body.territories],
        plan_id=body.plan_id,
        created_by=principal.user.username,
        scope=body.scope,
    )
    return _ref(created)


@router.post("/plans/{plan_id}/copy", operation_id="copy_plan", status_code=201)
def copy_plan_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: PlanCopyCreate
) -> PlanRef:
    """A draft copy of the plan (territories, owners, alignment and latest rule set)."""
    from terraplan.services.new_plans import copy_plan

    check_plan(db, principal, plan_id, Action.EDIT_PLAN)
    copied = copy_plan(
        db,
        plan_id,
        new_id=body.plan_id,
        name=body.name,
        created_by=principal.user.username,
        scope=body.scope,
    )
    return _ref(copied)


@router.get("/active-plan", operation_id="get_active_plan")
def active_plan_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    scope: Annotated[
        str | None,
        Query(
            max_length=120,
            description="Part of the market (default: the whole-market plan, or the only "
            "active plan; 422 naming the scopes when several are active)",
        ),
    ] = None,
) -> PlanRef:
    """The active plan of a part of the market: its id is what KPIs, alerts and the map ask for."""
    from terraplan.api.monitoring_params import hidden_plan
    from terraplan.services.plan_scopes import active_plan

    plan = active_plan(db, scope)
    try:
        check_plan(db, principal, plan.id, Action.READ)
    except NotFoundError:
        raise hidden_plan(plan.id, asked=False) from None
    return _ref(plan)


@router.get("/plans/{base_id}/compare/{other_id}", operation_id="compare_plans")
def compare_plans_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    base_id: str,
    other_id: str,
    moved_limit: Annotated[int, Query(ge=0, le=10_000)] = 500,
) -> PlanComparisonPublic:
    """What changes from ``base_id`` to ``other_id``: accounts, owners, potential, revenue and
    open pipeline changing hands, reps gaining and losing, geo units moved, per territory.
    A manager gets the comparison over the territories they see in either plan (their
    region): every figure is then theirs, and a note says so. Reps are refused."""
    from terraplan.services.access import visible_territories
    from terraplan.services.plan_comparison import compare_stored_plans

    for plan_id in (base_id, other_id):
        check_plan(db, principal, plan_id, Action.READ)
    shown: set[str] | None = None
    if principal.user.role is Role.REP:
        raise PermissionDeniedError(
            "comparing plans is for planners and managers",
            details={"role": principal.user.role.value},
        )
    if not sees_everything(principal.user):
        shown = set()
        with UnitOfWork(db) as uow:
            for plan_id in (base_id, other_id):
                _, territories = plan_resource(uow, uow.plans.get(plan_id))
                shown |= visible_territories(principal, territories)
        if not shown:
            raise PermissionDeniedError(
                "neither plan has a territory you see; ask a planner",
                details={"role": principal.user.role.value},
            )
    comparison, window = compare_stored_plans(
        db,
        base_id,
        other_id,
        territories=shown,
        scope_name=principal.user.region or None,
    )
    payload = comparison.to_dict()
    payload["moved"] = payload["moved"][:moved_limit]
    payload["reassigned"] = payload["reassigned"][:moved_limit]
    payload["revenue_window"] = window
    return PlanComparisonPublic.model_validate(payload)


class EditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not ignored

    edit: EditObject = Field(
        description='e.g. {"op": "move_units", "units": ["06037"], "to": "T03"}'
    )
    version: StrictInt = Field(
        ge=1, le=2**31 - 1, description="The plan version the edit was made on"
    )


class VersionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not ignored

    version: StrictInt = Field(ge=1, le=2**31 - 1)


@router.post("/plans/{plan_id}/edits", operation_id="edit_plan")
def edit_plan_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: EditRequest
) -> EditResultPublic:
    """Apply one edit to a draft; returns the new version and the changed territories'
    balance, contiguity and units moved. A stale version is a 409."""
    from terraplan.services.plan_edits import edit_plan

    check_plan(db, principal, plan_id, Action.EDIT_PLAN)
    result = edit_plan(db, plan_id, body.edit, version=body.version, by=principal.user.username)
    return EditResultPublic.model_validate(result.to_dict())


@router.post("/plans/{plan_id}/undo", operation_id="undo_plan_edit")
def undo_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: VersionBody
) -> EditResultPublic:
    from terraplan.services.plan_edits import undo_edit

    check_plan(db, principal, plan_id, Action.EDIT_PLAN)
    result = undo_edit(db, plan_id, version=body.version, by=principal.user.username)
    return EditResultPublic.model_validate(result.to_dict())


@router.post("/plans/{plan_id}/redo", operation_id="redo_plan_edit")
def redo_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: VersionBody
) -> EditResultPublic:
    from terraplan.services.plan_edits import redo_edit

    check_plan(db, principal, plan_id, Action.EDIT_PLAN)
    result = redo_edit(db, plan_id, version=body.version, by=principal.user.username)
    return EditResultPublic.model_validate(result.to_dict())


class RegionsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    source: Literal["reps"] = Field(
        alias="from", description="reps: each territory under its primary reps' region"
    )
    version: StrictInt = Field(
        ge=1, le=2**31 - 1, description="The plan version the request was made on"
    )


@router.post("/plans/{plan_id}/regions", operation_id="set_plan_regions")
def regions_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: RegionsRequest
) -> PlanRegionsPublic:
    """Set a draft's regions (its hierarchy) from its reps, as `terraplan plans regions
    --from reps`: each territory under its primary reps' region. A stale version is a 409;
    a plan none of whose territories has a rep with a region a 422."""
    from terraplan.services.plan_hierarchy import set_regions_from_reps

    check_plan(db, principal, plan_id, Action.EDIT_PLAN)
    result = set_regions_from_reps(db, plan_id, version=body.version, by=principal.user.username)
    return PlanRegionsPublic.model_validate(result.to_dict())


class ActivationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not ignored

    version: StrictInt = Field(ge=1, le=2**31 - 1)
    effective_from: IsoDay | None = Field(default=None, description="First day (default: today)")


@router.post("/plans/{plan_id}/activate", operation_id="activate_plan")
def activate_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: ActivationRequest
) -> ActivationPublic:
    """Activate an approved plan from a date; the previous active plan of the same scope is
    archived the day before (other scopes stay active). Refused (409) without a rule set or,
    for a whole-market plan, with accounts in no territory."""
    from terraplan.services.plan_lifecycle import activate_plan

    check_plan(db, principal, plan_id, Action.ACTIVATE_PLAN)
    saved = activate_plan(
        db,
        plan_id,
        effective_from=body.effective_from,
        version=body.version,
        by=principal.user.username,
    )
    from terraplan.services.edit_checks import (
        inactive_owner_notes,
        scheduled_activation_notes,
        unhired_owner_notes,
    )
    from terraplan.services.plan_lifecycle import activation_counts
    from terraplan.services.target_resplit import resplit_notes

    notes = [
        *scheduled_activation_notes(db, saved.id),
        *inactive_owner_notes(db, saved.id),
        *unhired_owner_notes(db, saved.id),
        *resplit_notes(db, saved.id),
    ]
    counts = activation_counts(db, saved.id)
    return ActivationPublic(
        **_ref(saved).model_dump(),
        notes=notes,
        accounts_placed=None if counts is None else counts.placed,
        owner_changes=None if counts is None else counts.owner_changes,
        accounts_in_catch_all=None if counts is None else counts.in_catch_all,
    )


@router.delete("/plans/{plan_id}", operation_id="delete_plan", status_code=204)
def delete_route(principal: CurrentPrincipal, db: DatabaseDep, plan_id: str) -> None:
    """Delete a draft or archived plan (409 for plans in review, approved or active)."""
    from terraplan.services.plan_lifecycle import delete_plan

    check_plan(db, principal, plan_id, Action.EDIT_PLAN)
    delete_plan(db, plan_id, by=principal.user.username)
