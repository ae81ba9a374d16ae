"""``terraplan plans move|rename|owners|regions|lock|undo|redo``: edits of a draft plan."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from terraplan.cli.console import (
    OutputFormat,
    compact_amount,
    note,
    render_json,
    render_rows,
    stdout,
)
from terraplan.cli.context import app_context
from terraplan.cli.plans import FormatOption

edits_app = typer.Typer()


def register(plans_app: typer.Typer) -> None:
    """Add the edit commands to ``terraplan plans``."""
    for command in edits_app.registered_commands:
        plans_app.registered_commands.append(command)


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _show_edit(result: Any, fmt: OutputFormat) -> None:
    _notes(result)
    if fmt is OutputFormat.JSON:
        render_json(result.to_dict())
        return
    rows = []
    table = fmt is OutputFormat.TABLE
    for effect in result.effects:
        # The table names territories (ids are in csv/json) and keeps each metric's headings
        # short, so that two metrics read whole at 80 columns.
        row: dict[str, Any] = (
            {"territory": effect.name}
            if table
            else {"territory": effect.territory, "name": effect.name}
        )
        row["units"] = effect.units
        for metric, total in effect.totals.items():
            deviation = effect.deviation.get(metric)
            if not table:  # values: the total, the deviation (0.1 = 10 % above), in the band
                row[metric] = total
                row[f"{metric} dev"] = deviation
                row[f"{metric} within"] = (
                    None if deviation is None else effect.within_tolerance.get(metric, True)
                )
                continue
            head = metric[:9]
            row[head] = compact_amount(total)
            flag = "!" if not effect.within_tolerance.get(metric, True) else ""
            row["dev" if len(effect.totals) == 1 else f"{head} dev"] = (
                "not checked" if deviation is None else f"{deviation:+.1%}{flag}"
            )
        row["pieces"] = effect.pieces
        rows.append(row)
    if fmt is OutputFormat.TABLE:
        stdout().print(f"Plan {result.plan.id} is now version {result.plan.version}.")
        for effect in result.effects:
            if effect.unchecked:
                note(f"{effect.name} is not balance-checked: {effect.unchecked}")
    if rows:
        render_rows(rows, fmt=fmt, title="Territories changed (! = outside the plan's band)")


def _rep_ids(db: Any, given: list[str]) -> list[str]:
    """Rep ids for what was typed: an id as it is, else the one rep of that name (any case).
    A name two reps share is refused naming their ids; an unknown one is left for the edit's
    own check (which names it)."""
    from terraplan.errors import InvalidParameterError
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(db) as uow:
        reps = uow.reps.list()
    ids = {r.id for r in reps}
    by_name: dict[str, list[str]] = {}
    for rep in reps:
        by_name.setdefault(" ".join(rep.name.split()).lower(), []).append(rep.id)
    out = []
    for text in given:
        found = by_name.get(" ".join(text.split()).lower(), [])
        if text in ids or not found:
            out.append(text)
        elif len(found) == 1:
            out.append(found[0])
        else:
            raise InvalidParameterError(
                f"{len(found)} reps are named {text!r} ({', '.join(sorted(found))}): give the id",
                details={"field": "reps", "value": text, "ids": sorted(found)},
            )
    return out


def _notes(result: Any) -> None:
    for text in result.notes:
        note(text)


VersionOption = Annotated[
    int | None, typer.Option("--version", help="The version you edited (stale -> exit 5).")
]


@edits_app.command("move")
def move(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft plan.")],
    to: Annotated[str, typer.Option("--to", help="Territory receiving them.")],
    units: Annotated[
        str | None, typer.Option("--units", help="Geo unit ids, e.g. 06037,06059.")
    ] = None,
    accounts: Annotated[
        str | None, typer.Option("--accounts", help="Account ids to pin to the territory.")
    ] = None,
    version: VersionOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Move geo units, or pin accounts, to another territory; prints the new balance."""
    from terraplan.errors import InvalidParameterError
    from terraplan.services.plan_edits import edit_plan

    if bool(units) == bool(accounts):
        raise InvalidParameterError("give either --units or --accounts")
    edit = (
        {"op": "move_units", "units": _split(units), "to": to}
        if units
        else {"op": "move_accounts", "accounts": _split(accounts), "to": to}
    )
    _show_edit(
        edit_plan(app_context(ctx).database(), plan_id, edit, version=version, by="cli"), fmt
    )


