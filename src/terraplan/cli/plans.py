"""``terraplan plans ...``: list, show, copy, compare, move through review, activate, delete."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from terraplan.cli.console import OutputFormat, render_json, render_rows, stderr, stdout
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
    from terraplan.cli import plan_edits
    from terraplan.cli.notes import notes_command

    plan_edits.register(plans_app)

    plans_app.command("notes")(notes_command)
    app.add_typer(plans_app, name="plans")
    app.command("owners")(owners_history)


def _amount(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:.0f}"


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "") + _amount(value)


def _short_after(after: Any) -> str:
    """An audit entry's ``after`` as ``key=value`` pairs, at most 60 characters."""
    if not after:
        return ""
    if isinstance(after, str):
        text = after
        try:
            import json

            after = json.loads(text)
        except ValueError:
            return text[:60]
    if not isinstance(after, dict):
        return str(after)[:60]
    text = ", ".join(f"{k}={v}" for k, v in after.items() if v not in (None, "", [], {}))
    return text if len(text) <= 60 else text[:59] + "…"


def _target_change(base: float | None, other: float | None) -> str:
    if base is None and other is None:
        return "no targets stored"
    shown = [_amount(v) if v is not None else "none" for v in (base, other)]
    if base is None or other is None:
        return f"{shown[0]} -> {shown[1]}"  # one plan has not set them yet: no change to show
    return f"{shown[0]} -> {shown[1]} ({_signed(other - base)})"


@plans_app.command("list")
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
                "status": row.status.replace("_", " "),
                "scope": row.scope or ("whole market" if table else "(whole market)"),
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


@plans_app.command("show")
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
        names = {r.id: r.name for r in uow.reps.list()}
    reopened = reopen_reasons(db, plan_id)
    aligned = Counter(e.territory_id for e in plan.alignment)
    rows = [
        {
            "territory": t.id,
            "name": t.name,
            "type": t.type.value,
            "parent": t.parent_id,
            "owner": ", ".join(names.get(r, r) for r in t.primary_owner_ids) or "(vacant)",
            "units": aligned.get(t.id, 0),
        }
        for t in plan.territories
    ]
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
            + (f", effective from {plan.effective_from}" if plan.effective_from else ""),
            markup=True,
        )
        for at, by, reason in reopened:
            stdout().print(
                f"Sent back to draft on {at:%Y-%m-%d %H:%M}"
                + (f" by {by}" if by else "")
                + f": {reason}"
            )
    render_rows(rows, fmt=fmt)


@plans_app.command("new")
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


@plans_app.command("copy")
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
    from terraplan.services.plan_scopes import scope_label

    copied = copy_plan(app_context(ctx).database(), source, new_id=plan_id, name=name, scope=scope)
    stdout().print(
        f"Plan {copied.id} ({copied.name}, {scope_label(copied.scope)}) is a draft copy of "
        f"{copied.based_on_plan_id}."
    )


