"""``terraplan status``: what the database holds."""

from __future__ import annotations

from dataclasses import asdict

import typer

from terraplan.cli.console import ReportFormat, ReportFormatOption, render_json, render_rows, stdout
from terraplan.cli.context import app_context


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(
    ctx: typer.Context,
    fmt: ReportFormatOption = ReportFormat.TABLE,
) -> None:
    """Show the database, its schema revision, record counts and plans."""
    from terraplan.services.status import database_status

    report = database_status(app_context(ctx).database(migrate=False))
    if fmt is ReportFormat.JSON:
        render_json(asdict(report) | {"up_to_date": report.up_to_date})
        return
    console = stdout()
    schema = report.revision or "(empty: run `terraplan init`)"
    console.print(
        f"[bold]Database[/bold] {report.url}  schema {schema}"
        + ("" if report.up_to_date else f" (newest: {report.head})"),
        markup=True,
    )
    rows: list[dict[str, object]] = []
    for kind, n in report.counts.items():
        rows.append({"records": kind, "rows": n})
        if kind == "accounts" and report.closed_accounts:  # churned ones are kept, closed
            rows.append({"records": "  of them closed", "rows": report.closed_accounts})
    if report.currencies:  # the column only once an import has named a currency
        for row in rows:
            row["amounts in"] = report.currencies.get(str(row["records"]), "")
    render_rows(rows, title="Records")
    if report.plans:
        render_rows(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "v": p.version,  # as `plans list` heads it: the in-force days fit in 80
                    "status": p.status,
                    "territories": p.territories,
                    "aligned records": p.aligned_records,
                    "in force": p.in_force,
                }
                for p in report.plans
            ],
            title="Plans",
        )
    else:
        console.print("No plans yet.")
