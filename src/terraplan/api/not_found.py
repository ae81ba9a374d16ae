"""A page, not JSON, for a browser that opens an address the app does not have.

A person who types ``/users`` or follows an old link gets a small "page not found" page in the
look of the sign-in page (the app's own stylesheet: no CDN) with a link back to the app. API
clients — an ``Accept`` without ``text/html``, or any address under the API's own paths
(``/plans/...``) — keep the one JSON error shape.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/svg+xml" href="/static/web/favicon.svg">
<title>terraplan — page not found</title>
<link rel="stylesheet" href="/static/web/app.css">
</head>
<body class="login">
<main>
  <h1>terraplan</h1>
  <h2>Page not found</h2>
  <p>There is no page at <code>{path}</code>.</p>
  <p><a href="/">Back to terraplan</a></p>
</main>
</body>
</html>
"""


def _paths(routes: Iterable[Any], prefix: str = "") -> Iterator[str]:
    """The paths of ``routes``, into included routers (FastAPI keeps them as such)."""
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            yield prefix + path
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            more = str(getattr(context, "prefix", "") or "")
            yield from _paths(getattr(included, "routes", ()), prefix + more)


def _api_prefixes(request: Request) -> set[str]:
    """The first path segments of the app's routes and mounts (``plans``, ``static``...)."""
    prefixes = set()
    for path in _paths(request.app.routes):
        first = path.strip("/").split("/", 1)[0]
        if first:
            prefixes.add(first)
    return prefixes


def wants_page(request: Request) -> bool:
    """Whether a 404 for ``request`` should be a page: a browser (``text/html`` accepted
    before JSON) asking for an address outside the API's paths."""
    accept = request.headers.get("accept", "").lower()
    if "text/html" not in accept:
        return False
    if "application/json" in accept and accept.index("application/json") < accept.index(
        "text/html"
    ):
        return False
    first = request.url.path.strip("/").split("/", 1)[0]
    return first not in _api_prefixes(request)


def not_found_page(request: Request) -> HTMLResponse:
    """The "page not found" page for ``request`` (status 404)."""
    path = request.url.path
    shown = path if len(path) <= 200 else path[:199] + "…"
    return HTMLResponse(
        _PAGE.format(path=html.escape(shown)),
        status_code=404,
        headers={"Cache-Control": "no-store"},
    )
