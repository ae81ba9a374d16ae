"""Compile the KPI registry into one SQL query that runs inside a warehouse.

:func:`compile_kpi_sql` returns one ``SELECT`` (built with SQLGlot's expression builder, written
for DuckDB, PostgreSQL, Spark SQL, Snowflake or BigQuery) that reads the tables the user names
(:class:`KpiTables`) and returns the frame of :func:`terraplan.planning.kpis.compute_kpis`:
the columns ``dimension, key, period, grain, period_start, period_end`` then one column per KPI
of :data:`~terraplan.planning.kpi_registry.KPIS`, same rows, same figures (float sums may differ
in the last digits). It is pure: nothing is read or run here.

The tables hold the columns of the KPI input contract (:mod:`terraplan.planning.kpi_inputs`):

=============== ===========================================================================
table           columns read
=============== ===========================================================================
accounts        id, segment, industry, potential (per year), owner_id, closed_on
alignment       account_id, territory_id (leaf territory)
sales_lines     account_id, date, amount
opportunities   id, account_id, created_date, close_date, amount, is_closed, is_won
targets         territory_id, rep_id, period_start, period_end, amount [, metric]
territories     id, parent_id, owner_id
leads           id, created_date, converted_opportunity_id, territory_id, segment, industry
costs           territory_id, period_start, period_end, amount
ownership       account_id, owner_id, valid_from, valid_to (null = still)
reps            id, hire_date (by rep, targets count from it)
shared_owners   territory_id, rep_id, share, rep_order (territories with several primary reps)
=============== ===========================================================================

Only ``accounts`` (or ``alignment``) and ``sales_lines`` are required; a column named in
:attr:`KpiTables.missing` is read as NULL. Periods and the as-of date are resolved here and
written into the query as constants: a scheduled job recompiles when they change.

Rep KPIs credit the owner of each leaf territory (``territories.owner_id``: today's owner),
or in a territory with several primary reps (``shared_owners``) the rep holding each account,
the rep whose turn each lead was and each rep's share of targets and costs, as in-process
(:mod:`terraplan.planning.kpi_sql_shared`);
with an ``ownership`` table, revenue, wins and pipeline go to the owner of the day, as
in-process (:mod:`terraplan.planning.kpi_sql_credit`); with a ``reps`` table, a rep's targets
count only the days on or after their ``hire_date``, as in-process
(:mod:`terraplan.planning.kpi_sql_spread`).

Spark copies each CTE into every place that reads it; :func:`compile_kpi_steps` gives it the
query as steps instead, each CTE read more than once computed and kept before the next.

The sales lines are read once, grouped by (account, month); every later step runs on those
rows or smaller ones, on integer keys (:mod:`terraplan.planning.kpi_sql_facts`). The hierarchy
is unrolled :data:`MAX_DEPTH` levels deep (no recursive SQL, which Spark lacks).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

import sqlglot
from sqlglot import exp

from terraplan.errors import InvalidParameterError
from terraplan.planning import kpi_sql_credit as credit
from terraplan.planning import kpi_sql_facts as facts
from terraplan.planning import kpi_sql_leads
from terraplan.planning import kpi_sql_rollups as rollups
from terraplan.planning import kpi_sql_shared as shared
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.kpi_periods import (
    GRAINS,
    Period,
    elapsed_months,
    elapsed_share,
    in_progress,
    resolve_periods,
)
from terraplan.planning.kpi_registry import DIMENSIONS
from terraplan.planning.kpi_sql_base import (
    COLUMNS,
    KPI_DIALECTS,
    MAX_DEPTH,
    READ,
    TABLES,
    KpiTables,
    SqlContext,
    check_dialect,
    check_tables,
    date_literal,
    integer,
    month_index,
    number,
    text,
    union,
)
from terraplan.planning.kpi_sql_spread import spread

__all__ = [
    "COLUMNS",
    "KPI_DIALECTS",
    "MAX_DEPTH",
    "TABLES",
    "KpiTables",
    "check_tables",
    "compile_data_dates_sql",
    "compile_kpi_expression",
    "compile_kpi_sql",
    "compile_kpi_steps",
    "quote_table",
]


def compile_kpi_sql(
    tables: KpiTables,
    *,
    as_of: date,
    periods: Iterable[str | Period] | None = None,
    first: date | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    inactive_months: int = 6,
    dialect: str = "duckdb",
    pretty: bool = True,
    fiscal: FiscalCalendar | int | None = None,
) -> str:
    """The KPI query for ``dialect`` (one of :data:`KPI_DIALECTS`).

    ``periods`` and ``fiscal`` as for :func:`~terraplan.planning.kpis.compute_kpis`; grains
    ("month"...) run from ``first`` (default and at the latest: ``as_of``, as in-process) to
    ``as_of``. Periods are resolved here, so fiscal quarters reach the query as their dates.
    """
    query = compile_kpi_expression(
        tables,
        as_of=as_of,
        periods=periods,
        first=first,
        dimensions=dimensions,
        inactive_months=inactive_months,
        fiscal=fiscal,
    )
    written = check_dialect(dialect)
    return binary_ids(query, written).sql(dialect=written, pretty=pretty)


def binary_ids(query: exp.Expr, dialect: str) -> exp.Expr:
    """``query`` for ``dialect``: ids compared in the order of their bytes, as in-process.
    The query marks such ids ``COLLATE "C"``; PostgreSQL keeps the mark (else it orders
    text in the database's collation), the others order text by its bytes already and drop
    it (Spark, Snowflake and BigQuery name their collations otherwise)."""
    if dialect == "postgres":
        return query
    stripped: exp.Expr = query.transform(
        lambda node: node.this if isinstance(node, exp.Collate) else node
    )
    return stripped


def compile_kpi_steps(
    tables: KpiTables,
    *,
    as_of: date,
    periods: Iterable[str | Period] | None = None,
    first: date | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    inactive_months: int = 6,
    dialect: str = "spark",
    suffix: str = "",
    fiscal: FiscalCalendar | int | None = None,
) -> list[tuple[str, str]]:
    """The query of :func:`compile_kpi_sql` cut into steps, for engines that copy a CTE into
    every place that reads it (Spark inlines each deterministic CTE: the sales lines would be
    read and grouped once per reader, a dozen times). Each CTE read more than once becomes a
    step ``(name + suffix, SELECT)`` whose result the engine keeps (a cached or temporary
    table of that name) before the steps after it run; CTEs read once stay inside the one
    step that reads them. The last step is ``("", final SELECT)``: the KPI rows.
    """
    if not re.fullmatch(r"[A-Za-z0-9_]*", suffix):
        raise InvalidParameterError(
            "suffix must be letters, digits and _", details={"field": "suffix"}
        )
    query = compile_kpi_expression(
        tables,
        as_of=as_of,
        periods=periods,
        first=first,
        dimensions=dimensions,
        inactive_months=inactive_months,
        fiscal=fiscal,
    )
    written = check_dialect(dialect)
    return [
        (name, binary_ids(step, written).sql(dialect=written))
        for name, step in _steps(query, suffix)
    ]


def _steps(query: exp.Select, suffix: str) -> list[tuple[str, exp.Select]]:
    """``query`` (its CTEs in order) as steps: see :func:`compile_kpi_steps`."""
    final = query.copy()
    with_ = final.args.get("with_")
    final.set("with_", None)
    ctes: dict[str, exp.Query] = {c.alias: c.this for c in (with_.expressions if with_ else [])}

    def reads(q: exp.Expr) -> list[str]:
        return [t.name for t in q.find_all(exp.Table) if not t.db and t.name in ctes]

    counts = Counter(name for q in (*ctes.values(), final) for name in reads(q))
    shared = [name for name in ctes if counts[name] > 1]

    def step(body: exp.Query) -> exp.Select:
        # the CTEs read once that ``body`` needs (through each other), in their order
        needed: set[str] = set()
        todo = [n for n in reads(body) if n not in shared]
        while todo:
            name = todo.pop()
            if name not in needed:
                needed.add(name)
                todo.extend(n for n in reads(ctes[name]) if n not in shared)
        if isinstance(body, exp.Select):
            out = body.copy()
        else:  # a UNION: its branches may read the CTEs added below
            out = sqlglot.select("*").from_(body.subquery("tp_step"))
        for name in (n for n in ctes if n in needed):
            out = out.with_(name, as_=ctes[name].copy())
        for table in out.find_all(exp.Table):  # shared CTEs are read from the kept steps
            if not table.db and table.name in shared:
                if not table.alias:
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
                table.set("this", exp.to_identifier(table.name + suffix))
        return out

    return [*((name + suffix, step(ctes[name])) for name in shared), ("", step(final))]


def compile_kpi_expression(
    tables: KpiTables,
    *,
    as_of: date,
    periods: Iterable[str | Period] | None = None,
    first: date | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    inactive_months: int = 6,
    fiscal: FiscalCalendar | int | None = None,
) -> exp.Select:
    """The KPI query as a SQLGlot expression (see :func:`compile_kpi_sql`)."""
    check_tables(tables)
    dims = tuple(dict.fromkeys(dimensions))
    if not dims or any(d not in DIMENSIONS for d in dims):
        raise InvalidParameterError(
            f"unknown dimensions {list(dims)!r}",
            details={"field": "dimensions", "allowed": list(DIMENSIONS)},
        )
    if isinstance(inactive_months, bool) or not isinstance(inactive_months, int):
        raise InvalidParameterError(
            "inactive_months must be an integer", details={"field": "inactive_months"}
        )
    if inactive_months < 1:
        raise InvalidParameterError(
            "inactive_months must be >= 1", details={"field": "inactive_months"}
        )
    start = first if first is not None and first <= as_of else as_of
    plist = resolve_periods(periods, as_of=as_of, first=start, fiscal=fiscal)
    if not plist:
        raise InvalidParameterError("no periods to report", details={"field": "periods"})
    return build(SqlContext(tables, as_of, plist, dims, inactive_months))


def build(b: SqlContext) -> exp.Select:
    """Add every CTE in order and return the final query."""
    period_tables(b)
    shared.shared_reps(b)
    facts.accounts(b)
    facts.hierarchy(b)
    facts.cells(b)
    facts.sales(b)
    facts.opportunities(b)
    facts.events(b)
    kpi_sql_leads.leads(b)
    credit.corrections(b)
    rollups.group_months(b)
    rollups.flows_and_stocks(b)
    rollups.static_and_whitespace(b)
    spread(b, "targets", "tp_targets", whole_period=True)
    spread(b, "costs", "tp_costs", whole_period=False)
    rollups.keys(b)
    final = rollups.final(b)
    for name, query in b.ctes:
        final = final.with_(name, as_=query)
    return final


def period_tables(b: SqlContext) -> None:
    """``tp_periods``: one row per period with its month numbers (``start_m``, ``cut_m``: the
    month of min(end, as-of)) and whether it is in progress on the as-of date (``partial``,
    :func:`~terraplan.planning.kpi_periods.in_progress`: a period ending on it is complete;
    a YTD is in progress before its year's last day); a partial period's prior-year window
    stops on the same day a year earlier.
    A period's months are ``start_m .. cut_m``; its prior-year window the same months minus
    12 (the as-of day shifted back a year stays in its month)."""
    rows = []
    for p in b.periods:
        cut = min(p.end, b.as_of)
        rows.append(
            sqlglot.select(
                exp.alias_(text(p.label), "period"),
                exp.alias_(text(p.grain), "grain"),
                exp.alias_(date_literal(p.start), "period_start"),
                exp.alias_(date_literal(p.end), "period_end"),
                exp.alias_(date_literal(cut), "cut"),
                exp.alias_(integer(month_index(p.start)), "start_m"),
                exp.alias_(integer(month_index(cut)), "cut_m"),
                exp.alias_(exp.Boolean(this=in_progress(p, b.as_of)), "partial"),
                exp.alias_(number(elapsed_share(p, b.as_of)), "elapsed_share"),
                exp.alias_(number(elapsed_months(p, b.as_of) / 12.0), "period_years"),
                exp.alias_(
                    integer(GRAINS.index(p.grain) if p.grain in GRAINS else 9), "grain_order"
                ),
            )
        )
    b.add("tp_periods", union(rows))


def compile_data_dates_sql(tables: KpiTables, *, dialect: str = "duckdb") -> str:
    """A query of one row per dated table: ``lo`` and ``hi`` (earliest and latest date) of
    the sales lines, then of the opportunities (created, to the latest closed one's close
    date) when given. The largest ``hi``, at most today, is the default as-of date of the KPI
    query, as in-process (the latest fact); the smallest ``lo`` is its ``first``."""
    check_tables(tables)
    parts: list[exp.Query] = [
        sqlglot.select(
            exp.alias_(integer(0), "part"),
            exp.alias_(exp.Min(this=exp.column("date")), "lo"),
            exp.alias_(exp.Max(this=exp.column("date")), "hi"),
        ).from_(tables.table("sales_lines"))
    ]
    if tables.has("opportunities"):
        created = exp.column("created_date")
        latest: exp.Expr = exp.Max(this=created)
        if "close_date" not in tables.missing.get("opportunities", ()):
            # an open opportunity's close date is a forecast, not a fact: closed ones count
            closed = exp.Max(
                this=exp.Case(
                    ifs=[exp.If(this=exp.column("is_closed"), true=exp.column("close_date"))]
                )
            )
            latest = exp.func(
                "GREATEST", latest, exp.func("COALESCE", closed, exp.Max(this=created))
            )
        parts.append(
            sqlglot.select(
                exp.alias_(integer(1), "part"),
                exp.alias_(exp.Min(this=created), "lo"),
                exp.alias_(latest, "hi"),
            ).from_(tables.table("opportunities"))
        )
    return union(parts).sql(dialect=check_dialect(dialect))


def quote_table(name: str, dialect: str) -> str:
    """A table name as ``dialect`` writes it (for messages and scheduled jobs)."""
    return exp.to_table(name, dialect=READ).sql(dialect=check_dialect(dialect))
