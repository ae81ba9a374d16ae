"""Read records from a database table or a folder of Parquet files, in batches.

A *table source* is what ``terraplan import KIND SOURCE`` takes besides a file:

- ``postgresql://user@host/db?table=crm.accounts`` (also ``postgres://``,
  ``postgresql+psycopg://``), ``sqlite:///crm.db?table=accounts`` and
  ``duckdb:///warehouse.duckdb?table=main.accounts`` (needs the ``duckdb`` package): one table
  or view, named ``schema.table`` or ``table``;
- a folder holding ``.parquet`` files (searched recursively, read in path order).

Each source is read in batches of at most ``batch_rows`` records: every batch becomes a
:class:`~terraplan.io.readers.SourceTable` of text cells (exactly as a Parquet file's cells,
see :func:`~terraplan.io.readers.cells_as_text`), so the same validation applies, and no more
than one batch is held in memory at a time.

What a report calls *file* and *row*:

- database table: the table name as given (``crm.accounts``); the row is the value of the
  table's primary key when it is one integer column, else the record's position (from 1) in
  the order of the primary key (or the table's own order when it has none);
- Parquet folder: each file's path; the row is the record index + 1 within that file (as for a
  single Parquet file).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl
import pyarrow as pa

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.mapping import ColumnMap, load_mapping, resolve_columns
from terraplan.io.named_mapping import NamedMapping
from terraplan.io.parsing import Decimal
from terraplan.io.readers import MAX_COLUMNS, ROW, SourceTable, cells_as_text
from terraplan.io.report import short
from terraplan.io.schema import kind_spec

logger = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 50_000
"""Records read, validated and written at a time."""

_SQL_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "sqlite")
SourceType = Literal["sql", "duckdb", "parquet"]


@dataclass(frozen=True, slots=True)
class TableSource:
    """Where records come from: a database table or a Parquet folder.

    ``location`` is the database URL without its ``table`` parameter (SQLAlchemy form for
    ``sql``), the database file for ``duckdb`` or the folder for ``parquet``; ``table`` the
    table name (``None`` for a folder); ``label`` what reports call it (the table name, or the
    folder path); ``display`` the source as given with any password hidden.
    """

    type: SourceType
    location: str
    table: str | None
    label: str
    display: str


def _invalid(text: str, reason: str) -> InvalidParameterError:
    return InvalidParameterError(f"{text}: {reason}", details={"source": text, "reason": reason})


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def parse_source(text: str) -> TableSource | None:
    """The table source ``text`` names, or ``None`` when it is a plain file path.

    Raises :class:`InvalidParameterError` for a database URL without ``?table=`` or with an
    unsupported scheme.
    """
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if not scheme:
        path = Path(text)
        if path.is_dir():
            return TableSource("parquet", str(path), None, str(path), str(path))
        return None
    display = _hide_password(text)
    if scheme not in (*_SQL_SCHEMES, "duckdb"):
        raise _invalid(
            display,
            f"unsupported source {scheme!r}; use postgresql://, sqlite:// or duckdb:// with"
            " ?table=NAME, or a file or a folder of Parquet files",
        )
    parts = urlsplit(text)
    query = parse_qsl(parts.query, keep_blank_values=True)
    tables = [v for k, v in query if k == "table"]
    if len(tables) != 1 or not tables[0].strip():
        raise _invalid(display, "name the table to read: add ?table=NAME (or schema.NAME)")
    table = tables[0].strip()
    rest = urlencode([(k, v) for k, v in query if k != "table"])
    bare = text.split("?", 1)[0] + (f"?{rest}" if rest else "")
    if scheme == "duckdb":
        database = bare.split("://", 1)[1]
        database = database[1:] if database.startswith("/") else database
        return TableSource("duckdb", database or ":memory:", table, table, display)
    if scheme in ("postgresql", "postgres"):
        bare = "postgresql+psycopg://" + bare.split("://", 1)[1]
    return TableSource("sql", bare, table, table, display)


def iter_source_tables(
    source: TableSource,
    kind: str,
    *,
    mapping: Mapping[str, Any] | str | Path | None = None,
    decimal: Decimal | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[SourceTable]:
    """The records of ``source`` as ``kind``, one :class:`SourceTable` per batch.

    A source with no records yields one empty table (validation reports "no data rows").
    Raises :class:`DataError` (details ``file``, ``reason``) when the source cannot be read.
    """
    spec = kind_spec(kind)
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise InvalidParameterError(
            "batch_rows must be a positive integer", details={"field": "batch_rows"}
        )
    mapping_source = mapping.source if isinstance(mapping, NamedMapping) else "mapping"
    if isinstance(mapping, str | Path):
        mapping_source = str(mapping)
        mapping = load_mapping(mapping)
    columns: dict[str, ColumnMap] = {}

    def table_of(label: str, frame: pl.DataFrame, fmt: str) -> SourceTable:
        if frame.width - 1 > MAX_COLUMNS:
            raise _fail(label, f"{frame.width - 1:,} columns; the limit is {MAX_COLUMNS:,}")
        frame, fractional = cells_as_text(frame, label)
        headers = [c for c in frame.columns if c != ROW]
        key = label + "\x00" + "\x00".join(headers)
        if key not in columns:
            columns[key] = resolve_columns(
                headers, spec.kind, mapping, mapping_source=mapping_source
            )
        resolved = columns[key]
        return SourceTable(
            file=label,
            kind=spec.kind,
            format=fmt,
            frame=frame,
            columns=resolved,
            warnings=resolved.warnings,
            details={"source": source.display},
            decimal=decimal,
            fractional=fractional,
        )

    if source.type == "parquet":
        for label, frame in _parquet_batches(Path(source.location), batch_rows):
            yield table_of(label, frame, "parquet")
    elif source.type == "duckdb":
        for frame in _duckdb_batches(source, batch_rows):
            yield table_of(source.label, frame, "table")
    else:
        for frame in _sql_batches(source, batch_rows):
            yield table_of(source.label, frame, "table")


def _fail(label: str, reason: str) -> DataError:
    return DataError(f"{label}: {reason}", details={"file": label, "reason": reason})


# --- Parquet folder -------------------------------------------------------------------


def _parquet_batches(folder: Path, batch_rows: int) -> Iterator[tuple[str, pl.DataFrame]]:
    import pyarrow.parquet as pq

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".parquet", ".pq"))
    if not files:
        raise _fail(str(folder), "the folder holds no .parquet files")
    empty = True
    for number, path in enumerate(files, start=1):
        try:
            parquet = pq.ParquetFile(path)
            width = len(parquet.schema_arrow)
            if width > MAX_COLUMNS:
                raise _fail(str(path), f"{width:,} columns; the limit is {MAX_COLUMNS:,}")
            start = 1
            for batch in parquet.iter_batches(batch_size=batch_rows):
                if batch.num_rows == 0:
                    continue
                frame = _numbered(pl.from_arrow(pa.Table.from_batches([batch])), start)
                start += frame.height
                empty = False
                yield str(path), frame
            if empty and number == len(files):  # no records at all: say so once
                yield str(path), _numbered(pl.from_arrow(parquet.schema_arrow.empty_table()), 1)
        except DataError:
            raise
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise _fail(
                str(path),
                f"not a readable Parquet file ({type(exc).__name__}: {short(str(exc), 200)})",
            ) from None


def _numbered(frame: pl.DataFrame | pl.Series, start: int) -> pl.DataFrame:
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.int_range(start, start + frame.height, dtype=pl.Int64).alias(ROW))


# --- SQL databases (SQLAlchemy) ---------------------------------------------------------


def _sql_batches(source: TableSource, batch_rows: int) -> Iterator[pl.DataFrame]:
    from sqlalchemy import MetaData, Table, create_engine, select
    from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

    assert source.table is not None
    schema, _, name = source.table.rpartition(".")
    try:
        engine = create_engine(source.location)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise _fail(source.display, f"not a usable database URL ({short(str(exc), 200)})") from None
    try:
        with engine.connect() as connection:
            try:
                table = Table(name, MetaData(), schema=schema or None, autoload_with=connection)
            except NoSuchTableError:
                raise _fail(source.label, f"no table or view named {source.table!r}") from None
            keys = list(table.primary_key.columns)
            query = select(table)
            if keys:
                query = query.order_by(*keys)
            numeric_key = (
                keys[0].name if len(keys) == 1 and keys[0].type.python_type is int else None
            )
            result = connection.execution_options(
                stream_results=True, yield_per=batch_rows
            ).execute(query)
            try:
                names = list(result.keys())
                start = 1
                empty = True
                for rows in result.partitions():
                    frame = _rows_frame(names, rows)
                    if numeric_key is not None:
                        frame = frame.with_columns(pl.col(numeric_key).cast(pl.Int64).alias(ROW))
                    else:
                        frame = _numbered(frame, start)
                    start += frame.height
                    empty = False
                    yield frame
                if empty:
                    yield _numbered(_rows_frame(names, []), 1)
            finally:  # also when the caller stops early (a server-side cursor is open)
                result.close()
    except DataError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise _fail(source.label, f"cannot read the table ({short(reason, 200)})") from None
    finally:
        engine.dispose()


def _rows_frame(names: list[str], rows: Any) -> pl.DataFrame:
    """A typed frame of database rows; a column polars cannot type becomes text."""
    data: dict[str, pl.Series] = {}
    for index, name in enumerate(names):
        values = [row[index] for row in rows]
        try:
            series = pl.Series(name, values, strict=False)
        except Exception:  # exotic driver types (UUID, ranges, JSON...)
            series = pl.Series(
                name, [None if v is None else str(v) for v in values], dtype=pl.String
            )
        if series.dtype == pl.Null:
            series = series.cast(pl.String)
        elif series.dtype == pl.Object:
            series = pl.Series(
                name, [None if v is None else str(v) for v in values], dtype=pl.String
            )
        data[name] = series
    return pl.DataFrame(data)


# --- DuckDB -----------------------------------------------------------------------------


def _duckdb_batches(source: TableSource, batch_rows: int) -> Iterator[pl.DataFrame]:
    try:
        import duckdb
    except ImportError:
        raise InvalidParameterError(
            "duckdb:// sources need the duckdb package (pip install duckdb)",
            details={"source": source.display},
        ) from None
    assert source.table is not None
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in source.table.split("."))
    try:
        connection = duckdb.connect(source.location, read_only=True)
    except duckdb.Error as exc:
        raise _fail(source.display, f"cannot open the database ({short(str(exc), 200)})") from None
    try:
        try:
            relation = connection.sql(f"SELECT * FROM {quoted}")
            # duckdb >= 1.4 names it to_arrow_reader; older releases fetch_arrow_reader
            to_reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
            reader = to_reader(batch_rows)
        except duckdb.CatalogException:
            raise _fail(source.label, f"no table or view named {source.table!r}") from None
        start = 1
        empty = True
        for batch in reader:
            frame = _numbered(pl.from_arrow(pa.Table.from_batches([batch])), start)
            start += frame.height
            empty = False
            yield frame
        if empty:
            yield _numbered(pl.from_arrow(reader.schema.empty_table()), 1)
    except duckdb.Error as exc:
        raise _fail(source.label, f"cannot read the table ({short(str(exc), 200)})") from None
    finally:
        connection.close()
