"""``POST /imports/{kind}``: upload a file (the request body) and import it as a job."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.routes.jobs import JobPublic, job_public
from terraplan.domain.access import Action
from terraplan.errors import InvalidParameterError

router = APIRouter(prefix="/imports", tags=["jobs"])

ImportKind = Literal[
    "accounts",
    "leads",
    "reps",
    "geo_units",
    "sales_lines",
    "opportunities",
    "targets",
    "acquisition_costs",
]


def upload_dir() -> Path:
    """Where uploaded files wait for their import job (removed when the job has run)."""
    folder = Path(tempfile.gettempdir()) / "terraplan-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@router.post("/{kind}", operation_id="submit_import", status_code=202)
def submit_import(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    kind: ImportKind,
    body: Annotated[
        bytes,
        Body(
            media_type="application/octet-stream",
            description="The file's bytes (CSV, XLSX or Parquet, as `format` says).",
        ),
    ],
    format: Annotated[Literal["csv", "xlsx", "parquet"], Query()] = "csv",
    on_error: Annotated[
        Literal["abort", "skip"],
        Query(description="abort: import nothing if a row is bad; skip: import the good rows"),
    ] = "abort",
) -> JobPublic:
    """Queue the import of the uploaded file as ``kind`` records (upsert by id). It runs as a
    job (poll ``GET /jobs/{id}``) and writes all its rows in one transaction, or none."""
    from terraplan.services.jobs import submit_job

    authorize(principal, Action.EDIT_PLAN)
    if not body:
        raise InvalidParameterError(
            "the request body is empty; send the file's bytes", details={"field": "body"}
        )
    path = upload_dir() / f"{uuid.uuid4().hex}.{format}"
    path.write_bytes(body)
    parameters = {"path": str(path), "kind": kind, "on_error": on_error, "uploaded": True}
    job = submit_job(db, "import", parameters, created_by=principal.user.username)
    return job_public(job)
