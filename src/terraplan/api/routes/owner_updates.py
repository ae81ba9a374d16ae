"""``GET /plans/{id}/owner-updates``: the plan's account owners for the CRM, as the CLI's
``terraplan export assignments [--salesforce]`` writes them, for integrators who push owners
back without a shell on the server."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

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


@router.get("/plans/{plan_id}/owner-updates", operation_id="owner_updates")
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
