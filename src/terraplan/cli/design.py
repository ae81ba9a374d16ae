"""``terraplan design``: balanced, compact (and contiguous) territories, saved as a draft plan."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from terraplan.cli.console import (
    ForceOption,
    ReportFormat,
    ReportFormatOption,
    note,
    render_json,
    render_rows,
    stderr,
    stdout,
)
from terraplan.cli.context import app_context
from terraplan.cli.progress import progress_bar
from terraplan.errors import InvalidParameterError


class Units(StrEnum):
    counties = "counties"
    zips = "zips"
    custom = "custom"
    accounts = "accounts"


class Method(StrEnum):
    auto = "auto"
    heuristic = "heuristic"
    exact = "exact"


class Centers(StrEnum):
    reps = "reps"


def register(app: typer.Typer) -> None:
    app.command("design")(design)


def _moved_cap(value: str | None) -> float | None:
    """``--max-moved``: a count, or a share; a share of 100 % or more caps nothing (it was
    read as one unit)."""
    share = _share(value)
    if value is not None and value.strip().endswith("%") and share is not None and share >= 1:
        return None
    return share


def _share(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100
        number = float(text)
    except ValueError:
        raise InvalidParameterError(
            f"--max-moved {value!r}: give a count (120) or a share (10%)"
        ) from None
    return int(number) if number >= 1 and number == int(number) else number


def design(
    ctx: typer.Context,
    units: Annotated[
        Units,
        typer.Option(
            "--units",
            help="What to group: counties, zips, custom (imported polygons) or accounts.",
        ),
    ] = Units.counties,
    territories: Annotated[
        int | None, typer.Option("--territories", "-k", min=1, help="Number of territories.")
    ] = None,
    balance: Annotated[
        list[str] | None,
        typer.Option(
            "--balance",
            help="METRIC:TOLERANCE, repeatable (population:5%, potential:10%, workload:10%, count:10%).",
        ),
    ] = None,
    centers: Annotated[
        Centers | None,
        typer.Option("--centers", help="reps: one territory per rep, centred on the home base."),
    ] = None,
    contiguous: Annotated[
        bool, typer.Option("--contiguous", help="Every territory one connected piece.")
    ] = False,
    from_plan: Annotated[
        str | None,
        typer.Option("--from-plan", help="Realign this plan (its alignment is the current one)."),
    ] = None,
    max_moved: Annotated[
        str | None,
        typer.Option("--max-moved", help="Disruption budget: a unit count or a share, e.g. 10%."),
    ] = None,
    states: Annotated[
        str | None,
        typer.Option(
            "--states",
            help="Only these states, e.g. CA,NV,OR: their units and accounts (accounts of "
            "other states or outside the US are left to other plans).",
        ),
    ] = None,
    lock: Annotated[
        list[str] | None,
        typer.Option(
            "--lock",
            help="UNIT:TERRITORY kept in that territory (repeatable), e.g. 06037:T03; with "
            "--from-plan the plan's locked units are kept too.",
        ),
    ] = None,
    keep_together: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-together",
            help="Units that must share a territory (repeatable): 'parent' (the accounts of one "
            "parent account family, or the units holding them) or a CSV file of unit,group "
            "(e.g. the counties of one metro area).",
        ),
    ] = None,
    window: Annotated[
        list[str] | None,
        typer.Option(
            "--window",
            help="Absolute window (repeatable): METRIC:MIN:MAX for every territory (a side may "
            "be empty, e.g. workload::1800; 2.5M, 40k accepted), or a CSV file of "
            "territory, metric, lower, upper for single territories.",
        ),
    ] = None,
    travel_costs: Annotated[
        Path | None,
        typer.Option(
            "--travel-costs",
            help="CSV of unit,rep,minutes: travel time from each unit to each rep's home base "
            "(with --centers reps); compactness becomes the weighted travel time.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same plan).")] = 0,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds the solver may use.")
    ] = 60.0,  # engine.design.params.DEFAULT_TIME_LIMIT (not imported: --help stays instant)
    method: Annotated[
        Method, typer.Option("--method", help="auto, heuristic or exact (small instances).")
    ] = Method.auto,
    plan_id: Annotated[
        str | None, typer.Option("--plan-id", help="Id of the new plan (default P001, P002...).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name of the new plan.")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder or file stem for <plan>.csv and <plan>.geojson."),
    ] = None,
    force: ForceOption = False,
    fmt: ReportFormatOption = ReportFormat.TABLE,
    tradeoff: Annotated[
        str | None,
        typer.Option(
            "--tradeoff",
            help="Instead of saving a plan, print the trade-off curve over these values: disruption "
            "budgets with --from-plan (e.g. 0,10,5%,20%), else tolerances (e.g. 2%,5%,10%,20%).",
        ),
    ] = None,
) -> None:
    """Design territories balanced on the given metrics and save them as a new draft plan."""
    from terraplan.services.design import (
        design_plan,
        parse_balance,
        parse_locks,
        territory_rows,
        write_design_files,
    )
    from terraplan.services.design_inputs import (
        keep_together_option,
        read_travel_costs,
        window_option,
    )

    if territories is None and centers is None:
        raise InvalidParameterError("give --territories N or --centers reps")
    if travel_costs is not None and centers is None:
        raise InvalidParameterError("--travel-costs needs --centers reps (the reps' home bases)")
    if out is not None and tradeoff is None:
        _check_outputs(out, plan_id, overwrite=force)
    db = app_context(ctx).database()
    state_set = {s.strip().upper() for s in states.split(",") if s.strip()} if states else None
    if tradeoff is not None:
        _tradeoff(
            db,
            tradeoff,
            units=units,
            territories=territories,
            balance=balance,
            contiguous=contiguous,
            from_plan=from_plan,
            seed=seed,
            time_limit=time_limit,
            states=state_set,
            fmt=fmt,
        )
        return
    with progress_bar(quiet=fmt is ReportFormat.JSON) as progress:
        run = design_plan(
            db,
            units=units.value,
            n_territories=territories,
            balance=parse_balance(balance) if balance else None,
            contiguous=contiguous,
            centres_from_reps=centers is Centers.reps,
            from_plan=from_plan,
            max_moved=_moved_cap(max_moved),
            locks=parse_locks(lock or []),
            seed=seed,
            time_limit=time_limit,
            method=method.value,
            states=state_set,
            plan_id=plan_id,
            plan_name=name,
            progress=progress,
            keep_together=keep_together_option(keep_together or []),
            windows=window_option(window or []),
            travel_costs=read_travel_costs(travel_costs) if travel_costs else [],
        )
    from terraplan.services.design import design_summary

    summary = design_summary(run.outcome, run.seconds)
    files = write_design_files(run, out, overwrite=force) if out else []
    if fmt is ReportFormat.JSON:
        render_json({**summary, "files": [str(f) for f in files]})
        return
    console = stdout()
    for message in summary["diagnosis"]:  # each finding once, units named
        note(message)
    render_rows(territory_rows(run.outcome), title=f"Plan {run.plan.id}: {run.plan.name}")
    window_only = set(summary.get("window_only_metrics", []))
    deviations = ", ".join(
        f"{m} {d:.1%} ({'window' if m in window_only else f'tolerance {t:.0%}'})"
        for m, d, t in zip(
            summary["metrics"], summary["max_abs_deviation"], summary["tolerance"], strict=True
        )
    )
    solver = summary["solver"]
    console.print(
        f"Max deviation: {deviations}; within tolerance: "
        f"{'yes' if summary['all_within_tolerance'] else 'NO'}."
    )
    if summary.get("travel_minutes"):
        travel = summary["travel_minutes"]
        console.print(
            f"Travel to the rep's base: {travel['mean']:.0f} minutes per unit on average, "
            f"{travel['weighted']:.0f} weighted by {summary['metrics'][0]}."
        )
    if summary.get("keep_together"):
        groups = summary["keep_together"]
        console.print(
            f"Kept together: {len(groups)} group(s) of {sum(g['units'] for g in groups)} units, "
            "each in one territory."
        )
    shape = [f"contiguous: {_yes_no(summary['all_contiguous'])}"]
    if summary["cut_edges"] is not None:
        shape.append(f"cut edges: {summary['cut_edges']}")
    shape.append(f"max diameter {summary['max_diameter_km']:.0f} km")
    shape.append(f"weighted inertia {summary['weighted_inertia']:.4g}")
    console.print("; ".join(shape) + ".")
    gap = f", gap {solver['gap']:.2%}" if solver["gap"] is not None else ""
    console.print(
        f"Solver: {solver['method']}, {solver['seconds']:.1f} s, {solver['iterations']} iterations, "
        f"{solver['status']}{gap}. Saved as draft plan [bold]{run.plan.id}[/bold].",
        markup=True,
    )
    if not solver["reproducible"]:
        stderr().print(
            f"[yellow]note:[/yellow] {_clock_note(solver)}", highlight=False, markup=True
        )
    if "disruption" in summary:
        moved = summary["disruption"]
        shares = ", ".join(f"{k} {v:.1%}" for k, v in moved["share_moved"].items())
        console.print(f"Disruption: {moved['units_moved']} units moved ({shares}).")
        if from_plan:
            console.print(_accounts_moved(db, from_plan, run.plan.id), highlight=False)
    for path in files:
        console.print(f"Wrote {path}")


def _accounts_moved(db: Any, from_plan: str, plan_id: str) -> str:
    """What a realignment's units moved mean for the accounts and reps (a leader counts
    disruption in accounts changing hands, not in counties): `plans compare`'s figures."""
    from terraplan.services.plan_comparison import compare_stored_plans

    compared, _ = compare_stored_plans(db, from_plan, plan_id)
    return (
        f"Accounts: {compared.accounts_moved:,} of {compared.accounts:,} change territory, "
        f"{compared.owner_changes:,} change owner (`terraplan plans compare {from_plan} "
        f"{plan_id} --moved` lists them)."
    )


