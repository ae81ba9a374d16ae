"""Team and targets of a plan: capacity (reps needed against reps there), the rep–territory
matching with each pair's explanation, the targets with their seasonality and fairness.

``GET`` returns what was last computed for the plan (``terraplan capacity``, ``terraplan
match``, ``terraplan targets`` or the ``POST`` routes here); ``POST .../team/capacity`` and
``.../team/matching`` compute them again with default parameters (planners; matching only
proposes, it never changes the plan's owners). Planners and admins only: these figures span
every territory and rep of the plan.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.documented import Documented
from terraplan.api.schemas_team import (
    CapacityReportPublic,
    MatchingReportPublic,
    TargetsReportPublic,
)
from terraplan.domain.access import Action, sees_everything
from terraplan.errors import PermissionDeniedError
from terraplan.services.access import Principal

router = APIRouter(
    tags=["team"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Only planners and admins see team figures"},
        404: {"description": "No such plan"},
    },
)


# The reports are sent as stored (one written by an earlier version is not refused): their
# models document them.
class TeamPublic(BaseModel):
    plan_id: str
    capacity: Annotated[dict[str, Any] | None, Documented(CapacityReportPublic | None)] = Field(
        description="Last capacity report, or None"
    )
    matching: Annotated[dict[str, Any] | None, Documented(MatchingReportPublic | None)] = Field(
        description="Last rep–territory matching, or None"
    )
    targets: Annotated[dict[str, Any] | None, Documented(TargetsReportPublic | None)] = Field(
        description="The report of the targets the plan uses (for a copy, those carried over "
        "from its source: `carried_from` and `note` say so), or None"
    )
    territory_names: dict[str, str]


def _planner(principal: Principal, action: Action, plan_id: str) -> None:
    user = principal.user
    if not sees_everything(user):
        yours = "your region's" if user.role.value == "manager" else "your territories'"
        raise PermissionDeniedError(
            f"{user.username} may not see the Team & targets of plan {plan_id!r}, which only "
            "planners and admins see: its capacity, rep matching and targets cover every "
            f"territory and rep of the plan, not only {yours}. {yours.capitalize()} figures are "
            f"in the plan's KPIs (GET /plans/{plan_id}/kpis?by=rep or ?by=territory)",
            details={"action": action.value, "role": user.role.value, "plan_id": plan_id},
        )
    authorize(principal, action)


def _owners_now(plan: Any, matching: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored matching with ``current`` and ``reps_moved`` measured against the plan's
    primary owners now (they may have changed since it was computed: an owners edit, a
    matching applied), with a note when they differ from what was stored."""
    if not matching or not matching.get("pairs"):
        return matching
    owners = {t.id: set(t.primary_owner_ids) for t in plan.leaves()}
    owned = {rep for reps in owners.values() for rep in reps}
    pairs = [
        {**p, "current": p.get("rep_id") in owners.get(p.get("territory_id"), set())}
        for p in matching["pairs"]
    ]
    # territories with no primary rep now get one, not "another rep"
    names = {t.id: t.name for t in plan.territories}
    filled = [
        names.get(str(p.get("territory_id")), str(p.get("territory_id")))
        for p in pairs
        if not owners.get(p.get("territory_id"))
    ]
    # a rep owning a territory now moves when the matching pairs them with none they own
    # (another territory, or none: on the bench)
    kept = {p.get("rep_id") for p in pairs if p["current"]}
    moved = len(owned - kept)
    if [p["current"] for p in pairs] == [p.get("current") for p in matching["pairs"]]:
        return {**matching, "vacancies_filled": filled}
    return {
        **matching,
        "vacancies_filled": filled,
        "pairs": pairs,
        "reps_moved": moved,
        "territories_changing": sum(1 for p in pairs if not p["current"]),
        "current_cost": None,
        "note": "the plan's owners changed since this matching was computed: 'current' and the "
        "reps who would move are measured against the owners now",
    }


def _team(db: Any, plan_id: str) -> TeamPublic:
    from terraplan.services.team_view import team_reports

    # the targets are those KPIs use: a copy's carried-over targets come with their report
    plan, stored = team_reports(db, plan_id)
    stored["matching"] = _owners_now(plan, stored["matching"])
    return TeamPublic(
        plan_id=plan_id,
        territory_names={t.id: t.name for t in plan.territories},
        **stored,
    )


@router.get("/plans/{plan_id}/team", operation_id="get_plan_team")
def team_route(principal: CurrentPrincipal, db: DatabaseDep, plan_id: str) -> TeamPublic:
    """Capacity, matching and targets as last computed for the plan."""
    _planner(principal, Action.READ, plan_id)
    return _team(db, plan_id)


@router.post("/plans/{plan_id}/team/{kind}", operation_id="compute_plan_team")
def compute_team_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    plan_id: str,
    kind: Literal["capacity", "matching"],
) -> TeamPublic:
    """Compute capacity (1,600 h per rep, 80 % utilisation) or the matching (default weights)
    again and store it with the plan; the plan itself does not change."""
    from terraplan.services.reps_targets import plan_capacity, plan_matching

    _planner(principal, Action.EDIT_PLAN, plan_id)
    if kind == "capacity":
        plan_capacity(db, plan_id)
    else:
        plan_matching(db, plan_id)
    return _team(db, plan_id)
