"""Users, passwords, browser sessions and API tokens.

Passwords are hashed with argon2id (``argon2-cffi``); session ids, CSRF tokens and API tokens are
high-entropy random strings stored as their sha256. Secrets are returned once, to the caller that
creates them, and never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from terraplan.domain import RepRole
from terraplan.domain.user import ApiToken, Role, Scope, User
from terraplan.errors import AuthenticationError, DataError, InvalidParameterError, NotFoundError
from terraplan.storage.database import Database
from terraplan.storage.routing_reads import (
    RoutingTarget,
    VersionRows,
    find_token_and_routing_versions,
)
from terraplan.storage.unit_of_work import UnitOfWork
from terraplan.storage.users import find_token, touch_token

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
TOKEN_PREFIX = "tp_"
SESSION_LIFETIME = timedelta(hours=12)
#: Last-use times of tokens and sessions are written at most this often (not on every request).
TOUCH_INTERVAL = timedelta(minutes=1)
_WRONG_LOGIN = "wrong user name or password"


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified when the user does not exist, so that a login takes as long either way.
    return _hasher().hash(secrets.token_urlsafe(16))


def _now() -> datetime:
    return datetime.now(UTC)


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_match(secret: str, expected_hash: str) -> bool:
    return hmac.compare_digest(sha256(secret), expected_hash)


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidParameterError(
            f"the password needs at least {PASSWORD_MIN_LENGTH} characters",
            details={"field": "password"},
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidParameterError(
            f"the password is longer than {PASSWORD_MAX_LENGTH} characters",
            details={"field": "password"},
        )
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(check_password(password))


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``4w`` or ``30m`` -> a timedelta."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text or "")
    if not match or int(match.group(1)) == 0:
        raise InvalidParameterError(
            f"duration {text!r} is not valid: use a number and m, h, d or w, e.g. 90d",
            details={"field": "expires", "value": text},
        )
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


# --- users -------------------------------------------------------------------------------------


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidParameterError(
            f"unknown role {role!r} (use {', '.join(r.value for r in Role)})",
            details={"field": "role", "value": str(role)},
        ) from None


def _build(
    uow: UnitOfWork,
    username: str,
    role: Role | str,
    rep_id: str | None,
    region: str | None,
    active: bool = True,
) -> User:
    """A checked user: the rep link must exist; a linked user's region defaults to their rep's."""
    if rep_id is not None:
        try:
            rep = uow.reps.get(rep_id)
        except NotFoundError:
            raise NotFoundError(
                f"no rep with id {rep_id!r} to link user {username!r} to "
                "(import reps first, or check the id)",
                details={"kind": "reps", "id": rep_id, "field": "rep_id"},
            ) from None
        region = region or rep.region
    try:
        return User(
            username=username, role=_role(role), rep_id=rep_id, region=region, active=active
        )
    except DataError as exc:
        # Bad command-line or API input rather than bad data: report it as such.
        raise InvalidParameterError(exc.message, details=exc.details) from None


def create_user(
    db: Database,
    username: str,
    role: Role | str,
    password: str,
    *,
    rep_id: str | None = None,
    region: str | None = None,
) -> User:
    """Add a user (ConflictError if the name is taken; NotFoundError for an unknown rep)."""
    password_hash = hash_password(password)
    with UnitOfWork(db) as uow:
        user = _build(uow, username, role, rep_id, region)
        saved = uow.users.add(user, password_hash, now=_now())
        uow.commit()
    return saved


def list_users(db: Database) -> list[User]:
    with UnitOfWork(db) as uow:
        return uow.users.list()


def get_user(db: Database, username: str) -> User:
    with UnitOfWork(db) as uow:
        return uow.users.get(username)


def set_role(
    db: Database,
    username: str,
    role: Role | str,
    *,
    rep_id: str | None = None,
    region: str | None = None,
) -> User:
    """Change a user's role; the rep link and region are kept unless new ones are given."""
    with UnitOfWork(db) as uow:
        current = uow.users.get(username)
        changed = _build(
            uow,
            username,
            role,
            rep_id if rep_id is not None else current.rep_id,
            region if region is not None else current.region,
            current.active,
        )
        saved = uow.users.update(changed)
        uow.commit()
    return saved


