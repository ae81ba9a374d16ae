"""Territory plan pages: a territory's target and figures, notes (strategy, marketing plans,
outreach initiatives), prioritised accounts, reps and managers.

Planners read and edit every page; a manager reads the pages of territories in their region,
a rep those of their own territories. A page the caller may not see answers 404, as if the
territory did not exist, so ids of other people's territories do not leak.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.schemas import Figure, Timestamp
from terraplan.domain.access import Action, require_visible, sees_everything
from terraplan.errors import NotFoundError
from terraplan.services.access import Principal, plan_resource
from terraplan.services.territory_pages import MAX_NOTE_CHARS
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(
    tags=["territory pages"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The role or the token's scopes do not allow it"},
        404: {"description": "No such plan or territory (or not visible to you)"},
    },
)


class TerritoryNotesPublic(BaseModel):
    revision: int = Field(description="Saves of these notes so far (0: never written)")
    plan_version: int
    strategy: str
    marketing: str
    outreach: str
    updated_by: str | None
    updated_at: Timestamp | None


class TerritoryNotesUpdate(BaseModel):
    revision: StrictInt = Field(
        ge=0, le=2**31 - 1, description="The revision you read (stale saves get 409)"
    )
    strategy: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    marketing: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    outreach: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)


class PagePlanPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    version: int
    status: str = Field(description="draft, in_review, approved, active or archived")


class PageTerritoryPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    type: str = Field(description="geo, named, vertical, segment or overlay")
    parent: str | None = Field(description="Name of the parent territory (region), or null")


class PageRepPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    role: str = Field(description="account_executive, manager, ...")
    region: str | None


class PagePriorityPublic(BaseModel):
    """One of the territory's accounts ranked by priority (amounts in the plan currency)."""

    model_config = ConfigDict(extra="forbid")
    rank: int = Field(description="1: the highest priority")
    account_id: str
    account: str | None = Field(description="The account's name")
    score: Figure = Field(description="Weighted sum of the priority signals, 0..1")
    potential: Figure | None
    revenue_lookback: Figure = Field(description="Revenue over the lookback window")
    whitespace: Figure = Field(description="Potential not yet bought: potential - revenue, >= 0")
    open_pipeline: Figure


class TerritoryPagePublic(BaseModel):
    plan: PagePlanPublic
    territory: PageTerritoryPublic
    editable: bool = Field(description="True when the plan is not archived and you may edit")
    reps: list[PageRepPublic] = Field(description="The territory's owners, primary first")
    managers: list[str]
    figures: dict[str, float | None]
    notes: TerritoryNotesPublic
    priorities: list[PagePriorityPublic] = Field(description="Top 20 accounts by priority")


def check_territory(
    db: Database, principal: Principal, plan_id: str, territory_id: str, action: Action
) -> None:
    """404 unless the caller sees the plan (the same 404 as for a missing plan, as on every
    plan route), then 404 unless they see its territory; 403 when they see it but may not
    ``action``."""
    missing_territory = NotFoundError(
        f"plan {plan_id} has no territory {territory_id!r}",
        details={"kind": "territories", "id": territory_id, "plan_id": plan_id},
    )
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if sees_everything(principal.user):
            if territory_id not in {t.id for t in plan.territories}:
                raise missing_territory
            authorize(principal, action)
            return
        plan_seen, territories = plan_resource(uow, plan)
    require_visible(
        principal.user,
        plan_seen,
        NotFoundError(f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}),
        scopes=principal.scopes,
    )
    resource = territories.get(territory_id)
    if resource is None:
        raise missing_territory
    require_visible(principal.user, resource, missing_territory, scopes=principal.scopes)
    authorize(principal, action, resource)


@router.get("/plans/{plan_id}/territories/{territory_id}/page", operation_id="get_territory_page")
def territory_page_route(
    request: Request,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    plan_id: str,
    territory_id: str,
) -> TerritoryPagePublic:
    """The territory's plan page: figures (year to date, fiscal under a fiscal year), notes,
    top 20 accounts by priority, reps and managers by name."""
    from terraplan.services.monitoring import plan_kpis
    from terraplan.services.territory_pages import territory_page, territory_priority_rows

    check_territory(db, principal, plan_id, territory_id, Action.READ)
    cache = request.app.state.monitoring_cache
    fiscal = request.app.state.settings.fiscal_calendar()
    _, frame = plan_kpis(
        db, plan_id, periods=["YTD"], dimensions=["territory"], cache=cache, fiscal=fiscal
    )
    row = next((r for r in frame.iter_rows(named=True) if r["key"] == territory_id), {})
    priorities = territory_priority_rows(db, plan_id, territory_id, top=20, cache=cache)
    page = territory_page(db, plan_id, territory_id, kpis=row, priorities=priorities)
    page["editable"] = page["editable"] and principal.can(Action.EDIT_PLAN)
    return TerritoryPagePublic(**page)


@router.get("/plans/{plan_id}/territories/{territory_id}/notes", operation_id="get_territory_notes")
def get_notes_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, territory_id: str
) -> TerritoryNotesPublic:
    """The notes in force for the plan's current version."""
    from terraplan.services.territory_pages import territory_page

    check_territory(db, principal, plan_id, territory_id, Action.READ)
    return TerritoryNotesPublic(**territory_page(db, plan_id, territory_id)["notes"])


@router.put(
    "/plans/{plan_id}/territories/{territory_id}/notes",
    operation_id="update_territory_notes",
    responses={409: {"description": "Archived plan, or saved by someone since you read it"}},
)
def put_notes_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    plan_id: str,
    territory_id: str,
    body: TerritoryNotesUpdate,
) -> TerritoryNotesPublic:
    """Save the notes with the plan's current version (planners; audit-logged). Fields left
    out keep their text."""
    from terraplan.services.territory_pages import notes_public, save_territory_notes

    check_territory(db, principal, plan_id, territory_id, Action.EDIT_PLAN)
    texts = {k: v for k, v in body.model_dump(exclude={"revision"}).items() if v is not None}
    saved = save_territory_notes(
        db, plan_id, territory_id, texts, revision=body.revision, by=principal.user.username
    )
    return TerritoryNotesPublic(**notes_public(saved))
