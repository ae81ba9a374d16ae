"""``terraplan rules ...``: ownership rules (``terraplan route`` is :mod:`terraplan.cli.route`)."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    ReportFormat,
    ReportFormatOption,
    note,
    render_json,
    render_rows,
    stderr,
    stdout,
)
from terraplan.cli.context import app_context

rules_app = typer.Typer(
    help="Ownership rules: check, save, apply, compile to SQL, Salesforce ETM.",
    no_args_is_help=True,
)


class Dialect(StrEnum):
    postgres = "postgres"
    duckdb = "duckdb"
    spark = "spark"
    snowflake = "snowflake"
    bigquery = "bigquery"


class Records(StrEnum):
    accounts = "accounts"
    leads = "leads"


def register(app: typer.Typer) -> None:
    from terraplan.cli.route import route_command

    app.add_typer(rules_app, name="rules")
    app.command("route")(route_command)


def _share(value: Any) -> Any:
    """Coverage as a percentage that reads 100% only when every record is placed: 2,998 of
    2,999 is ``99.96%`` (cut, not rounded), where three digits made it ``1``."""
    if not isinstance(value, float):
        return value
    cut = math.floor(value * 10_000) / 100
    return f"{cut:.2f}%" if cut < 100 else "100%"


def _print_coverage(db: Any, population: str, coverage: dict[str, Any]) -> None:
    """One population's audit: the figures, then who the gaps and conflicts are, by name."""
    from terraplan.services.ownership import account_names

    console = stdout()
    summary = {k: v for k, v in coverage.items() if not isinstance(v, list | dict)}
    title = (
        "Coverage of the stored accounts"
        if population == "accounts"
        else f"Coverage of the stored leads ({coverage['records']:,} checked)"
    )
    render_rows(
        [
            {"measure": k.replace("_", " "), "value": _share(v) if k == "coverage" else v}
            for k, v in summary.items()
            if k != "population"
        ],
        title=title,
    )
    named = account_names(db, [*coverage["gap_ids"], *coverage["conflict_ids"]], kind=population)
    singular = population[:-1]
    for key, count_key in (("gap_ids", "gaps"), ("conflict_ids", "conflicts")):
        ids = coverage[key]
        if not ids:
            continue
        what = f"{'gap' if key == 'gap_ids' else 'conflict'} {population}"
        total = int(coverage[count_key])
        # a conflict names the territories that claim it: [west vs mountain]
        clashing = coverage.get("conflict_territories") or {} if key == "conflict_ids" else {}
        listed = ", ".join(
            (f"{named[i]} ({i})" if i in named else str(i))
            + (f" [{' vs '.join(clashing[i])}]" if clashing.get(i) else "")
            for i in ids
        )
        shown = f"{what}: {listed}"
        if total > len(ids):
            shown = f"{what} (the first {len(ids)} of {total:,}): {listed}"
        console.print(shown)
    for key, value in coverage.items():
        if key in ("gap_ids", "conflict_ids", "conflict_territories"):
            continue
        if not isinstance(value, list) or not value:
            continue
        if isinstance(value[0], dict):
            # the few named, vertical and catch-all territories are never cut from the list;
            # past 30, the territories holding the most records are shown (the first 30 by
            # id were empty ones, and hid the three that held 18,854 accounts)
            ordered = sorted(
                value, key=lambda row: (row.get("type") == "geo", -int(row.get("records") or 0))
            )
            rest = sum(int(row.get("records") or 0) for row in ordered[30:])
            render_rows(
                ordered[:30],
                title=f"{singular} {key.replace('_', ' ')}"
                + (
                    f" (the 30 holding the most of {len(value)}; the other {len(value) - 30:,} "
                    f"hold {rest:,} {population})"
                    if len(value) > 30
                    else ""
                ),
                # money reads as 1.6B at 80 columns (a long figure wrapped into two lines)
                amounts=[c for c in ("potential", "annual_revenue") if c in ordered[0]],
            )
        else:
            more = f" and {len(value) - 30:,} more" if len(value) > 30 else ""
            console.print(
                f"{key.replace('_', ' ')} ({population}): {', '.join(map(str, value[:30]))}{more}"
            )


