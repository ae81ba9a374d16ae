"""``terraplan targets``: what each territory, rep and month is to sell, set and saved with the
plan (exact sums at every level)."""

from __future__ import annotations

import calendar
from typing import TYPE_CHECKING, Annotated

import typer

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    render_json,
    render_rows,
    stderr,
    stdout,
)
from terraplan.cli.context import app_context
from terraplan.cli.team_options import (
    FormatOption,
    OutOption,
    PlanOption,
    check_out,
    warn,
    write_rows,
)

if TYPE_CHECKING:
    from terraplan.planning.targets import TargetPlan


def register(app: typer.Typer) -> None:
    app.command("targets")(targets)


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
        typer.Option(
            "--adjust",
            help="Bottom-up adjustment TERRITORY:+50k:reason, the territory by name or id "
            "(repeatable).",
        ),
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

    check_out(out, force)
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
        warn(result.warnings)
        if out:
            write_rows(result.rows(months=months), out, force, fmt)
        return
    if fmt is not OutputFormat.TABLE:
        render_rows(result.rows(months=months), fmt=fmt)
        stderr().print(f"note: {result.basis.text}", highlight=False, markup=False)
    else:
        _print_targets(result, months=months)
        stdout().print(
            f"Company target {result.company_target:,.0f} (bottom-up "
            f"{result.bottom_up:,.0f} = {result.bottom_up_formula}); "
            f"{result.basis.text}. {len(result.targets):,} targets saved with plan {plan}.",
            highlight=False,
            markup=False,
        )
    warn(result.warnings)
    if out:
        write_rows(result.rows(months=months), out, force, fmt)


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
        potential = _money(t.potential) if result.potential_known else ""  # unknown, not 0
        cells += [_money(t.history), change, potential]
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
        + (f" (allowing {f.rounding_allowance:,.0f} for rounding)" if f.rounding_allowance else "")
        if f.attainable_share_territories is not None
        else None,
    ]
    stdout().print(
        "Fairness: " + "; ".join(p for p in pieces if p) + ".", highlight=False, markup=False
    )


def _percent_change(share: float) -> str:
    """``+8%``, ``-3%``; ``0%`` for a change that rounds to nothing (never ``-0%``)."""
    text = f"{share:+.0%}"
    return "0%" if text in ("+0%", "-0%") else text
