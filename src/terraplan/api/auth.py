"""Who is calling: the one dependency that resolves the current user (API token or session cookie)
and checks CSRF on state-changing requests made with the cookie.

- ``Authorization: Bearer tp_...``: an API token; its scopes narrow what the user may do; no CSRF.
- Cookie ``terraplan_session`` (HttpOnly): a browser session. Requests other than GET/HEAD/OPTIONS
  must send the value of the ``terraplan_csrf`` cookie (readable by the page's script) in the
  ``X-CSRF-Token`` header (double submit; the server also checks it against the session).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from terraplan.api.deps import DatabaseDep
from terraplan.config import Settings
from terraplan.domain import Plan
from terraplan.domain.access import Action, Resource, require, require_visible, sees_everything
from terraplan.domain.user import User
from terraplan.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from terraplan.services.access import Principal, plan_resource, visible_territories
from terraplan.services.users import (
    NewSession,
    resolve_session,
    resolve_token,
    resolve_token_for_routing,
    secrets_match,
)
from terraplan.storage.database import Database
from terraplan.storage.routing_reads import RoutingTarget, VersionRows
from terraplan.storage.unit_of_work import UnitOfWork

SESSION_COOKIE = "terraplan_session"
CSRF_COOKIE = "terraplan_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token (`terraplan tokens create`): `Authorization: Bearer tp_...`.",
)
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="Browser session from `POST /auth/login`; state-changing requests also need "
    f"the `{CSRF_COOKIE}` cookie's value in the `{CSRF_HEADER}` header.",
)


def _check_csrf(request: Request, csrf_hash: str) -> None:
    header = request.headers.get(CSRF_HEADER) or ""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not header or not cookie or not hmac.compare_digest(header, cookie):
        raise PermissionDeniedError(
            f"missing or wrong CSRF token: send the {CSRF_COOKIE} cookie's value in the "
            f"{CSRF_HEADER} header",
            details={"reason": "csrf"},
        )
    if not secrets_match(header, csrf_hash):
        raise PermissionDeniedError(
            "the CSRF token does not belong to this session; log in again",
            details={"reason": "csrf"},
        )


def _resolve_principal(
    request: Request,
    db: Database,
    bearer: HTTPAuthorizationCredentials | None,
    session_id: str | None,
) -> Principal:
    authorization = request.headers.get("Authorization")
    if authorization:
        if bearer is None or not bearer.credentials:
            raise AuthenticationError(
                "the Authorization header must be 'Bearer <API token>'",
                details={"header": "Authorization"},
            )
        user, token = resolve_token(db, bearer.credentials.strip())
        return Principal(user=user, scopes=token.scopes, via="token")
    if not session_id:
        raise AuthenticationError(
            "sign in first: POST /auth/login, or send 'Authorization: Bearer <API token>'"
        )
    user, csrf_hash = resolve_session(db, session_id)
    if request.method not in SAFE_METHODS:
        _check_csrf(request, csrf_hash)
    return Principal(user=user, scopes=None, via="session")


def current_principal(
    request: Request,
    db: DatabaseDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session_id: Annotated[str | None, Depends(_session_cookie)],
) -> Principal:
    """The caller, from an API token or a session cookie; AuthenticationError (401) if neither."""
    return _resolve_principal(request, db, bearer, session_id)


class Caller:
    """The credentials a request carries, read without touching the database.

    :meth:`principal` checks them, exactly as :func:`current_principal` does. The hot reads and
    routing take a ``Caller`` and call :meth:`principal` in the one worker thread that does the
    rest of their work: one trip to the thread pool per request instead of three (dependency,
    route, response validation), which is most of what such a request costs under load.
    """

    __slots__ = ("_bearer", "_db", "_request", "_session_id")

    def __init__(
        self,
        request: Request,
        db: Database,
        bearer: HTTPAuthorizationCredentials | None,
        session_id: str | None,
    ) -> None:
        self._request = request
        self._db = db
        self._bearer = bearer
        self._session_id = session_id

    @property
    def database(self) -> Database:
        """The app's database (routes taking a caller need no database dependency of their own)."""
        return self._db

    def principal(self) -> Principal:
        """The signed-in caller (AuthenticationError 401 if none); runs a database statement."""
        return _resolve_principal(self._request, self._db, self._bearer, self._session_id)

    def principal_for_routing(self, target: RoutingTarget) -> tuple[Principal, VersionRows | None]:
        """:meth:`principal`; with an API token, also the rows saying which plan and versions
        route a lead for ``target``, read in the same statement (None with a session)."""
        if self._bearer is not None:  # built only from a non-empty "Bearer ..." header
            user, token, rows = resolve_token_for_routing(
                self._db, self._bearer.credentials, target
            )
            return Principal(user=user, scopes=token.scopes, via="token"), rows
        return self.principal(), None