def set_active(db: Database, username: str, active: bool) -> User:
    """Disable (or enable) a user. Disabling ends their sessions; their tokens stop working."""
    with UnitOfWork(db) as uow:
        user = uow.users.get(username)
        saved = uow.users.update(replace(user, active=active))
        if not active and saved.id is not None:
            uow.browser_sessions.delete_for_user(saved.id)
        uow.commit()
    return saved


def set_password(db: Database, username: str, password: str) -> None:
    password_hash = hash_password(password)
    with UnitOfWork(db) as uow:
        user = uow.users.get(username)
        uow.users.set_password_hash(username, password_hash)
        if user.id is not None:
            uow.browser_sessions.delete_for_user(user.id)
        uow.commit()


def authenticate(db: Database, username: str, password: str) -> User:
    """The active user with this name and password, else AuthenticationError (same message for
    an unknown name, a wrong password and a disabled user)."""
    with UnitOfWork(db) as uow:
        found = uow.users.find(username)
    # argon2 takes a while on purpose: verify outside any transaction.
    stored = found[1] if found else _dummy_hash()
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationError(_WRONG_LOGIN) from None
    if found is None or not found[0].active:
        raise AuthenticationError(_WRONG_LOGIN)
    user = found[0]
    rehashed = _hasher().hash(password) if _hasher().check_needs_rehash(stored) else None
    assert user.id is not None
    with UnitOfWork(db) as uow:
        if rehashed is not None:
            uow.users.set_password_hash(username, rehashed)
        uow.users.touch_login(user.id, _now())
        uow.commit()
    return user


# --- browser sessions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewSession:
    """The secrets of a new browser session: set as cookies once, never stored in clear."""

    session_id: str
    csrf_token: str
    expires_at: datetime


def start_session(
    db: Database, user: User, *, lifetime: timedelta = SESSION_LIFETIME
) -> NewSession:
    assert user.id is not None
    now = _now()
    new = NewSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now + lifetime)
    with UnitOfWork(db) as uow:
        uow.browser_sessions.delete_expired(now)
        uow.browser_sessions.add(
            sha256(new.session_id),
            user.id,
            sha256(new.csrf_token),
            now=now,
            expires_at=new.expires_at,
        )
        uow.commit()
    return new


def resolve_session(db: Database, session_id: str) -> tuple[User, str]:
    """``(user, csrf_hash)`` of a live session, else AuthenticationError."""
    key = sha256(session_id)
    now = _now()
    with UnitOfWork(db) as uow:
        found = uow.browser_sessions.find(key)
        if found is None:
            raise AuthenticationError("not signed in (no such session); log in again")
        user, csrf_hash, expires_at, last_seen = found
        if expires_at <= now or not user.active:
            uow.browser_sessions.delete(key)
            uow.commit()
            raise AuthenticationError("the session has ended; log in again")
        if now - last_seen >= TOUCH_INTERVAL:
            uow.browser_sessions.touch(key, now)
            uow.commit()
    return user, csrf_hash


def end_session(db: Database, session_id: str) -> None:
    with UnitOfWork(db) as uow:
        uow.browser_sessions.delete(sha256(session_id))
        uow.commit()


# --- API tokens --------------------------------------------------------------------------------