@plans_app.command("compare")
def compare(
    ctx: typer.Context,
    base: Annotated[str, typer.Argument(help="The plan compared against (e.g. the active one).")],
    other: Annotated[str, typer.Argument(help="The proposed plan.")],
    fmt: FormatOption = OutputFormat.TABLE,
    moved: Annotated[
        bool, typer.Option("--moved", help="Also list every account changing territory.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the moved accounts to this CSV file.")
    ] = None,
) -> None:
    """What changes from one plan to another: accounts, potential, revenue, pipeline, reps."""
    from terraplan.cli.console import note
    from terraplan.services.plan_comparison import compare_stored_plans
    from terraplan.storage.unit_of_work import UnitOfWork

    db = app_context(ctx).database()
    comparison, window = compare_stored_plans(db, base, other)
    for text in comparison.notes:
        note(text)
    with UnitOfWork(db) as uow:
        names = {r.id: r.name for r in uow.reps.list()}
    territory_names = {t.territory: t.name for t in comparison.territories}

    def _named(territory: str | None) -> str | None:
        return territory_names.get(territory, territory) if territory is not None else None

    moved_rows = [
        {
            "account": m.account,
            "from": _named(m.old_territory),
            "to": _named(m.new_territory),
            "old owner": m.old_owner_name,
            "new owner": m.new_owner_name,
            "potential": m.potential,
            "revenue": m.revenue,
            "pipeline": m.open_pipeline,
            # ids last, for joins back to the CRM and the plans
            "account id": m.account_id,
            "from id": m.old_territory,
            "to id": m.new_territory,
        }
        for m in comparison.moved
    ]
    if out is not None:
        import polars as pl

        from terraplan.io.writers import write_table

        write_table(pl.DataFrame(moved_rows, infer_schema_length=None), out)
        # on stderr when stdout carries JSON or CSV for a program to read
        (stdout() if fmt is OutputFormat.TABLE else stderr()).print(
            f"Wrote {len(moved_rows):,} moved accounts to {out!s}", highlight=False
        )
    if fmt is OutputFormat.JSON:
        render_json({**comparison.to_dict(), "revenue_window": window})
        return
    summary = comparison.summary()
    rows: list[dict[str, Any]] = [
        {"measure": "accounts changing territory",
         "value": f"{comparison.accounts_moved:,} of {comparison.accounts:,} "
                  f"({comparison.share_moved:.1%})"},
        {"measure": "accounts changing owner", "value": f"{comparison.owner_changes:,}"},
        {"measure": "geo units moved", "value": f"{comparison.units_moved:,}"},
        {"measure": "potential moved",
         "value": f"{_amount(comparison.potential_moved)} "
                  f"({comparison.potential_share_moved:.1%})"},
        {"measure": "revenue moved" + (f" ({window})" if window else ""),
         "value": _amount(comparison.revenue_moved)},
        {"measure": "open pipeline moved", "value": _amount(comparison.pipeline_moved)},
        {"measure": "pipeline protected (stays with its owner)",
         "value": _amount(comparison.pipeline_protected)},
        {"measure": "reps gaining accounts",
         "value": ", ".join(names.get(r, r) for r in summary["reps_gaining"]) or "none"},
        {"measure": "reps losing accounts",
         "value": ", ".join(names.get(r, r) for r in summary["reps_losing"]) or "none"},
        {"measure": f"targets ({base} -> {other})"
                    + (f", {comparison.target_period}" if comparison.target_period else ""),
         "value": _target_change(comparison.target_base, comparison.target_other)},
    ]  # fmt: skip
    if fmt is OutputFormat.CSV:
        render_rows(moved_rows, fmt=fmt)
        return
    render_rows(rows, title=f"{other} compared with {base}")
    base_head, other_head = base[:10], other[:10]
    if base_head == other_head:
        base_head, other_head = "base", "other"
    render_rows(
        [
            {
                "territory": t.name[:22],
                "accounts": f"{t.accounts_base:,}->{t.accounts_other:,}",
                "potential": _signed(t.potential_other - t.potential_base),
                base_head: _amount(t.target_base) if t.target_base is not None else "-",
                other_head: _amount(t.target_other) if t.target_other is not None else "-",
                "change": _signed(t.target_change),
            }
            for t in comparison.territories
        ],
        title=f"Per territory: potential change, targets of {base} and {other}"
        + (f" ({comparison.target_period})" if comparison.target_period else "")
        + ", change",
    )
    if moved and moved_rows:
        render_rows(
            [
                {**r, "potential": _amount(m.potential)}
                for r, m in zip(moved_rows, comparison.moved[:200], strict=False)
            ],
            columns=["account", "from", "to", "new owner", "potential"],
            title="Accounts changing territory (largest potential first)",
        )


@plans_app.command("status")
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


