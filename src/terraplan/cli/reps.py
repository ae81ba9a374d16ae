"""``terraplan capacity``, ``match`` and ``targets``: team size, who owns what, what to sell."""

from __future__ import annotations

import calendar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    compact_amount,
    render_json,
    render_rows,
    stderr,
    stdout,
)
from terraplan.cli.context import app_context
from terraplan.errors import InvalidParameterError

if TYPE_CHECKING:
    from terraplan.planning.targets import TargetPlan

PlanOption = Annotated[str, typer.Option("--plan", help="Plan id.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Also write the table to .csv/.xlsx/.parquet.")
]


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity)
    app.command("match")(match)
    app.command("targets")(targets)


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        rep, sep, territory = value.partition(":")
        if not sep or not rep or not territory:
            raise InvalidParameterError(
                f"{option} {value!r}: use REP:TERRITORY, e.g. {option} R07:T12"
            )
        pairs.append((rep, territory))
    return pairs


def _warn(warnings: tuple[str, ...] | list[str]) -> None:
    for warning in warnings:
        stderr().print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, markup=True)


def capacity(
    ctx: typer.Context,
    plan: PlanOption,
    hours: Annotated[
        float, typer.Option("--hours", min=1.0, help="Selling hours per rep per year.")
    ] = 1600.0,
    utilization: Annotated[
        float,
        typer.Option("--utilization", min=0.01, max=1.0, help="Share of hours on the workload."),
    ] = 0.8,
    workload_model: Annotated[
        str | None,
        typer.Option(
            "--workload-model",
            help="stored | model | auto | visits=12, visits.Enterprise=24, call_hours=1.5",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="region, segment, industry, territory or a level (default: region if any)."
        ),
    ] = None,
    hires: Annotated[
        str | None, typer.Option("--hires", help="Hiring plan 'month:count,...', e.g. 1:3,4:2.")
    ] = None,
    ramp_months: Annotated[
        int, typer.Option("--ramp-months", help="Months a new rep needs to be fully productive.")
    ] = 3,
    attrition: Annotated[
        str, typer.Option("--attrition", help="Monthly attrition, e.g. 1%.")
    ] = "0",
    fmt: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """How many reps the plan's workload needs, per group, and the effect of one rep more or less."""
    from terraplan.services.reps_targets import plan_capacity

    _check_out(out, force)
    db = app_context(ctx).database()
    report, forecast = plan_capacity(
        db,
        plan,
        hours_per_rep=hours,
        utilization=utilization,
        workload_model=workload_model,
        group_by=by,
        hires=hires,
        ramp_months=ramp_months,
        attrition=attrition,
    )
    if fmt is OutputFormat.JSON:  # --out is written too (it was skipped)
        render_json({**report.to_dict(), "forecast": forecast})
        _warn(report.warnings)
        if out:
            _write_rows(report.rows(ids=True), out, force, fmt)
        return
    rows = report.rows(ids=fmt is not OutputFormat.TABLE)
    if fmt is OutputFormat.TABLE:
        rows = [_need_row(row, report.group_by) for row in rows]
    render_rows(rows, fmt=fmt, title=f"Reps needed at {utilization:.0%} of {hours:,.0f} h")
    if fmt is OutputFormat.TABLE:
        render_rows(
            [_marginal_row(row) for row in report.marginal_rows()],
            title="One rep fewer / as now / one more (load 1.00 = full)",
        )
        if forecast:
            render_rows([_forecast_row(row) for row in forecast], title="Hiring forecast")
        stdout().print(
            f"Reps needed: [bold]{report.reps_needed}[/bold] (now {report.current_reps}); saved with plan {plan}.",
            markup=True,
        )
        stdout().print("Assumed:")
        import textwrap

        width = max(stdout().width, 40)
        for line in report.assumptions:
            # a hanging indent: a long assumption's next lines stay under its first word
            wrapped = textwrap.fill(
                line, width=width, initial_indent="  - ", subsequent_indent="    "
            )
            stdout().print(wrapped, highlight=False, soft_wrap=True)
    _warn(report.warnings)
    if out:
        _write_rows(report.rows(ids=True), out, force, fmt)


def match(
    ctx: typer.Context,
    plan: PlanOption,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help="Change some cost weights; the others keep their defaults (skill=1, "
            "experience=1, distance=0.5, continuity=2), e.g. continuity=0.5 or experience=0.",
        ),
    ] = None,
    must: Annotated[
        list[str] | None,
        typer.Option("--must", help="REP:TERRITORY that must be paired (repeatable)."),
    ] = None,
    must_not: Annotated[
        list[str] | None, typer.Option("--must-not", help="REP:TERRITORY never to pair.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Make the matched reps the territories' primary owners.")
    ] = False,
    why: Annotated[
        bool, typer.Option("--why", help="Show why each pair costs what it costs (wide).")
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Optimal rep-to-territory assignment, each pair's cost explained; --apply saves it in the plan."""
    from terraplan.services.reps_targets import plan_matching

    _check_out(out, force)
    db = app_context(ctx).database()
    outcome = plan_matching(
        db,
        plan,
        weights=weights,
        must=_pairs(must or [], "--must"),
        must_not=_pairs(must_not or [], "--must-not"),
        apply=apply,
        by="cli",
    )
    result, saved = outcome.result, outcome.plan
    if fmt is OutputFormat.JSON:  # --out is written too (it was skipped)
        render_json(result.to_dict())
        _warn(result.warnings)
        if out:
            _write_rows(result.rows(), out, force, fmt)
        return
    if fmt is OutputFormat.TABLE:  # names, not CRM ids; the explanation only on request
        columns = ["rep", "territory", "cost", "current", *(["why"] if why else [])]
        rows = [
            {
                **row,
                "rep": row["rep"] or row["rep_id"] or "(vacant)",
                "territory": row["territory"] or row["territory_id"] or "-",
                "current": "" if row["current"] is None else ("yes" if row["current"] else "no"),
            }
            for row in result.rows()
        ]
    else:
        columns = ["rep_id", "rep", "territory_id", "territory", "cost", "current", "why"]
        rows = result.rows()
    render_rows(rows, columns=columns, fmt=fmt, title="Rep to territory")
    if fmt is OutputFormat.TABLE:
        stdout().print(
            f"{result.cost_words()}; "
            f"{len(result.vacant_territories)} vacant territories; {len(result.unassigned_reps)} reps unassigned."
            + (
                f" Saved as plan {saved.id} version {saved.version}."
                if apply
                else " (use --apply to save the owners)"
            )
        )
        if outcome.synced is not None:
            changed = outcome.synced.changed
            stdout().print(
                f"{changed:,} account{'s' if changed != 1 else ''} changed owner to follow "
                f"the new primary reps (`terraplan export assignments FILE --plan {plan}` "
                "lists them)."
            )
        elif apply:
            stdout().print(
                "The accounts keep their owners: another active plan decides them (this "
                "plan's activation will move them)."
            )
    _warn(result.warnings)
    if out:
        _write_rows(result.rows(), out, force, fmt)


def targets(
    ctx: typer.Context,
    plan: PlanOption,
    company_target: Annotated[
        str | None, typer.Option("--company-target", help="e.g. 120M (default: bottom-up).")
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="history | potential | blend:history=0.6, potential=0.4 (the default), "
            "each with an optional +capacity",
            show_default=False,
        ),
    ] = "blend:history=0.6,potential=0.4",
    growth: Annotated[
        str, typer.Option("--growth", help="Growth over the prior period, e.g. 8%.")
    ] = "0%",
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Target year, e.g. 2027, or with a fiscal year FY2027 (also a quarter FY2027Q1 "
            "or a month 2027-03); default: the plan's effective dates, else the year after the "
            "revenue history.",
        ),
    ] = None,
    revenue_source: Annotated[
        str,
        typer.Option(
            "--revenue-source",
            help="auto (sales lines, else Closed Won opportunities) | sales_lines | opportunities",
        ),
    ] = "auto",
    unit: Annotated[
        float | None,
        typer.Option(
            "--unit",
            help="Rounding unit: targets are whole multiples of it (default: 1000, 100, 10 or "
            "1, at most 1% of the smallest target).",
            show_default=False,
        ),
    ] = None,
    seasonality: Annotated[
        str,
        typer.Option(
            "--seasonality",
            help="history | territory | flat | 12 monthly (Jan..Dec) or 4 quarterly (fiscal Q1..Q4) weights",
        ),
    ] = "history",
    adjust: Annotated[
        list[str] | None,
        typer.Option("--adjust", help="Bottom-up adjustment TERRITORY:+50k:reason (repeatable)."),
    ] = None,
    months: Annotated[
        bool, typer.Option("--months", help="Also give the monthly split (a column per month).")
    ] = False,
    ramp_months: Annotated[
        int,
        typer.Option(
            "--ramp-months",
            min=1,
            max=36,
            help="With +capacity: months a new rep needs to be fully productive.",
        ),
    ] = 3,
    fmt: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
    force: ForceOption = False,
    fiscal_year_start: Annotated[
        int | None,
        typer.Option(
            "--fiscal-year-start",
            min=1,
            max=12,
            help="Month the fiscal year starts in (default: the fiscal year start setting, else "
            "1); the target year is then written FY2027.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Set targets per territory, rep and month (exact sums at every level) and save them with the plan."""
    from terraplan.services.reps_targets import plan_targets

    _check_out(out, force)
    db = app_context(ctx).database()
    result = plan_targets(
        db,
        plan,
        company_target=company_target,
        method=method,
        growth=growth,
        period=period,
        unit=unit,
        seasonality=seasonality,
        adjustments=adjust or [],
        revenue_source=revenue_source,
        fiscal=app_context(ctx).fiscal(fiscal_year_start),
        ramp_months=ramp_months,
    )
    if fmt is OutputFormat.JSON:  # --out is written too (it was skipped)
        render_json(result.to_dict())
        _warn(result.warnings)
        if out:
            _write_rows(result.rows(months=months), out, force, fmt)
        return
    if fmt is not OutputFormat.TABLE:
        render_rows(result.rows(months=months), fmt=fmt)
        stderr().print(f"note: {result.basis.text}", highlight=False, markup=False)
    else:
        _print_targets(result, months=months)
        stdout().print(
            f"Company target {result.company_target:,.0f} (bottom-up "
            f"{result.bottom_up:,.0f} = history x {1 + result.growth:g}); "
            f"{result.basis.text}. {len(result.targets):,} targets saved with plan {plan}.",
            highlight=False,
            markup=False,
        )
    _warn(result.warnings)
    if out:
        _write_rows(result.rows(months=months), out, force, fmt)


def _money(value: float | None) -> str:
    """6.4M-style amounts for tables."""
    if value is None:
        return ""
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            digits = 0 if suffix == "k" or size >= 100 * limit else 1 if size >= 10 * limit else 2
            return f"{value / limit:,.{digits}f}{suffix}"
    return f"{value:,.0f}"


def _print_targets(result: TargetPlan, *, months: bool) -> None:
    """The targets as tables readable at 80 columns: one row per territory, the months in
    blocks of six when asked, and the fairness in a sentence."""
    from rich.table import Table

    nodes = result.territories
    levels = len({t.level for t in nodes}) > 1
    adjusted = any(t.adjustment or t.rebalance for t in nodes)
    table = Table(title=f"Targets {result.period_start} to {result.period_end}")
    table.add_column("territory")
    if levels:
        table.add_column("level")
    for name in ("target", *(("adjusted",) if adjusted else ()), "history", "vs history"):
        table.add_column(name, justify="right")
    table.add_column("potential", justify="right")
    for t in nodes:
        change = "" if not t.history else _percent_change(t.final / t.history - 1)
        cells = [t.name, *((t.level,) if levels else ())]
        layer = t.adjustment + t.rebalance
        shown = ("+" if layer > 0 else "") + _money(layer) if layer else ""
        cells += [_money(t.final), *((shown,) if adjusted else ())]
        cells += [_money(t.history), change, _money(t.potential)]
        table.add_row(*cells)
    stdout().print(table)
    if months:
        leaves = [t for t in nodes if t.is_leaf]
        for first in range(0, len(result.months), 6):
            labels = result.months[first : first + 6]
            block = Table(title=f"Monthly targets {labels[0]} to {labels[-1]}")
            block.add_column("territory")
            for label in labels:
                block.add_column(calendar.month_abbr[int(label[5:])], justify="right")
            for t in leaves:
                block.add_row(t.name, *(_money(v) for v in t.months[first : first + 6]))
            stdout().print(block)
    f = result.fairness
    pieces = [
        f"target/potential CV {f.cv_target_to_potential:.2f}"
        if f.cv_target_to_potential is not None
        else None,
        f"target/history CV {f.cv_target_to_history:.2f}"
        if f.cv_target_to_history is not None
        else None,
        f"{f.attainable_share_territories:.0%} of territories and "
        f"{f.attainable_share_reps or 0:.0%} of reps reach their target at "
        "last period's sales x growth"
        if f.attainable_share_territories is not None
        else None,
    ]
    stdout().print(
        "Fairness: " + "; ".join(p for p in pieces if p) + ".", highlight=False, markup=False
    )


def _check_out(out: Path | None, force: bool) -> None:
    """Refuse an existing --out file before any work is done (and saved)."""
    if out is not None:
        from terraplan.io.outputs import check_output
        from terraplan.io.writers import FORMATS

        if out.suffix.lower() not in FORMATS:
            raise InvalidParameterError(f"--out {out}: use .csv, .xlsx or .parquet")
        check_output(out, overwrite=force)


def _write_rows(rows: list[dict[str, object]], out: Path, force: bool, fmt: OutputFormat) -> None:
    import polars as pl

    from terraplan.io.writers import FORMATS, write_table

    if out.suffix.lower() not in FORMATS:
        raise InvalidParameterError(f"--out {out}: use .csv, .xlsx or .parquet")
    write_table(pl.DataFrame(rows, infer_schema_length=None), out, overwrite=force)
    # on stderr when stdout carries JSON or CSV: a line after the CSV rows read as a row
    (stdout() if fmt is OutputFormat.TABLE else stderr()).print(
        f"Wrote {len(rows):,} rows to {out}", highlight=False
    )


def _percent_change(share: float) -> str:
    """``+8%``, ``-3%``; ``0%`` for a change that rounds to nothing (never ``-0%``)."""
    text = f"{share:+.0%}"
    return "0%" if text in ("+0%", "-0%") else text


def _need_row(row: dict[str, Any], group_by: str) -> dict[str, object]:
    """A group's need in 80 columns: its name kept whole, amounts short (1.2M), hours whole."""
    return {
        group_by: row[group_by],
        "accounts": f"{row['accounts']:,}",
        "hours": f"{round(row['workload_hours']):,}",
        "potential": compact_amount(row["potential"]),
        "FTE": f"{row['fte_needed']:.2f}",
        "needed": row["reps_needed"],
        "now": "-" if row["current_reps"] is None else row["current_reps"],
    }


def _marginal_row(row: dict[str, Any]) -> dict[str, object]:
    """One team size in 80 columns: amounts short (9.2M), shares and loads readable."""
    return {
        "reps": row["reps"],
        "capacity h": f"{round(row['capacity_hours']):,}",
        "covered": compact_amount(row["potential_covered"]),
        "share": f"{row['potential_covered_share']:.0%}",
        "hours/rep": f"{round(row['workload_per_rep']):,}",
        "load": f"{row['load_vs_capacity']:.2f}",
        "vs now": ("+" if row["delta_potential"] > 0 else "")
        + compact_amount(row["delta_potential"]),
    }


def _forecast_row(row: dict[str, Any]) -> dict[str, object]:
    """A hiring-forecast month in 80 columns: short headings (hours: the productive reps'
    capacity, needed: the hours of workload), whole hours, people to a tenth, FTE to a
    hundredth (as the gap is their difference)."""

    def people(value: float) -> float | int:
        return int(value) if float(value).is_integer() else round(value, 1)

    return {
        "month": row["month"],
        "hires": people(row["hires"]),
        "leavers": people(row["leavers"]),
        "heads": people(row["headcount"]),
        "FTE": round(row["productive_fte"], 2),
        "hours": round(row["capacity_hours"]),
        "needed": round(row["workload_hours"]),
        "cover": f"{row['coverage']:.0%}",
        "FTE gap": round(row["fte_gap"], 2),
    }