def _clock_note(solver: dict[str, Any]) -> str:
    """Why the plan depends on the machine's speed: the run's time limit, or an exact step
    stopped by its own time cap (``auto``'s exact attempt, a re-split of neighbouring
    territories) while the run was within its limit."""
    same_seed = "so the same seed may give another plan on a faster or slower machine"
    if str(solver["status"]).startswith("time_limit"):
        return (
            f"the time limit cut the search, {same_seed}; raise --time-limit for a"
            " reproducible plan."
        )
    return (
        "an exact step of the search (auto's exact attempt, or a re-split of neighbouring"
        f" territories) stopped at its own time cap, {same_seed}."
    )


def _yes_no(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "NO")


def _tradeoff(
    db: Any,
    values: str,
    *,
    units: Units,
    territories: int | None,
    balance: list[str] | None,
    contiguous: bool,
    from_plan: str | None,
    seed: int,
    time_limit: float,
    states: set[str] | None,
    fmt: ReportFormat,
) -> None:
    from terraplan.services.design import parse_balance
    from terraplan.services.design_tradeoff import design_tradeoff

    parameters = []
    for value in values.split(","):
        share = _share(value.strip())
        if share is None or share < 0:
            raise InvalidParameterError(f"--tradeoff {value!r}: give numbers or percentages")
        parameters.append(float(share))
    with progress_bar(quiet=fmt is ReportFormat.JSON) as progress:
        rows = design_tradeoff(
            db,
            parameters=parameters,
            units=units.value,
            n_territories=territories,
            balance=parse_balance(balance) if balance else None,
            contiguous=contiguous,
            from_plan=from_plan,
            seed=seed,
            time_limit=time_limit,
            states=states,
            progress=progress,
        )
    if fmt is ReportFormat.JSON:
        render_json(rows)
        return
    what = "disruption budget" if from_plan else "tolerance"
    render_rows(
        [
            {k: ("yes" if v else "no") if isinstance(v, bool) else v for k, v in row.items()}
            for row in rows
        ],
        title=f"Non-dominated designs: compactness against {'disruption' if from_plan else 'balance'} (parameter = {what})",
    )
    outside = [f"{row['parameter']:g}" for row in rows if not row["within_tolerance"]]
    if outside:
        note(
            f"no design within the balance bands at {what} {', '.join(outside)}: listed last,"
            " outside the curve"
        )


def _check_outputs(out: Path, plan_id: str | None, *, overwrite: bool) -> None:
    """Refuse existing output files before the design runs (it saves its plan as it ends)."""
    from terraplan.io.outputs import check_output

    if out.suffix:
        stem = out.with_suffix("")
    elif plan_id is not None:
        stem = out / plan_id
    else:
        if out.exists() and not out.is_dir():
            raise InvalidParameterError(f"--out {out}: is a file; give a folder or a file stem")
        return  # the plan id (and so the file names) is known only once it is saved
    for suffix in (".csv", ".geojson"):
        check_output(stem.with_suffix(suffix), overwrite=overwrite)
