"""``terraplan route``: one lead typed in, or every lead of a file (``--file``, ``--out``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from terraplan.cli.console import (
    ForceOption,
    ReportFormat,
    ReportFormatOption,
    render_json,
    stdout,
)
from terraplan.cli.context import app_context


class OwnerMethod(StrEnum):
    round_robin = "round_robin"
    weighted = "weighted"


def _employees(text: str | None) -> int | None:
    """``--employees`` read as an import reads the column (``1,000``, ``1 000``)."""
    if text is None:
        return None
    from terraplan.errors import InvalidParameterError
    from terraplan.io.typed_values import whole_number, whole_number_problem

    number = whole_number(text)
    if number is None or number < 0:
        problem = whole_number_problem(text) if number is None else f"{text!r} is below 0"
        raise InvalidParameterError(
            f"--employees {problem}", details={"parameter": "employees", "value": text}
        )
    return number


def route_command(
    ctx: typer.Context,
    postal_code: Annotated[
        str | None, typer.Option("--postal-code", help="The lead's ZIP or postal code.")
    ] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="The lead's industry.")] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Country code or name (empty: US).")
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="State code or name (default: from the ZIP).")
    ] = None,
    employees: Annotated[
        str | None,
        typer.Option("--employees", help="Number of employees (1000, 1,000 or 1 000)."),
    ] = None,
    annual_revenue: Annotated[
        float | None, typer.Option("--annual-revenue", help="Annual revenue of the company.")
    ] = None,
    company: Annotated[str | None, typer.Option("--company", help="Company name.")] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="Any other field NAME=VALUE (repeatable).")
    ] = None,
    plan: Annotated[
        str | None, typer.Option("--plan", help="Plan to route with (default: the active plan).")
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Without --plan: the active plan of this part of the market."),
    ] = None,
    method: Annotated[
        OwnerMethod, typer.Option("--method", help="How several reps of a territory take turns.")
    ] = OwnerMethod.round_robin,
    fmt: ReportFormatOption = ReportFormat.TABLE,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Route every lead of this file (read as `import leads`)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="With --file: the routed leads (.csv, .xlsx or .parquet)."),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Route one lead: its territory, owner rep and why (--file: every lead of a file)."""
    from terraplan.errors import InvalidParameterError
    from terraplan.services.routing import NO_FIELD, lead_fields_given, route_record

    if file is not None or out is not None:
        typed = (postal_code, industry, country, state, employees, annual_revenue, company, field)
        if file is None or out is None or any(v is not None for v in typed):
            raise InvalidParameterError(
                "--file and --out go together, without the fields of one lead "
                "(e.g. terraplan route --file Lead.csv --out routed.csv)"
            )
        _route_file(ctx, file, out, force=force, plan=plan, scope=scope, method=method, fmt=fmt)
        return

    record: dict[str, Any] = {"id": "lead"}
    for key, value in (
        ("company", company),
        ("postal_code", postal_code),
        ("industry", industry),
        ("country", country),
        ("state", state),
        ("employees", _employees(employees)),
        ("annual_revenue", annual_revenue),
    ):
        if value is not None:
            record[key] = value
    for item in field or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidParameterError(f"--field {item!r}: use NAME=VALUE")
        record[key] = value
    if not lead_fields_given(record):
        raise InvalidParameterError(f"{NO_FIELD} (--company, --postal-code, --field NAME=VALUE…)")
    record.setdefault("company", "(lead)")
    record["name"] = record["company"]
    routed = route_record(
        app_context(ctx).database(), record, plan_id=plan, method=method.value, scope=scope
    )
    result = routed.result
    if fmt is ReportFormat.JSON:
        render_json(routed.to_dict())
        if result.territory_id is None:  # the same exit code as the table: scripts can tell
            raise typer.Exit(6)
        return
    console = stdout()
    from terraplan.cli.console import note

    plan = f"Plan: {routed.plan_id}" + (f" ({routed.plan_name})" if routed.plan_name else "")
    if routed.plan_until is not None:  # a plan activated from a later day takes over then
        plan += f", in force to {routed.plan_until}"
    if result.territory_id is None:
        console.print(f"[red]No territory[/red]: {escape(result.explanation)}", markup=True)
        console.print(escape(plan), markup=True)
        for text in routed.notes:
            note(text)
        raise typer.Exit(6)
    owner = f"{routed.owner_name} ({routed.owner_id})" if routed.owner_id else "nobody (vacant)"
    console.print(
        f"[bold]{escape(routed.territory_name or result.territory_id)}[/bold] ({result.territory_id}) — owner {escape(owner)}",
        markup=True,
    )
    console.print(f"Why: {result.explanation}")
    console.print(escape(plan), markup=True)
    for overlay in routed.overlays:
        who = (
            f"{overlay.owner_name or overlay.owner_id} ({overlay.owner_id})"
            if overlay.owner_id
            else "nobody yet"
        )
        console.print(
            f"Overlay: {overlay.territory_name or overlay.territory_id} "
            f"({overlay.territory_id}, {overlay.role}) — owner {who}"
        )
    for text in routed.notes:
        note(text)


def _route_file(
    ctx: typer.Context,
    file: Path,
    out: Path,
    *,
    force: bool,
    plan: str | None,
    scope: str | None,
    method: OwnerMethod,
    fmt: ReportFormat,
) -> None:
    """Route every lead of ``file``, write them with their owners to ``out`` and print how
    many each territory and owner got; exit 6 when some lead has no territory."""
    import polars as pl

    from terraplan.cli.console import note
    from terraplan.cli.team_options import check_out
    from terraplan.io.writers import write_table
    from terraplan.services.route_files import ROUTED_COLUMNS, route_file

    check_out(out, force)
    routed = route_file(
        app_context(ctx).database(), file, plan_id=plan, scope=scope, method=method.value
    )
    frame = pl.DataFrame(routed.rows, schema=dict.fromkeys(ROUTED_COLUMNS, pl.String), orient="row")
    write_table(frame, out, overwrite=force)
    counts = [
        {"territory": territory, "owner": owner, "leads": leads}
        for territory, owner, leads in routed.owner_counts()
    ]
    if fmt is ReportFormat.JSON:
        render_json(
            {
                "plan_id": routed.plan_id,
                "file": str(out),
                "leads": len(routed.rows),
                "unplaced": routed.unplaced,
                "owners": counts,
                "notes": routed.notes,
            }
        )
    else:
        from terraplan.cli.console import OutputFormat, render_rows

        render_rows(
            counts,
            fmt=OutputFormat.TABLE,
            title=f"{len(routed.rows):,} leads routed with plan {routed.plan_id}",
        )
        stdout().print(f"Wrote {len(routed.rows):,} leads to {out}", highlight=False)
    for said in routed.notes:
        note(said)
    if routed.unplaced:
        note(f"{routed.unplaced:,} of the leads have no territory (a conflict, or no rule)")
        raise typer.Exit(6)