@edits_app.command("rename")
def rename(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft plan.")],
    territory: Annotated[str, typer.Argument(help="Territory id.")],
    name: Annotated[str, typer.Argument(help="New name.")],
    version: VersionOption = None,
) -> None:
    """Rename a territory of a draft plan."""
    from terraplan.services.plan_edits import edit_plan

    edit = {"op": "rename", "territory": territory, "name": name}
    result = edit_plan(app_context(ctx).database(), plan_id, edit, version=version, by="cli")
    _notes(result)
    stdout().print(f"Territory {territory} is now {name!r} (plan version {result.plan.version}).")


@edits_app.command("owners")
def owners(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft plan.")],
    territory: Annotated[str, typer.Argument(help="Territory id.")],
    reps: Annotated[
        str, typer.Argument(help="Primary reps by id or name, comma-separated ('' = vacant).")
    ],
    version: VersionOption = None,
) -> None:
    """Set a territory's primary reps in a draft plan."""
    from terraplan.services.plan_edits import edit_plan

    db = app_context(ctx).database()
    edit = {"op": "set_owners", "territory": territory, "reps": _rep_ids(db, _split(reps))}
    result = edit_plan(db, plan_id, edit, version=version, by="cli")
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(db) as uow:
        rep_name = {r.id: r.name or r.id for r in uow.reps.list()}
    changed = next((t for t in result.plan.territories if t.id == territory), None)
    who = (
        ", ".join(rep_name.get(r, r) for r in changed.primary_owner_ids) or "nobody (vacant)"
        if changed
        else "?"
    )
    name = changed.name if changed else territory
    stdout().print(f"{name} ({territory}) is owned by {who} (plan version {result.plan.version}).")


class RegionSource(StrEnum):
    """Where a plan's regions come from."""

    reps = "reps"  # each territory under its primary reps' region (reps.region)


@edits_app.command("regions")
def regions(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft plan.")],
    source: Annotated[
        RegionSource,
        typer.Option("--from", help="reps: each territory under its primary reps' region."),
    ],
    version: VersionOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Set a draft plan's regions (its hierarchy) from its reps, for KPIs by region."""
    from terraplan.services.plan_hierarchy import set_regions_from_reps

    result = set_regions_from_reps(app_context(ctx).database(), plan_id, version=version, by="cli")
    _notes(result)
    if fmt is OutputFormat.JSON:
        render_json(result.to_dict())
        return
    table = fmt is OutputFormat.TABLE
    rows = [
        {
            "region": r["name"],
            **({} if table else {"id": r["id"]}),
            "territories": len(r["territories"]),
            **({"new": "yes" if r["added"] else ""} if table else {"added": r["added"]}),
            "names": ", ".join(r["territory_names"]),
        }
        for r in result.regions()
    ]
    if table:
        plan = result.plan
        stdout().print(
            f"Plan {plan.id} is now version {plan.version}: {len(rows)} regions from its reps."
            if result.changed
            else f"The regions of plan {plan.id} already follow its reps (version "
            f"{plan.version}, unchanged)."
        )
    render_rows(rows, fmt=fmt, title=f"Regions of plan {result.plan.id}")


@edits_app.command("lock")
def lock(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft plan.")],
    units: Annotated[str, typer.Argument(help="Geo unit ids, comma-separated.")],
    unlock: Annotated[bool, typer.Option("--unlock", help="Unlock them instead.")] = False,
    version: VersionOption = None,
) -> None:
    """Lock geo units in their territory (or unlock them with --unlock)."""
    from terraplan.services.plan_edits import edit_plan

    edit = {"op": "unlock" if unlock else "lock", "units": _split(units)}
    result = edit_plan(app_context(ctx).database(), plan_id, edit, version=version, by="cli")
    word = "unlocked" if unlock else "locked"
    stdout().print(f"{len(_split(units))} unit(s) {word} (plan version {result.plan.version}).")


@edits_app.command("undo")
def undo(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft plan.")],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Undo the plan's last edit."""
    from terraplan.services.plan_edits import undo_edit

    _show_edit(undo_edit(app_context(ctx).database(), plan_id, by="cli"), fmt)


@edits_app.command("redo")
def redo(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft plan.")],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Redo the last undone edit."""
    from terraplan.services.plan_edits import redo_edit

    _show_edit(redo_edit(app_context(ctx).database(), plan_id, by="cli"), fmt)
