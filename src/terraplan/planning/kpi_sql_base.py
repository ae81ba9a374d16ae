"""Shared parts of the KPI SQL compiler: the tables the user names, literals and the context
that collects the query's CTEs (see :mod:`terraplan.planning.kpi_sql`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp

from terraplan.errors import InvalidParameterError
from terraplan.planning.kpi_periods import Period

KPI_DIALECTS: tuple[str, ...] = ("duckdb", "postgres", "spark", "snowflake", "bigquery")
#: Tables the query may read; the first two are required.
TABLES: tuple[str, ...] = (
    "accounts",
    "sales_lines",
    "alignment",
    "opportunities",
    "targets",
    "territories",
    "leads",
    "costs",
    "ownership",
    "reps",
    "shared_owners",
)
#: Columns the query reads per table: (required, optional). An optional column a table lacks
#: is named in :attr:`KpiTables.missing` and read as NULL.
COLUMNS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "accounts": (("id",), ("segment", "industry", "potential", "closed_on", "owner_id")),
    "sales_lines": (("account_id", "date", "amount"), ()),
    "alignment": (("account_id", "territory_id"), ()),
    "opportunities": (
        ("account_id", "created_date", "amount", "is_closed", "is_won"),
        ("id", "close_date", "deal_type"),
    ),
    "targets": (("period_start", "period_end", "amount"), ("territory_id", "rep_id", "metric")),
    "territories": (("id",), ("parent_id", "owner_id")),
    "leads": (
        ("created_date",),
        ("id", "converted_opportunity_id", "territory_id", "segment", "industry"),
    ),
    "costs": (("territory_id", "period_start", "period_end", "amount"), ()),
    "ownership": (("account_id", "owner_id", "valid_from", "valid_to"), ()),
    "reps": (("id",), ("hire_date",)),
    "shared_owners": (("territory_id", "rep_id", "share"), ("rep_order",)),
}
#: Levels of the territory hierarchy above a leaf that regions are read from.
MAX_DEPTH = 8

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")
READ = "duckdb"  # the dialect of the fragments below; SQLGlot writes the target dialect
FLOWS = (
    "revenue",
    "new_customers",
    "opps_closed",
    "opps_won",
    "won_amount",
    "cycle_days",
    "new_won",
    "existing_won",
)
LEAD_FLOWS = ("leads", "leads_converted", "leads_won")
STOCKS = ("pipeline_delta", "active_delta")
#: Measures summed per (cell or group, month). Revenue comes in two parts: lines dated up to
#: ``as_of - 1 year`` (``revenue_early``) and after (``revenue_late``), which the prior-year
#: window of a period cut short by the as-of date leaves out.
EVENT_MEASURES = (
    "revenue_early",
    "revenue_late",
    *FLOWS[1:],
    *STOCKS,
)
#: Measures credited to the owner of the day when an ownership table is given (as
#: :data:`terraplan.planning.kpi_credit.CREDITED_MEASURES`).
CREDITED = (
    "revenue_early",
    "revenue_late",
    "pipeline_delta",
    "opps_closed",
    "opps_won",
    "won_amount",
    "cycle_days",
    "new_won",
    "existing_won",
)


@dataclass(frozen=True)
class KpiTables:
    """Where the KPI inputs live: ``tables`` maps an input name of :data:`TABLES` to a table
    name in the warehouse (``schema.table`` or ``catalog.schema.table``); inputs not named are
    absent. ``missing`` maps an input name to optional columns it lacks (read as NULL)."""

    tables: Mapping[str, str]
    missing: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.tables

    def table(self, name: str) -> exp.Table:
        return exp.to_table(self.tables[name], dialect=READ)


def check_tables(tables: KpiTables) -> None:
    """Raise :class:`InvalidParameterError` for an unknown input or an unsafe table name."""
    for name, value in tables.tables.items():
        if name not in TABLES:
            raise InvalidParameterError(
                f"unknown KPI input {name!r}; known: {', '.join(TABLES)}",
                details={"field": "tables", "value": name},
            )
        if not isinstance(value, str) or not _NAME.match(value):
            raise InvalidParameterError(
                f"table name {value!r} for {name} must be letters, digits and _ "
                "(schema.table allowed)",
                details={"field": name, "value": str(value)},
            )
    if "sales_lines" not in tables.tables:
        raise InvalidParameterError(
            "the KPI query needs a sales_lines table", details={"field": "sales_lines"}
        )
    if "accounts" not in tables.tables and "alignment" not in tables.tables:
        raise InvalidParameterError(
            "the KPI query needs an accounts or an alignment table", details={"field": "accounts"}
        )


def check_dialect(dialect: str) -> str:
    """``dialect`` when it is one of :data:`KPI_DIALECTS`, else :class:`InvalidParameterError`."""
    if dialect not in KPI_DIALECTS:
        raise InvalidParameterError(
            f"unknown SQL dialect {dialect!r}; known: {', '.join(KPI_DIALECTS)}",
            details={"field": "dialect", "allowed": list(KPI_DIALECTS)},
        )
    return dialect


def month_of(column: str, *, cast: bool = True) -> str:
    """Month number ``year * 12 + month - 1`` of a date column (SQL fragment); without
    ``cast``, in the engine's own EXTRACT type (cheaper per sales line; cast once grouped)."""
    if not cast:
        return f"(EXTRACT(YEAR FROM {column}) * 12 + EXTRACT(MONTH FROM {column}) - 1)"
    return f"(CAST(EXTRACT(YEAR FROM {column}) AS INT) * 12 + CAST(EXTRACT(MONTH FROM {column}) AS INT) - 1)"


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def date_literal(day: date) -> exp.Expr:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


def number(value: float) -> exp.Expr:
    return exp.Literal.number(repr(float(value)))


def integer(value: int) -> exp.Expr:
    return exp.Literal.number(str(int(value)))


def text(value: str) -> exp.Expr:
    return exp.Literal.string(value)


def union(parts: Sequence[exp.Query], *, distinct: bool = False) -> exp.Query:
    out = parts[0]
    for part in parts[1:]:
        out = exp.union(out, part, distinct=distinct)
    return out


def empty(columns: Mapping[str, str]) -> exp.Select:
    """A typed relation with no rows."""
    return sqlglot.select(
        *(exp.alias_(exp.cast(exp.null(), kind), name) for name, kind in columns.items())
    ).where(exp.false())


class SqlContext:
    """What the KPI query is built from, and the CTEs built so far (in order)."""

    def __init__(
        self,
        tables: KpiTables,
        as_of: date,
        periods: Sequence[Period],
        dims: tuple[str, ...],
        inactive_months: int,
    ) -> None:
        self.tables = tables
        self.as_of = as_of
        self.periods = periods
        self.dims = dims
        self.n = inactive_months
        self.ctes: list[tuple[str, exp.Query]] = []
        #: Reps are credited with the owner of the day (an ownership table and reps asked).
        self.credits = tables.has("ownership") and "rep" in dims

    # -- helpers -----------------------------------------------------------------------------

    def add(self, name: str, query: exp.Query) -> None:
        self.ctes.append((name, query))

    def col(self, table: str, column: str, alias: str, kind: str = "VARCHAR") -> exp.Expr:
        """``alias.column`` cast to ``kind``, or a typed NULL when the table lacks it."""
        if column in self.tables.missing.get(table, ()):
            return exp.cast(exp.null(), kind)
        return exp.cast(exp.column(column, table=alias), kind)

    def source(self, name: str, alias: str) -> exp.Table:
        table = self.tables.table(name)
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return table
