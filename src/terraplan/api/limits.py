"""Request size limits: a body over the limit is refused with 413 in the one error shape.

A pure ASGI middleware (no buffering of bodies that declare their length): a request whose
``Content-Length`` is over the limit is answered before its body is read; a chunked body is
read up to the limit and refused as soon as it passes it, except on upload paths, whose route
streams the body to disk after checking the caller and counts it itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from terraplan.api.errors import error_body


def _too_large(limit: int, size: int | None) -> bytes:
    details: dict[str, int] = {"limit_bytes": limit}
    if size is not None:
        details["size_bytes"] = size
    return json.dumps(
        error_body(
            "request_too_large",
            f"the request body is larger than the limit of {limit:,} bytes",
            details,
        )
    ).encode()


class BodySizeLimit:
    """Refuse request bodies larger than ``limit_for(path)`` bytes with 413."""

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str], int],
        streamed: Callable[[str], bool] = lambda path: False,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        # Paths whose route reads the body as a stream and counts it (uploads): a chunked body
        # is passed on unread, so that nothing is taken in before the route checks the caller.
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                break
        if declared is not None:
            if declared > limit:
                await _respond(send, _too_large(limit, declared))
                return
            await self.app(scope, receive, send)
            return
        if self.streamed(scope["path"]):
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read the body here, up to the limit, then replay it.
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _respond(send, _too_large(limit, None))
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if chunks:
                return chunks.pop(0)
            return await receive()

        await self.app(scope, replay, send)


def too_large_response(limit: int) -> Response:
    """The 413 answer of a route that counts a streamed body itself."""
    return Response(
        _too_large(limit, None),
        status_code=413,
        media_type="application/json",
        headers={"connection": "close"},
    )


async def _respond(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
