"""``terraplan capacity`` and ``match``: how many reps the plan needs, and which rep should own
which territory (``targets``: :mod:`terraplan.cli.targets`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    compact_amount,
    render_json,
    render_rows,
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
from terraplan.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from terraplan.planning.capacity import CapacityReport


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity)
    app.command("match")(match)


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


def capacity(
    ctx: typer.Context,
    plan: PlanOption,
    hours: Annotated[
        float,
        typer.Option(
            "--hours",
            min=1.0,
            help="Selling hours per year of a rep with no capacity_hours of their own.",
        ),
    ] = 1600.0,
    utilization: Annotated[
        float,
        typer.Option(
            "--utilization",
            min=0.01,
            max=1.0,
            help="Share of selling hours on the workload (as `alerts --utilization`).",
        ),
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
    """How many reps the plan's workload and accounts need, per group, and the effect of one rep more or less."""
    from rich.markup import escape

    from terraplan.services.reps_targets import plan_capacity

    check_out(out, force)
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
        warn(report.warnings)
        if out:
            write_rows(report.rows(ids=True), out, force, fmt)
        return
    rows = report.rows(ids=fmt is not OutputFormat.TABLE)
    if fmt is OutputFormat.TABLE:
        rows = [_need_row(row, report.group_by) for row in rows]
    render_rows(rows, fmt=fmt, title=_title(report))
    if fmt is OutputFormat.TABLE:
        render_rows(
            [_marginal_row(row) for row in report.marginal_rows()],
            title="One rep fewer / as now / one more (load 1.00 = full)",
        )
        if forecast:
            render_rows([_forecast_row(row) for row in forecast], title="Hiring forecast")
            if report.binding == "accounts":
                # the hours columns alone would read as covered while the account limit
                # still needs more reps
                stdout().print(
                    "cover and FTE gap count the account limit, which needs more reps than "
                    "the hours do",
                    highlight=False,
                )
        stdout().print(
            f"Reps needed: [bold]{report.reps_needed}[/bold] (now {report.current_reps}), "
            f"{escape(report.binding_reason())}; saved with plan {plan}.",
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
    warn(report.warnings)
    if out:
        write_rows(report.rows(ids=True), out, force, fmt)


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

    check_out(out, force)
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
        warn(result.warnings)
        if out:
            write_rows(result.rows(), out, force, fmt)
        return
    if fmt is OutputFormat.TABLE:  # names, not CRM ids; the explanation only on request
        from terraplan.domain.names import distinct_labels

        columns = ["rep", "territory", "cost", "current", *(["why"] if why else [])]
        # two reps of one name read as two identical rows: the id goes beside such a name
        rep_label = distinct_labels(
            (str(r["rep_id"]), str(r["rep"] or "")) for r in result.rows() if r["rep_id"]
        )
        rows = [
            {
                **row,
                "rep": rep_label.get(str(row["rep_id"])) if row["rep_id"] else "(vacant)",
                "territory": row["territory"] or row["territory_id"] or "-",
                "current": "" if row["current"] is None else ("yes" if row["current"] else "no"),
            }
            for row in result.rows()
        ]
    else:  # every column, the cost parts included, as JSON and --out give them
        columns = None
        rows = result.rows()
    render_rows(rows, columns=columns, fmt=fmt, title="Rep to territory")
    if fmt is OutputFormat.TABLE:
        stdout().print(
            f"{result.cost_words()}; "
            f"{_counted(result.vacant_territories, result.names, 'vacant territory')}; "
            f"{_counted(result.unassigned_reps, result.names, 'rep')} unassigned."
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
    warn(result.warnings)
    if out:
        write_rows(result.rows(), out, force, fmt)


def _title(report: CapacityReport) -> str:
    """What one rep carries, as the sizing counted it."""
    title = f"Reps needed at {report.utilization:.0%} of {report.hours_per_rep:,.0f} h"
    if report.accounts_per_rep is not None:
        title += f" and {report.accounts_per_rep:,.0f} accounts per rep"
    return title


def _need_row(row: dict[str, Any], group_by: str) -> dict[str, object]:
    """A group's need in 80 columns: its name kept whole, amounts short (1.2M), hours whole,
    and the limit that sets it (hours: the workload; accounts: the reps' account limit)."""
    return {
        group_by: row[group_by],
        "accounts": f"{row['accounts']:,}",
        "hours": f"{round(row['workload_hours']):,}",
        "potential": compact_amount(row["potential"]),
        "FTE": f"{row['fte_needed']:.2f}",
        "needed": row["reps_needed"],
        "now": "-" if row["current_reps"] is None else row["current_reps"],
        "set by": row["binding"],
    }


def _marginal_row(row: dict[str, Any]) -> dict[str, object]:
    """One team size in 80 columns: amounts short (9.2M), shares and loads readable."""
    return {
        "reps": row["reps"],
        "capacity h": f"{round(row['capacity_hours']):,}",
        "covered": compact_amount(row["potential_covered"]),
        "share": _share(row["potential_covered_share"]),
        "hours/rep": f"{round(row['workload_per_rep']):,}",
        **(
            {}
            if row["capacity_accounts"] is None
            else {"accts/rep": f"{round(row['accounts_per_rep']):,}"}
        ),
        "load": f"{row['load_vs_capacity']:.2f}",
        "vs now": ("+" if row["delta_potential"] > 0 else "")
        + compact_amount(row["delta_potential"]),
    }


def _share(value: float) -> str:
    """A share to a whole percent, but never "100%" for a part nor "0%" for some: 99.9% of
    the potential covered means accounts left unserved."""
    shown = f"{value:.0%}"
    if shown == "100%" and value < 1:
        return f"{value:.1%}" if f"{value:.1%}" != "100.0%" else ">99.9%"
    if shown == "0%" and value > 0:
        return f"{value:.1%}" if f"{value:.1%}" != "0.0%" else "<0.1%"
    return shown


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


def _counted(ids: Sequence[str], names: Mapping[str, str], noun: str) -> str:
    """``"1 vacant territory (Territory 31)"``, ``"0 reps"``: the count with its noun, and
    the first names (open headcount is read by name)."""
    plural = noun.replace("territory", "territories") if "territory" in noun else f"{noun}s"
    text = f"{len(ids)} {noun if len(ids) == 1 else plural}"
    if not ids:
        return text
    shown = ", ".join(names.get(i, i) for i in ids[:5])
    return f"{text} ({shown}{', ...' if len(ids) > 5 else ''})"
