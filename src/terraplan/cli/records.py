"""``terraplan import`` and ``terraplan export``: records in and out of the database."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

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
from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.report import counted, counted_records


class Kind(StrEnum):
    accounts = "accounts"
    leads = "leads"
    reps = "reps"
    geo_units = "geo_units"
    sales_lines = "sales_lines"
    opportunities = "opportunities"
    targets = "targets"
    acquisition_costs = "acquisition_costs"


class ExportKind(StrEnum):
    accounts = "accounts"
    leads = "leads"
    reps = "reps"
    geo_units = "geo_units"
    sales_lines = "sales_lines"
    opportunities = "opportunities"
    targets = "targets"
    acquisition_costs = "acquisition_costs"
    assignments = "assignments"


class OnErrorChoice(StrEnum):
    abort = "abort"
    skip = "skip"


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export_command)


def import_command(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="What the file holds.")],
    file: Annotated[
        str,
        typer.Argument(
            help="CSV (any delimiter), XLSX or Parquet file; a folder of Parquet files; or a"
            " PostgreSQL, SQLite or DuckDB table as a database URL ending in ?table=NAME"
            " (see the README).",
            metavar="SOURCE",
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="YAML/JSON file: {column in file: our field}, or"
            " {columns: {...}, values: {field: {value in file: our value}}}.",
        ),
    ] = None,
    mapping_name: Annotated[
        str | None,
        typer.Option(
            "--mapping-name",
            help="A mapping stored with `terraplan mappings save` (as the API's mapping=).",
        ),
    ] = None,
    on_error: Annotated[
        OnErrorChoice,
        typer.Option(
            "--on-error", help="abort: write nothing if any row is bad; skip: write the good rows."
        ),
    ] = OnErrorChoice.abort,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="CSV encoding (default: detect UTF-8 or Windows-1252)."),
    ] = None,
    decimal_comma: Annotated[
        bool | None,
        typer.Option(
            "--decimal-comma/--decimal-point",
            help="Decimal separator of numbers written as text (default: detect;"
            " 1.200,5 = 1200.5 with a decimal comma).",
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet name (default: the first).")
    ] = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
    batch_rows: Annotated[
        int,
        typer.Option(
            "--batch-rows",
            min=1,
            help="Database table or Parquet folder: records read, checked and written at a time.",
        ),
    ] = 50_000,
    rates: Annotated[
        Path | None,
        typer.Option(
            "--rates",
            help="CSV currency,rate: 1 unit of the currency = rate units of the reporting"
            " currency; converts amounts in several currencies (sales lines, opportunities,"
            " targets, acquisition costs).",
        ),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="The reporting currency (e.g. USD); default: the rates file's currency of"
            " rate 1. Amounts in another currency need a rate.",
        ),
    ] = None,
    close_missing: Annotated[
        bool,
        typer.Option(
            "--close-missing",
            help="Accounts: close every stored open account this file leaves out (a full"
            " export of the CRM). Closed accounts keep their history and leave designs,"
            " rules, balance and owner files.",
        ),
    ] = False,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload",
            help="A file with LastModifiedDate or SystemModstamp: import its rows even when"
            " the stored record is as new or newer (the same rows again, e.g. with a"
            " corrected mapping file). By default they are left out.",
        ),
    ] = False,
) -> None:
    """Import KIND records from SOURCE (upsert by id); every bad row is reported with row, column and reason."""
    from terraplan.io.currency import MONEY_KINDS, read_currencies
    from terraplan.io.parsing import Decimal
    from terraplan.io.table_source import parse_source
    from terraplan.services.import_mappings import stored_mapping
    from terraplan.services.imports import import_file
    from terraplan.services.source_imports import import_source

    source = parse_source(file)
    if source is not None and (encoding is not None or sheet is not None):
        raise InvalidParameterError(
            f"{'--encoding' if encoding is not None else '--sheet'} applies to a file,"
            f" not to {source.display}",
            details={"parameter": "--encoding" if encoding is not None else "--sheet"},
        )
    decimal: Decimal | None = None
    if decimal_comma is not None:
        decimal = "comma" if decimal_comma else "point"
    if (rates is not None or currency is not None) and kind.value not in MONEY_KINDS:
        option = "--rates" if rates is not None else "--currency"
        raise InvalidParameterError(
            f"{option} applies to the amounts of {', '.join(MONEY_KINDS)}, not to {kind.value}",
            details={"parameter": option},
        )
    currencies = read_currencies(rates, currency)
    db = app_context(ctx).database()
    chosen: Mapping[str, Any] | Path | None = mapping
    if mapping_name is not None:
        if mapping is not None:
            raise InvalidParameterError(
                "--mapping and --mapping-name both name a mapping: give one of them",
                details={"parameter": "--mapping-name"},
            )
        chosen = stored_mapping(db, mapping_name)
    try:
        with progress_bar(quiet=fmt is ReportFormat.JSON) as progress:
            if source is not None:
                outcome = import_source(
                    db,
                    source,
                    kind.value,
                    mapping=chosen,
                    decimal=decimal,
                    on_error=on_error.value,
                    batch_rows=batch_rows,
                    progress=progress,
                    currencies=currencies,
                    close_missing=close_missing,
                    reload=reload,
                )
            else:
                outcome = import_file(
                    db,
                    Path(file),
                    kind.value,
                    mapping=chosen,
                    encoding=encoding,
                    sheet=sheet,
                    decimal=decimal,
                    on_error=on_error.value,
                    progress=progress,
                    currencies=currencies,
                    close_missing=close_missing,
                    reload=reload,
                )
    except DataError as exc:
        report = exc.details.get("report")
        if report is not None:
            _show_report(report, fmt, refused=True)
        raise
    shown = outcome.report.to_dict()
    if fmt is ReportFormat.JSON:  # what the table's last line and the notes say, for scripts
        shown["outcome"] = {
            "written": outcome.written,
            "new": outcome.new,
            "updated": None if outcome.new is None else outcome.written - outcome.new,
            "absent": outcome.absent,
            "closed": outcome.closed,
            "reopened": outcome.reopened,
            "notes": [n for n in (outcome.absent_note(kind.value), *outcome.notes) if n],
        }
    _show_report(shown, fmt)
    if fmt is ReportFormat.TABLE:
        rejected = outcome.report.rejected
        skipped = f"; {counted(rejected, 'bad row')} skipped" if rejected else ""
        split = (
            f" ({outcome.new:,} new, {outcome.written - outcome.new:,} updated)"
            if outcome.new is not None
            else ""
        )
        stdout().print(
            f"[green]Imported[/green] {counted_records(outcome.written, kind.value)}"
            f"{split}{skipped}.",
            markup=True,
        )
    absent = outcome.absent_note(kind.value)
    if absent:
        note(absent)
    for text in outcome.notes:
        note(text)


def _show_report(report: dict, fmt: ReportFormat, *, refused: bool = False) -> None:  # type: ignore[type-arg]
    if fmt is ReportFormat.JSON:
        render_json(report)
        return
    console = stdout()
    # A refused import wrote nothing: its good rows are valid, not accepted or geocoded.
    good = "valid" if refused else "accepted"
    located = "" if refused else f", {report['geocoded']:,} geocoded"
    # deals the CRM deleted: neither accepted nor refused (a warning says why)
    removed = len(report["details"].get("removed_ids", ()))
    # rows of a delta no newer than the stored records (LastModifiedDate): a note says why
    removed += len(report["details"].get("unchanged_ids", ()))
    left_out = f", {removed:,} left out" if removed else ""
    console.print(
        f"[bold]{escape(report['file'])}[/bold] ({report['kind']}):"
        f" {counted(report['rows_read'], 'row')} read, "
        f"[green]{report['accepted']:,} {good}[/green], [red]{report['rejected']:,} rejected[/red]"
        f"{left_out}{located}",
        markup=True,
    )
    for warning in report["warnings"]:
        stderr().print(f"[yellow]warning:[/yellow] {escape(warning)}", markup=True)
    issues = report["issues"]
    if issues:
        _show_problems(issues, report["file"])


def _show_problems(issues: list[dict], file: str) -> None:  # type: ignore[type-arg]
    """The problems grouped by column and reason, so that one bad column in 1,125 rows reads as
    one line with its rows, not 1,125 rows of seven lines each at 80 columns."""
    several_files = any(issue["file"] != file for issue in issues)  # a Parquet folder
    groups: dict[tuple[str, ...], list[dict]] = {}  # type: ignore[type-arg]
    for issue in issues:
        key = (
            str(issue["file"]) if several_files else "",
            str(issue["column"] or issue["field"] or ""),
            _without_value(str(issue["reason"]), issue["value"]),
            str(issue["severity"]),
        )
        groups.setdefault(key, []).append(issue)
    rows = []
    for (where, column, reason, severity), found in list(groups.items())[:50]:
        lines = [str(i["row"]) for i in found if i["row"] is not None]
        shown = ", ".join(lines[:3]) + (f" and {len(lines) - 3:,} more" if len(lines) > 3 else "")
        values = list(dict.fromkeys(str(i["value"]) for i in found if i["value"] not in (None, "")))
        said = str(found[0]["reason"]) if len(found) == 1 else reason
        row = {
            **({"file": where} if several_files else {}),
            "rows": shown or "-",
            "column": column,
            "values": ", ".join(values[:2]) + (", ..." if len(values) > 2 else ""),
            "problem": said if severity == "error" else f"{severity}: {said}",
        }
        rows.append(row)
    more = len(groups) - 50
    render_rows(
        rows,
        title=f"Problems: {len(issues):,} in {len(groups):,} "
        + ("kind" if len(groups) == 1 else "kinds")
        + (" (the first 50 kinds shown)" if more > 0 else "")
        + "; --format json lists every row",
    )


def _without_value(reason: str, value: object) -> str:
    """``reason`` with the row's own value left out ("unknown account '001...'" reads
    "unknown account (the value)"), so that rows failing the same way are one kind."""
    text = "" if value is None else str(value)
    if not text:
        return reason
    return reason.replace(repr(text), "(the value)").replace(text, "(the value)")


def export_command(
    ctx: typer.Context,
    kind: Annotated[ExportKind, typer.Argument(help="Which records.")],
    file: Annotated[Path, typer.Argument(help="Output file: .csv, .xlsx or .parquet.")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="assignments: the plan (default: the active one).")
    ] = None,
    salesforce: Annotated[
        bool,
        typer.Option("--salesforce", help="assignments: only changed owners, as Id,OwnerId."),
    ] = False,
    force: ForceOption = False,
) -> None:
    """Export every KIND record to FILE (format from the extension); re-importable as is.

    ``assignments``: each account of the plan's latest rule run with its territory, old and
    new owner and rule (``--salesforce``: the Data Loader file of owner changes).
    """
    from terraplan.io.outputs import check_output
    from terraplan.services.exports import export_records

    check_output(file, overwrite=force)
    db = app_context(ctx).database()
    if kind is ExportKind.assignments:
        from terraplan.services.owner_sync import export_assignments

        plan_id, count = export_assignments(
            db, file, plan_id=plan, salesforce=salesforce, overwrite=force
        )
        what = "owner changes" if salesforce else "account assignments"
        stdout().print(f"Wrote {count:,} {what} of plan {plan_id} to {file!s}")
        from terraplan.cli.console import note
        from terraplan.services.rules_follow import stale_run_note

        if (stale := stale_run_note(db, plan_id)) is not None:
            note(stale)
        if salesforce and count:
            from terraplan.services.owner_sync import inactive_owner_note

            if (inactive := inactive_owner_note(db, plan_id, file)) is not None:
                note(inactive)
        return
    count = export_records(db, kind.value, file, overwrite=force)
    stdout().print(f"Wrote {count:,} {kind.value.replace('_', ' ')} to {file!s}")
