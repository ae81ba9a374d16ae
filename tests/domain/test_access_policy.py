"""The access policy alone: role x action x scope, and token scopes."""

from __future__ import annotations

import pytest

from terraplan.domain import PlanStatus
from terraplan.domain.access import (
    ROLE_ACTIONS,
    Action,
    Resource,
    can,
    require,
    require_visible,
    status_action,
)
from terraplan.domain.user import Role, Scope, User, parse_scopes
from terraplan.errors import DataError, InvalidParameterError, NotFoundError, PermissionDeniedError

ADMIN = User("ada", Role.ADMIN)
PLANNER = User("pia", Role.PLANNER)
MANAGER = User("max", Role.MANAGER, rep_id="M1", region="West")
REP = User("rae", Role.REP, rep_id="R1", region="West")

OWN = Resource("account", "A1", rep_ids=frozenset({"R1"}), regions=frozenset({"West"}))
REGION = Resource("account", "A2", rep_ids=frozenset({"R2"}), regions=frozenset({"West"}))
OTHER = Resource("account", "A3", rep_ids=frozenset({"R3"}), regions=frozenset({"East"}))
NOBODY = Resource("account", "A4", unscoped=True)
WEST_PLAN = Resource("plan", "PW", rep_ids=frozenset({"R1", "R2"}), regions=frozenset({"West"}))
SPLIT_PLAN = Resource("plan", "PN", regions=frozenset({"West", "East"}))
HALF_OWNED = Resource("plan", "PH", regions=frozenset({"West"}), unscoped=True)
CATALOGUE = Resource("kpi_definitions", shared=True)

READ_EXPECTED = {
    # user: (own, region, other, nobody, catalogue)
    "ada": (True, True, True, True, True),
    "pia": (True, True, True, True, True),
    "max": (True, True, False, False, True),
    "rae": (True, False, False, False, True),
}


@pytest.mark.parametrize("user", [ADMIN, PLANNER, MANAGER, REP], ids=lambda u: u.role.value)
def test_reads_follow_the_scope_of_each_role(user: User) -> None:
    got = tuple(can(user, Action.READ, r) for r in (OWN, REGION, OTHER, NOBODY, CATALOGUE))
    assert got == READ_EXPECTED[user.username]
    # A manager linked to a rep also sees what that rep owns.
    assert can(MANAGER, Action.READ, Resource("rep", "M1", rep_ids=frozenset({"M1"})))


def test_approval_needs_a_plan_wholly_in_the_managers_region() -> None:
    assert can(MANAGER, Action.APPROVE_PLAN, WEST_PLAN)
    assert not can(MANAGER, Action.APPROVE_PLAN, SPLIT_PLAN)
    assert not can(MANAGER, Action.APPROVE_PLAN, HALF_OWNED)
    assert can(PLANNER, Action.APPROVE_PLAN, SPLIT_PLAN)
    assert not can(REP, Action.APPROVE_PLAN, WEST_PLAN)
    # Managers and reps give feedback but never edit, activate or route.
    for user in (MANAGER, REP):
        for action in (Action.EDIT_PLAN, Action.ACTIVATE_PLAN, Action.ROUTE, Action.EDIT_RULES):
            assert not can(user, action, WEST_PLAN)
        assert can(user, Action.COMMENT, OWN if user is REP else REGION)


def test_role_table_is_complete_and_only_admins_manage_users() -> None:
    assert set(ROLE_ACTIONS) == set(Role)
    assert [r for r in Role if Action.MANAGE_USERS in ROLE_ACTIONS[r]] == [Role.ADMIN]
    assert ROLE_ACTIONS[Role.REP] < ROLE_ACTIONS[Role.MANAGER] < ROLE_ACTIONS[Role.PLANNER]


def test_token_scopes_narrow_the_user() -> None:
    read = frozenset({Scope.READ})
    assert can(PLANNER, Action.READ, OTHER, scopes=read)
    assert not can(PLANNER, Action.ROUTE, scopes=read)
    assert can(PLANNER, Action.ROUTE, scopes=frozenset({Scope.ROUTE}))
    assert can(PLANNER, Action.APPROVE_PLAN, WEST_PLAN, scopes=frozenset({Scope.PLAN_WRITE}))
    # A scope never adds what the role lacks; admin implies every scope.
    assert not can(REP, Action.MANAGE_USERS, scopes=frozenset({Scope.ADMIN}))
    assert can(ADMIN, Action.MANAGE_USERS, scopes=frozenset({Scope.ADMIN}))
    assert can(ADMIN, Action.ROUTE, scopes=frozenset({Scope.ADMIN}))
    with pytest.raises(PermissionDeniedError, match="lacks the route scope"):
        require(PLANNER, Action.ROUTE, scopes=read)


def test_disabled_users_may_do_nothing() -> None:
    disabled = User("old", Role.ADMIN, active=False)
    assert not any(can(disabled, a, OWN) for a in Action)


def test_denials_explain_themselves_and_hidden_records_are_not_found() -> None:
    with pytest.raises(PermissionDeniedError) as denied:
        require(MANAGER, Action.APPROVE_PLAN, SPLIT_PLAN)
    assert (
        denied.value.message == "max may not approve plan (plan PN): it is not within region West"
    )
    assert denied.value.details["reason"] == "it is not within region West"
    with pytest.raises(PermissionDeniedError, match="role rep may not edit plan"):
        require(REP, Action.EDIT_PLAN, OWN)
    with pytest.raises(NotFoundError, match="no account"):
        require_visible(REP, OTHER, NotFoundError("no account with id 'A3'"))
    require_visible(REP, OWN, NotFoundError("unused"))


def test_status_changes_map_to_actions() -> None:
    assert status_action(PlanStatus.IN_REVIEW, PlanStatus.APPROVED) is Action.APPROVE_PLAN
    assert status_action(PlanStatus.IN_REVIEW, PlanStatus.DRAFT) is Action.APPROVE_PLAN
    assert status_action(PlanStatus.DRAFT, PlanStatus.IN_REVIEW) is Action.SUBMIT_PLAN
    assert status_action(PlanStatus.APPROVED, PlanStatus.ACTIVE) is Action.ACTIVATE_PLAN
    assert status_action(PlanStatus.APPROVED, PlanStatus.DRAFT) is Action.EDIT_PLAN


def test_user_invariants_and_scope_parsing() -> None:
    with pytest.raises(DataError, match="rep_id"):
        User("rae", Role.REP)
    with pytest.raises(DataError, match="region"):
        User("max", Role.MANAGER)
    with pytest.raises(DataError, match="user name"):
        User("a b", Role.PLANNER)
    assert parse_scopes(" read, plan:write ,") == {Scope.READ, Scope.PLAN_WRITE}
    with pytest.raises(InvalidParameterError, match="unknown scope 'write'"):
        parse_scopes("read,write")
    with pytest.raises(InvalidParameterError, match="at least one scope"):
        parse_scopes(" , ")