@plans_app.command("activate")
def activate(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="An approved plan.")],
    effective: Annotated[
        str | None, typer.Option("--effective", help="First day, YYYY-MM-DD (default: today).")
    ] = None,
    version: Annotated[int | None, typer.Option("--version", help="Expected version.")] = None,
) -> None:
    """Activate an approved plan; the previous active plan of its scope is archived."""
    from terraplan.services.ownership_periods import parse_effective_date
    from terraplan.services.plan_lifecycle import activate_plan

    db = app_context(ctx).database()
    saved = activate_plan(
        db,
        plan_id,
        effective_from=parse_effective_date(effective),
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
    from terraplan.cli.console import note
    from terraplan.services.edit_checks import inactive_owner_notes, scheduled_activation_notes

    if done is not None and done.without_location:
        note(
            f"{done.without_location:,} accounts with no US location (an address abroad, or "
            "none) are in no territory and keep their owners: no geographic rule can place "
            "them (named accounts or a catch-all territory in the rules would)"
        )
    for text in [*scheduled_activation_notes(db, saved.id), *inactive_owner_notes(db, saved.id)]:
        note(text)


@plans_app.command("delete")
def delete(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A draft or archived plan.")],
) -> None:
    """Delete a draft or archived plan with its rule sets, results and targets."""
    from terraplan.services.plan_lifecycle import delete_plan

    delete_plan(app_context(ctx).database(), plan_id)
    stdout().print(f"Plan {plan_id} deleted.")


@plans_app.command("comment")
def comment(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="Plan id.")],
    text: Annotated[str, typer.Argument(help="The comment.")],
    territory: Annotated[
        str | None, typer.Option("--territory", help="On this territory of the plan.")
    ] = None,
    author: Annotated[str | None, typer.Option("--author", help="Who says it.")] = None,
) -> None:
    """Comment on a plan or one of its territories."""
    from terraplan.services.feedback import add_comment

    added = add_comment(
        app_context(ctx).database(),
        plan_id,
        text,
        author=author,
        target_kind="territory" if territory else "plan",
        target_id=territory,
    )
    stdout().print(f"Comment {added.id} added to plan {plan_id}.")


@plans_app.command("comments")
def comments(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="Plan id.")],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """A plan's comments and change requests."""
    from terraplan.services.feedback import list_comments

    db = app_context(ctx).database()
    found = list_comments(db, plan_id)
    named = _comment_targets(db, plan_id, found)
    rows = [
        {
            "id": c.id,
            # names, not ids: "Greater Los Angeles", "Orange County, CA", an account's name
            "on": named.get((c.target_kind, c.target_id or ""), c.target_id or "the plan"),
            "by": c.author,
            "when": c.created_at.replace(microsecond=0)
            if fmt is not OutputFormat.TABLE
            else f"{c.created_at:%Y-%m-%d %H:%M}",
            "status": c.status or "",
            "text": c.body if len(c.body) <= 60 else c.body[:57] + "...",
            **({} if fmt is OutputFormat.TABLE else {"target_kind": c.target_kind,
                                                     "target_id": c.target_id}),
        }
        for c in found
    ]  # fmt: skip
    render_rows(rows, fmt=fmt, title=f"Comments on {plan_id}")


def _comment_targets(db: Any, plan_id: str, found: list[Any]) -> dict[tuple[str, str], str]:
    """``(target kind, id) -> name`` of what the comments are about: territories, geo units
    (stored, else the bundled counties) and accounts."""
    from terraplan.storage.unit_of_work import UnitOfWork

    wanted: dict[str, set[str]] = {}
    for c in found:
        if c.target_id:
            kind = "unit" if c.target_kind == "move" else c.target_kind
            wanted.setdefault(kind, set()).add(c.target_id)
    names: dict[tuple[str, str], str] = {}
    with UnitOfWork(db) as uow:
        territories = {t.id: t.name for t in uow.plans.get(plan_id).territories}
        units = {
            u.id: f"{u.name}, {u.state}" if u.state else u.name
            for u in uow.geo_units.list(any_of={"id": sorted(wanted.get("unit", set()))})
        } if wanted.get("unit") else {}  # fmt: skip
        accounts = {
            a.id: a.name for a in uow.accounts.list(any_of={"id": sorted(wanted.get("account", set()))})
        } if wanted.get("account") else {}  # fmt: skip
    if wanted.get("unit", set()) - set(units):
        from terraplan.data.counties import load_counties

        units |= {u.id: f"{u.name}, {u.state}" for u in load_counties() if u.id in wanted["unit"]}
    for kind in ("territory", "move"):
        names |= {(kind, t): name for t, name in territories.items()}
    names |= {(kind, u): name for kind in ("unit", "move") for u, name in units.items()}
    names |= {("account", a): name for a, name in accounts.items()}
    return names


