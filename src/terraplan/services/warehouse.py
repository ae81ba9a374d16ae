"""Run the compiled KPI query where the data lives: DuckDB, PostgreSQL or Spark.

:func:`warehouse_kpis` compiles :func:`terraplan.planning.kpi_sql.compile_kpi_sql` for the
engine, runs it there and returns the same frame as the in-process
:func:`terraplan.planning.kpis.compute_kpis` (``KEY_COLUMNS`` then one Float64 column per KPI).

Sources (``location``):

- ``duckdb``: a folder holding one Parquet file (``sales_lines.parquet``) or one folder of
  Parquet files (``sales_lines/*.parquet``) per input, or a DuckDB database file whose tables
  are named by ``tables`` (default: the input names).
- ``postgres``: a ``postgresql://`` URL; ``tables`` names ``schema.table`` per input.
- ``spark``: a folder of Parquet files as for DuckDB, read by a local Spark session (or the one
  passed in), or ``catalog:`` to read tables of the session's catalog named by ``tables``.

:func:`write_kpi_tables` writes a plan's KPI inputs as such a folder of Parquet files.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from terraplan.errors import DataError, InvalidParameterError, TerraplanError
from terraplan.io.outputs import atomic_output
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_registry import DIMENSIONS, KPI_NAMES
from terraplan.planning.kpi_sql import (
    COLUMNS,
    TABLES,
    KpiTables,
    compile_data_dates_sql,
    compile_kpi_sql,
    compile_kpi_steps,
)
from terraplan.planning.kpis import KEY_COLUMNS
from terraplan.storage.database import Database

logger = logging.getLogger(__name__)

#: Engines :func:`warehouse_kpis` runs on, with the SQL dialect each one reads.
ENGINES: Mapping[str, str] = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}

#: Run before the KPI query on PostgreSQL, in the query's own transaction.
NO_JIT = "SET LOCAL jit = off"


@dataclass(frozen=True)
class WarehouseRun:
    """What a warehouse run returned: the KPI frame, the SQL it ran, the as-of date used and
    the seconds spent in the engine (wall and this process's CPU), the first sales line's
    date (where the revenue history starts: a growth left empty is explained by it) and the
    KPI inputs the query read (e.g. without ``shared_owners``, a territory's several primary
    reps were not known to it)."""

    frame: pl.DataFrame
    sql: str
    as_of: date
    seconds: float
    cpu_seconds: float
    sales_from: date | None = None
    inputs: tuple[str, ...] = ()


class _Engine:
    """One connection: list a table's columns, run a query to rows; ``staged`` (Spark) runs
    the query as the steps of :func:`compile_kpi_steps` instead of one statement."""

    def __init__(
        self,
        columns: Callable[[str], list[str]],
        rows: Callable[[str], list[tuple[Any, ...]]],
        tables: dict[str, str],
        staged: Callable[[list[tuple[str, str]]], list[tuple[Any, ...]]] | None = None,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.tables = tables
        self.staged = staged


def warehouse_kpis(
    engine: str,
    location: str,
    *,
    tables: Mapping[str, str] | None = None,
    periods: Sequence[str] | None = None,
    as_of: date | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    inactive_months: int = 6,
    spark: Any = None,
    fiscal: FiscalCalendar | None = None,
) -> WarehouseRun:
    """Compile the KPI query for ``engine``, run it on ``location`` and return its result.

    ``as_of`` defaults to the latest fact (a sale, an opportunity created or closed; never
    after today), as ``terraplan kpis`` does in-process; grains ("month" ...) start at the earliest sales line or opportunity;
    quarters, years and YTD follow ``fiscal`` (default: calendar years).
    """
    if engine not in ENGINES:
        raise InvalidParameterError(
            f"unknown engine {engine!r}; known: {', '.join(ENGINES)}",
            details={"field": "engine", "allowed": list(ENGINES)},
        )
    dialect = ENGINES[engine]
    with _connect(engine, location, dict(tables or {}), spark) as conn:
        kpi_tables = _kpi_tables(conn)
        first, last, sales_from = _data_dates(conn, kpi_tables, dialect)
        day = as_of if as_of is not None else last
        if day is None:
            raise InvalidParameterError(
                "no sales lines or opportunities to take the as-of date from; pass as_of",
                details={"field": "as_of"},
            )
        options: dict[str, Any] = {
            "as_of": day,
            "periods": periods,
            "first": first,
            "dimensions": dimensions,
            "inactive_months": inactive_months,
            "dialect": dialect,
            "fiscal": fiscal,
        }
        sql = compile_kpi_sql(kpi_tables, **options)
        started, cpu = time.perf_counter(), time.process_time()
        try:
            if conn.staged is not None:
                suffix = f"_{uuid.uuid4().hex[:12]}"  # another run on the session keeps its own
                rows = conn.staged(compile_kpi_steps(kpi_tables, suffix=suffix, **options))
            else:
                rows = conn.rows(sql)
        except TerraplanError:
            raise
        except Exception as exc:  # each engine raises its own types: name the engine and reason
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"{engine} could not run the KPI query: {reason}",
                details={"engine": engine, "reason": reason},
            ) from exc
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    logger.info("KPI query on %s: %d rows in %.2f s", engine, len(rows), seconds)
    return WarehouseRun(
        _frame(rows), sql, day, seconds, cpu_seconds, sales_from, tuple(kpi_tables.tables)
    )


def result_schema() -> dict[str, Any]:
    """The polars schema of the KPI frame (the in-process one)."""
    schema: dict[str, Any] = {
        "dimension": pl.String,
        "key": pl.String,
        "period": pl.String,
        "grain": pl.String,
        "period_start": pl.Date,
        "period_end": pl.Date,
    }
    schema.update(dict.fromkeys(KPI_NAMES, pl.Float64))
    assert tuple(schema) == (*KEY_COLUMNS, *KPI_NAMES)
    return schema


def _frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(
        [tuple(r) for r in rows], schema=result_schema(), orient="row", infer_schema_length=None
    )


def _kpi_tables(conn: _Engine) -> KpiTables:
    """The inputs present, their table names and the optional columns they lack."""
    missing: dict[str, list[str]] = {}
    for name, table in conn.tables.items():
        columns = {c.lower() for c in conn.columns(table)}
        required, optional = COLUMNS[name]
        for column in required:
            if column not in columns:
                raise DataError(
                    f"{name} ({table}): missing column {column!r}",
                    details={"file": table, "field": column, "reason": "missing column"},
                )
        missing[name] = [c for c in optional if c not in columns]
    return KpiTables(dict(conn.tables), missing)


def _data_dates(
    conn: _Engine, tables: KpiTables, dialect: str
) -> tuple[date | None, date | None, date | None]:
    """The first and the latest fact (the grains' start and the default as-of date) and the
    first sales line's date."""
    rows = sorted(conn.rows(compile_data_dates_sql(tables, dialect=dialect)), key=lambda r: r[0])
    sales_from = next((_as_date(r[1]) for r in rows if r[0] == 0 and r[1] is not None), None)
    lows = [_as_date(r[1]) for r in rows if r[1] is not None]
    highs = [_as_date(r[2]) for r in rows if r[2] is not None]
    # the latest fact (a sale, an opportunity created or closed), never after today: the
    # reporting day `terraplan kpis` takes in-process
    last = min(max(highs), date.today()) if highs else None
    first = min(lows) if lows else None
    if first is not None and last is not None and first > last:
        first = last
    return first, last, sales_from


def _as_date(value: Any) -> date:
    """A date from a driver's date or datetime value."""
    day = value.date() if hasattr(value, "date") and callable(value.date) else value
    if not isinstance(day, date):
        raise DataError(f"expected a date, got {value!r}", details={"reason": "not a date"})
    return day


@contextmanager
def _connect(engine: str, location: str, tables: dict[str, str], spark: Any) -> Iterator[_Engine]:
    if engine == "duckdb":
        with _duckdb(location, tables) as conn:
            yield conn
    elif engine == "postgres":
        with _postgres(location, tables) as conn:
            yield conn
    else:
        yield _spark(location, tables, spark)


def _parquet_inputs(folder: Path) -> dict[str, str]:
    """Input name -> Parquet path or glob, for the inputs found in ``folder``."""
    if not folder.is_dir():
        raise InvalidParameterError(
            f"{folder} is not a folder of Parquet files", details={"field": "source"}
        )
    found: dict[str, str] = {}
    for name in TABLES:
        single = folder / f"{name}.parquet"
        if single.is_file():
            found[name] = str(single)
        elif (folder / name).is_dir() and any((folder / name).rglob("*.parquet")):
            found[name] = str(folder / name / "**" / "*.parquet")
    if "sales_lines" not in found:
        raise DataError(
            f"{folder}: no sales_lines.parquet (or sales_lines/ folder of Parquet files)",
            details={"file": str(folder), "reason": "missing table"},
        )
    return found


@contextmanager
def _duckdb(location: str, tables: dict[str, str]) -> Iterator[_Engine]:
    import duckdb

    path = Path(location)
    if path.is_dir():
        conn = duckdb.connect()
        names = {}
        for name, parquet in _parquet_inputs(path).items():
            conn.read_parquet(parquet).create_view(name)
            names[name] = name
    elif path.is_file():
        conn = duckdb.connect(str(path), read_only=True)
        # SHOW ALL TABLES gives (database, schema, name, ...): a table is found by its name,
        # schema.name or database.schema.name
        shown = conn.sql("SHOW ALL TABLES").fetchall()
        listed = {str(r[2]).lower() for r in shown}
        listed |= {f"{r[1]}.{r[2]}".lower() for r in shown}
        listed |= {f"{r[0]}.{r[1]}.{r[2]}".lower() for r in shown}
        names = {n: tables.get(n, n) for n in TABLES if tables.get(n, n).lower() in listed}
    else:
        raise InvalidParameterError(
            f"no such folder or DuckDB file: {location}", details={"field": "source"}
        )
    try:
        yield _Engine(
            lambda t: list(conn.table(t).columns),
            lambda sql: conn.sql(sql).fetchall(),
            names,
        )
    finally:
        conn.close()


@contextmanager
def _postgres(location: str, tables: dict[str, str]) -> Iterator[_Engine]:
    from sqlalchemy import create_engine, inspect

    from terraplan.storage.database import normalize_url

    if not location.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise InvalidParameterError(
            "the postgres engine reads a postgresql://... URL", details={"field": "source"}
        )
    engine = create_engine(normalize_url(location))
    try:
        inspector = inspect(engine)

        def split(table: str) -> tuple[str | None, str]:
            schema, _, name = table.rpartition(".")
            return (schema or None), name

        names = {}
        for name in TABLES:
            schema, table = split(tables.get(name, name))
            if inspector.has_table(table, schema=schema):
                names[name] = tables.get(name, name)

        def columns(table: str) -> list[str]:
            schema, name = split(table)
            return [str(c["name"]) for c in inspector.get_columns(name, schema=schema)]

        def rows(sql: str) -> list[tuple[Any, ...]]:
            with engine.connect() as connection:
                # PostgreSQL compiles a plan this large to machine code before running it
                # (JIT): 20 s or more even on a few thousand rows, for no gain here
                connection.exec_driver_sql(NO_JIT)
                return [tuple(r) for r in connection.exec_driver_sql(sql).fetchall()]

        yield _Engine(columns, rows, names)
    finally:
        engine.dispose()


def local_spark(cores: int = 2, shuffle_partitions: int = 4, *, adaptive: bool = True) -> Any:
    """A local Spark session (``local[cores]``, no web UI, few shuffle partitions; without
    ``adaptive`` query execution for small data, where re-planning each stage costs most).
    Its warehouse folder is under the system's temporary folder: the KPI query reads files and
    writes temporary views only, and Spark would otherwise leave an empty ``spark-warehouse``
    folder wherever the user ran the command."""
    import tempfile

    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("terraplan")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.adaptive.enabled", "true" if adaptive else "false")
        .config("spark.default.parallelism", str(cores))
        .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir(), "terraplan-spark")))
        .getOrCreate()
    )


