"""``terraplan kpis``, ``alerts``, ``priorities`` and ``report``: how each territory performs."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    band_deviation,
    render_json,
    render_rows,
    stderr,
    stdout,
)
from terraplan.cli.context import app_context
from terraplan.errors import InvalidParameterError

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


class KpiFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class Engine(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


class SqlDialect(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"
    snowflake = "snowflake"
    bigquery = "bigquery"


class Dimension(StrEnum):
    territory = "territory"
    region = "region"
    rep = "rep"
    segment = "segment"
    industry = "industry"


def register(app: typer.Typer) -> None:
    app.command("kpis")(kpis)
    app.command("alerts")(alerts)
    app.command("priorities")(priorities)
    app.command("report")(report)


def _rows(frame: Any) -> list[dict[str, Any]]:
    from terraplan.planning.kpi_registry import shown_value

    return [{k: shown_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def kpis(
    ctx: typer.Context,
    plan: Annotated[
        str | None, typer.Option("--plan", help="Plan id (default: the active plan).")
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Without --plan: the active plan of this part of the market."),
    ] = None,
    by: Annotated[
        Dimension, typer.Option("--by", help="territory, region, rep, segment or industry")
    ] = Dimension.territory,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="2026Q3, 2026-07, 2026, YTD, or a grain: month/quarter/year; with a fiscal "
            "year: FY2027Q1, FY2027 (CY2026Q3: a calendar quarter).",
        ),
    ] = "YTD",
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", help="Only these KPIs (repeatable).")
    ] = None,
    fmt: Annotated[
        KpiFormat, typer.Option("--format", "-f", help="table, json, csv or xlsx (needs --out)")
    ] = KpiFormat.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the KPI table to this file.")
    ] = None,
    force: ForceOption = False,
    balance: Annotated[
        bool,
        typer.Option(
            "--balance",
            help="Instead of KPIs: each territory's balance, judged by the plan's own criteria.",
        ),
    ] = False,
    balance_tolerance: Annotated[
        float | None,
        typer.Option("--balance-tolerance", help="With --balance: one tolerance for every metric."),
    ] = None,
    engine: Annotated[
        Engine | None,
        typer.Option(
            "--engine", help="Run the compiled KPI query in place: duckdb, postgres or spark."
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="With --engine: a folder of Parquet files (duckdb, spark), a DuckDB file, "
            "or a postgresql:// URL.",
        ),
    ] = None,
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table", help="INPUT=TABLE: where an input lives (e.g. sales_lines=crm.sales)."
        ),
    ] = None,
    sql: Annotated[
        SqlDialect | None,
        typer.Option(
            "--sql",
            help="Print (or --out FILE.sql) the KPI query for duckdb, postgres, spark, "
            "snowflake or bigquery instead of running it.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Reporting date YYYY-MM-DD (default: the latest sale or opportunity, never "
            "after today; with --sql, today).",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="With --sql: the first day a grain's periods (month, quarter, year) run "
            "from (default: the earliest sale or opportunity stored here).",
        ),
    ] = None,
    write_tables_to: Annotated[
        Path | None,
        typer.Option(
            "--write-tables",
            help="Write the plan's KPI inputs as one Parquet file each to this folder.",
        ),
    ] = None,
    fiscal_year_start: FiscalOption = None,
) -> None:
    """KPIs per territory, region, rep, segment or industry for a period (definitions: README)."""
    from terraplan.cli.kpi_warehouse import parse_as_of, print_sql, warehouse_table, write_tables
    from terraplan.planning.kpi_registry import KPI_NAMES, KPIS
    from terraplan.services.monitoring import plan_kpis

    day = parse_as_of(as_of)
    if day is not None and (balance or write_tables_to is not None):
        what = "--balance" if balance else "--write-tables"
        raise InvalidParameterError(f"--as-of does not apply to {what}; leave one of them out")
    if plan is None:
        from terraplan.services.plan_scopes import plan_in_force_id
        from terraplan.storage.unit_of_work import UnitOfWork

        with UnitOfWork(app_context(ctx).database()) as uow:
            plan = plan_in_force_id(uow, scope)
    if balance:
        if out is not None:
            from terraplan.io.outputs import check_output

            check_output(out, overwrite=force)
        _balance_table(ctx, plan, balance_tolerance, fmt, out, force)
        return
    fiscal = app_context(ctx).fiscal(fiscal_year_start)

    if sql is not None:
        from terraplan.services.warehouse import stored_first_day

        stored = None if since is not None else stored_first_day(app_context(ctx).database())
        print_sql(
            sql.value, table, period, by.value, as_of, out, force, fiscal,
            since=since, stored_first=stored,
        )  # fmt: skip
        return
    if since is not None:
        raise InvalidParameterError("--since applies to --sql only (the periods of the query)")
    if write_tables_to is not None:
        write_tables(ctx, plan, write_tables_to, force)
        return

    if out is not None:
        from terraplan.io.outputs import check_output

        check_output(out, overwrite=force)
    unknown = [k for k in kpi or [] if k not in KPI_NAMES]
    if unknown:
        raise InvalidParameterError(f"unknown KPI {unknown[0]!r}; known: {', '.join(KPI_NAMES)}")
    if engine is not None:
        data, frame, where = warehouse_table(
            ctx, plan, engine.value, source, table, period, by.value, as_of, fiscal
        )
    else:
        data, frame = plan_kpis(
            app_context(ctx).database(),
            plan,
            periods=[period],
            dimensions=[by.value],
            fiscal=fiscal,
            as_of=day,
        )
        where = f"as of {data.as_of}, alignment from {data.alignment_source}"
    import polars as pl

    from terraplan.services.kpi_notes import (
        LEAD_KPIS,
        future_facts_note,
        group_names,
        grouping_notes,
        lead_note,
        prior_year_note,
        revenue_source_note,
        target_coverage_note,
        target_owner_note,
    )

    leads_shown = (
        fmt is not KpiFormat.table or out is not None or bool(set(kpi or ()) & set(LEAD_KPIS))
    )
    notes = [
        *future_facts_note(data),
        *revenue_source_note(data),
        *([data.crediting_note] if by is Dimension.rep and data.crediting_note else []),
        *grouping_notes(data, by.value, frame["key"].unique().to_list()),
        *(lead_note(data, by.value, frame) if leads_shown else []),
        *prior_year_note(data, frame),
        *target_coverage_note(data, frame),
        *(target_owner_note(data, frame) if by.value == "rep" else []),
    ]
    if engine is not None:
        notes.append(
            "figures from the warehouse tables; what this database knows about the facts "
            "(where revenue comes from, accounts in no territory, leads no rule places) is "
            "said by `terraplan kpis` without --engine"
        )
    if engine is not None and by.value == "rep":
        shared = [t for t in data.plan.leaves() if len(t.primary_owner_ids) > 1]
        if shared:
            which = ", ".join(t.name for t in shared[:3]) + (", ..." if len(shared) > 3 else "")
            verb, whose = ("counts", "its") if len(shared) == 1 else ("count", "each one's")
            notes.append(
                f"the warehouse tables hold one owner per territory, so by rep {which} "
                f"{verb} wholly for {whose} first primary rep; `terraplan kpis` without "
                "--engine shares a territory between its primary reps"
            )
    names = group_names(data, by.value)
    named = ["name"] if names else []  # files speak names too; the key stays for joins
    columns = ["key", *named, "period", "as_of", *(kpi or KPI_NAMES)]
    title = _period_title(frame, period)
    frame = frame.with_columns(pl.lit(data.as_of, dtype=pl.Date).alias("as_of"))
    if names:
        frame = frame.with_columns(
            pl.col("key")
            .cast(pl.String)
            .replace_strict(names, default=pl.col("key").cast(pl.String))
            .alias("name")
        )
    frame = frame.select(columns).sort("key")
    if fmt is not KpiFormat.table or out is not None:  # keep stdout to the rows
        for note in notes:
            stderr().print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False, markup=True)
    if fmt is KpiFormat.xlsx or out is not None:
        if out is None:
            raise InvalidParameterError("--format xlsx needs --out FILE.xlsx")
        from terraplan.io.writers import write_table

        write_table(frame, out, overwrite=force)
        stdout().print(f"Wrote {frame.height:,} rows to {out!s}")
        return
    if fmt is KpiFormat.json:
        render_json(_rows(frame))
        return
    if fmt is KpiFormat.csv:
        render_rows(_rows(frame), fmt=OutputFormat.CSV)
        return
    shown = (
        columns
        if kpi
        else ["key", "revenue", "revenue_growth", "attainment", "open_pipeline", "win_rate"]
    )
    # the title states the as-of day; the first column already speaks names
    shown = [c for c in shown if c in frame.columns and c not in {"as_of", "name"}]
    units = {d.name: d.unit for d in KPIS}
    counts = [c for c in shown if units.get(c) == "count"]
    rows = [
        {
            by.value: names.get(str(row["key"]), row["key"]),
            **row,
            # 3 accounts, not 3.00
            **{c: int(row[c]) for c in counts if isinstance(row[c], float) and row[c].is_integer()},
        }
        for row in _rows(frame.select(shown))
    ]
    shown = [by.value if c == "key" else c for c in shown]
    render_rows(
        rows,
        columns=shown,
        title=f"KPIs by {by.value}, {title} ({where})",
        amounts=[c for c in shown if units.get(c, "").startswith("currency")],
        percents=[c for c in shown if units.get(c) == "ratio"],
    )
    for note in notes:
        stdout().print(f"Note: {note}.", highlight=False)
    if not kpi and rows:
        stdout().print(
            "More KPIs: --kpi NAME (repeatable), or --format csv/json for all of them.",
            style="dim",
        )


def _period_title(frame: Any, period: str) -> str:
    """``FY2027 Q1 (Feb–Apr 2026)`` for a one-period table, else the text asked for."""
    from terraplan.planning.kpi_periods import Period

    if "period_start" not in frame.columns or frame.is_empty():
        return period
    spans = frame.select("period", "period_start", "period_end", "grain").unique()
    if spans.height != 1:
        return period
    return Period(*spans.select("period_start", "period_end", "period", "grain").row(0)).title


def _balance_table(
    ctx: typer.Context,
    plan: str,
    tolerance: float | None,
    fmt: KpiFormat,
    out: Path | None = None,
    force: bool = False,
) -> None:
    import polars as pl

    from terraplan.services.design import compact_amount
    from terraplan.services.monitoring import plan_balance

    db = app_context(ctx).database()
    criteria, frame = plan_balance(db, plan, balance_tolerance=tolerance)
    rows = _rows(frame.sort("territory_id", "metric")) if not frame.is_empty() else []
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(db) as uow:
        names = {t.id: t.name for t in uow.plans.get(plan).territories}
    if fmt is not KpiFormat.table or out is not None:  # notes on stderr, the rows on stdout
        for note in criteria.notes:
            stderr().print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False, markup=True)
    if fmt is KpiFormat.xlsx or out is not None:
        if out is None:
            raise InvalidParameterError("--format xlsx needs --out FILE.xlsx")
        from terraplan.io.writers import write_table

        named = [{"territory": names.get(r["territory_id"]) or "", **r} for r in rows]
        write_table(pl.DataFrame(named) if named else pl.DataFrame(), out, overwrite=force)
        stdout().print(f"Wrote {len(rows):,} rows to {out!s}")
        return
    if fmt is KpiFormat.json:
        render_json(
            {"criteria": criteria.describe(), "skipped": dict(criteria.skipped), "rows": rows}
        )
        return
    if fmt is KpiFormat.csv:
        render_rows(rows, fmt=OutputFormat.CSV)
        return
    shown = [
        {
            "territory": names.get(r["territory_id"]) or r["territory_id"],
            "metric": r["metric"],
            "total": compact_amount(r["value"]),
            "target": compact_amount(r["mean"]),
            "deviation": ""
            if r["deviation"] is None
            else band_deviation(r["deviation"], r["tolerance"], bool(r["within_tolerance"])),
            "within": "yes" if r["within_tolerance"] else "NO",
        }
        for r in rows
    ]
    render_rows(shown, title=f"Balance of {plan}: {criteria.describe()}")
    for territory, why in sorted(criteria.skipped.items()):
        shown_name = names.get(territory) or territory
        stdout().print(f"Not checked: {shown_name} ({why})", highlight=False)
    for note in criteria.notes:
        stderr().print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False, markup=True)


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
            "account_count); default: the plan's design criteria.",
        ),
    ] = None,
    balance_tolerance: Annotated[
        float | None,
        typer.Option(
            "--balance-tolerance", help="One tolerance for every balance metric (e.g. 0.1)."
        ),
    ] = None,
    min_pace: Annotated[float, typer.Option("--min-pace")] = 0.90,
    min_coverage: Annotated[float, typer.Option("--min-coverage")] = 3.0,
    drift: Annotated[
        float,
        typer.Option(
            "--drift", help="Potential moved since the baseline that calls for realignment."
        ),
    ] = 0.15,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv")
    ] = OutputFormat.TABLE,
    fiscal_year_start: FiscalOption = None,
) -> None:
    """Alerts with reasons (balance, pace, coverage, capacity, unowned large accounts) and a realignment call."""
    from terraplan.planning.alerts import AlertThresholds
    from terraplan.planning.kpi_periods import period_title
    from terraplan.services.design import parse_balance
    from terraplan.services.kpi_notes import group_names
    from terraplan.services.monitoring import plan_alerts

    thresholds = AlertThresholds(
        min_pace=min_pace, min_pipeline_coverage=min_coverage, drift_threshold=drift
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
    rows = [asdict(a) for a in report_.alerts]
    if fmt is OutputFormat.JSON:
        render_json(
            {
                "period": report_.period,
                "as_of": report_.as_of,
                "alerts": rows,
                "realignment": asdict(report_.realignment),
                "notes": list(report_.notes),
                "balance_criteria": None
                if report_.criteria is None
                else {
                    "tolerances": dict(report_.criteria.tolerances),
                    "source": report_.criteria.source,
                    "skipped": dict(report_.criteria.skipped),
                },
            }
        )
        return
    if fmt is OutputFormat.TABLE:  # names, not ids; the subject's kind goes without saying
        names = group_names(data, "territory") | group_names(data, "rep")
        shown = [
            {**row, "subject": names.get(str(row["subject_id"]), row["subject_id"])} for row in rows
        ]
        columns = ["severity", "kind", "subject", "reason"]
    else:
        shown, columns = rows, ["severity", "kind", "subject_kind", "subject_id", "reason"]
    title = (
        f"Alerts, {period_title(report_.period, as_of=report_.as_of, fiscal=fiscal)} "
        f"(as of {report_.as_of})"
    )
    if shown or fmt is not OutputFormat.TABLE:
        render_rows(shown, columns=columns, fmt=fmt, title=title)
    else:  # an empty frame reads like a failure to load
        stdout().print(f"{title}: no alerts.")
    if fmt is OutputFormat.TABLE:
        if report_.criteria is not None:
            stdout().print(f"Balance judged by: {report_.criteria.describe()}")
            for note in report_.criteria.notes:
                stderr().print(
                    f"[yellow]note:[/yellow] {escape(note)}", highlight=False, markup=True
                )
        for note in report_.notes:
            stderr().print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False, markup=True)
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
    top: Annotated[int, typer.Option("--top", min=1)] = 50,
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
