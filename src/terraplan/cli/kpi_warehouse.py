"""``terraplan kpis`` in a warehouse: run the compiled KPI query in place (``--engine``), print
it for scheduling (``--sql``), or write a plan's KPI inputs as Parquet (``--write-tables``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from terraplan.cli.console import stdout
from terraplan.cli.context import app_context
from terraplan.cli.day_option import parse_day
from terraplan.errors import InvalidParameterError

if TYPE_CHECKING:
    from terraplan.planning.fiscal import FiscalCalendar


def _table_map(table: list[str] | None) -> dict[str, str]:
    """``INPUT=TABLE`` options as a mapping."""
    out: dict[str, str] = {}
    for item in table or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InvalidParameterError(
                f"--table {item!r}: write INPUT=TABLE, e.g. sales_lines=crm.sales"
            )
        out[name.strip()] = value.strip()
    return out


def print_sql(
    dialect: str,
    table: list[str] | None,
    period: str,
    by: str,
    as_of: date | None,
    out: Path | None,
    force: bool,
    fiscal: FiscalCalendar | None = None,
    *,
    since: date | None = None,
    stored_first: date | None = None,
    inactive_months: int = 6,
) -> None:
    """Print the KPI query. A grain's periods (``month``, ``quarter``...) run from ``since``,
    else from the earliest fact stored here (``stored_first``), as ``kpis`` runs them."""
    from terraplan.planning.kpi_sql import TABLES, KpiTables, compile_kpi_sql

    tables = {name: name for name in TABLES}
    tables.update(_table_map(table))
    query = compile_kpi_sql(
        KpiTables(tables),
        as_of=as_of or date.today(),
        periods=[period],
        dimensions=[by],
        dialect=dialect,
        fiscal=fiscal,
        first=since or stored_first,
        inactive_months=inactive_months,
    )
    if out is None:
        print(query + ";")  # noqa: T201  (plain SQL on stdout, no console markup)
        return
    from terraplan.io.outputs import atomic_output

    with atomic_output(out, overwrite=force) as temporary:
        temporary.write_text(query + ";\n", encoding="utf-8")
    stdout().print(f"Wrote the {dialect} KPI query to {out!s}")


def write_tables(ctx: typer.Context, plan: str, folder: Path, force: bool) -> None:
    from terraplan.services.monitoring_data import load_plan_data
    from terraplan.services.warehouse import write_kpi_tables

    if folder.exists() and any(folder.iterdir()) and not force:
        raise InvalidParameterError(f"{folder} is not empty; add --force to replace its files")
    data = load_plan_data(app_context(ctx).database(), plan)
    written = write_kpi_tables(data.inputs, folder)
    names = ", ".join(p.stem for p in written)
    stdout().print(f"Wrote {len(written)} Parquet files to {folder!s}: {names}")


def warehouse_table(
    ctx: typer.Context,
    plan: str,
    engine: str,
    source: str | None,
    table: list[str] | None,
    period: str,
    by: str,
    as_of: str | None,
    fiscal: FiscalCalendar | None = None,
    inactive_months: int = 6,
) -> tuple[Any, Any, str]:
    """Run the KPI query on ``engine``; names of groups still come from the plan."""
    from types import SimpleNamespace

    from terraplan.services.warehouse import warehouse_kpis
    from terraplan.storage.unit_of_work import UnitOfWork

    if source is None:
        raise InvalidParameterError("--engine needs --source (a folder, a file or a URL)")
    run = warehouse_kpis(
        engine,
        source,
        tables=_table_map(table),
        periods=[period],
        dimensions=[by],
        as_of=parse_day(as_of, "--as-of"),
        fiscal=fiscal,
        inactive_months=inactive_months,
    )
    import polars as pl

    with UnitOfWork(app_context(ctx).database()) as uow:
        stored = uow.plans.get(plan)
        reps = pl.DataFrame(
            [(r.id, r.name) for r in uow.reps.list()],
            schema={"id": pl.String, "name": pl.String},
            orient="row",
        )
    # the facts are in the warehouse, not here: notes that read them have nothing to read but
    # the day the sales history starts (why growth is empty); the reps' names come from here,
    # as the plan's territory names do
    frames = {"reps": reps.lazy()}
    if run.sales_from is not None:
        frames["sales_lines"] = pl.LazyFrame({"date": [run.sales_from]})
    inputs = SimpleNamespace(reps=reps, frame=frames.get)
    data = SimpleNamespace(
        plan=stored,
        inputs=inputs,
        as_of=run.as_of,
        future_facts=None,
        crediting_note=None,
        revenue_source=None,  # the warehouse tables say it, not this database
        warehouse_inputs=run.inputs,
    )
    return data, run.frame, f"{engine}, as of {run.as_of.isoformat()}, {run.seconds:.1f} s"
