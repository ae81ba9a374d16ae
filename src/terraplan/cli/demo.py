"""``terraplan demo``: load the built-in demo and run the main job on it."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated

import typer

from terraplan.cli.console import render_rows, stdout
from terraplan.cli.context import app_context
from terraplan.cli.progress import progress_bar


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
) -> None:
    """Load the demo (real US counties, a seeded CRM) into the database and summarise it."""
    from terraplan.services.demo import load_demo

    db = app_context(ctx).database()
    with progress_bar() as progress:
        dataset, summary = load_demo(
            db, seed=seed, n_accounts=accounts, reset=reset, progress=progress
        )
    console = stdout()
    console.print(
        f"[bold]Demo loaded[/bold] into {db.display_url} (seed {summary.seed}, data as of {summary.as_of})"
    )
    render_rows(
        [{"records": k.replace("_", " "), "rows": v} for k, v in summary.counts.items()],
        title="Loaded",
    )

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
    render_rows(
        [{"region": name, **values} for name, values in sorted(by_region.items())],
        columns=["region", "accounts", "potential", "reps"],
        title="Accounts, potential and reps by region",
    )
    revenue = Counter[int]()
    for line in dataset.sales_lines:
        revenue[line.date.year] += int(line.amount)
    render_rows(
        [{"year": str(y), "revenue": float(v)} for y, v in sorted(revenue.items())],
        title="Revenue by year",
    )
