"""Sign-in, sessions, CSRF and API tokens against the real app and database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import PASSWORD

from terraplan.domain import Plan, Territory
from terraplan.domain.user import Scope
from terraplan.services.users import create_token, revoke_token, set_active
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_login_sets_a_secure_httponly_lax_session_cookie_and_me_answers(
    anonymous: TestClient, users: dict[str, str]
) -> None:
    response = anonymous.post("/auth/login", json={"username": "manager", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["role"] == "manager"
    assert (body["user"]["rep_id"], body["user"]["region"]) == ("M1", "West")
    assert body["user"]["rep_name"] == "Mia Manager"
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    session = cookies["terraplan_session"]
    assert "httponly" in session and "secure" in session and "samesite=lax" in session
    csrf = cookies["terraplan_csrf"]
    assert "httponly" not in csrf and "secure" in csrf
    assert anonymous.cookies["terraplan_csrf"] == body["csrf_token"]

    me = anonymous.get("/auth/me").json()
    assert (me["username"], me["role"], me["via"], me["scopes"]) == (
        "manager",
        "manager",
        "session",
        None,
    )
    assert me["last_login_at"] is not None
    assert (me["rep_id"], me["rep_name"]) == ("M1", "Mia Manager")


def test_me_names_no_rep_for_a_user_without_one_or_with_an_unknown_rep(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    assert as_user("planner").get("/auth/me").json()["rep_name"] is None
    with UnitOfWork(db) as uow:
        uow.reps.delete_where({"id": "R1"})
        uow.commit()
    me = as_user("rep").get("/auth/me").json()
    # The id is kept (a rep removed from the CRM), but no name is made up from it.
    assert (me["rep_id"], me["rep_name"]) == ("R1", None)


def test_wrong_password_unknown_user_and_no_credentials_are_401_in_the_error_shape(
    anonymous: TestClient, users: dict[str, str]
) -> None:
    wrong = anonymous.post("/auth/login", json={"username": "rep", "password": "nope-nope-nope"})
    unknown = anonymous.post("/auth/login", json={"username": "ghost", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    # Same answer either way: no user enumeration.
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "authentication_required"
    assert "terraplan_session" not in anonymous.cookies

    missing = anonymous.get("/accounts")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "POST /auth/login" in missing.json()["error"]["message"]
    # /health stays open.
    assert anonymous.get("/health").status_code == 200


def test_state_changing_requests_with_the_cookie_need_the_csrf_header(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    planner = as_user("planner")
    token = planner.headers.pop("X-CSRF-Token")
    body = {"status": "in_review", "version": 1}
    no_header = planner.post("/plans/NOPE/status", json=body)
    assert no_header.status_code == 403
    assert no_header.json()["error"]["details"] == {"reason": "csrf"}
    wrong = planner.post("/plans/NOPE/status", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    # With the matching header the request goes through (and finds no plan).
    assert (
        planner.post("/plans/NOPE/status", json=body, headers={"X-CSRF-Token": token}).status_code
        == 404
    )
    # GET needs no CSRF header.
    assert planner.get("/plans").status_code == 200

    # Another session's CSRF token (copied into both cookie and header) does not fit this session.
    other = as_user("admin")
    other_token = other.headers["X-CSRF-Token"]
    planner.cookies.set("terraplan_csrf", other_token, domain="testserver.local")
    mixed = planner.post("/plans/NOPE/status", json=body, headers={"X-CSRF-Token": other_token})
    assert mixed.status_code == 403
    assert "does not belong to this session" in mixed.json()["error"]["message"]


def test_logout_ends_the_session_server_side(as_user: Callable[[str], TestClient]) -> None:
    rep = as_user("rep")
    session_id = rep.cookies["terraplan_session"]
    assert rep.post("/auth/logout").status_code == 204
    assert rep.get("/auth/me").status_code == 401
    # Replaying the old cookie does not work either.
    rep.cookies.set("terraplan_session", session_id, domain="testserver.local")
    assert rep.get("/auth/me").status_code == 401


def test_disabling_a_user_ends_their_sessions_and_tokens(
    as_user: Callable[[str], TestClient], anonymous: TestClient, db: Database
) -> None:
    rep = as_user("rep")
    _, secret = create_token(db, "rep", frozenset({Scope.READ}))
    assert (
        anonymous.get("/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    set_active(db, "rep", False)
    assert rep.get("/auth/me").status_code == 401
    denied = anonymous.get("/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert denied.status_code == 401
    assert "disabled" in denied.json()["error"]["message"]
    again = anonymous.post("/auth/login", json={"username": "rep", "password": PASSWORD})
    assert again.status_code == 401


def test_api_tokens_scopes_expiry_revocation_and_last_use(
    anonymous: TestClient, users: dict[str, str], db: Database
) -> None:
    with UnitOfWork(db) as uow:
        uow.plans.add(Plan(id="P1", name="FY27", territories=(Territory(id="T1", name="West"),)))
        uow.commit()
    token, secret = create_token(db, "planner", frozenset({Scope.READ}))
    assert secret.startswith("tp_") and len(secret) > 40
    assert token.prefix == secret[:9]
    bearer = {"Authorization": f"Bearer {secret}"}

    me = anonymous.get("/auth/me", headers=bearer).json()
    assert (me["username"], me["via"], me["scopes"]) == ("planner", "token", ["read"])
    assert anonymous.get("/plans", headers=bearer).status_code == 200
    # A read-only token cannot change a plan, whatever its user may do; no CSRF needed.
    write = anonymous.post(
        "/plans/P1/status", json={"status": "in_review", "version": 1}, headers=bearer
    )
    assert write.status_code == 403
    assert "plan:write scope" in write.json()["error"]["message"]

    from terraplan.services.users import list_tokens

    assert list_tokens(db, "planner")[0].last_used_at is not None

    revoke_token(db, token.id)
    revoked = anonymous.get("/plans", headers=bearer)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]["message"]

    _, short = create_token(
        db, "planner", frozenset({Scope.READ}), expires_in=timedelta(seconds=-1)
    )
    expired = anonymous.get("/plans", headers={"Authorization": f"Bearer {short}"})
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]

    for header in ("Bearer tp_unknown", "Basic cGxhbm5lcjp4", "Bearer "):
        response = anonymous.get("/plans", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "authentication_required"


def test_openapi_documents_both_ways_to_authenticate(anonymous: TestClient) -> None:
    spec = anonymous.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiToken"]["description"],
    }
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "terraplan_session")
    accounts = spec["paths"]["/accounts/{account_id}"]["get"]
    assert {"401", "403", "404"} <= set(accounts["responses"])
    assert "security" not in spec["paths"]["/health"]["get"]


def test_the_requires_dependency_guards_a_route_by_role_and_scope(
    users: dict[str, str], db: Database
) -> None:
    """How the routing endpoint gets wired: ``dependencies=[requires(Action.ROUTE)]``."""
    from fastapi import APIRouter

    from terraplan.api.app import create_app
    from terraplan.api.auth import requires
    from terraplan.config import Settings
    from terraplan.domain.access import Action

    router = APIRouter()

    @router.post("/guarded", dependencies=[requires(Action.ROUTE)])
    def guarded() -> dict[str, bool]:
        return {"ok": True}

    app = create_app(Settings(database_url=db.url))
    app.include_router(router)
    _, route_token = create_token(db, "planner", frozenset({Scope.ROUTE}))
    _, read_token = create_token(db, "planner", frozenset({Scope.READ}))
    _, rep_token = create_token(db, "rep", frozenset({Scope.ROUTE}))
    with TestClient(app, base_url="https://testserver") as client:

        def call(secret: str) -> int:
            return client.post(
                "/guarded", headers={"Authorization": f"Bearer {secret}"}
            ).status_code

        assert (call(route_token), call(read_token), call(rep_token)) == (200, 403, 403)
        assert client.post("/guarded").status_code == 401


def test_an_expired_session_is_refused_and_removed(users: dict[str, str], db: Database) -> None:
    import pytest

    from terraplan.errors import AuthenticationError
    from terraplan.services.users import get_user, resolve_session, start_session

    session = start_session(db, get_user(db, "rep"), lifetime=timedelta(seconds=-1))
    with pytest.raises(AuthenticationError, match="session has ended"):
        resolve_session(db, session.session_id)
    with pytest.raises(AuthenticationError, match="no such session"):
        resolve_session(db, session.session_id)
