"""Sign in and out of a browser session; who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from terraplan.api.auth import (
    SESSION_COOKIE,
    CurrentPrincipal,
    clear_session_cookies,
    current_principal,
    set_session_cookies,
)
from terraplan.api.deps import DatabaseDep, SettingsDep
from terraplan.api.login_guard import LoginGuard
from terraplan.api.schemas import Timestamp
from terraplan.domain.user import User
from terraplan.services.access import Principal
from terraplan.storage.database import Database

router = APIRouter(prefix="/auth", tags=["auth"])

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Not signed in, or wrong user name or password"},
    403: {"description": "Missing or wrong CSRF token"},
}


_LOGIN_ERRORS: dict[int | str, dict[str, str]] = {
    **_ERRORS,
    429: {"description": "Too many failed sign-ins for this user name or address: wait"},
}


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class UserPublic(BaseModel):
    username: str
    role: str
    rep_id: str | None
    rep_name: str | None = Field(
        default=None, description="the name of the rep the user is (null when none, or unknown)"
    )
    region: str | None
    active: bool
    created_at: Timestamp | None
    last_login_at: Timestamp | None


class MePublic(UserPublic):
    via: str = Field(description="session or token")
    scopes: list[str] | None = Field(description="the API token's scopes (null for a session)")


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str = Field(description="also in the terraplan_csrf cookie; send as X-CSRF-Token")
    expires_at: Timestamp


def user_public(user: User, db: Database | None = None) -> UserPublic:
    """``user`` as the API shows it; with ``db``, the name of the rep the user is."""
    return UserPublic(
        username=user.username,
        role=user.role.value,
        rep_id=user.rep_id,
        rep_name=_rep_name(db, user.rep_id) if db is not None else None,
        region=user.region,
        active=user.active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _rep_name(db: Database, rep_id: str | None) -> str | None:
    """The name of rep ``rep_id`` (None when there is none or no such rep)."""
    if not rep_id:
        return None
    from terraplan.services.place_names import rep_names
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(db) as uow:
        name = rep_names(uow, [rep_id])[rep_id]
    return None if name == rep_id else name


@router.post("/login", operation_id="login", responses=_LOGIN_ERRORS)
async def login(
    request: Request,
    body: LoginRequest,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
) -> SessionPublic:
    """Check the user name and password; start a session (HttpOnly cookie + CSRF cookie).

    Failed sign-ins are counted per user name and per client address: after too many in 15
    minutes the answer is 429 (``too_many_attempts``, with ``Retry-After``) until they age out.
    Password checks run a few at a time, waiting without holding a worker thread, so a flood
    of sign-ins does not stall the other requests."""
    from datetime import timedelta

    from starlette.concurrency import run_in_threadpool

    from terraplan.errors import AuthenticationError
    from terraplan.services.users import authenticate, start_session

    guard: LoginGuard = request.app.state.login_guard
    client = request.client.host if request.client else "unknown"
    await run_in_threadpool(guard.check, body.username, client)
    async with guard.checks:
        # failures may have come in while waiting (from this process or another)
        await run_in_threadpool(guard.check, body.username, client)
        try:
            user = await run_in_threadpool(authenticate, db, body.username, body.password)
        except AuthenticationError:
            await run_in_threadpool(guard.failed, body.username, client)
            raise
    await run_in_threadpool(guard.succeeded, body.username)
    session = await run_in_threadpool(
        start_session, db, user, lifetime=timedelta(hours=settings.session_hours)
    )
    set_session_cookies(response, session, settings)
    # As stored by the sign-in: its last_login_at is this sign-in's time.
    user = await run_in_threadpool(_stored_user, db, user)
    public = await run_in_threadpool(user_public, user, db)
    return SessionPublic(user=public, csrf_token=session.csrf_token, expires_at=session.expires_at)


def _stored_user(db: Database, user: User) -> User:
    """``user`` as the database holds it now (``user`` itself if it is gone)."""
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(db) as uow:
        found = uow.users.find(user.username)
    return found[0] if found else user


@router.post("/logout", operation_id="logout", status_code=204, responses=_ERRORS)
def logout(
    request: Request,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(current_principal)],
) -> None:
    """End this browser session (with a token: nothing to end; revoke tokens with the CLI)."""
    from terraplan.services.users import end_session

    session_id = request.cookies.get(SESSION_COOKIE)
    if principal.via == "session" and session_id:
        end_session(db, session_id)
    clear_session_cookies(response, settings)


@router.get("/me", operation_id="get_me", responses=_ERRORS)
def me(principal: CurrentPrincipal, db: DatabaseDep) -> MePublic:
    """The signed-in user (with the name of the rep they are), how they are signed in, and the
    token's scopes."""
    return MePublic(
        **user_public(principal.user, db).model_dump(),
        via=principal.via,
        scopes=None if principal.scopes is None else sorted(s.value for s in principal.scopes),
    )
