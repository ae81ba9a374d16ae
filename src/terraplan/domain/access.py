"""The one access policy: who may do what (role x action x scope).

The API, the CLI and the UI all ask :func:`can` (or :func:`require`). A :class:`Resource` says
whose it is: the reps owning it and the regions it lies in (the ``region`` of those reps);
:mod:`terraplan.services.access` builds resources from stored data.

| role    | may                                                                         | on       |
|---------|-----------------------------------------------------------------------------|----------|
| admin   | everything, including users and settings                                    | all      |
| planner | read, comment, edit plans/rules/targets, submit, approve, activate, route   | all      |
| manager | read, comment, request changes                                              | region   |
| manager | approve or send back a plan in review                                       | a plan wholly in their region |
| rep     | read, comment, request changes                                              | own      |

"own" is what the user's rep owns; "region" is what reps of the user's region own (and what
the manager's own rep record owns). Shared resources (the KPI catalogue) are readable by every
signed-in user. An API token narrows its user's rights to its scopes (``admin`` implies all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from terraplan.domain.plan import PlanStatus
from terraplan.domain.user import Role, Scope, User
from terraplan.errors import NotFoundError, PermissionDeniedError


class Action(StrEnum):
    READ = "read"
    COMMENT = "comment"
    REQUEST_CHANGE = "request_change"
    EDIT_PLAN = "edit_plan"
    EDIT_RULES = "edit_rules"
    EDIT_TARGETS = "edit_targets"
    RUN_DESIGN = "run_design"
    SUBMIT_PLAN = "submit_plan"
    APPROVE_PLAN = "approve_plan"
    ACTIVATE_PLAN = "activate_plan"
    ROUTE = "route"
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"


_FEEDBACK = frozenset({Action.READ, Action.COMMENT, Action.REQUEST_CHANGE})

#: Actions each role may take at all (their scope is checked by :func:`can`).
ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.PLANNER: frozenset(Action) - {Action.MANAGE_USERS, Action.MANAGE_SETTINGS},
    Role.MANAGER: _FEEDBACK | {Action.APPROVE_PLAN},
    Role.REP: _FEEDBACK,
}

#: The token scope an action needs when the request comes with an API token.
ACTION_SCOPE: Mapping[Action, Scope] = {
    Action.READ: Scope.READ,
    Action.ROUTE: Scope.ROUTE,
    Action.MANAGE_USERS: Scope.ADMIN,
    Action.MANAGE_SETTINGS: Scope.ADMIN,
    **{
        a: Scope.PLAN_WRITE
        for a in Action
        if a not in {Action.READ, Action.ROUTE, Action.MANAGE_USERS, Action.MANAGE_SETTINGS}
    },
}


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action is about: its kind and id, the reps owning it, the regions it lies in.

    ``unscoped`` marks a resource with a part that belongs to no region (a territory without
    owner, a rep without region): no manager holds all of it.

    ``past`` marks an archived plan, or a territory of one, whose time is over: its owners
    then need not own it now (a rep who moved on would read, through it, the accounts,
    pipeline and revenue of the territory they left, now a colleague's), so a rep no longer
    sees it; their own figures are in the plan in force, credited to the owner of the day.
    """

    kind: str
    id: str | None = None
    rep_ids: frozenset[str] = field(default_factory=frozenset)
    regions: frozenset[str] = field(default_factory=frozenset)
    shared: bool = False
    unscoped: bool = False
    past: bool = False


def _own(user: User, resource: Resource) -> bool:
    return user.rep_id is not None and user.rep_id in resource.rep_ids


def _in_region(user: User, resource: Resource) -> bool:
    return user.region is not None and user.region in resource.regions


def _wholly_in_region(user: User, resource: Resource) -> bool:
    return user.region is not None and resource.regions == {user.region} and not resource.unscoped


def scope_allows(scopes: frozenset[Scope] | None, action: Action) -> bool:
    """True when a token with ``scopes`` covers ``action`` (``None``: no token, nothing narrowed)."""
    if scopes is None:
        return True
    return Scope.ADMIN in scopes or ACTION_SCOPE[action] in scopes


def can(
    user: User,
    action: Action,
    resource: Resource | None = None,
    *,
    scopes: frozenset[Scope] | None = None,
) -> bool:
    """May ``user`` (with a token's ``scopes``, if any) take ``action`` on ``resource``?

    ``resource=None`` asks about the action in general (e.g. "may this user list accounts at
    all?"); the rows shown are then narrowed by :func:`sees`.
    """
    if not user.active or not scope_allows(scopes, action):
        return False
    if action not in ROLE_ACTIONS[user.role]:
        return False
    if user.role in (Role.ADMIN, Role.PLANNER) or resource is None:
        return True
    if action is Action.APPROVE_PLAN:
        return _wholly_in_region(user, resource)
    if resource.shared and action is Action.READ:
        return True
    if user.role is Role.MANAGER:
        return _own(user, resource) or _in_region(user, resource)
    return _own(user, resource) and not resource.past


def sees_everything(user: User) -> bool:
    """Planners and admins see all records; managers and reps see a part of them."""
    return user.role in (Role.ADMIN, Role.PLANNER)


def require(
    user: User,
    action: Action,
    resource: Resource | None = None,
    *,
    scopes: frozenset[Scope] | None = None,
) -> None:
    """Raise :class:`PermissionDeniedError` unless :func:`can` says yes."""
    if can(user, action, resource, scopes=scopes):
        return
    if not scope_allows(scopes, action):
        reason = f"the API token lacks the {ACTION_SCOPE[action]!s} scope"
    elif action not in ROLE_ACTIONS[user.role]:
        reason = f"role {user.role!s} may not {action.value.replace('_', ' ')}"
    elif user.role is Role.MANAGER:
        reason = f"it is not within region {user.region}"
    else:
        reason = "it is not yours"
    what = f" ({resource.kind} {resource.id})" if resource and resource.id else ""
    raise PermissionDeniedError(
        f"{user.username} may not {action.value.replace('_', ' ')}{what}: {reason}",
        details={"action": action.value, "role": user.role.value, "reason": reason},
    )


def require_visible(
    user: User,
    resource: Resource,
    not_found: NotFoundError,
    *,
    scopes: frozenset[Scope] | None = None,
) -> None:
    """Reads of one object: raise ``not_found`` (404) when the user may not see it, so that ids of
    other people's records don't leak; a token lacking the read scope still gets 403."""
    if not scope_allows(scopes, Action.READ):
        require(user, Action.READ, resource, scopes=scopes)
    if not can(user, Action.READ, resource, scopes=scopes):
        raise not_found


def status_action(current: PlanStatus, target: PlanStatus) -> Action:
    """The action a plan status change is: approving (or sending back) a plan in review,
    submitting it, activating/archiving it, or reworking an approved plan."""
    if current is PlanStatus.IN_REVIEW and target in (PlanStatus.APPROVED, PlanStatus.DRAFT):
        return Action.APPROVE_PLAN
    if target is PlanStatus.IN_REVIEW:
        return Action.SUBMIT_PLAN
    if target in (PlanStatus.ACTIVE, PlanStatus.ARCHIVED):
        return Action.ACTIVATE_PLAN
    return Action.EDIT_PLAN
