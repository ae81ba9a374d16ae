"""``terraplan demo``: load the built-in demo and run the main job on it.

The main job is what a sales-ops analyst does with a fresh CRM export: design territories,
turn them into ownership rules and assign every account, match reps, size the team, set
targets, then look at performance and alerts. Each step is one service call, the same as
the individual commands.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from terraplan.cli.console import ForceOption, note, render_rows, stdout
from terraplan.cli.context import app_context
from terraplan.cli.progress import progress_bar

if TYPE_CHECKING:
    from terraplan.storage.database import Database


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the generated CRM (same seed, same data).")
    ] = 2026,
    accounts: Annotated[
        int, typer.Option("--accounts", min=100, help="Number of demo accounts.")
    ] = 20_000,
    reset: Annotated[
        bool, typer.Option("--reset/--keep", help="Empty the database's records and plans first.")
    ] = True,
    load_only: Annotated[
        bool, typer.Option("--load-only", help="Only load the data; skip the main job.")
    ] = False,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds for the territory design.")
    ] = 20.0,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the plan's files and the HTML report.")
    ] = Path("terraplan-demo"),
    force: ForceOption = False,
) -> None:
    """Load the demo (real US counties, a seeded CRM) and run the main job on it."""
    from terraplan.services.demo import load_demo

    if not load_only:
        _check_out_folder(out, force)

    db = app_context(ctx).database()
    with progress_bar() as progress:
        dataset, summary = load_demo(
            db, seed=seed, n_accounts=accounts, reset=reset, progress=progress
        )
    console = stdout()
    console.rule(Text("1. Demo data", style="bold"))
    console.print(f"Loaded into {db.display_url} (seed {summary.seed}, data as of {summary.as_of})")
    render_rows(
        [{"records": k.replace("_", " "), "rows": v} for k, v in summary.counts.items()],
        title="Loaded",
    )
    _region_table(dataset)
    if not load_only:
        _main_job(db, dataset, seed=seed, time_limit=time_limit, out=out, force=force)


def _check_out_folder(out: Path, force: bool) -> None:
    """Refuse, before any work, an output folder that already holds files (unless --force)."""
    from terraplan.errors import ConflictError, InvalidParameterError

    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"--out {out} is a file; give a folder")
    if force or not out.is_dir():
        return
    held = sorted(p.name for p in out.iterdir())
    if held:
        raise ConflictError(
            f"output folder {out} already holds {len(held)} files ({', '.join(held[:3])}"
            f"{' ...' if len(held) > 3 else ''}); use --force to replace them or --out ANOTHER",
            details={"file": str(out), "reason": "exists"},
        )


def revenue_by_year(sales_lines: Any) -> dict[int, float]:
    """Sum of the sales lines' exact amounts per calendar year (returns reduce it)."""
    revenue: dict[int, float] = defaultdict(float)
    for line in sales_lines:
        revenue[line.date.year] += float(line.amount)
    return dict(sorted(revenue.items()))


def _region_table(dataset: Any) -> None:
    region_of_state = {state: region.name for region in dataset.regions for state in region.states}
    by_region: dict[str, dict[str, float]] = defaultdict(
        lambda: {"accounts": 0, "potential": 0.0, "reps": 0}
    )
    for account in dataset.accounts:
        row = by_region[region_of_state.get(account.state or "", "?")]
        row["accounts"] += 1
        row["potential"] += account.potential or 0.0
    for rep in dataset.reps:
        if rep.region:
            by_region[rep.region]["reps"] += 1
    revenue = revenue_by_year(dataset.sales_lines)
    render_rows(
        [{"region": name, **values} for name, values in sorted(by_region.items())],
        columns=["region", "accounts", "potential", "reps"],
        title="Accounts, potential and reps by region",
        amounts=["potential"],
    )
    render_rows(
        [{"year": str(y), "revenue": v} for y, v in sorted(revenue.items())],
        title="Revenue by year",
        amounts=["revenue"],
    )


