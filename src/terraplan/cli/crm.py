"""``terraplan crm ...``: a Salesforce territory model (ETM) in and out, and its diff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from terraplan.cli.console import (
    ForceOption,
    ReportFormat,
    ReportFormatOption,
    note,
    render_json,
    render_rows,
    stdout,
)
from terraplan.cli.context import app_context

crm_app = typer.Typer(
    help="CRM territory models: import and export a Salesforce ETM model, diff it with a plan.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(crm_app, name="crm")


@crm_app.command("import-etm")
def import_etm_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder of the Data Loader CSV exports.")],
    plan_id: Annotated[
        str | None, typer.Option("--plan-id", help="Id of the new plan (default: next free).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Model DeveloperName or Id (default: the active model)."),
    ] = None,
) -> None:
    """Import a Salesforce territory model as a new draft plan (hierarchy, owners, named
    accounts, assignment rules)."""
    from terraplan.services.crm_etm import import_model

    outcome = import_model(app_context(ctx).database(), folder, plan_id=plan_id, model=model)
    plan = outcome.plan
    leaves = len(plan.leaves())
    rules = len([r for r in outcome.model.rule_set.rules if not r.pinned])
    stdout().print(
        f"Imported model {outcome.model.name} as plan {plan.id}: "
        f"{len(plan.territories)} territories ({leaves} leaves), "
        f"{sum(len(t.owners) for t in plan.territories)} user assignments, "
        f"{len(outcome.model.named_accounts)} named accounts, {rules} assignment rules"
        + (f" (rule set v{outcome.rule_set_version})." if outcome.rule_set_version else "."),
        highlight=False,
    )
    for problem in outcome.problems:
        note(f"not kept as in Salesforce: {problem}")


@crm_app.command("export-etm")
def export_etm_command(
    ctx: typer.Context,
    plan: Annotated[str, typer.Option("--plan", help="Approved or active plan to export.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the load files.")],
    force: ForceOption = False,
) -> None:
    """Write the plan as a Salesforce territory model in Planning state: the load files in
    load order, and the Id,OwnerId owner update file of its latest rule run."""
    from terraplan.services.crm_etm import export_model

    outcome = export_model(app_context(ctx).database(), plan, out, overwrite=force)
    for path in outcome.files:
        stdout().print(f"Wrote {path!s}", highlight=False)
    for said in outcome.model.notes():
        note(said)


@crm_app.command("diff")
def diff_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder of the current model's CSV exports.")],
    plan: Annotated[str, typer.Option("--plan", help="Plan to deploy.")],
    model: Annotated[
        str | None, typer.Option("--model", help="Model DeveloperName or Id in FOLDER.")
    ] = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
) -> None:
    """What deploying PLAN changes in the model of FOLDER: territories added, removed,
    renamed or moved; accounts and users changing territory."""
    from terraplan.services.crm_etm import diff_model

    outcome = diff_model(app_context(ctx).database(), folder, plan, model=model)
    diff = outcome.diff
    if fmt is ReportFormat.JSON:
        render_json({**diff.to_dict(), "plan_alignment_source": outcome.source})
        return
    before, after = outcome.before_names, outcome.after_names

    def name(dev: str | None, names: dict[str, str]) -> str:
        return "-" if dev is None else names.get(dev, dev)

    rows = [{"change": "added", "territory": after[d], "detail": d} for d in diff.added]
    rows += [{"change": "removed", "territory": before[d], "detail": d} for d in diff.removed]
    rows += [
        {"change": "renamed", "territory": new, "detail": f"was {old}"}
        for _, old, new in diff.renamed
    ]
    rows += [
        {
            "change": "moved",
            "territory": after[d],
            "detail": f"under {name(p_new, after)} (was {name(p_old, before)})",
        }
        for d, p_old, p_new in diff.moved
    ]
    if rows:
        render_rows(rows, title=f"Territories: model -> plan {plan}")
    moves: dict[tuple[str, str], int] = {}
    for _, old, new in diff.accounts:
        key = (name(old, before), name(new, after))
        moves[key] = moves.get(key, 0) + 1
    if moves:
        render_rows(
            [
                {"from": a, "to": b, "accounts": n}
                for (a, b), n in sorted(moves.items(), key=lambda kv: -kv[1])
            ],
            title="Accounts changing territory",
        )
    if diff.users:
        render_rows(
            [
                {
                    "user": outcome.user_names.get(user, user),
                    "leaves": ", ".join(name(d, before) for d in left) or "-",
                    "joins": ", ".join(name(d, after) for d in joined) or "-",
                }
                for user, left, joined in diff.users
            ],
            title="Users changing territory",
        )
    stdout().print(
        f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.renamed)} renamed, "
        f"{len(diff.moved)} moved territories; {len(diff.accounts):,} accounts and "
        f"{len(diff.users)} users change territory (plan accounts: {outcome.source}).",
        highlight=False,
    )
