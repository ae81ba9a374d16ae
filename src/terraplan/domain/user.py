"""Users of terraplan, their roles, and API tokens (no secrets here: hashes live in storage)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from terraplan.domain._checks import fail
from terraplan.errors import InvalidParameterError

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")


class Role(StrEnum):
    """What a user is for (see :mod:`terraplan.domain.access` for what each may do)."""

    ADMIN = "admin"
    PLANNER = "planner"
    MANAGER = "manager"
    REP = "rep"


class Scope(StrEnum):
    """What an API token may be used for, on top of what its user may do."""

    READ = "read"
    ROUTE = "route"
    PLAN_WRITE = "plan:write"
    ADMIN = "admin"


def parse_scopes(text: str) -> frozenset[Scope]:
    """``"read,route"`` -> ``{Scope.READ, Scope.ROUTE}``; unknown names raise InvalidParameterError."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    known = {s.value: s for s in Scope}
    if not names:
        raise InvalidParameterError(
            f"give at least one scope ({', '.join(known)})", details={"field": "scopes"}
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidParameterError(
            f"unknown scope {unknown[0]!r} (use {', '.join(known)})",
            details={"field": "scopes", "value": unknown[0]},
        )
    return frozenset(known[n] for n in names)


@dataclass(frozen=True, slots=True)
class User:
    """A person who logs in. A rep is linked to their rep record (``rep_id``); a manager has a
    ``region`` (the ``region`` of the reps they lead) and may be linked to a rep record too."""

    username: str
    role: Role
    id: int | None = None
    rep_id: str | None = None
    region: str | None = None
    active: bool = True
    created_at: datetime | None = None
    last_login_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.username, str) or not USERNAME_PATTERN.match(self.username):
            raise fail(
                "User",
                "username",
                f"{self.username!r} is not a valid user name (2-100 letters, digits, . _ @ -)",
            )
        if not isinstance(self.role, Role):
            raise fail(
                "User", "role", f"unknown role {self.role!r} (use admin, planner, manager, rep)"
            )
        if self.role is Role.REP and not self.rep_id:
            raise fail("User", "rep_id", "a user with role rep must be linked to a rep (--rep)")
        if self.role is Role.MANAGER and not self.region:
            raise fail("User", "region", "a user with role manager needs a region (--region)")


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token's public facts. ``prefix`` is the start of the token, shown to recognise it."""

    id: int
    user_id: int
    username: str
    prefix: str
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    created_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
