"""Repositories of users, API tokens and browser sessions. They never commit.

Secrets never reach this module: it stores and looks up hashes (argon2 for passwords, sha256 for
session ids, CSRF tokens and API tokens), computed by :mod:`terraplan.services.users`.
Times are stored as naive UTC (like every table here) and returned timezone-aware.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from terraplan.domain.user import ApiToken, Role, Scope, User
from terraplan.errors import ConflictError, NotFoundError
from terraplan.storage.orm_access import ApiTokenRow, BrowserSessionRow, UserRow


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def user_from_row(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        rep_id=row.rep_id,
        region=row.region,
        active=row.active,
        created_at=_aware(row.created_at),
        last_login_at=_aware(row.last_login_at),
    )


class UserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _row(self, username: str) -> UserRow:
        row = self._session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFoundError(
                f"no user named {username!r}", details={"kind": "users", "username": username}
            )
        return row

    def get(self, username: str) -> User:
        return user_from_row(self._row(username))

    def get_by_id(self, user_id: int) -> User:
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise NotFoundError(f"no user with id {user_id}", details={"kind": "users"})
        return user_from_row(row)

    def find(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash, or None (login looks users up this way)."""
        row = self._session.scalar(select(UserRow).where(UserRow.username == username))
        return None if row is None else (user_from_row(row), row.password_hash)

    def list(self) -> list[User]:
        return [
            user_from_row(r)
            for r in self._session.scalars(select(UserRow).order_by(UserRow.username))
        ]

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(UserRow)) or 0)

    def add(self, user: User, password_hash: str, *, now: datetime) -> User:
        if self._session.scalar(select(UserRow.id).where(UserRow.username == user.username)):
            raise ConflictError(
                f"user {user.username!r} already exists", details={"username": user.username}
            )
        row = UserRow(
            username=user.username,
            password_hash=password_hash,
            role=user.role.value,
            rep_id=user.rep_id,
            region=user.region,
            active=user.active,
            created_at=_naive(now),
        )
        self._session.add(row)
        self._session.flush()
        return user_from_row(row)

    def update(self, user: User) -> User:
        """Store role, rep link, region and the active flag of an existing user."""
        row = self._row(user.username)
        row.role = user.role.value
        row.rep_id = user.rep_id
        row.region = user.region
        row.active = user.active
        self._session.flush()
        return user_from_row(row)

    def set_password_hash(self, username: str, password_hash: str) -> None:
        self._row(username).password_hash = password_hash
        self._session.flush()

    def touch_login(self, user_id: int, now: datetime) -> None:
        self._session.execute(
            update(UserRow).where(UserRow.id == user_id).values(last_login_at=_naive(now))
        )


def _token_from_row(row: ApiTokenRow, username: str) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        username=username,
        prefix=row.prefix,
        scopes=frozenset(Scope(s) for s in row.scopes),
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at),
        revoked_at=_aware(row.revoked_at),
        last_used_at=_aware(row.last_used_at),
    )


class ApiTokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        user_id: int,
        token_hash: str,
        prefix: str,
        scopes: frozenset[Scope],
        *,
        now: datetime,
        expires_at: datetime | None,
    ) -> ApiToken:
        row = ApiTokenRow(
            user_id=user_id,
            token_hash=token_hash,
            prefix=prefix,
            scopes=sorted(s.value for s in scopes),
            created_at=_naive(now),
            expires_at=_naive(expires_at),
        )
        self._session.add(row)
        self._session.flush()
        username = self._session.scalar(select(UserRow.username).where(UserRow.id == user_id))
        return _token_from_row(row, str(username))

    def find(self, token_hash: str) -> tuple[ApiToken, User] | None:
        found = self._session.execute(
            select(ApiTokenRow, UserRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_hash == token_hash)
        ).first()
        if found is None:
            return None
        token_row, user_row = found
        return _token_from_row(token_row, user_row.username), user_from_row(user_row)

    def get(self, token_id: int) -> ApiToken:
        found = self._session.execute(
            select(ApiTokenRow, UserRow.username)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.id == token_id)
        ).first()
        if found is None:
            raise NotFoundError(
                f"no API token with id {token_id}", details={"kind": "api_tokens", "id": token_id}
            )
        return _token_from_row(found[0], found[1])

    def list(self, *, user_id: int | None = None) -> list[ApiToken]:
        query = (
            select(ApiTokenRow, UserRow.username)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .order_by(ApiTokenRow.id)
        )
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        return [_token_from_row(row, name) for row, name in self._session.execute(query)]

    def revoke(self, token_id: int, now: datetime) -> ApiToken:
        row = self._session.get(ApiTokenRow, token_id)
        if row is None:
            raise NotFoundError(
                f"no API token with id {token_id}", details={"kind": "api_tokens", "id": token_id}
            )
        if row.revoked_at is None:
            row.revoked_at = _naive(now)
            self._session.flush()
        return self.get(token_id)

    def touch(self, token_id: int, now: datetime) -> None:
        self._session.execute(
            update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=_naive(now))
        )


