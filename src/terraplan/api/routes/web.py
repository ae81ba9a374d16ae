"""The web UI: ``GET /`` (the sign-in page when signed out, else the app) and its static files,
served from the package (``terraplan/web``; front-end libraries vendored, no CDN)."""

from __future__ import annotations

import html
import json
from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from terraplan.api.auth import SESSION_COOKIE
from terraplan.errors import AuthenticationError

router = APIRouter(include_in_schema=False)

#: Where the UI's files are served from.
WEB_STATIC_URL = "/static/web"


def web_root() -> str:
    return str(files("terraplan") / "web")


def _page(name: str) -> str:
    return (files("terraplan") / "web" / name).read_text(encoding="utf-8")


def install_web(app: FastAPI) -> None:
    """Mount the static files and the pages on ``app``."""
    app.mount(WEB_STATIC_URL, StaticFiles(directory=web_root()), name="web-static")
    app.include_router(router)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The app for a signed-in browser, the sign-in page otherwise."""
    from terraplan.services.users import resolve_session

    session_id = request.cookies.get(SESSION_COOKIE)
    user = None
    if session_id:
        try:
            user, _ = resolve_session(request.app.state.database, session_id)
        except AuthenticationError:
            user = None
    headers = {"Cache-Control": "no-store"}
    if user is None:
        return HTMLResponse(_page("login.html"), headers=headers)
    settings = request.app.state.settings
    rep_name, rep_region = _rep_record(request, user.rep_id)
    config = {
        "user": {
            "username": user.username,
            "role": user.role.value,
            "rep_id": user.rep_id,
            "rep_name": rep_name,
            # a rep's region is their rep record's: the UI opens the plan in force there
            "region": user.region or rep_region,
        },
        "tile_url": settings.map_tile_url,
        "fiscal_year_start": settings.fiscal_year_start,
    }
    body = _page("app.html").replace("{{CONFIG}}", html.escape(json.dumps(config), quote=True))
    return HTMLResponse(body, headers=headers)


def _rep_record(request: Request, rep_id: str | None) -> tuple[str | None, str | None]:
    """The name and region of the rep the user is (``None, None`` when none or unknown)."""
    if rep_id is None:
        return None, None
    from terraplan.errors import NotFoundError
    from terraplan.storage.unit_of_work import UnitOfWork

    try:
        with UnitOfWork(request.app.state.database) as uow:
            rep = uow.reps.get(rep_id)
    except NotFoundError:
        return None, None
    return rep.name, rep.region