@rules_app.command("check")
def check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Rule set, YAML or JSON.")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="Check the territories against this plan.")
    ] = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write every gap and conflict account and lead to a CSV/XLSX."
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Validate FILE and audit it against the stored accounts (and a sample of leads)."""
    from terraplan.services.ownership import check_rules
    from terraplan.services.pinned_families import pinned_family_notes
    from terraplan.services.rule_values import rule_value_notes

    if out is not None:
        from terraplan.io.outputs import check_output

        check_output(out, overwrite=force)  # before the work, as every --out
    rule_set, audit = check_rules(app_context(ctx).database(), file, plan_id=plan)
    report = audit.to_dict()
    if out is not None:
        import polars as pl

        from terraplan.io.writers import write_table
        from terraplan.services.ownership import UNCOVERED_COLUMNS, uncovered_records

        listed = uncovered_records(app_context(ctx).database(), rule_set)
        write_table(
            pl.DataFrame(listed, schema=dict.fromkeys(UNCOVERED_COLUMNS, pl.String)),
            out,
            overwrite=force,
        )
        accounts = sum(1 for row in listed if row["kind"] == "account")
        stderr().print(
            f"Wrote {accounts:,} gap and conflict accounts and {len(listed) - accounts:,} "
            f"leads to {out}",
            highlight=False,
        )
    value_notes = rule_value_notes(rule_set)
    value_notes += pinned_family_notes(app_context(ctx).database(), rule_set)
    for value_note in value_notes:
        note(value_note)
    if fmt is ReportFormat.JSON:
        render_json({**report, "notes": value_notes})
        if not audit.ok:
            raise typer.Exit(3)
        return
    console = stdout()
    console.print(
        f"[green]Valid[/green]: {len(rule_set.rules)} rules, {len(rule_set.overlays)} overlays, {len(rule_set.territories)} territories.",
        markup=True,
    )
    for population in ("accounts", "leads"):
        coverage = report[population]
        if coverage is None:  # no stored leads
            continue
        _print_coverage(app_context(ctx).database(), population, coverage)
    if not audit.ok:
        stderr().print("[red]The audit found gaps or conflicts[/red] (see above).", markup=True)
        raise typer.Exit(3)


@rules_app.command("save")
def save(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Rule set, YAML or JSON.")],
    plan: Annotated[str, typer.Option("--plan", help="Plan the rules belong to.")],
) -> None:
    """Store FILE as the plan's next rule-set version (rejected as a whole if malformed)."""
    from terraplan.services.ownership import read_rule_file, save_rules_noted
    from terraplan.storage.unit_of_work import UnitOfWork

    db = app_context(ctx).database()
    with UnitOfWork(db) as uow:
        stored_plan = uow.plans.get(plan)
    saved = save_rules_noted(db, plan, read_rule_file(file, stored_plan), created_by="cli")
    stdout().print(f"Saved rule set version {saved.version} of plan {plan}.")
    for saved_note in saved.notes:
        stderr().print(f"note: {saved_note}.", highlight=False)


@rules_app.command("apply")
def apply(
    ctx: typer.Context,
    plan: Annotated[str, typer.Option("--plan", help="Plan whose latest rule set to apply.")],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv")
    ] = OutputFormat.TABLE,
) -> None:
    """Assign every stored account under the plan's rules (one transaction; owner changes logged)."""
    from terraplan.services.ownership import apply_rules

    outcome = apply_rules(app_context(ctx).database(), plan)
    run = outcome.run
    if fmt is OutputFormat.JSON:
        render_json(
            {
                "run": {
                    "run_id": run.run_id,
                    "records": run.records,
                    "gaps": run.gaps,
                    "conflicts": run.conflicts,
                    "owner_changes": run.owner_changes,
                    "vacant_accounts": outcome.owners.vacant,
                },
                "rule_set_version": outcome.rule_set_version,
                "territories": outcome.per_territory,
                "notes": list(outcome.notes),
            }
        )
        return
    for run_note in outcome.notes:
        note(run_note)
    render_rows(outcome.per_territory, fmt=fmt, title=f"Accounts per territory under plan {plan}")
    if fmt is OutputFormat.TABLE:
        stdout().print(
            f"Run {run.run_id}: {run.records:,} accounts run through rule set "
            f"v{outcome.rule_set_version}: {run.records - run.gaps - run.conflicts:,} placed by "
            f"a rule, {run.gaps:,} gaps, {run.conflicts:,} conflicts, "
            f"{run.owner_changes:,} owner changes "
            + (
                "(each account in a territory with a primary rep is now owned by that rep; "
                if outcome.owners.vacant < run.records
                else "(no territory has a primary rep yet: `terraplan match --plan "
                f"{plan} --apply` or `terraplan plans owners`; "
            )
            + f"`terraplan export assignments FILE --plan {plan}` lists them)."
        )
        vacant, places = outcome.owners.vacant, len(outcome.owners.vacant_territories)
        if vacant:
            accounts = "1 account is" if vacant == 1 else f"{vacant:,} accounts are"
            territories = "1 territory" if places == 1 else f"{places} territories"
            stderr().print(
                f"note: {accounts} in {territories} without a primary rep and keep their owner."
            )


