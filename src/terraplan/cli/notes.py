"""``terraplan plans notes PLAN TERRITORY``: show a territory's plan page notes, or set them."""

from __future__ import annotations

from typing import Annotated

import typer

from terraplan.cli.console import ReportFormat, ReportFormatOption, render_json, render_rows, stdout
from terraplan.cli.context import app_context


def notes_command(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="Plan id.")],
    territory_id: Annotated[str, typer.Argument(help="Territory id.")],
    strategy: Annotated[str | None, typer.Option("--strategy", help="Set the strategy.")] = None,
    marketing: Annotated[
        str | None, typer.Option("--marketing", help="Set the marketing plans.")
    ] = None,
    outreach: Annotated[
        str | None, typer.Option("--outreach", help="Set the outreach initiatives.")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who writes (audit log).")] = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
) -> None:
    """A territory's strategy, marketing plans and outreach initiatives for the plan's current
    version; with --strategy/--marketing/--outreach, store those texts (others are kept)."""
    from terraplan.services.territory_pages import (
        notes_public,
        save_territory_notes,
        territory_page,
    )

    db = app_context(ctx).database()
    texts = {
        k: v
        for k, v in (("strategy", strategy), ("marketing", marketing), ("outreach", outreach))
        if v is not None
    }
    page = territory_page(db, plan_id, territory_id)
    notes = page["notes"]
    if texts:
        saved = save_territory_notes(
            db, plan_id, territory_id, texts, revision=notes["revision"], by=by
        )
        notes = notes_public(saved)
        if fmt is ReportFormat.TABLE:
            stdout().print(
                f"Saved the notes of {page['territory']['name']} in plan {plan_id} "
                f"(version {saved.plan_version}, revision {saved.revision})."
            )
    if fmt is ReportFormat.JSON:
        render_json({"plan_id": plan_id, "territory_id": territory_id, **notes})
        return
    rows = [
        {"field": label, "text": notes[key] or "-"}
        for key, label in (
            ("strategy", "strategy"),
            ("marketing", "marketing plans"),
            ("outreach", "outreach initiatives"),
        )
    ]
    render_rows(rows, title=f"{page['territory']['name']} — plan {plan_id}")
