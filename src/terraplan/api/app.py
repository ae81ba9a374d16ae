"""FastAPI app factory: ``create_app(settings)``. Nothing is created at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from terraplan import __version__
from terraplan.api.errors import install_error_handlers
from terraplan.config import Settings, get_settings
from terraplan.io.geocoding import ZipDirectory
from terraplan.storage.database import Database
from terraplan.storage.migrate import is_up_to_date, upgrade


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: read from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.database_url)
        if not is_up_to_date(database):
            upgrade(database)
        app.state.database = database
        app.state.zip_directory = ZipDirectory()
        app.state.rule_cache = {}
        yield
        database.dispose()

    app = FastAPI(
        title="terraplan",
        version=__version__,
        description="Sales territory planning: plans, territories, ownership, routing, monitoring.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)

    from terraplan.api.routes import auth, health, monitoring, plans, records, routing

    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(records.router)
    app.include_router(plans.router)
    app.include_router(routing.router)
    app.include_router(monitoring.router)
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory terraplan.api.app:app_from_environment``."""
    return create_app()
