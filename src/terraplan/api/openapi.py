"""The OpenAPI document says every error an operation can answer, in the one error shape.

FastAPI documents only the success response and its own 422. Here each operation gets, from
what it takes as its own document says (security, path parameters, body):
401/403 when it needs a signed-in user, 404 when it names a resource, 409 when it changes
state, 413 when it takes a body, 422 when it takes any input, 503 always — each with the ``ErrorPublic``
schema, the body :mod:`terraplan.api.errors` writes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field


class ErrorDetailPublic(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, conflict")
    message: str = Field(description="What went wrong, for a person")
    details: dict[str, Any] = Field(description="Field, value, limit... (depends on the code)")


class ErrorPublic(BaseModel):
    """The one error body of the API."""

    error: ErrorDetailPublic


DESCRIPTIONS = {
    "401": "Not signed in (no session, bad or expired token)",
    "403": "The role, region or token scopes do not allow it",
    "404": "No such resource (or not visible to you)",
    "409": "Stale version, or a step the current state does not allow",
    "413": "The request body is larger than the limit",
    "422": "Invalid parameter or body (details.problems names each field)",
    "503": "The database is unreachable or busy; try again",
}

#: FastAPI's default descriptions (the HTTP reason phrase), replaced by ours.
_GENERIC = ("Not Found", "Conflict", "Unprocessable Entity", "Validation Error", "Forbidden")


def _statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """The errors an operation can answer, read from what it takes (as the document says)."""
    parameters = operation.get("parameters", [])
    in_path = any(p.get("in") == "path" for p in parameters)
    changes = method in ("post", "put", "patch", "delete")
    statuses: set[str] = set()
    if operation.get("security"):  # needs a signed-in user (session cookie or token)
        statuses |= {"401", "403", "404"}
    if in_path or changes:
        statuses.add("404")
    if changes:
        statuses |= {"409", "413"}
    if parameters or changes or "requestBody" in operation:
        statuses.add("422")
    statuses.add("503")  # the database is unreachable or busy (storage_error, database_busy)
    return sorted(statuses)


#: Response headers the API sends, as the document declares them.
ETAG_HEADER = {
    "description": "The answer's version: send it back as If-None-Match for a 304",
    "schema": {"type": "string"},
}
TOTAL_COUNT_HEADER = {
    "description": "How many items the filters match over all pages",
    "schema": {"type": "integer", "minimum": 0},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 0},
}
#: The operations whose plain-array answers carry ``X-Total-Count``.
TOTAL_COUNT_OPERATIONS = ("list_jobs", "list_audit_log")


def _declare_headers(operation: dict[str, Any]) -> None:
    """The headers an operation's answers carry: ``ETag`` on the cached reads (those that
    answer 304), ``X-Total-Count`` on the plain-array lists, ``Retry-After`` on 429."""
    responses = operation.get("responses", {})
    if "304" in responses and "200" in responses:
        responses["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
        responses["304"].setdefault("headers", {})["ETag"] = ETAG_HEADER
    if operation.get("operationId") in TOTAL_COUNT_OPERATIONS and "200" in responses:
        responses["200"].setdefault("headers", {})["X-Total-Count"] = TOTAL_COUNT_HEADER
    if "429" in responses:
        responses["429"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` by one that documents the error responses of every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorPublic"] = ErrorPublic.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(components["ErrorPublic"].pop("$defs", {}))
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        ref = {"$ref": "#/components/schemas/ErrorPublic"}
        for path_item in schema["paths"].values():
            for method, operation in path_item.items():
                responses = operation.setdefault("responses", {})
                for status in _statuses(method, operation):
                    responses.setdefault(status, {})
                for status, entry in responses.items():
                    if not status.startswith(("4", "5")):
                        continue
                    if entry.get("description") in (None, "", *_GENERIC):
                        entry["description"] = DESCRIPTIONS.get(status, "Error")
                    entry["content"] = {"application/json": {"schema": ref}}
                _declare_headers(operation)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