def _main_job(
    db: Database, dataset: Any, *, seed: int, time_limit: float, out: Path, force: bool
) -> None:
    from terraplan.domain import PlanStatus
    from terraplan.errors import ConflictError
    from terraplan.io.outputs import write_text
    from terraplan.services.design import (
        design_plan,
        design_summary,
        territory_rows,
        write_design_files,
    )
    from terraplan.services.kpi_notes import group_names
    from terraplan.services.monitoring import plan_alerts, plan_kpis, plan_report_html
    from terraplan.services.ownership import apply_rules
    from terraplan.services.plan_hierarchy import set_regions_from_reps
    from terraplan.services.plan_lifecycle import activate_plan, change_status
    from terraplan.services.reps_targets import plan_capacity, plan_matching, plan_targets
    from terraplan.services.routing import route_record
    from terraplan.services.users import create_demo_users

    console = stdout()
    sellers = [r for r in dataset.reps if r.role.value != "manager"]
    console.rule(Text(f"2. Design {len(sellers)} territories from the counties", style="bold"))
    with progress_bar() as progress:
        run = design_plan(
            db,
            units="counties",
            n_territories=len(sellers),
            balance={"potential": 0.10, "workload": 0.15},
            contiguous=True,
            seed=seed,
            time_limit=time_limit,
            plan_name="FY27 territories (demo)",
            created_by="demo",
            progress=progress,
        )
    summary = design_summary(run.outcome, run.seconds)
    rows = territory_rows(run.outcome)
    render_rows(rows[:10], title=f"Plan {run.plan.id}: first 10 of {len(rows)} territories")
    deviations = ", ".join(
        f"{m} {d:.1%} (tolerance {t:.0%})"
        for m, d, t in zip(
            summary["metrics"], summary["max_abs_deviation"], summary["tolerance"], strict=True
        )
    )
    console.print(
        f"Max deviation {deviations}; every territory in one piece: "
        f"{ {True: 'yes', False: 'no'}.get(summary['all_contiguous'], 'not known') }; "
        f"{summary['solver']['method']} solver {summary['solver']['seconds']:.1f} s."
    )
    for diagnosis in summary["diagnosis"]:
        note(diagnosis)
    for path in write_design_files(run, out, overwrite=force):
        console.print(f"Wrote {path!s}")

    plan_id = run.plan.id
    console.rule(Text("3. Ownership rules and assignment", style="bold"))
    try:
        applied = apply_rules(db, plan_id)
    except ConflictError as exc:  # --keep: an earlier active plan decides owners until step 6
        note(f"rules not applied now ({exc.message}); activation applies them")
    else:
        console.print(
            f"Rules generated from the design assign {applied.run.records:,} accounts: "
            f"{applied.run.gaps} gaps, {applied.run.conflicts} conflicts."
        )

    console.rule(Text("4. Reps, team size and targets", style="bold"))
    # The cost weights of `terraplan match` (weight 1 for every part priced a pair 1.31 here
    # and 0.57 from `match` on the same plan).
    matched, _ = plan_matching(db, plan_id, apply=True, by="demo")
    matched_rows = [r for r in matched.rows() if r["rep"]]
    render_rows(
        [
            {"rep": r["rep"], "territory": r["territory"], "cost": r["cost"]}
            for r in matched_rows[:6]
        ],
        title=f"Matched reps (6 of {len(matched.pairs)})",
    )
    weights = ", ".join(f"{k} {v:g}" for k, v in matched.weights.items())
    console.print(f"Costs use the cost weights of terraplan match: {weights}.", highlight=False)
    if matched_rows:
        first = matched_rows[0]
        console.print(
            f"Why {first['rep']!s} -> {first['territory']!s}: {first['why']!s}",
            highlight=False,
        )
    capacity, _ = plan_capacity(db, plan_id)
    console.print(
        f"Team size: {capacity.reps_needed} reps needed (now {capacity.current_reps}), "
        f"{capacity.binding_reason()}.",
        highlight=False,
    )
    # This year's targets, from last year's sales and the potential, so that attainment can be monitored.
    year = max(line.date for line in dataset.sales_lines).year
    targets = plan_targets(db, plan_id, company_target=None, growth="8%", period=year)
    fairness = targets.fairness.summary()
    console.print(
        f"Targets {year}: company {targets.company_target:,.0f} split exactly over "
        f"{len(targets.territories)} territories, {len(targets.reps)} reps and 12 months; "
        f"target/potential CV {fairness['cv_target_to_potential']:.2f} "
        f"({targets.basis.text})."
    )

    # The plan's regions from the matched reps' regions, for KPIs by region. Set after the
    # targets, so that a region's target is its territories' monthly ones summed (targets set
    # on a plan with regions give each region a year target of its own, spread evenly).
    regions = set_regions_from_reps(db, plan_id, by="demo")
    console.print(
        "Regions from the reps: "
        + ", ".join(f"{r['name']} ({len(r['territories'])} territories)" for r in regions.regions())
        + "."
    )
    for text in regions.notes:
        note(text)

    console.rule(Text("5. Performance and alerts", style="bold"))
    kpi_data, kpis = plan_kpis(db, plan_id, periods=["YTD"], dimensions=["territory"])
    top = kpis.sort("revenue", descending=True).head(8)
    names = group_names(kpi_data, "territory")
    render_rows(
        [
            {"territory": names.get(str(row.pop("key")), ""), **row}
            for row in top.select(
                "key", "revenue", "revenue_growth", "open_pipeline", "win_rate", "penetration"
            ).iter_rows(named=True)
        ],
        title="Top territories, year to date",
        amounts=["revenue", "open_pipeline"],
        percents=["revenue_growth", "win_rate", "penetration"],
    )
    _, alerts = plan_alerts(db, plan_id)
    kinds = Counter(alert.kind for alert in alerts.alerts)
    console.print(
        f"{len(alerts.alerts)} alerts: "
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in kinds.most_common())
    )
    if alerts.realignment.recommended:
        console.print(f"Realignment recommended: {alerts.realignment.reasons[0]}")
    report = out / f"{plan_id}-report.html"
    write_text(report, plan_report_html(db, plan_id), overwrite=force)
    console.print(f"Wrote {report!s} (open it in a browser)")

    console.rule(Text("6. Approve, activate and route a lead", style="bold"))
    for status in (PlanStatus.IN_REVIEW, PlanStatus.APPROVED):
        change_status(db, plan_id, status, by="demo")
    activate_plan(db, plan_id, by="demo")
    lead = {
        "id": "demo-lead",
        "company": "Example Co",
        "postal_code": "80202",
        "county_fips": "08031",
        "industry": "Software",
    }
    routed = route_record(db, lead)
    console.print(
        f"A lead from ZIP 80202 (Denver) goes to {routed.territory_name} ({routed.result.territory_id}), "
        f"owner {routed.owner_name}: {routed.result.explanation[:160]}"
    )
    console.rule(Text("7. Users", style="bold"))
    users = create_demo_users(db)
    render_rows(
        [
            {"user": name, "role": role.value, "password": password}
            for name, role, password in users
        ],
        title="Demo users (passwords are new on every run)",
    )
    console.print(
        f"[bold green]Done.[/bold green] Plan {plan_id} is active. Try `terraplan route "
        f"--postal-code 94107` or `terraplan kpis --plan {plan_id} --by region`. `terraplan serve` starts "
        "the web UI and the API: open http://127.0.0.1:8000/ and sign in as a user above to see "
        "the map (interactive API docs at /docs).",
        markup=True,
    )