def create_token(
    db: Database,
    username: str,
    scopes: frozenset[Scope],
    *,
    expires_in: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``username``: its public facts and the secret (shown once)."""
    if not scopes:
        raise InvalidParameterError("give at least one scope", details={"field": "scopes"})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    with UnitOfWork(db) as uow:
        user = uow.users.get(username)
        if not user.active:
            raise InvalidParameterError(
                f"user {username!r} is disabled; enable them before creating a token",
                details={"field": "user", "value": username},
            )
        assert user.id is not None
        token = uow.api_tokens.add(
            user.id,
            sha256(secret),
            secret[: len(TOKEN_PREFIX) + 6],
            scopes,
            now=now,
            expires_at=None if expires_in is None else now + expires_in,
        )
        uow.commit()
    return token, secret


def resolve_token(db: Database, secret: str) -> tuple[User, ApiToken]:
    """The user and token of a bearer secret, else AuthenticationError.

    Checked against the database on every call (one indexed statement, no ORM session, no
    transaction around it), so a revoked or expired token or a disabled user is refused from
    the next request on. The time of last use is written at most once a minute."""
    _check_token_form(secret)
    with db.single_statement() as connection:
        user, token = _usable_token(connection, find_token(connection, sha256(secret)))
    return user, token


def resolve_token_for_routing(
    db: Database, secret: str, target: RoutingTarget
) -> tuple[User, ApiToken, VersionRows]:
    """:func:`resolve_token`, reading in the same statement which plan and versions would
    route a lead for ``target`` (rows for :func:`terraplan.services.routing.route_record`):
    routing's one read per lead."""
    _check_token_form(secret)
    with db.single_statement() as connection:
        found, rows = find_token_and_routing_versions(connection, sha256(secret), target)
        user, token = _usable_token(connection, found)
    return user, token, rows


def _check_token_form(secret: str) -> None:
    if not secret.startswith(TOKEN_PREFIX):
        raise AuthenticationError("the bearer token is not a terraplan API token (tp_...)")


def _usable_token(
    connection: Connection, found: tuple[ApiToken, User] | None
) -> tuple[User, ApiToken]:
    """The user and token if the token may be used now (its last use noted at most once a
    minute), else AuthenticationError."""
    now = _now()
    if found is None:
        raise AuthenticationError("unknown API token")
    token, user = found
    state = token.state(now)
    if state != "active":
        raise AuthenticationError(f"the API token {token.prefix}… is {state}")
    if not user.active:
        raise AuthenticationError(f"the API token's user {user.username} is disabled")
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        touch_token(connection, token.id, now)
    return user, token


def list_tokens(db: Database, username: str | None = None) -> list[ApiToken]:
    with UnitOfWork(db) as uow:
        user_id = uow.users.get(username).id if username else None
        return uow.api_tokens.list(user_id=user_id)


def revoke_token(db: Database, token_id: int) -> ApiToken:
    with UnitOfWork(db) as uow:
        token = uow.api_tokens.revoke(token_id, _now())
        uow.commit()
    return token


# --- demo --------------------------------------------------------------------------------------


def create_demo_users(db: Database) -> list[tuple[str, Role, str]]:
    """One user per role with a fresh random password: ``[(username, role, password), ...]``.

    The manager is linked to the first demo manager (and their region), the rep to the first
    account executive of that region; users that exist already get a new password.
    """
    with UnitOfWork(db) as uow:
        reps = uow.reps.list()
    managers = [r for r in reps if r.role is RepRole.MANAGER and r.region]
    manager = managers[0] if managers else None
    executives = [
        r
        for r in reps
        if r.role is RepRole.ACCOUNT_EXECUTIVE and (manager is None or r.region == manager.region)
    ]
    wanted: list[tuple[str, Role, str | None, str | None]] = [
        ("admin", Role.ADMIN, None, None),
        ("planner", Role.PLANNER, None, None),
    ]
    if manager is not None:
        wanted.append(("manager", Role.MANAGER, manager.id, manager.region))
    if executives:
        wanted.append(("rep", Role.REP, executives[0].id, executives[0].region))
    created = []
    existing = {u.username for u in list_users(db)}
    for username, role, rep_id, region in wanted:
        password = secrets.token_urlsafe(12)
        if username in existing:
            set_role(db, username, role, rep_id=rep_id, region=region)
            set_active(db, username, True)
            set_password(db, username, password)
        else:
            create_user(db, username, role, password, rep_id=rep_id, region=region)
        created.append((username, role, password))
    return created
