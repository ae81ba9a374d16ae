"""``terraplan kpis``: KPIs per territory, region, rep, segment or industry for a period, or
each territory's balance (``--balance``); the warehouse options are in ``kpi_warehouse``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    band_deviation,
    compact_amount,
    render_json,
    render_rows,
    stderr,
    stdout,
)
from terraplan.cli.context import app_context
from terraplan.cli.monitor import FiscalOption, _rows
from terraplan.errors import InvalidParameterError

#: Ratios a table shows as a multiple (``3.00x`` pipeline coverage), not a percentage.
MULTIPLES = frozenset({"pipeline_coverage"})


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
    """Add ``terraplan kpis``."""
    app.command("kpis")(kpis)


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
    inactive_months: Annotated[
        int,
        typer.Option(
            "--inactive-months",
            min=1,
            help="Months an account with no sale and no new opportunity takes to count as "
            "inactive (default 6; 12 or more for annual billing).",
        ),
    ] = 6,
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
    from terraplan.cli.day_option import parse_day
    from terraplan.cli.kpi_warehouse import print_sql, warehouse_table, write_tables
    from terraplan.planning.kpi_registry import KPI_NAMES, KPIS, whole_counts
    from terraplan.services.monitoring import plan_kpis

    day = parse_day(as_of, "--as-of")
    first = parse_day(since, "--since", "2025-01-01")
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
            sql.value, table, period, by.value, day, out, force, fiscal,
            since=first, stored_first=stored, inactive_months=inactive_months,
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
            ctx, plan, engine.value, source, table, period, by.value, as_of, fiscal,
            inactive_months,
        )  # fmt: skip
    else:
        data, frame = plan_kpis(
            app_context(ctx).database(),
            plan,
            periods=[period],
            dimensions=[by.value],
            fiscal=fiscal,
            as_of=day,
            inactive_months=inactive_months,
        )
        # the plan named: with next year's plan activated ahead, this year's is the one in
        # force (and used), which "the plan's latest rule run" did not say
        where = f"plan {data.plan.id}, as of {data.as_of}, alignment from {data.alignment_source}"
    import polars as pl

    from terraplan.services.kpi_notes import (
        HISTORY_KPIS,
        LEAD_KPIS,
        POTENTIAL_KPIS,
        credits_note,
        future_facts_note,
        group_names,
        grouping_notes,
        history_start_note,
        inactive_reps_note,
        lead_note,
        potential_note,
        prior_year_note,
        recut_note,
        revenue_source_note,
        undated_closed_note,
    )
    from terraplan.services.kpi_target_notes import target_coverage_note, target_owner_note

    all_shown = fmt is not KpiFormat.table or out is not None
    history_shown = all_shown or bool(set(kpi or ()) & set(HISTORY_KPIS))
    potential_shown = all_shown or bool(set(kpi or ()) & set(POTENTIAL_KPIS))
    leads_shown = (
        fmt is not KpiFormat.table or out is not None or bool(set(kpi or ()) & set(LEAD_KPIS))
    )
    notes = [
        *future_facts_note(data),
        *revenue_source_note(data),
        *(undated_closed_note(data) if engine is None else []),
        *(credits_note(data) if engine is None else []),
        *([data.crediting_note] if by is Dimension.rep and data.crediting_note else []),
        *grouping_notes(data, by.value, frame["key"].unique().to_list()),
        *(lead_note(data, by.value, frame) if leads_shown else []),
        *prior_year_note(data, frame),
        *(
            history_start_note(data, frame, inactive_months=inactive_months)
            if history_shown
            else []
        ),
        *(potential_note(data, frame) if potential_shown and engine is None else []),
        *target_coverage_note(data, frame),
        *recut_note(data, by.value, frame),
        *(target_owner_note(data, frame) if by.value == "rep" else []),
        *(inactive_reps_note(data, frame) if by.value == "rep" else []),
    ]
    if engine is not None:
        notes.append(
            "figures from the warehouse tables; what this database knows about the facts "
            "(where revenue comes from, accounts in no territory, leads no rule places) is "
            "said by `terraplan kpis` without --engine"
        )
    if engine is not None and by.value == "rep" and "shared_owners" not in data.warehouse_inputs:
        shared = [t for t in data.plan.leaves() if len(t.primary_owner_ids) > 1]
        if shared:
            which = ", ".join(t.name for t in shared[:3]) + (", ..." if len(shared) > 3 else "")
            verb, whose = ("counts", "its") if len(shared) == 1 else ("count", "each one's")
            notes.append(
                f"the warehouse has no shared_owners table, so by rep {which} {verb} "
                f"wholly for {whose} first primary rep; `terraplan kpis --write-tables` "
                "writes it (the primary reps of territories that have several)"
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
    # counts as integers (529 accounts, not 529.0), from this database or a warehouse alike
    frame = whole_counts(frame.select(columns).sort("key", "period", maintain_order=True))
    if fmt is not KpiFormat.table or out is not None:  # keep stdout to the rows
        for note in notes:
            stderr().print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False, markup=True)
    if fmt is KpiFormat.xlsx or out is not None:
        if out is None:
            raise InvalidParameterError("--format xlsx needs --out FILE.xlsx")
        from terraplan.io.writers import write_table

        write_table(frame, out, overwrite=force, figures=True)
        # on stderr when -f json/csv asked for data on stdout: a script reads nothing else there
        _said_by(fmt).print(f"Wrote {frame.height:,} rows to {out!s}")
        if fmt not in (KpiFormat.json, KpiFormat.csv):
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
    if frame["period"].n_unique() > 1:
        # one row per territory and period: without the period the rows cannot be told
        # apart; the default table leaves out the win rate to keep to 80 columns
        shown = ["key", "period", *(c for c in shown[1:] if c != "period")]
        shown = shown if kpi else [c for c in shown if c != "win_rate"]
    else:  # the title names the one period
        shown = [c for c in shown if c != "period"]
    # the title states the as-of day; the first column already speaks names
    shown = [c for c in shown if c in frame.columns and c not in {"as_of", "name"}]
    units = {d.name: d.unit for d in KPIS}
    rows = [
        {by.value: names.get(str(row["key"]), row["key"]), **row}
        for row in _rows(frame.select(shown))
    ]
    shown = [by.value if c == "key" else c for c in shown]
    render_rows(
        rows,
        columns=shown,
        title=f"KPIs by {by.value}, {title} ({where})",
        amounts=[c for c in shown if units.get(c, "").startswith("currency")],
        percents=[c for c in shown if units.get(c) == "ratio" and c not in MULTIPLES],
        multiples=[c for c in shown if c in MULTIPLES],
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

    from terraplan.services.monitoring import plan_balance

    db = app_context(ctx).database()
    criteria, frame = plan_balance(db, plan, balance_tolerance=tolerance)
    from terraplan.planning.kpi_registry import COUNT_KPIS

    rows = [
        # a territory's account count as a count (529, not 529.0); its mean may be a fraction
        {**r, "value": int(r["value"])}
        if r["metric"] in COUNT_KPIS and isinstance(r["value"], float) and r["value"].is_integer()
        else r
        for r in (_rows(frame.sort("territory_id", "metric")) if not frame.is_empty() else [])
    ]
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
        write_table(
            pl.DataFrame(named) if named else pl.DataFrame(), out, overwrite=force, figures=True
        )
        _said_by(fmt).print(f"Wrote {len(rows):,} rows to {out!s}")
        if fmt not in (KpiFormat.json, KpiFormat.csv):
            return
    # for programs: each territory's name beside its id, as the table and the file have it
    with_names = [
        {"territory_id": r["territory_id"], "territory": names.get(r["territory_id"]), **r}
        for r in rows
    ]
    if fmt is KpiFormat.json:
        render_json(
            {
                "criteria": criteria.describe(),
                "skipped": dict(criteria.skipped),
                "notes": list(criteria.notes),
                "rows": with_names,
            }
        )
        return
    if fmt is KpiFormat.csv:
        render_rows(with_names, fmt=OutputFormat.CSV)
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


def _said_by(fmt: KpiFormat) -> Console:
    """Where a "Wrote N rows" line goes: stdout for a table or an XLSX file, stderr when the
    user asked for JSON or CSV (stdout then carries the rows, as without --out)."""
    return stderr() if fmt in (KpiFormat.json, KpiFormat.csv) else stdout()
