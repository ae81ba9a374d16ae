"""``HEAD`` answered wherever ``GET`` is: the same status and headers, no body.

Uptime monitors, load balancers and ``curl -I`` ask ``HEAD /health``; FastAPI's routes answer
only the methods they declare, so every ``HEAD`` was a 405. The request is routed as ``GET``
(the app's own checks, sign-in included, apply unchanged) and the body is dropped on the way
out, whatever server runs the app.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a ``HEAD`` request runs as ``GET``; its answer keeps its status and
    headers (``Content-Length`` of the body it would have had) and sends no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # a copy: the server keeps its own scope, which still says HEAD
        await self.app({**scope, "method": "GET"}, receive, without_body)
