"""Stored import mappings: ``/import-mappings`` (create or replace, read, list, delete).

A mapping is the text of a ``--mapping`` file (YAML, or JSON with ``Content-Type:
application/json``) sent as the request body and checked by the same reader, so that
``POST /imports/{kind}?mapping=NAME`` reads a file as ``terraplan import --mapping FILE``
does. Mappings set how imports read files, so they are for whoever may import (planners and
admins; a token needs the ``plan:write`` scope), reading them too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.schemas import Timestamp
from terraplan.domain.access import Action
from terraplan.errors import InvalidParameterError
from terraplan.services.import_mappings import (
    NAME_PATTERN,
    delete_mapping,
    get_mapping,
    list_mappings,
    mapping_parts,
    save_mapping,
)
from terraplan.storage.import_mappings import StoredMapping

router = APIRouter(
    prefix="/import-mappings",
    tags=["jobs"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Only those who may import (planners and admins) use mappings"},
    },
)

MappingName = Annotated[
    str,
    Path(
        description="The mapping's name: letters, digits, '-', '_', '.' (up to 100)",
        pattern=NAME_PATTERN,
        max_length=100,
    ),
]


class MappingSummary(BaseModel):
    name: str
    updated_at: Timestamp
    updated_by: str | None = Field(description="Who saved it last (user name; cli: the CLI)")


class MappingContent(BaseModel):
    columns: dict[str, str | None] = Field(
        description="Column in the file -> our field (null: the column is ignored;"
        " attributes.<name>: a custom attribute)"
    )
    values: dict[str, dict[str, str | None]] = Field(
        description="Field -> {value in the file: value read instead} (null: an empty cell)"
    )
    dates: str | None = Field(description="How slashed dates read: day first or month first")
    time_zone: str | None = Field(description="The time zone zoned date-times are read in")


class MappingPublic(MappingSummary):
    text: str = Field(description="The mapping as it was saved (YAML or JSON)")
    content: MappingContent = Field(description="The mapping as read: what an import applies")


def _public(stored: StoredMapping) -> MappingPublic:
    return MappingPublic(
        name=stored.name,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        text=stored.text,
        content=MappingContent(**mapping_parts(stored.content)),
    )


_TEXT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The mapping file's text: YAML, or JSON with Content-Type"
        " application/json (`{columns: {...}, values: {...}, dates: day first,"
        " time_zone: Area/City}`)",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


@router.get("", operation_id="list_import_mappings")
def list_route(principal: CurrentPrincipal, db: DatabaseDep) -> list[MappingSummary]:
    """The stored import mappings, by name."""
    authorize(principal, Action.EDIT_PLAN)
    return [
        MappingSummary(name=m.name, updated_at=m.updated_at, updated_by=m.updated_by)
        for m in list_mappings(db)
    ]


@router.get(
    "/{name}",
    operation_id="get_import_mapping",
    responses={404: {"description": "No mapping of that name"}},
)
def get_route(principal: CurrentPrincipal, db: DatabaseDep, name: MappingName) -> MappingPublic:
    """One stored mapping: its text as saved and what it reads as."""
    authorize(principal, Action.EDIT_PLAN)
    return _public(get_mapping(db, name))


@router.put(
    "/{name}",
    operation_id="save_import_mapping",
    openapi_extra=_TEXT_BODY,
    responses={
        200: {"description": "Replaced"},
        201: {"description": "Created"},
        422: {"description": "The text is no valid mapping (line, column and reason)"},
    },
)
async def save_route(
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    name: MappingName,
) -> MappingPublic:
    """Create or replace the mapping ``name`` (audit-logged); 201 when it is new."""
    authorize(principal, Action.EDIT_PLAN)  # before a byte of the body is read
    body = await request.body()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidParameterError(
            f"mapping {name!r}: the body is not UTF-8 text (byte {exc.start})",
            details={"field": "body"},
        ) from None
    if not text.strip():
        raise InvalidParameterError(
            f"mapping {name!r}: the request body is empty; send the mapping file's text",
            details={"field": "body"},
        )
    as_json = request.headers.get("content-type", "").split(";")[0].strip().endswith("json")
    saved, created = await run_in_threadpool(
        save_mapping, db, name, text, as_json=as_json, by=principal.user.username
    )
    response.status_code = 201 if created else 200
    return _public(saved)


@router.delete(
    "/{name}",
    operation_id="delete_import_mapping",
    status_code=204,
    responses={404: {"description": "No mapping of that name"}},
)
def delete_route(principal: CurrentPrincipal, db: DatabaseDep, name: MappingName) -> Response:
    """Delete the mapping ``name`` (audit-logged)."""
    authorize(principal, Action.EDIT_PLAN)
    delete_mapping(db, name, by=principal.user.username)
    return Response(status_code=204)
