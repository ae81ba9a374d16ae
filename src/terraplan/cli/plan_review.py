"""``terraplan plans comment|comments|audit``: the review trail of plans, comments on a plan
or its territories and the audit log of who changed what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from terraplan.cli.console import OutputFormat, render_json, render_rows, stdout
from terraplan.cli.context import app_context
from terraplan.cli.plans import FormatOption


def register(plans_app: typer.Typer) -> None:
    """Add the review commands to ``terraplan plans``."""
    plans_app.command("comment")(comment)
    plans_app.command("comments")(comments)
    plans_app.command("audit")(audit)


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
            "status": c.status or "" if fmt is OutputFormat.TABLE else c.status,
            # the table cuts a long text; JSON and CSV carry all of it
            "text": c.body if len(c.body) <= 60 or fmt is not OutputFormat.TABLE
            else c.body[:57] + "...",
            **({} if fmt is OutputFormat.TABLE else {"target_kind": c.target_kind,
                                                     "target_id": c.target_id}),
        }
        for c in found
    ]  # fmt: skip
    columns = ["id", "on", "by", "when", "status", "text"]
    if fmt is not OutputFormat.TABLE:
        columns += ["target_kind", "target_id"]
    render_rows(rows, columns=columns, fmt=fmt, title=f"Comments on {plan_id}")


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

        write_table(pl.DataFrame(rows, infer_schema_length=None), out, figures=True)
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
    if fmt is OutputFormat.JSON:  # the records themselves, not JSON text inside JSON
        import json

        render_json(
            [
                {**r, **{k: json.loads(r[k]) if r[k] else None for k in ("before", "after")}}
                for r in rows
            ]
        )
        return
    render_rows(rows, fmt=fmt)


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
