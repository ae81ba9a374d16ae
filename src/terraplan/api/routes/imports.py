"""``POST /imports/{kind}``: upload a file (the request body) and import it as a job."""

from __future__ import annotations

import os
import stat
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep, SettingsDep
from terraplan.api.limits import too_large_response
from terraplan.api.query import known_query_parameters
from terraplan.api.routes.jobs import JobPublic, job_public
from terraplan.api.routes.reading_options import file_options
from terraplan.domain.access import Action
from terraplan.errors import InvalidParameterError, StorageError

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
    """Where uploaded files wait for their import job (removed when the job has run): a
    folder of the server's user alone. A folder of that name made by another user of the
    machine (who could read the files, or swap one before its job runs), a link, or one
    others may open is refused, not used."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / f"terraplan-uploads-{uid if uid is not None else 'user'}"
    folder.mkdir(mode=0o700, exist_ok=True)
    found = folder.lstat()
    if (
        stat.S_ISLNK(found.st_mode)
        or not stat.S_ISDIR(found.st_mode)
        or (uid is not None and (found.st_uid != uid or found.st_mode & 0o077))
    ):
        raise StorageError(
            f"the upload folder {folder} is not a private folder of this server's user "
            "(another owner, a link, or open to others): remove it and try again",
            details={"path": str(folder)},
        )
    return folder


#: The request body's schema in /openapi.json: the route reads the body itself (see below).
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes (CSV, XLSX or Parquet, as `format` says).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/{kind}",
    operation_id="submit_import",
    status_code=202,
    response_model=JobPublic,
    openapi_extra=_FILE_BODY,
    # a misspelt option (``mappings=``, ``sheet_name=``) would be dropped and the file misread
    dependencies=[Depends(known_query_parameters)],
)
async def submit_import(
    request: Request,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    kind: ImportKind,
    format: Annotated[Literal["csv", "xlsx", "parquet"], Query()] = "csv",
    on_error: Annotated[
        Literal["abort", "skip"],
        Query(description="abort: import nothing if a row is bad; skip: import the good rows"),
    ] = "abort",
    currency: Annotated[
        str | None,
        Query(
            description="Reporting currency of the amounts (e.g. USD); default: the rate-1"
            " currency of `rates`",
            max_length=3,
            json_schema_extra={"pattern": "^[A-Za-z]{3}$"},
        ),
    ] = None,
    rates: Annotated[
        str | None,
        Query(
            description="Exchange rates `EUR:1.08,GBP:1.27`: 1 unit of the currency = rate units"
            " of the reporting currency (sales lines, opportunities, targets, acquisition"
            " costs in several currencies)",
            max_length=2000,
        ),
    ] = None,
    close_missing: Annotated[
        bool,
        Query(
            description="Accounts only: close every stored open account the file leaves out"
            " (a full export of the CRM's accounts)"
        ),
    ] = False,
    reload: Annotated[
        bool,
        Query(
            description="A file with LastModifiedDate or SystemModstamp: import its rows even"
            " when the stored record is as new or newer (the same rows again, with a corrected"
            " mapping file); by default such rows are left out"
        ),
    ] = False,
    decimal: Annotated[
        Literal["point", "comma"] | None,
        Query(
            description="The decimal separator of the file's text numbers (default: read from"
            " the numbers; a file whose numbers leave it open, all like `1.200`, needs it)"
        ),
    ] = None,
    mapping: Annotated[
        str | None,
        Query(
            description="The name of a stored import mapping (`PUT /import-mappings/{name}`)"
            " read as the CLI's `--mapping` file: columns, values, `dates`, `time_zone`",
            max_length=100,
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        Query(
            description="CSV only: the file's encoding, as `--encoding` (e.g. cp1252,"
            " utf-16; default: detect UTF-8 or Windows-1252)",
            max_length=40,
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        Query(
            description="XLSX only: the sheet to import, as `--sheet` (default: the first)",
            max_length=100,
        ),
    ] = None,
    filename: Annotated[
        str | None,
        Query(
            description="The file's name, as messages and the job's result name it (default:"
            " upload.<format>)",
            max_length=255,
            pattern=r"^[^/\\\x00-\x1f]+$",
        ),
    ] = None,
) -> JobPublic | Response:
    """Queue the import of the uploaded file as ``kind`` records (upsert by id). It runs as a
    job (poll ``GET /jobs/{id}``) and writes all its rows in one transaction, or none."""
    from terraplan.io.currency import MONEY_KINDS, Currencies, parse_rates
    from terraplan.services.jobs import submit_job

    # The caller and the parameters are checked before a byte of the body is read: a caller
    # who may not import cannot make the server take in a file (up to the upload limit).
    authorize(principal, Action.EDIT_PLAN)
    if close_missing and kind != "accounts":
        raise InvalidParameterError(
            f"close_missing applies to accounts only, not {kind.replace('_', ' ')}",
            details={"field": "close_missing"},
        )
    reading = await run_in_threadpool(file_options, db, format, mapping, encoding, sheet)
    money: dict[str, object] = {}
    if currency is not None or rates is not None:
        if kind not in MONEY_KINDS:
            raise InvalidParameterError(
                f"currency and rates apply to {', '.join(MONEY_KINDS)}, not to {kind}",
                details={"field": "rates" if rates is not None else "currency"},
            )
        table = parse_rates(rates or "")
        try:
            checked = Currencies.of(currency, table, source="rates")
        except InvalidParameterError as exc:
            # A bad code written in ``rates`` is the rates' fault, not the currency's.
            named = "rates" if exc.details.get("value") in table else "currency"
            raise InvalidParameterError(
                exc.message, details={**exc.details, "parameter": named, "field": named}
            ) from None
        money = {"currency": checked.reporting, "rates": dict(checked.rates)}
    path = upload_dir() / f"{uuid.uuid4().hex}.{format}"
    received = await _receive_file(request, path, settings.max_upload_bytes)
    if isinstance(received, Response):
        return received
    if not received:
        path.unlink(missing_ok=True)
        raise InvalidParameterError(
            "the request body is empty; send the file's bytes", details={"field": "body"}
        )
    parameters = {
        "path": str(path),
        "kind": kind,
        "on_error": on_error,
        "uploaded": True,
        "filename": filename or f"upload.{format}",
        **reading,
        **({"decimal": decimal} if decimal else {}),
        **({"close_missing": True} if close_missing else {}),
        **({"reload": True} if reload else {}),
        **money,
    }
    try:
        job = await run_in_threadpool(
            submit_job, db, "import", parameters, created_by=principal.user.username
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job_public(job)


async def _receive_file(request: Request, path: Path, limit: int) -> int | Response:
    """Stream the request body into ``path`` (never whole in memory); its size in bytes, or
    the 413 answer once it passes ``limit`` (the file is then removed)."""
    size = 0
    pending: list[bytes] = []
    buffered = 0
    with path.open("wb") as out:
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    out.close()
                    path.unlink(missing_ok=True)
                    return too_large_response(limit)
                pending.append(chunk)
                buffered += len(chunk)
                if buffered >= _WRITE_BYTES:
                    await run_in_threadpool(out.write, b"".join(pending))
                    pending, buffered = [], 0
            if pending:
                await run_in_threadpool(out.write, b"".join(pending))
        except BaseException:
            out.close()
            path.unlink(missing_ok=True)
            raise
    return size


#: Bytes gathered before each write to the upload file.
_WRITE_BYTES = 1 << 20
