"""``terraplan serve``: run the REST API with uvicorn.

The CLI never imports the API: uvicorn loads the app factory by its import string, and the
settings reach it through the ``TERRAPLAN_*`` environment (``--database-url`` included).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from terraplan.cli.console import stderr
from terraplan.cli.context import app_context
from terraplan.errors import InvalidParameterError

if TYPE_CHECKING:
    from terraplan.storage.database import Database

#: The app factory uvicorn imports (``uvicorn --factory terraplan.api.app:app_from_environment``).
APP_FACTORY = "terraplan.api.app:app_from_environment"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to listen on (default: TERRAPLAN_API_HOST, 127.0.0.1)."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port (default: TERRAPLAN_API_PORT, 8000)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes (each its own app).")
    ] = 1,
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart when the source changes (development).")
    ] = False,
) -> None:
    """Run the REST API (OpenAPI at /openapi.json, interactive docs at /docs and /redoc)."""
    import uvicorn

    settings = app_context(ctx).settings
    host = host or settings.api_host
    port = settings.api_port if port is None else port
    if reload and workers > 1:
        raise InvalidParameterError("--reload runs one process; leave out --workers")
    _check_port_free(host, port)
    # Reachable, schema up to date: exit 8 here, not in a worker.
    _warn_connections(app_context(ctx).database(), workers)
    # The app factory reads the settings from the environment: pass --database-url on.
    os.environ["TERRAPLAN_DATABASE_URL"] = settings.database_url
    stderr().print(
        f"terraplan API on http://{host}:{port} (docs at /docs), database "
        f"{_display_url(settings.database_url)}; Ctrl+C stops it.",
        highlight=False,
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        reload_dirs=[str(Path(__file__).resolve().parents[1])] if reload else None,
        log_level=settings.log_level.lower(),
    )


def _warn_connections(db: Database, workers: int) -> None:
    """Warn when ``workers`` processes may open more PostgreSQL connections than the server
    allows (each process's pool: ``terraplan.storage.database.POOL``)."""
    if db.dialect != "postgresql":
        return
    from sqlalchemy import text

    from terraplan.storage.database import AUTOCOMMIT_POOL, POOL

    per_process = sum(POOL.values()) + sum(AUTOCOMMIT_POOL.values())
    with db.connect() as connection:
        allowed = int(connection.execute(text("SHOW max_connections")).scalar_one())
    if workers * per_process > allowed:
        stderr().print(
            f"warning: --workers {workers} may open up to {workers * per_process} database "
            f"connections ({per_process} per process) and the PostgreSQL server allows "
            f"{allowed}: lower --workers or raise max_connections",
            highlight=False,
        )


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port that is already taken, with a plain message (exit 2)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise InvalidParameterError(f"--host {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InvalidParameterError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port",
                details={"parameter": "port", "value": port},
            ) from None


def _display_url(url: str) -> str:
    """``url`` without a password."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not sep or not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{location}"