def _spark(location: str, tables: dict[str, str], spark: Any) -> _Engine:
    session = spark if spark is not None else local_spark()
    if location == "catalog:":
        names = {n: t for n, t in tables.items() if n in TABLES}
    else:
        names = {}
        for name, parquet in _parquet_inputs(Path(location)).items():
            view = f"tp_in_{name}"
            path = parquet.replace("/**/*.parquet", "")
            session.read.parquet(path).createOrReplaceTempView(view)
            names[name] = view
    return _Engine(
        lambda t: list(session.table(t).columns),
        lambda sql: [tuple(r) for r in session.sql(sql).collect()],
        names,
        lambda steps: _spark_steps(session, steps),
    )


def _spark_steps(session: Any, steps: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """Run the KPI query's steps on ``session``: each shared step computed once and kept
    (cached, as a temporary view of its name) for the steps after it, then the final one.
    As one statement Spark would copy every shared CTE into each reader and read the sales
    lines a dozen times; the views and the cache are dropped at the end."""
    kept = []
    try:
        for name, sql in steps[:-1]:
            frame = session.sql(sql).persist()
            kept.append((name, frame))
            frame.count()  # computed now, once: the steps after it read the cache
            frame.createOrReplaceTempView(name)
        return [tuple(r) for r in session.sql(steps[-1][1]).collect()]
    finally:
        for name, frame in kept:
            session.catalog.dropTempView(name)
            frame.unpersist()


def stored_first_day(db: Database) -> date | None:
    """The earliest sale or opportunity stored here (None: none): where the periods of a
    grain start in-process, so the default first day of a printed KPI query."""
    from sqlalchemy import func, select

    from terraplan.storage.orm import OpportunityRow, SalesLineRow

    with db.connect() as connection:
        days = [
            connection.execute(select(func.min(SalesLineRow.date))).scalar_one(),
            connection.execute(select(func.min(OpportunityRow.created_date))).scalar_one(),
        ]
    found = [d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in days if d]
    return min(found) if found else None


def write_kpi_tables(inputs: KpiInputs, folder: Path) -> list[Path]:
    """Write every KPI input table as ``folder/<input>.parquet`` (the layout the duckdb and
    spark engines read), each with every column the KPI query reads: an input the plan lacks
    is an empty table, a column it lacks is null, so that the query ``kpis --sql`` prints runs
    on these files as they are. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        required, optional = COLUMNS[name]
        found = inputs.frame(name)
        frame = (
            found.collect()
            if found is not None
            else pl.DataFrame(schema={c: _column_type(c) for c in required})
        )
        frame = frame.with_columns(
            pl.lit(None, dtype=_column_type(c)).alias(c)
            for c in (*required, *optional)
            if c not in frame.columns
        )
        path = folder / f"{name}.parquet"
        # written beside and renamed into place: a link at the path is replaced, never
        # written through, and a failed write leaves the old file
        with atomic_output(path, overwrite=True) as temporary:
            frame.write_parquet(temporary)
        written.append(path)
    return written


def _column_type(column: str) -> pl.DataType:
    """The type of a KPI input column the plan did not give, by its name."""
    if column in ("date", "period_start", "period_end", "valid_from", "valid_to", "closed_on") or (
        column.endswith("_date")
    ):
        return pl.Date()
    if column in ("amount", "potential", "share"):
        return pl.Float64()
    if column == "rep_order":
        return pl.Int32()
    if column.startswith("is_"):
        return pl.Boolean()
    return pl.String()