@rules_app.command("compile")
def compile_command(
    ctx: typer.Context,
    plan: Annotated[
        str | None, typer.Option("--plan", help="Compile the plan's latest rule set.")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="...or a rule file.")] = None,
    dialect: Annotated[
        Dialect, typer.Option("--dialect", help="Warehouse SQL dialect.")
    ] = Dialect.postgres,
    table: Annotated[
        str | None,
        typer.Option("--table", help="Table (or view) holding the records (default: --records)."),
    ] = None,
    records: Annotated[
        Records,
        typer.Option(
            "--records",
            help="Accounts (columns of `export accounts`) or leads (of `export leads`).",
        ),
    ] = Records.accounts,
) -> None:
    """Print one SQL query that assigns every row of TABLE as terraplan does, for rows as
    terraplan stores them (state codes, 5-digit ZIPs, a county FIPS: what `export` writes)."""
    from terraplan.rules import compile_sql
    from terraplan.services.ownership import plan_rule_set, read_rule_file
    from terraplan.storage.unit_of_work import UnitOfWork

    if (plan is None) == (file is None):
        from terraplan.errors import InvalidParameterError

        raise InvalidParameterError("give exactly one of --plan and --file")
    if file is not None:
        rule_set = read_rule_file(file)
    else:
        with UnitOfWork(app_context(ctx).database()) as uow:
            rule_set, _ = plan_rule_set(uow, uow.plans.get(plan or ""))
    typer.echo(compile_sql(rule_set, dialect.value, table or records.value, records=records.value))


@rules_app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="File to write: .yaml/.yml or .json.")],
    plan: Annotated[str, typer.Option("--plan", help="Plan whose latest rule set to write.")],
    force: ForceOption = False,
) -> None:
    """Write a plan's latest rule set as a rule file (edit it, then `rules save` it back)."""
    import json

    import yaml

    from terraplan.errors import InvalidParameterError
    from terraplan.io.outputs import write_text
    from terraplan.rules import rule_set_to_dict
    from terraplan.services.ownership import plan_rule_set
    from terraplan.storage.unit_of_work import UnitOfWork

    suffix = out.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise InvalidParameterError(
            f"{out}: write the rule set to a .yaml, .yml or .json file",
            details={"parameter": "out", "value": str(out)},
        )
    with UnitOfWork(app_context(ctx).database()) as uow:
        rule_set, version = plan_rule_set(uow, uow.plans.get(plan))
    data = rule_set_to_dict(rule_set)
    text = (
        json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if suffix == ".json"
        else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    )
    write_text(out, text, overwrite=force)
    stdout().print(f"Wrote {out!s} (plan {plan}, rule set version {version})")


@rules_app.command("export-etm")
def export_etm_command(
    ctx: typer.Context,
    plan: Annotated[str, typer.Option("--plan", help="Plan whose latest rule set to export.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the Salesforce ETM CSV files.")],
    force: ForceOption = False,
) -> None:
    """Write the rule set as Salesforce Enterprise Territory Management assignment-rule CSVs
    (county rules as BillingPostalCode criteria, split to ETM's limits)."""
    if out.exists() and not out.is_dir():
        from terraplan.errors import InvalidParameterError

        raise InvalidParameterError(
            f"--out {out}: is a file; give a folder for the ETM CSV files",
            details={"parameter": "out", "value": str(out)},
        )
    from terraplan.data.counties import load_zip_counties
    from terraplan.io.outputs import write_files
    from terraplan.rules import export_etm
    from terraplan.rules.etm_fit import fit_for_etm
    from terraplan.services.crm_etm import ETM_SPELLINGS, county_names
    from terraplan.services.ownership import plan_rule_set
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(app_context(ctx).database()) as uow:
        rule_set, _ = plan_rule_set(uow, uow.plans.get(plan))
    from terraplan.io.geocoding import ZipDirectory

    fitted = fit_for_etm(  # counties -> BillingPostalCode
        rule_set,
        load_zip_counties(),
        other_zips=ZipDirectory().table["zip"].to_pylist(),
        county_names=county_names(),
    )
    exported = export_etm(fitted.rule_set, spellings=ETM_SPELLINGS)
    for path in write_files(out, exported.files(), overwrite=force):
        stdout().print(f"Wrote {path!s}")
    for problem in (*fitted.problems, *exported.problems):
        where = f"{problem.rule}: " if problem.rule else ""
        stderr().print(
            f"[yellow]note:[/yellow] not expressible in ETM: {escape(where + problem.reason)}",
            highlight=False,
            markup=True,
        )