_TOKENS = ApiTokenRow.__table__.c
_USERS = UserRow.__table__.c
#: Built once: the API runs it on every request made with a token (see :func:`find_token`).
FIND_TOKEN = (
    select(
        *_TOKENS,
        _USERS.username,
        _USERS.role,
        _USERS.rep_id,
        _USERS.region,
        _USERS.active,
        _USERS.created_at.label("user_created_at"),
        _USERS.last_login_at,
    )
    .join_from(ApiTokenRow.__table__, UserRow.__table__, _USERS.id == _TOKENS.user_id)
    .where(_TOKENS.token_hash == bindparam("token_hash"))
)
_TOUCH_TOKEN = (
    update(ApiTokenRow)
    .where(ApiTokenRow.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


def find_token(connection: Connection, token_hash: str) -> tuple[ApiToken, User] | None:
    """The token of ``token_hash`` and its user: one indexed statement on a plain connection
    (no ORM session), as cheap as a lookup gets; what the API asks on every token request."""
    row = connection.execute(FIND_TOKEN, {"token_hash": token_hash}).first()
    return None if row is None else token_and_user(row._mapping)


def token_and_user(m: Mapping[Any, Any]) -> tuple[ApiToken, User]:
    """The token and user of a row of :data:`FIND_TOKEN`'s columns."""
    token = ApiToken(
        id=m["id"],
        user_id=m["user_id"],
        username=m["username"],
        prefix=m["prefix"],
        scopes=frozenset(Scope(s) for s in m["scopes"]),
        created_at=_aware(m["created_at"]),
        expires_at=_aware(m["expires_at"]),
        revoked_at=_aware(m["revoked_at"]),
        last_used_at=_aware(m["last_used_at"]),
    )
    user = User(
        id=m["user_id"],
        username=m["username"],
        role=Role(m["role"]),
        rep_id=m["rep_id"],
        region=m["region"],
        active=m["active"],
        created_at=_aware(m["user_created_at"]),
        last_login_at=_aware(m["last_login_at"]),
    )
    return token, user


def touch_token(connection: Connection, token_id: int, now: datetime) -> None:
    """Record the token's last use (the caller's transaction commits it)."""
    connection.execute(_TOUCH_TOKEN, {"token_id": token_id, "now": _naive(now)})


class BrowserSessionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self, id_hash: str, user_id: int, csrf_hash: str, *, now: datetime, expires_at: datetime
    ) -> None:
        self._session.add(
            BrowserSessionRow(
                id_hash=id_hash,
                user_id=user_id,
                csrf_hash=csrf_hash,
                created_at=_naive(now),
                expires_at=_naive(expires_at),
                last_seen_at=_naive(now),
            )
        )
        self._session.flush()

    def find(self, id_hash: str) -> tuple[User, str, datetime, datetime] | None:
        """``(user, csrf_hash, expires_at, last_seen_at)`` of a session, or None."""
        found = self._session.execute(
            select(BrowserSessionRow, UserRow)
            .join(UserRow, UserRow.id == BrowserSessionRow.user_id)
            .where(BrowserSessionRow.id_hash == id_hash)
        ).first()
        if found is None:
            return None
        session_row, user_row = found
        return (
            user_from_row(user_row),
            session_row.csrf_hash,
            session_row.expires_at.replace(tzinfo=UTC),
            session_row.last_seen_at.replace(tzinfo=UTC),
        )

    def touch(self, id_hash: str, now: datetime) -> None:
        self._session.execute(
            update(BrowserSessionRow)
            .where(BrowserSessionRow.id_hash == id_hash)
            .values(last_seen_at=_naive(now))
        )

    def delete(self, id_hash: str) -> None:
        self._session.execute(delete(BrowserSessionRow).where(BrowserSessionRow.id_hash == id_hash))

    def delete_for_user(self, user_id: int) -> int:
        result = self._session.execute(
            delete(BrowserSessionRow).where(BrowserSessionRow.user_id == user_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def delete_expired(self, now: datetime) -> int:
        result = self._session.execute(
            delete(BrowserSessionRow).where(BrowserSessionRow.expires_at <= _naive(now))
        )
        return int(getattr(result, "rowcount", 0) or 0)
