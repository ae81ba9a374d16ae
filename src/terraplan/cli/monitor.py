"""``terraplan alerts``, ``priorities`` and ``report``: how each territory performs (``kpis``
is in its own module and shares the options and helpers here)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    note,
    render_json,
    render_rows,
    stdout,
)
from terraplan.cli.context import app_context

PlanOption = Annotated[
    str | None, typer.Option("--plan", help="Plan id (default: the active plan in force).")
]


def _plan_in_force(ctx: typer.Context, plan: str | None) -> str:
    """``plan``, else the company-wide plan in force today (as `kpis` takes it)."""
    if plan is not None:
        return plan
    from terraplan.services.plan_scopes import plan_in_force_id
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(app_context(ctx).database()) as uow:
        return plan_in_force_id(uow, None)


FiscalOption = Annotated[
    int | None,
    typer.Option(
        "--fiscal-year-start",
        min=1,
        max=12,
        help="Month the fiscal year starts in, 1-12 (default: the fiscal year start setting, "
        "else 1 = calendar years). Quarters, years and YTD follow it: --period FY2027Q1.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)
    app.command("priorities")(priorities)
    app.command("report")(report)


def _rows(frame: Any) -> list[dict[str, Any]]:
    from terraplan.planning.kpi_registry import shown_value

    return [{k: shown_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def alerts(
    ctx: typer.Context,
    plan: PlanOption = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Period for pace and coverage (default: the current quarter, fiscal with a "
            "fiscal year).",
        ),
    ] = None,
    balance: Annotated[
        list[str] | None,
        typer.Option(
            "--balance",
            help="METRIC:TOLERANCE to judge balance by, repeatable (potential, workload, "
            "account_count, annual_revenue, employees or a numeric account attribute); "
            "default: the plan's design criteria.",
        ),
    ] = None,
    balance_tolerance: Annotated[
        float | None,
        typer.Option(
            "--balance-tolerance", help="One tolerance for every balance metric (e.g. 0.1)."
        ),
    ] = None,
    min_pace: Annotated[
        float, typer.Option("--min-pace", help="Pace to target below which a territory is flagged.")
    ] = 0.90,
    min_coverage: Annotated[
        float,
        typer.Option(
            "--min-coverage",
            help="Pipeline coverage (pipeline / target left) below which a territory is flagged.",
        ),
    ] = 3.0,
    drift: Annotated[
        float,
        typer.Option(
            "--drift",
            help="Share a territory's total of a metric the design balanced (potential, "
            "workload, annual revenue and others) may move since the design before it is an "
            "alert.",
        ),
    ] = 0.15,
    utilization: Annotated[
        float,
        typer.Option(
            "--utilization",
            min=0.01,
            max=1.0,
            help="Share of a rep's selling hours the workload may take (as `capacity`).",
        ),
    ] = 0.8,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv")
    ] = OutputFormat.TABLE,
    fiscal_year_start: FiscalOption = None,
) -> None:
    """Alerts with reasons (balance, pace, coverage, capacity, unowned large accounts) and a realignment call."""
    from terraplan.planning.alerts import AlertThresholds
    from terraplan.planning.kpi_periods import period_title
    from terraplan.services.design import parse_balance
    from terraplan.services.monitoring import alert_notes, alert_records, plan_alerts

    thresholds = AlertThresholds(
        min_pace=min_pace,
        min_pipeline_coverage=min_coverage,
        drift_threshold=drift,
        utilization=utilization,
    )
    fiscal = app_context(ctx).fiscal(fiscal_year_start)
    data, report_ = plan_alerts(
        app_context(ctx).database(),
        _plan_in_force(ctx, plan),
        period=period,
        thresholds=thresholds,
        balance=parse_balance(balance) if balance else None,
        balance_tolerance=balance_tolerance,
        fiscal=fiscal,
    )
    rows = alert_records(data, report_.alerts)
    notes = alert_notes(report_)
    if fmt is OutputFormat.JSON:  # every note the table prints, in the answer itself
        render_json(
            {
                "period": report_.period,
                "as_of": report_.as_of,
                "alerts": rows,
                "realignment": asdict(report_.realignment),
                "notes": notes,
                "balance_criteria": None
                if report_.criteria is None
                else {
                    "tolerances": dict(report_.criteria.tolerances),
                    "source": report_.criteria.source,
                    "skipped": dict(report_.criteria.skipped),
                    "notes": list(report_.criteria.notes),
                },
            }
        )
        return
    # the table: names, not ids (the subject's kind goes without saying); CSV: both, and the
    # figures behind each alert, as JSON has them
    columns = (
        ["severity", "kind", "subject", "reason"]
        if fmt is OutputFormat.TABLE
        else ["severity", "kind", "subject_kind", "subject_id", "subject", "metric", "value",
              "threshold", "reason"]
    )  # fmt: skip
    # the table says the kind in words ("pipeline coverage", which can wrap); files keep the code
    shown = (
        [{**row, "kind": str(row["kind"]).replace("_", " ")} for row in rows]
        if fmt is OutputFormat.TABLE
        else rows
    )
    title = (
        f"Alerts, {period_title(report_.period, as_of=report_.as_of, fiscal=fiscal)} "
        f"(as of {report_.as_of})"
    )
    if shown or fmt is not OutputFormat.TABLE:
        render_rows(shown, columns=columns, fmt=fmt, title=title)
    else:  # an empty frame reads like a failure to load
        stdout().print(f"{title}: no alerts.")
    if report_.criteria is not None and fmt is OutputFormat.TABLE:
        stdout().print(f"Balance judged by: {report_.criteria.describe()}")
    # on stderr with CSV too, where they were lost; each once (a criterion's note is often
    # also the report's)
    for text in notes:
        note(text)
    if fmt is OutputFormat.TABLE:
        realign = report_.realignment
        if realign.recommended:
            stdout().print(
                f"[bold red]Realignment recommended[/bold red] for {escape(', '.join(realign.territory_names) or 'the plan')}:",
                markup=True,
            )
            for reason in realign.reasons:
                stdout().print(f"  - {reason}")
        else:
            stdout().print(f"{len(rows)} alerts; no realignment needed.")


def priorities(
    ctx: typer.Context,
    territory: Annotated[str, typer.Option("--territory", help="Territory id or name.")],
    plan: PlanOption = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Number of accounts to rank.")] = 50,
    why: Annotated[
        bool, typer.Option("--why", help="Show every part of the score (wide).")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv")
    ] = OutputFormat.TABLE,
) -> None:
    """The territory's accounts ranked for its rep, with the parts of each score."""
    from terraplan.services.monitoring import territory_priorities

    plan = _plan_in_force(ctx, plan)
    frame = territory_priorities(app_context(ctx).database(), plan, territory, top=top)
    if frame.height == 0:  # a valid question with an empty answer (every account closed)
        if fmt is OutputFormat.JSON:
            render_json([])
        elif fmt is OutputFormat.CSV:
            render_rows([], columns=["rank", "account_id", "account", "score"], fmt=fmt)
        else:
            from terraplan.storage.unit_of_work import UnitOfWork

            with UnitOfWork(app_context(ctx).database()) as uow:
                names = {t.id: t.name for t in uow.plans.get(plan).territories}
            label = names.get(territory, territory)
            stdout().print(f"{label} ({plan}) holds no open account to rank.")
        return
    parts = [c for c in frame.columns if c.endswith("_part")]
    columns = [
        "rank",
        "account_id",
        "account",
        "score",
        *parts,
        "potential",
        "whitespace",
        "months_since_purchase",
        "open_pipeline",
    ]
    columns = [c for c in columns if c in frame.columns]
    if fmt is OutputFormat.JSON:
        render_json(_rows(frame.select(columns)))
        return
    if fmt is OutputFormat.TABLE and not why:  # fits 80 columns; --why adds the score's parts
        columns = [c for c in columns if c not in parts and c != "account_id"]
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(app_context(ctx).database()) as uow:
        name = {t.id: t.name for t in uow.plans.get(plan).territories}.get(territory, territory)
    if fmt is OutputFormat.TABLE and why:
        # The score and its parts, two decimals each, in 80 columns; the figures behind them
        # are in --format csv/json.
        shown = [
            {
                "rank": row["rank"],
                "account": row["account"],
                "score": f"{row['score']:.2f}",
                **{_part_heading(p): f"{row[p]:.2f}" for p in parts},
            }
            for row in frame.select("rank", "account", "score", *parts).iter_rows(named=True)
        ]
        render_rows(shown, title=f"Top {top} accounts of {name}: the parts of each score")
        return
    render_rows(
        _rows(frame.select(columns)),
        fmt=fmt,
        title=f"Top {top} accounts of {name}",
        amounts=["potential", "whitespace", "open_pipeline"],
    )


def _part_heading(column: str) -> str:
    """``win_history_part`` -> ``wins``: short enough for five parts in 80 columns."""
    short = {
        "potential": "pot.",
        "whitespace": "space",
        "recency": "recent",
        "pipeline": "pipe",
        "win_history": "wins",
    }
    name = column.removesuffix("_part")
    return short.get(name, name.replace("_", " ")[:8])


def report(
    ctx: typer.Context,
    plan: PlanOption = None,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    period: Annotated[
        str | None, typer.Option("--period", help="Default: YTD (fiscal with a fiscal year).")
    ] = None,
    force: ForceOption = False,
    fiscal_year_start: FiscalOption = None,
) -> None:
    """Write a self-contained HTML report (charts embedded, no external requests)."""
    from terraplan.io.outputs import check_output, write_text
    from terraplan.services.monitoring import plan_report_html

    check_output(out, overwrite=force)
    fiscal = app_context(ctx).fiscal(fiscal_year_start)
    plan = _plan_in_force(ctx, plan)
    html = plan_report_html(app_context(ctx).database(), plan, period=period, fiscal=fiscal)
    write_text(out, html, overwrite=force)
    stdout().print(f"Wrote {out!s} ({len(html) / 1024:.0f} KB)")