def _bearer_credentials(request: Request) -> HTTPAuthorizationCredentials | None:
    """The ``Authorization: Bearer ...`` credentials, read as :data:`_bearer` reads them."""
    authorization = request.headers.get("Authorization")
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if not credentials or scheme.lower() != "bearer":
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


async def current_caller(request: Request) -> Caller:
    """The request's credentials, unchecked (see :class:`Caller`).

    One plain dependency that reads the headers itself, instead of the security dependencies
    that :func:`current_principal` is made of: each dependency costs every request its own
    resolution, and these routes are the busiest. Routes taking it declare
    :data:`CALLER_SECURITY` so that the OpenAPI names the same security schemes.
    """
    return Caller(
        request,
        request.app.state.database,
        _bearer_credentials(request),
        request.cookies.get(SESSION_COOKIE),
    )


#: ``openapi_extra`` of a route taking :data:`CurrentCaller`: the security schemes that
#: :func:`current_principal`'s dependencies put in the OpenAPI by themselves.
CALLER_SECURITY: dict[str, object] = {
    "security": [{_bearer.scheme_name: []}, {_session_cookie.scheme_name: []}]
}


def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> User:
    return principal.user


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentUser = Annotated[User, Depends(current_user)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]


def requires(action: Action) -> object:
    """A route dependency: the caller must be allowed ``action`` in general (role and token
    scope), e.g. ``dependencies=[requires(Action.ROUTE)]``; per-record checks stay in the route."""

    def check(principal: CurrentPrincipal) -> None:
        require(principal.user, action, scopes=principal.scopes)

    return Depends(check)


def authorize(principal: Principal, action: Action, resource: Resource | None = None) -> None:
    """Raise PermissionDeniedError (403) unless the policy allows it."""
    require(principal.user, action, resource, scopes=principal.scopes)


def set_session_cookies(response: Response, session: NewSession, settings: Settings) -> None:
    max_age = int(settings.session_hours * 3600)
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        max_age=max_age,
        httponly=True,
        secure=settings.session_cookie_secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        session.csrf_token,
        max_age=max_age,
        httponly=False,
        secure=settings.session_cookie_secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(
            name,
            path="/",
            httponly=http_only,
            secure=settings.session_cookie_secure,
            samesite="lax",
        )


def visible_plan(uow: UnitOfWork, principal: Principal, plan: Plan) -> Plan:
    """The plan as the caller may see it (404 when they have no territory in it)."""
    from dataclasses import replace

    if sees_everything(principal.user):
        authorize(principal, Action.READ)
        return plan
    resource, territories = plan_resource(uow, plan)
    require_visible(
        principal.user,
        resource,
        NotFoundError(f"no plan with id {plan.id!r}", details={"kind": "plans", "id": plan.id}),
        scopes=principal.scopes,
    )
    shown = visible_territories(principal, territories)
    return replace(
        plan,
        territories=tuple(t for t in plan.territories if t.id in shown),
        alignment=tuple(e for e in plan.alignment if e.territory_id in shown),
    )
