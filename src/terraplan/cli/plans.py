"""``terraplan plans ...``: list, show, create, copy, move through review, activate, delete
(comparing, the review trail and edits are registered here from their own modules)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape

from terraplan.cli.console import OutputFormat, note, render_json, render_rows, stdout
from terraplan.cli.context import app_context

plans_app = typer.Typer(
    help="Scenarios (plans): list, show, copy, compare, review, activate, delete.",
    no_args_is_help=True,
)

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv")]
ScopeOption = Annotated[
    str | None,
    typer.Option("--scope", help='Part of the market, e.g. "West" (default: the whole market).'),
]


class Step(StrEnum):
    """Workflow steps a user asks for by name."""

    submit = "submit"  # draft -> in review
    approve = "approve"  # in review -> approved
    reopen = "reopen"  # back to draft
    archive = "archive"


_STEP_STATUS = {
    Step.submit: "in_review",
    Step.approve: "approved",
    Step.reopen: "draft",
    Step.archive: "archived",
}


def register(app: typer.Typer) -> None:
    """Add ``terraplan plans``, its commands in the order ``plans --help`` lists them."""
    from terraplan.cli import plan_compare, plan_edits, plan_review
    from terraplan.cli.notes import notes_command

    plans_app.command("list")(list_plans)
    plans_app.command("show")(show_plan)
    plans_app.command("new")(new)
    plans_app.command("copy")(copy)
    plans_app.command("compare")(plan_compare.compare)
    plans_app.command("status")(status)
    plans_app.command("activate")(activate)
    plans_app.command("delete")(delete)
    plan_review.register(plans_app)
    plan_edits.register(plans_app)

    plans_app.command("notes")(notes_command)
    app.add_typer(plans_app, name="plans")


def list_plans(ctx: typer.Context, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Every plan with its status, version and effective dates."""
    from terraplan.storage.unit_of_work import UnitOfWork

    table = fmt is OutputFormat.TABLE
    with UnitOfWork(app_context(ctx).database()) as uow:
        # at 80 columns the table has the dates in one column, so that names keep their words
        shown: list[dict[str, Any]] = [
            {
                "plan": row.id,
                "name": row.name,
                # JSON and CSV: the stored values, as `plans show` and the API give them
                "status": row.status.replace("_", " ") if table else row.status,
                "scope": row.scope or "whole market" if table else row.scope,
                **(
                    {"v": row.version, "in force": _in_force(row.effective_from, row.effective_to)}
                    if table
                    else {
                        "version": row.version,
                        "from": row.effective_from,
                        "to": row.effective_to,
                    }
                ),
            }
            for row in uow.plans.list()
        ]
    if not shown and table:
        stdout().print("No plans yet: `terraplan design ...` makes one.")
        return
    render_rows(shown, fmt=fmt, title="Plans")


def _in_force(start: date | None, end: date | None) -> str:
    """A plan's effective dates as one short text: "2026-01-01 to 2026-12-31", "from ...",
    empty when it was never active."""
    if start is None:
        return ""
    return f"{start} to {end}" if end is not None else f"from {start}"


