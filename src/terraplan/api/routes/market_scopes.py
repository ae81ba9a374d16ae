"""The parts of the market a plan may cover (its scope): what a planner picks from when
creating or copying a plan for one region, segment or state."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.domain.access import Action
from terraplan.domain.places import US_STATES
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(tags=["plans"])


class ScopeChoice(BaseModel):
    value: str = Field(description="The scope as a plan stores it (the data's own spelling)")
    label: str = Field(
        description='What to show: the value, or a state\'s name ("California (CA)")'
    )


class MarketScopesPublic(BaseModel):
    regions: list[ScopeChoice] = Field(description="Reps' regions")
    segments: list[ScopeChoice] = Field(description="Accounts' segments")
    states: list[ScopeChoice] = Field(description="Accounts' states")


@router.get(
    "/scopes",
    operation_id="list_market_scopes",
    responses={401: {"description": "Not signed in"}, 403: {"description": "Not a planner"}},
)
def list_scopes(principal: CurrentPrincipal, db: DatabaseDep) -> MarketScopesPublic:
    """The regions, segments and states of the stored data, each a valid ``scope`` of a new
    plan or a copy (``POST /plans``, ``POST /plans/{id}/copy``), sorted by name."""
    from terraplan.services.plan_scopes import known_scopes

    authorize(principal, Action.EDIT_PLAN)
    with UnitOfWork(db) as uow:
        known = known_scopes(uow)

    def choices(values: list[str], *, states: bool = False) -> list[ScopeChoice]:
        named = [
            ScopeChoice(
                value=v,
                label=f"{US_STATES[v.upper()]} ({v})" if states and v.upper() in US_STATES else v,
            )
            for v in values
        ]
        return sorted(named, key=lambda c: c.label.casefold())

    return MarketScopesPublic(
        regions=choices(known.get("regions", [])),
        segments=choices(known.get("segments", [])),
        states=choices(known.get("states", []), states=True),
    )
