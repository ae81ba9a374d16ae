"""The API's one error shape, and the one table that maps error classes to HTTP statuses.

Every error response body is ``{"error": {"code": str, "message": str, "details": {...}}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from terraplan.errors import (
    AuthenticationError,
    ConflictError,
    DataError,
    InfeasibleError,
    InvalidParameterError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RuleError,
    SolverError,
    StorageError,
    TerraplanError,
    TooManyAttemptsError,
)

log = logging.getLogger(__name__)

#: Error class -> HTTP status. The most specific class listed wins.
HTTP_STATUS: Mapping[type[TerraplanError], int] = {
    TooManyAttemptsError: 429,
    RateLimitedError: 429,
    InvalidParameterError: 422,
    DataError: 422,
    RuleError: 422,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InfeasibleError: 422,
    SolverError: 500,
    StorageError: 503,
    TerraplanError: 500,
}


#: The answer to a write the database refused because another was saved at the same moment.
CONCURRENT_WRITE = (
    "conflict",
    "someone else saved a change at the same moment; reload and try again",
)


def status_for(exc: TerraplanError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def _headers(status: int, exc: TerraplanError) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if status == 429:
        return {"Retry-After": str(exc.details.get("retry_after_seconds", 60))}
    return None


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TerraplanError)
    async def _terraplan(_: Request, exc: TerraplanError) -> JSONResponse:
        status = status_for(exc)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=status,
            headers=_headers(status, exc),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"path": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors()
        ]
        first = problems[0] if problems else {"path": "", "reason": "invalid request"}
        return JSONResponse(
            error_body(
                "invalid_parameter", f"{first['path']}: {first['reason']}", {"problems": problems}
            ),
            status_code=422,
        )

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_timeout(_: Request, exc: SQLAlchemyTimeoutError) -> JSONResponse:
        # No database connection came free in time: the server is overloaded, try again.
        return JSONResponse(
            error_body("database_busy", "the database is busy; try again in a moment"),
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        from terraplan.storage.database import is_unique_violation

        if is_unique_violation(exc):
            # Two writers at the same moment (the same new id, the next version of a rule
            # set): the database kept one; the other is told, in the one shape.
            return JSONResponse(error_body(*CONCURRENT_WRITE), status_code=409)
        log.error("integrity error: %s", exc)  # a bug: say it in the log, and in the shape
        return JSONResponse(
            error_body("internal_error", "the database refused the change; see the server log"),
            status_code=500,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            from terraplan.api.not_found import not_found_page, wants_page

            if wants_page(request):  # a person's browser: a page, not JSON
                return not_found_page(request)
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (bytes that are not UTF-8, say): bad
            # input like any other, so a 422 in the one shape.
            reason = str(exc.detail)
            return JSONResponse(
                error_body(
                    "invalid_parameter",
                    f"body: {reason}",
                    {"problems": [{"path": "body", "reason": reason}]},
                ),
                status_code=422,
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # Starlette's own headers kept: a 405 says which methods the path takes (``Allow``).
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