def show_plan(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="Plan id, e.g. P001.")],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """A plan's territories with their owners and aligned units."""
    from collections import Counter

    from terraplan.services.plan_lifecycle import reopen_reasons
    from terraplan.services.plan_scopes import scope_label
    from terraplan.storage.unit_of_work import UnitOfWork

    db = app_context(ctx).database()
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        reps = uow.reps.list()
    names = {r.id: r.name for r in reps}
    # the table marks the owners who left (IsActive false since the plan named them)
    shown = {
        r.id: f"{r.name} (inactive)" if fmt is OutputFormat.TABLE and not r.active else r.name
        for r in reps
    }
    reopened = reopen_reasons(db, plan_id)
    aligned = Counter(e.territory_id for e in plan.alignment)
    rows: list[dict[str, Any]] = [
        {
            "territory": t.id,
            "name": t.name,
            "type": t.type.value,
            "parent": t.parent_id,
            "owner": ", ".join(shown.get(r, r) for r in t.primary_owner_ids) or "(vacant)",
            "units": aligned.get(t.id, 0),
        }
        for t in plan.territories
    ]
    if fmt is not OutputFormat.TABLE:  # the owners' ids too; no owner is null, not "(vacant)"
        for row, territory in zip(rows, plan.territories, strict=True):
            row["owner"] = None if row["owner"] == "(vacant)" else row["owner"]
            ids = list(territory.primary_owner_ids)
            row["owner_ids"] = ids if fmt is OutputFormat.JSON else ",".join(ids)
            if fmt is OutputFormat.JSON:  # each name beside its id ("owner" joins them)
                row["owner_names"] = [names.get(r) or r for r in ids]
    if fmt is OutputFormat.JSON:
        render_json(
            {
                "id": plan.id,
                "name": plan.name,
                "status": plan.status.value,
                "version": plan.version,
                "effective_from": plan.effective_from,
                "effective_to": plan.effective_to,
                "based_on_plan_id": plan.based_on_plan_id,
                "scope": plan.scope,
                "back_to_draft": [
                    {"at": at, "by": by, "reason": reason} for at, by, reason in reopened
                ],
                "territories": rows,
            }
        )
        return
    if fmt is OutputFormat.TABLE:
        stdout().print(
            f"[bold]{escape(plan.name)}[/bold] ({plan.id}), {plan.status.value.replace('_', ' ')}, "
            f"version {plan.version}, {scope_label(plan.scope)}"
            + (f", effective from {plan.effective_from}" if plan.effective_from else "")
            + (f" to {plan.effective_to}" if plan.effective_to else ""),
            markup=True,
        )
        for at, by, reason in reopened:
            stdout().print(
                f"Sent back to draft on {at:%Y-%m-%d %H:%M}"
                + (f" by {by}" if by else "")
                + f": {reason}"
            )
    render_rows(rows, fmt=fmt)


def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the plan.")],
    territory: Annotated[
        list[str],
        typer.Option(
            "--territory",
            help="ID=NAME[:TYPE] of a territory (repeatable), e.g. T1=West or "
            "pool=Unassigned:catch_all (types: geo, named, vertical, segment, overlay, "
            "catch_all; default geo).",
        ),
    ],
    plan_id: Annotated[
        str | None, typer.Option("--plan-id", help="Id (default: next free).")
    ] = None,
    scope: ScopeOption = None,
) -> None:
    """Create an empty draft plan with these territories; align units with `plans move`."""
    from terraplan.domain import TerritoryType
    from terraplan.errors import InvalidParameterError
    from terraplan.services.new_plans import create_plan

    types = {t.value for t in TerritoryType}
    specs = []
    for value in territory:
        tid, sep, label = value.partition("=")
        # a name may hold colons ("West: Coast"): only a known type after the last one is a type
        head, colon, tail = label.rpartition(":")
        kind = tail.strip().lower() if colon and tail.strip().lower() in types else None
        if kind is not None:
            label = head
        if not sep or not tid.strip() or not label.strip():
            raise InvalidParameterError(
                f"--territory {value!r}: give ID=NAME or ID=NAME:TYPE, e.g. T1=West or "
                "pool=Unassigned:catch_all",
                details={"parameter": "territory"},
            )
        specs.append({"id": tid.strip(), "name": label.strip(), **({"type": kind} if kind else {})})
    created = create_plan(
        app_context(ctx).database(), name, specs, plan_id=plan_id, created_by="cli", scope=scope
    )
    count = f"{len(specs)} territor{'y' if len(specs) == 1 else 'ies'}"
    stdout().print(f"Plan {created.id} ({created.name}) created with {count}.")