@plans_app.command("audit")
def audit(
    ctx: typer.Context,
    plan_id: Annotated[str | None, typer.Option("--plan", help="Only this plan.")] = None,
    actor: Annotated[str | None, typer.Option("--by", help="Only this user.")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    out: Annotated[Path | None, typer.Option("--out", help="Also write it to a CSV/XLSX.")] = None,
) -> None:
    """The audit log: who changed what and when, in words (before/after in json, csv, --out)."""
    from terraplan.services.audit_summary import action_words, audit_summaries
    from terraplan.services.feedback import audit_log, audit_rows

    db = app_context(ctx).database()
    entries = audit_log(db, plan_id=plan_id, actor=actor)
    rows = [
        {**row, "action_text": action_words(row["action"]), "summary": said}
        for row, said in zip(audit_rows(entries), audit_summaries(db, entries), strict=True)
    ]
    if out is not None:
        import polars as pl

        from terraplan.io.writers import write_table

        write_table(pl.DataFrame(rows, infer_schema_length=None), out)
    if fmt is OutputFormat.TABLE:
        # 80 columns: the minute (UTC), who, the action and what happened, by name (the
        # before/after records are in --format json/csv and --out).
        render_rows(
            [
                {
                    "at (UTC)": r["at"].strftime("%Y-%m-%d %H:%M"),
                    "actor": r["actor"] or "-",
                    "action": r["action_text"],
                    "what happened": r["summary"] or _short_after(r["after"]),
                }
                for r in rows
            ],
            title="Audit log",
        )
        return
    render_rows(rows, fmt=fmt)


def owners_history(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Only the owner on this day (YYYY-MM-DD).")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Who owned an account, in which territory, over time (recorded at each activation)."""
    from terraplan.services.ownership_periods import ownership_history, parse_effective_date

    day = parse_effective_date(on, parameter="on")
    periods, names = ownership_history(app_context(ctx).database(), account, day=day)
    rows = [
        {
            "from": p.valid_from,
            "to": p.valid_to or "",
            "territory": p.territory_name or p.territory_id or "(none)",
            "owner": names.get(p.owner_id or "", p.owner_id or "(vacant)"),
            "plan": p.plan_id,
        }
        for p in periods
    ]
    if not rows and fmt is OutputFormat.TABLE:
        when = f" on {day}" if day else ""
        stdout().print(f"No ownership recorded for {account}{when}: {_why_no_owner(ctx, day)}.")
        return
    render_rows(rows, fmt=fmt, title=f"Owners of {account}")


def _why_no_owner(ctx: typer.Context, day: date | None) -> str:
    """Why an account has no recorded owner: no plan in force that day, or a plan in force
    whose activation was not recorded (activated before the database kept ownership
    history, or the account imported since)."""
    from terraplan.domain import PlanStatus
    from terraplan.storage.unit_of_work import UnitOfWork

    when = day or date.today()
    with UnitOfWork(app_context(ctx).database()) as uow:
        in_force = [
            row.id
            for row in uow.plans.list()
            if row.status in (PlanStatus.ACTIVE.value, PlanStatus.ARCHIVED.value)
            and row.effective_from is not None
            and row.effective_from <= when
            and (row.effective_to is None or when <= row.effective_to)
        ]
    if not in_force:
        return "no plan was active then"
    return (
        f"plan {', '.join(in_force)} was in force, but its activation recorded no owner for this "
        "account (activated before this database kept ownership history, or the account was "
        "imported since); the next activation records it"
    )
