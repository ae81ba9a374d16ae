"""FastAPI app factory: ``create_app(settings)``. Nothing is created at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from terraplan import __version__
from terraplan.api.errors import install_error_handlers
from terraplan.api.head_requests import HeadAsGet
from terraplan.api.limits import BodySizeLimit
from terraplan.api.login_guard import LoginGuard
from terraplan.api.openapi import install_openapi
from terraplan.api.response_cache import ResponseCache
from terraplan.api.warmer import MonitoringWarmer
from terraplan.config import Settings, get_settings
from terraplan.io.geocoding import ZipDirectory
from terraplan.services.jobs import JobWorker
from terraplan.services.locations import zip_locator
from terraplan.services.monitoring_data import MonitoringCache
from terraplan.services.routing import prepare_routing
from terraplan.storage.database import Database
from terraplan.storage.migrate import ensure_schema

#: Worker threads for the routes (plain ``def``) per process: see ``lifespan``.
API_THREADS = 16


def create_app(settings: Settings | None = None, *, server_process: bool = False) -> FastAPI:
    """Build the API for ``settings`` (default: read from the environment).

    ``server_process``: the app is the whole of its process (``terraplan serve``, uvicorn's
    factory), which may then prepare the process for steady latency at start-up (see
    ``lifespan``); an app embedded in another program (tests, a notebook) leaves it alone.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Routes run in this many threads at once; each may hold two database connections,
        # which the engine's pool (storage.database.POOL) has room for.
        anyio.to_thread.current_default_thread_limiter().total_tokens = API_THREADS
        database = Database(settings.database_url)
        ensure_schema(database)
        # Each worker thread's first request would otherwise open its connections itself.
        database.open_connections(settings.api_open_connections)
        app.state.database = database
        app.state.zip_directory = ZipDirectory()
        app.state.rule_cache = {}
        app.state.monitoring_cache = MonitoringCache()
        app.state.response_cache = ResponseCache()
        app.state.login_guard = LoginGuard(database, concurrent_checks=settings.login_checks)
        workers = [
            JobWorker(database, stale_after=timedelta(seconds=settings.job_stale_seconds))
            for _ in range(settings.job_workers)
        ]
        for worker in workers:
            worker.start()
        warmer = MonitoringWarmer(
            database,
            app.state.monitoring_cache,
            interval=settings.monitoring_refresh_seconds,
            responses=app.state.response_cache,
            fiscal=settings.fiscal_calendar(),
        )
        warmer.start()
        if server_process:
            # The ZIP look-up of routing (about 40,000 places) and the active plans' rules are
            # loaded now rather than by the first leads, which queued behind them for seconds,
            # and what start-up built is moved out of the garbage collector's sight:
            # collections over it took 5-300 ms, a pause every request in flight waited for.
            zip_locator()
            await anyio.to_thread.run_sync(prepare_routing, database, app.state.rule_cache)
            gc.collect()
            gc.freeze()
        yield
        warmer.stop()
        for worker in workers:
            worker.stop()
        database.dispose()

    app = FastAPI(
        title="terraplan",
        version=__version__,
        description="Sales territory planning: plans, territories, ownership, routing, monitoring.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    _install_offline_docs(app)
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        BodySizeLimit,
        limit_for=_body_limits(settings),
        streamed=lambda path: path.startswith(UPLOAD_PREFIX),
    )

    from terraplan.api.routes import (
        alerts,
        auth,
        dashboard,
        feedback,
        geometry,
        health,
        history,
        import_mappings,
        imports,
        jobs,
        market_scopes,
        monitoring,
        owner_updates,
        plans,
        records,
        routing,
        rule_texts,
        scenarios,
        team,
        territory_pages,
        web,
    )

    # Routing first: its path is matched before the others', and it is the busiest.
    app.include_router(routing.router)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(records.router)
    app.include_router(plans.router)
    app.include_router(monitoring.router)
    app.include_router(alerts.router)
    app.include_router(scenarios.router)
    app.include_router(market_scopes.router)
    app.include_router(feedback.router)
    app.include_router(history.router)
    app.include_router(jobs.router)
    app.include_router(imports.router)
    app.include_router(import_mappings.router)
    app.include_router(geometry.router)
    app.include_router(territory_pages.router)
    app.include_router(rule_texts.router)
    app.include_router(team.router)
    app.include_router(dashboard.router)
    app.include_router(owner_updates.router)
    web.install_web(app)
    return app


#: Paths that take file uploads (their own, larger body limit).
UPLOAD_PREFIX = "/imports/"


def _body_limits(settings: Settings) -> Callable[[str], int]:
    from terraplan.api.routes.rule_texts import RULE_TEXT_BODY_BYTES, RULE_TEXT_PATH

    def limit_for(path: str) -> int:
        if path.startswith(UPLOAD_PREFIX):
            return settings.max_upload_bytes
        if RULE_TEXT_PATH.fullmatch(path):
            # a rule-set text as long as its schema allows (``maxLength``)
            return max(settings.max_body_bytes, RULE_TEXT_BODY_BYTES)
        return settings.max_body_bytes

    return limit_for


#: Where the Swagger UI and ReDoc files are served from (no CDN, see ``_install_offline_docs``).
DOCS_STATIC_URL = "/static/docs"


def _docs_assets() -> str:
    """The folder of Swagger UI and ReDoc's built files, shipped by the ``fastapi-offline`` package."""
    from importlib.resources import files

    return str(files("fastapi_offline") / "static")


def _install_offline_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` served with local assets: they work with no internet."""
    app.mount(DOCS_STATIC_URL, StaticFiles(directory=_docs_assets()), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} API",
            oauth2_redirect_url=f"{root}{redirect_url}",
            swagger_js_url=f"{root}{DOCS_STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} API",
            redoc_js_url=f"{root}{DOCS_STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory terraplan.api.app:app_from_environment``."""
    return create_app(server_process=True)