def copy(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Argument(help="Plan to copy (default: the active plan).")
    ] = None,
    plan_id: Annotated[
        str | None, typer.Option("--plan-id", help="Id of the copy (default: next free).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name of the copy.")] = None,
    scope: Annotated[
        str | None,
        typer.Option(
            "--scope",
            help='Part of the market of the copy (default: the source\'s; "" = whole market); '
            "without a plan to copy, the active plan of this scope (else the whole-market one).",
        ),
    ] = None,
) -> None:
    """Copy a plan (its territories, owners, alignment and rule set) into a new draft."""
    from terraplan.services.new_plans import copy_plan
    from terraplan.services.plan_copy_records import carried_note
    from terraplan.services.plan_scopes import scope_label

    db = app_context(ctx).database()
    copied = copy_plan(
        db,
        source,
        new_id=plan_id,
        name=name,
        scope=scope,
        created_by="cli",
    )
    stdout().print(
        f"Plan {copied.id} ({copied.name}, {scope_label(copied.scope)}) is a draft copy of "
        f"{copied.based_on_plan_id}."
    )
    carried = carried_note(db, copied)
    if carried:
        note(carried)


def status(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="Plan id.")],
    step: Annotated[Step, typer.Argument(help="submit, approve, reopen or archive.")],
    version: Annotated[
        int | None, typer.Option("--version", help="The version you reviewed (stale -> exit 5).")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why it goes back to draft (needed to reopen)."),
    ] = None,
) -> None:
    """Move a plan through review: submit, approve, reopen (needs --reason), archive."""
    from terraplan.services.plan_lifecycle import change_status

    saved = change_status(
        app_context(ctx).database(),
        plan_id,
        _STEP_STATUS[step],
        version=version,
        by="cli",
        reason=reason,
    )
    stdout().print(
        f"Plan {saved.id} is now {saved.status.value.replace('_', ' ')} (version {saved.version})."
    )


def activate(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="An approved plan.")],
    effective: Annotated[
        str | None, typer.Option("--effective", help="First day, YYYY-MM-DD (default: today).")
    ] = None,
    version: Annotated[int | None, typer.Option("--version", help="Expected version.")] = None,
) -> None:
    """Activate an approved plan; the previous active plan of its scope is archived."""
    from terraplan.cli.day_option import parse_day
    from terraplan.services.plan_lifecycle import activate_plan

    db = app_context(ctx).database()
    saved = activate_plan(
        db,
        plan_id,
        effective_from=parse_day(effective, "--effective"),
        version=version,
        by="cli",
    )
    from terraplan.services.plan_lifecycle import activation_counts

    done = activation_counts(db, saved.id)
    pooled = f", {done.in_catch_all:,} more in the catch-all" if done and done.in_catch_all else ""
    counts = (
        f" {done.placed:,} accounts placed by its rules{pooled}; {done.owner_changes:,} changed "
        "owner (`terraplan export assignments --salesforce` writes every owner the CRM does "
        "not have yet)."
        if done is not None
        else ""
    )
    stdout().print(f"Plan {saved.id} is active from {saved.effective_from}.{counts}")
    from terraplan.services.edit_checks import (
        inactive_owner_notes,
        scheduled_activation_notes,
        unhired_owner_notes,
    )
    from terraplan.services.target_resplit import resplit_notes

    if done is not None and done.without_location:
        note(
            f"{done.without_location:,} accounts with no US location (an address abroad, or "
            "none) are in no territory and keep their owners: no geographic rule can place "
            "them (named accounts or a catch-all territory in the rules would)"
        )
    for text in [
        *scheduled_activation_notes(db, saved.id),
        *inactive_owner_notes(db, saved.id),
        *unhired_owner_notes(db, saved.id),
        *resplit_notes(db, saved.id),
    ]:
        note(text)


def delete(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft or archived plan.")],
) -> None:
    """Delete a draft or archived plan with its rule sets, results and targets."""
    from terraplan.services.plan_lifecycle import delete_plan

    delete_plan(app_context(ctx).database(), plan_id)
    stdout().print(f"Plan {plan_id} deleted.")
