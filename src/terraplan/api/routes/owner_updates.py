"""What integrators push back to the CRM without a shell on the server:
``GET /plans/{id}/owner-updates``, the plan's account owners as the CLI's ``terraplan export
assignments [--salesforce]`` writes them, and ``GET /plans/{id}/etm-model``, the plan as a
Salesforce territory model as ``terraplan crm export-etm`` writes it."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.domain.access import Action, sees_everything
from terraplan.errors import PermissionDeniedError
from terraplan.io.outputs import neutralise_csv_cell

router = APIRouter(
    tags=["crm"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Planners and admins only (every account of the plan)"},
        404: {"description": "No such plan, or no rule run of it yet"},
    },
)


class OwnerIdRowPublic(BaseModel):
    """An account whose owner the CRM does not have yet (Salesforce Data Loader's columns)."""

    model_config = ConfigDict(extra="forbid")
    Id: str = Field(description="Account id")
    OwnerId: str | None = Field(description="The new owner's rep id (null: none)")


class AssignmentRowPublic(BaseModel):
    """An account of the rule run: its territory, old and new owner, and deciding rule."""

    model_config = ConfigDict(extra="forbid")
    account_id: str
    account_name: str
    territory_id: str | None
    territory_name: str | None
    old_owner_id: str | None
    old_owner_name: str | None
    new_owner_id: str | None
    new_owner_name: str | None
    rule_id: str | None


class OwnerUpdatePublic(BaseModel):
    plan_id: str = Field(description="The plan whose latest rule run this is")
    rows: list[OwnerIdRowPublic] | list[AssignmentRowPublic] = Field(
        description="changed=true: Id and OwnerId; changed=false: every account's assignment"
    )
    total: int = Field(description="Rows")


class EtmFilePublic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="File name, in load order")
    content: str = Field(description="The CSV text")


class EtmModelPublic(BaseModel):
    plan_id: str
    files: list[EtmFilePublic]
    owner_rows: int | None = Field(
        description="Rows of the owner update file; null: not written (rules never run)"
    )
    notes: list[str] = Field(description="What ETM cannot express, rules split... in words")


# Both answer JSON built here as is (and CSV or ZIP by format): the models document it.
@router.get(
    "/plans/{plan_id}/owner-updates",
    operation_id="owner_updates",
    responses={200: {"model": OwnerUpdatePublic}},
)
def owner_updates(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    plan_id: str,
    changed: Annotated[
        bool,
        Query(
            description="true: only the accounts whose owner the CRM does not have yet, as "
            "Id,OwnerId (Salesforce Data Loader's shape); false: every account with its "
            "territory, old and new owner (names beside ids) and rule"
        ),
    ] = True,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """The owner update of a plan's latest rule run (an activation runs its rules)."""
    from terraplan.services.owner_sync import (
        ASSIGNMENT_COLUMNS,
        assignment_rows,
        owner_update_rows,
    )

    authorize(principal, Action.READ)
    if not sees_everything(principal.user):
        raise PermissionDeniedError(
            "the owner update holds every account of the plan; ask a planner",
            details={"role": principal.user.role.value},
        )
    if changed:
        found, rows = owner_update_rows(db, plan_id)
        rows = [{"Id": r["account_id"], "OwnerId": r["new_owner_id"]} for r in rows]
    else:
        found, rows = assignment_rows(db, plan_id)
    if format == "csv":
        out = io.StringIO()
        columns = ["Id", "OwnerId"] if changed else list(ASSIGNMENT_COLUMNS)
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        # a name a spreadsheet would run as a formula (=HYPERLINK(...)) is written as text,
        # as in every CSV the CLI writes
        writer.writerows(
            {k: "" if v is None else neutralise_csv_cell(v) for k, v in row.items()} for row in rows
        )
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{found}-owners.csv"'},
        )
    return {"plan_id": found, "rows": rows, "total": len(rows)}


@router.get(
    "/plans/{plan_id}/etm-model",
    operation_id="etm_model",
    responses={
        200: {
            "description": "The load files: a ZIP archive, or with format=json each file's "
            "text and the notes",
            "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {},
            },
            "model": EtmModelPublic,
        },
        409: {"description": "The plan is not approved or active"},
    },
)
def etm_model(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    plan_id: str,
    format: Annotated[
        Literal["zip", "json"],
        Query(
            description="zip: the files as `terraplan crm export-etm` writes them, ready for "
            "Data Loader in load order; json: {plan_id, files: [{name, content}], "
            "owner_rows, notes}"
        ),
    ] = "zip",
) -> Any:
    """An approved or active plan as a Salesforce territory model (ETM, Planning state), with
    the ``Id,OwnerId`` owner update file of its latest rule run when there is one. The notes
    say what ETM cannot express (the CLI prints the same)."""
    from terraplan.services.crm_etm import build_model, model_archive

    authorize(principal, Action.READ)
    if not sees_everything(principal.user):
        raise PermissionDeniedError(
            "the territory model holds every territory and named account of the plan; ask a "
            "planner",
            details={"role": principal.user.role.value},
        )
    model = build_model(db, plan_id)
    if format == "json":
        return {
            "plan_id": model.plan_id,
            "files": [{"name": n, "content": c} for n, c in model.safe_files().items()],
            "owner_rows": model.owner_rows,
            "notes": model.notes(),
        }
    return Response(
        model_archive(model),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{model.plan_id}-etm.zip"'},
    )
