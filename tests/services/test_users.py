"""Users, passwords and tokens through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from terraplan.domain import Rep, RepRole
from terraplan.domain.user import Role, Scope
from terraplan.errors import (
    AuthenticationError,
    ConflictError,
    InvalidParameterError,
    NotFoundError,
)
from terraplan.services.users import (
    authenticate,
    create_demo_users,
    create_token,
    create_user,
    list_tokens,
    list_users,
    parse_duration,
    resolve_token,
    revoke_token,
    set_active,
    set_role,
)
from terraplan.storage.database import Database
from terraplan.storage.orm_access import ApiTokenRow, UserRow
from terraplan.storage.unit_of_work import UnitOfWork

PASSWORD = "s3cret-enough"


def _reps(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.reps.add_many(
            [
                Rep(id="M1", name="Mia", role=RepRole.MANAGER, region="West"),
                Rep(id="R1", name="Rae", region="West", manager_id="M1"),
                Rep(id="R3", name="Eve", region="East"),
            ]
        )
        uow.commit()


@pytest.mark.usefixtures("production_hashing")
def test_users_are_stored_with_an_argon2_hash_and_linked_to_reps(db: Database) -> None:
    _reps(db)
    manager = create_user(db, "mia", "manager", PASSWORD, rep_id="M1")
    assert (manager.role, manager.region) == (Role.MANAGER, "West")  # region from the rep
    create_user(db, "rae", Role.REP, PASSWORD, rep_id="R1")
    with UnitOfWork(db) as uow:
        stored = uow.session.query(UserRow).filter_by(username="mia").one()
        assert stored.password_hash.startswith("$argon2id$")
        assert not PasswordHasher().check_needs_rehash(stored.password_hash)  # production cost
        assert PASSWORD not in stored.password_hash
    assert [(u.username, u.role.value, u.rep_id) for u in list_users(db)] == [
        ("mia", "manager", "M1"),
        ("rae", "rep", "R1"),
    ]
    assert authenticate(db, "rae", PASSWORD).username == "rae"
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        authenticate(db, "rae", "not-the-password")

    with pytest.raises(ConflictError, match="already exists"):
        create_user(db, "rae", "rep", PASSWORD, rep_id="R1")
    with pytest.raises(NotFoundError, match="no rep with id 'R9'"):
        create_user(db, "ray", "rep", PASSWORD, rep_id="R9")
    with pytest.raises(InvalidParameterError, match="unknown role 'boss'"):
        create_user(db, "bo", "boss", PASSWORD)
    with pytest.raises(InvalidParameterError, match="needs a region"):
        create_user(db, "ed", "manager", PASSWORD)
    with pytest.raises(InvalidParameterError, match="at least 8 characters"):
        create_user(db, "al", "admin", "short")
    # Nothing half-written by the failed attempts.
    assert len(list_users(db)) == 2


def test_set_role_and_disable(db: Database) -> None:
    _reps(db)
    create_user(db, "rae", "rep", PASSWORD, rep_id="R1")
    promoted = set_role(db, "rae", "manager")
    assert (promoted.role, promoted.rep_id, promoted.region) == (Role.MANAGER, "R1", "West")
    set_active(db, "rae", False)
    with pytest.raises(AuthenticationError):
        authenticate(db, "rae", PASSWORD)
    with pytest.raises(NotFoundError, match="no user named 'zed'"):
        set_role(db, "zed", "planner")


def test_tokens_are_stored_hashed_and_checked(db: Database) -> None:
    create_user(db, "ops", "planner", PASSWORD)
    token, secret = create_token(
        db, "ops", frozenset({Scope.READ, Scope.ROUTE}), expires_in=timedelta(days=90)
    )
    with UnitOfWork(db) as uow:
        row = uow.session.get(ApiTokenRow, token.id)
        assert row is not None and secret not in (row.token_hash, row.prefix)
        assert len(row.token_hash) == 64
    assert token.expires_at is not None
    assert timedelta(days=89) < token.expires_at - token.created_at <= timedelta(days=90)
    user, found = resolve_token(db, secret)
    assert (user.username, found.scopes) == ("ops", {Scope.READ, Scope.ROUTE})
    assert list_tokens(db)[0].last_used_at is not None
    revoke_token(db, token.id)
    assert list_tokens(db, "ops")[0].revoked_at is not None
    with pytest.raises(AuthenticationError, match="revoked"):
        resolve_token(db, secret)
    with pytest.raises(NotFoundError, match="no API token with id 99"):
        revoke_token(db, 99)


def test_durations() -> None:
    assert parse_duration("90d") == timedelta(days=90)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("2w") == timedelta(weeks=2)
    for bad in ("", "0d", "90", "1y", "-3d"):
        with pytest.raises(InvalidParameterError, match="duration"):
            parse_duration(bad)


def test_demo_users_one_per_role_and_they_can_sign_in(db: Database) -> None:
    _reps(db)
    created = create_demo_users(db)
    assert [(name, role) for name, role, _ in created] == [
        ("admin", Role.ADMIN),
        ("planner", Role.PLANNER),
        ("manager", Role.MANAGER),
        ("rep", Role.REP),
    ]
    users = {u.username: u for u in list_users(db)}
    assert (users["manager"].rep_id, users["manager"].region) == ("M1", "West")
    assert users["rep"].rep_id == "R1"  # an account executive of the manager's region
    for name, _, password in created:
        assert authenticate(db, name, password).username == name
    # Run again (demo --reset): same users, new passwords.
    again = create_demo_users(db)
    assert len(list_users(db)) == 4
    assert authenticate(db, "rep", again[3][2]).username == "rep"
    with pytest.raises(AuthenticationError):
        authenticate(db, "rep", created[3][2])


@pytest.mark.usefixtures("production_hashing")
def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(db: Database) -> None:

    create_user(db, "ops", "planner", PASSWORD)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with UnitOfWork(db) as uow:
        uow.users.set_password_hash("ops", old)
        uow.commit()
    assert authenticate(db, "ops", PASSWORD).username == "ops"
    with UnitOfWork(db) as uow:
        upgraded = uow.session.query(UserRow).filter_by(username="ops").one().password_hash
    assert upgraded != old and not PasswordHasher().check_needs_rehash(upgraded)
    assert authenticate(db, "ops", PASSWORD).last_login_at is not None
