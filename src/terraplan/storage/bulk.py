"""Bulk paths for large tables: upsert by id and columnar reads.

Upserts run inside the caller's transaction (one ``Connection``), so an import is atomic: a
failure or a kill in the middle leaves the database as it was. SQLite goes through the
driver's ``executemany``; PostgreSQL copies into a temporary table and merges from it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, String, Table, func, select

from terraplan.errors import DataError, InvalidParameterError, StorageError
from terraplan.storage.orm import (
    AccountRow,
    AcquisitionCostRow,
    GeoUnitRow,
    LeadRow,
    OpportunityRow,
    RepRow,
    SalesLineRow,
    TargetRow,
)

#: Record tables that can be imported, exported and bulk-loaded, by kind name.
RECORD_TABLES: Mapping[str, Table] = {
    "accounts": AccountRow.__table__,  # type: ignore[dict-item]
    "leads": LeadRow.__table__,  # type: ignore[dict-item]
    "reps": RepRow.__table__,  # type: ignore[dict-item]
    "geo_units": GeoUnitRow.__table__,  # type: ignore[dict-item]
    "sales_lines": SalesLineRow.__table__,  # type: ignore[dict-item]
    "opportunities": OpportunityRow.__table__,  # type: ignore[dict-item]
    "targets": TargetRow.__table__,  # type: ignore[dict-item]
    "acquisition_costs": AcquisitionCostRow.__table__,  # type: ignore[dict-item]
}

CHUNK_ROWS = 20_000

logger = logging.getLogger(__name__)


def record_table(kind: str) -> Table:
    try:
        return RECORD_TABLES[kind]
    except KeyError:
        raise InvalidParameterError(
            f"unknown record kind {kind!r}; expected one of {', '.join(RECORD_TABLES)}",
            details={"field": "kind", "value": kind},
        ) from None


def text_limits(kind: str) -> dict[str, int]:
    """The most characters each text column of ``kind``'s table holds (column -> length):
    what imports check per row, so that a long value is a row error on every database
    (PostgreSQL refuses it for the whole write, SQLite would keep it)."""
    return {
        column.name: int(column.type.length)
        for column in record_table(kind).columns
        if isinstance(column.type, String) and column.type.length is not None
    }


def read_links(connection: Connection, kind: str, column: str) -> dict[str, str]:
    """Stored id -> the value of ``column`` (an account's ``parent_id``, a rep's
    ``manager_id``), for the records where it is set."""
    table = record_table(kind)
    rows = connection.execute(
        select(table.c.id, table.c[column]).where(table.c[column].is_not(None))
    )
    return {str(record): str(linked) for record, linked in rows}


def read_geo_kinds(connection: Connection, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Stored geo unit id -> (kind, name with its state: ``Henry County, AL``) of ``ids``."""
    table = record_table("geo_units")
    wanted = sorted(set(ids))
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), 10_000):  # bound the IN list (SQLite, PostgreSQL)
        rows = connection.execute(
            select(table.c.id, table.c.kind, table.c.name, table.c.state).where(
                table.c.id.in_(wanted[start : start + 10_000])
            )
        )
        for record, kind, name, state in rows:
            found[str(record)] = (str(kind), f"{name}, {state}" if state else str(name))
    return found


def read_area_centres(connection: Connection, ids: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Stored custom areas (geo units of kind ``custom``) among ``ids``: id -> (latitude,
    longitude) of their centre."""
    table = record_table("geo_units")
    wanted = sorted(set(ids))
    found: dict[str, tuple[float, float]] = {}
    for start in range(0, len(wanted), 10_000):  # bound the IN list (SQLite, PostgreSQL)
        rows = connection.execute(
            select(table.c.id, table.c.latitude, table.c.longitude).where(
                table.c.id.in_(wanted[start : start + 10_000]), table.c.kind == "custom"
            )
        )
        for record, lat, lon in rows:
            if lat is not None and lon is not None:
                found[str(record)] = (float(lat), float(lon))
    return found


def read_value_counts(
    connection: Connection, kind: str, fields: Iterable[str]
) -> dict[str, dict[str, int]]:
    """``{field: {stored value: how many records hold it}}`` of ``kind``'s text ``fields``
    (nulls left out): how stored records spell a segment or an industry."""
    table = record_table(kind)
    counts: dict[str, dict[str, int]] = {}
    for field in fields:
        column = table.c[field]
        rows = connection.execute(
            select(column, func.count()).where(column.is_not(None)).group_by(column)
        )
        counts[field] = {str(value): int(n) for value, n in rows}
    return counts


def _json_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}


def _chunks(records: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def upsert_records(
    connection: Connection,
    kind: str,
    records: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
) -> int:
    """Insert or update (by ``id``) ``records`` of ``kind``; returns the number of rows written.

    Each record maps column names (= domain field names) to Python values. Only ``columns``
    (default: the keys of the first record) are written, so an update from a file with fewer
    columns keeps the others as they were. Runs in the caller's transaction.
    """
    table = record_table(kind)
    json_columns = _json_columns(table)
    total = 0
    for chunk in _chunks(records, CHUNK_ROWS):
        if columns is None:
            columns = list(chunk[0].keys())
        rows = [_row_tuple(record, columns, json_columns) for record in chunk]
        if connection.dialect.name == "sqlite":
            rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows]
        total += _write_rows(connection, kind, columns, rows)
    return total


def upsert_arrow(connection: Connection, kind: str, data: pa.Table) -> int:
    """Insert or update (by ``id``) the rows of an Arrow table whose columns are table columns.

    JSON columns must already hold JSON text. This is the fast path for large imports: values
    are converted column by column, never through per-row dicts.
    """
    if connection.dialect.name == "sqlite":
        # sqlite3's implicit date adapters are deprecated: hand it ISO text (a time as
        # SQLAlchemy writes it, "2026-11-03 09:42:00.000000", so that it compares).
        data = pa.table(
            [
                c.cast(pa.string())
                if pa.types.is_date(c.type) or pa.types.is_timestamp(c.type)
                else c
                for c in data.columns
            ],
            names=data.column_names,
        )
    total = 0
    for batch in data.to_batches(max_chunksize=CHUNK_ROWS):
        values = [column.to_pylist() for column in batch.columns]
        total += _write_rows(connection, kind, data.column_names, list(zip(*values, strict=True)))
    return total


def _write_rows(
    connection: Connection, kind: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> int:
    table = record_table(kind)
    if kind == "accounts" and "owner_id" in columns and "crm_owner_id" not in columns:
        # Bulk writes of accounts bring the CRM's data (imports, the demo): the owner they
        # carry is the one the CRM has, what an owner update file is measured against.
        # (terraplan's own owner changes are SQL updates of owner_id alone.)
        at = list(columns).index("owner_id")
        now = datetime.now(UTC).replace(tzinfo=None)
        # SQLite keeps DateTime as text: the form SQLAlchemy writes, so that it compares
        seen: Any = (
            now.strftime("%Y-%m-%d %H:%M:%S.%f") if connection.dialect.name == "sqlite" else now
        )
        columns = [*columns, "crm_owner_id", "crm_seen_at"]
        rows = [(*row, row[at], seen) for row in rows]
    unknown = set(columns) - set(table.c.keys())
    if unknown or "id" not in columns:
        raise InvalidParameterError(
            f"{kind}: cannot write columns {sorted(unknown) or ['(no id)']}",
            details={"kind": kind, "columns": sorted(unknown)},
        )
    dbapi = connection.dialect.dbapi
    try:
        update_only = _leaves_out_required(table, columns)
        if connection.dialect.name == "sqlite" and update_only:
            _sqlite_update(connection, kind, table.name, columns, rows)
        elif connection.dialect.name == "sqlite":
            _sqlite_upsert(connection, table.name, columns, rows, _insert_defaults(table, columns))
        else:
            _postgres_upsert(connection, kind, table.name, columns, rows, update_only)
    except dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        logger.debug("%s: the database refused the rows: %s", kind, exc)
        raise _refused(kind, exc) from None
    except dbapi.DataError as exc:  # type: ignore[union-attr]
        # Imports check lengths and control characters per row first; this is the last
        # line, for other callers: bad data (exit 3), not a failing database (exit 8).
        logger.debug("%s: the database refused a value: %s", kind, exc)
        reason = _bad_value(exc)
        raise DataError(
            f"{kind}: the database refused a value: {reason}; nothing was written",
            details={"kind": kind, "reason": reason},
        ) from None
    except dbapi.Error as exc:  # type: ignore[union-attr]
        raise StorageError(
            f"{kind}: bulk write failed: {str(exc).splitlines()[0]}",
            details={"kind": kind},
        ) from None
    return len(rows)


def _row_tuple(
    record: Mapping[str, Any], columns: Sequence[str], json_columns: set[str]
) -> tuple[Any, ...]:
    values = []
    for name in columns:
        value = record.get(name)
        if name in json_columns and value is not None:
            if isinstance(value, tuple):
                value = list(value)
            value = json.dumps(value, separators=(",", ":"), default=str)
        values.append(value)
    return tuple(values)


def _insert_defaults(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    """The defaults of the columns ``columns`` leave out (a rep's ``active``, a target's
    ``metric``): the bulk paths bypass SQLAlchemy, which would otherwise fill them in. New
    rows get them; rows updating a stored record keep its values (see the upserts)."""
    given = set(columns)
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or not getattr(default, "is_scalar", False):
            continue
        defaults[column.name] = default.arg  # type: ignore[attr-defined]
    return defaults


def _sqlite_upsert(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """Insert new rows (with ``defaults`` for the columns left out) and update stored ones
    with ``columns`` alone: a column the rows leave out keeps its stored value."""
    defaults = defaults or {}
    names = ", ".join(f'"{c}"' for c in [*columns, *defaults])
    marks = ", ".join(["?"] * len(columns) + [_sqlite_literal(v) for v in defaults.values()])
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != "id")
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT("id") {action}'
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(sql, rows)
    cursor.close()


def _sqlite_literal(value: Any) -> str:
    """``value`` (a column default: bool, number or text) as an SQL literal."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _refused(kind: str, exc: Exception) -> DataError:
    """What a database refusal (an integrity error) means for the person importing: the
    field and what to do, never the name of an internal constraint."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    state = getattr(exc, "sqlstate", None)  # PostgreSQL (psycopg)
    diag = getattr(exc, "diag", None)
    column = getattr(diag, "column_name", None)
    lowered = text.lower()
    details: dict[str, Any] = {"kind": kind}
    if state == "23502" or "not null constraint failed" in lowered:
        if column is None and ":" in text:
            column = text.rsplit(":", 1)[1].strip().rsplit(".", 1)[-1]
        reason = (
            f"field {column!r} has no value in some rows; a new record needs one (add the"
            f" column {column!r} to the file, or fill its empty cells)"
            if column
            else "a required field has no value in some rows"
        )
        if column:
            details["field"] = column
    elif state == "23503" or "foreign key constraint failed" in lowered:
        reason = "a row names another record that is not stored; check references to other records"
    elif state == "23505" or "unique constraint failed" in lowered:
        reason = "a value that must be unique repeats one already stored"
    else:
        reason = "the rows break a rule of the database"
    details["reason"] = reason
    return DataError(
        f"{kind}: the database refused the rows: {reason}; nothing was written", details=details
    )


def _bad_value(exc: Exception) -> str:
    """A database's refusal of one value, in words (no internal names)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if getattr(exc, "sqlstate", None) == "22001" or "too long" in text:
        return f"a text is longer than its column holds ({short_text(text)})"
    if "NUL" in text or "0x00" in text:
        return "a text holds a NUL character (0x00)"
    return short_text(text) or "a value the database cannot store"


def short_text(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _leaves_out_required(table: Table, columns: Sequence[str]) -> bool:
    """Whether ``columns`` lack a NOT NULL column without a default: the rows can only
    update stored records (SQLite checks NOT NULL before an upsert turns into an update)."""
    given = set(columns)
    return any(
        not c.nullable and not c.primary_key and c.default is None and c.server_default is None
        for c in table.columns
        if c.name not in given
    )


def _sqlite_update(
    connection: Connection,
    kind: str,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Update stored records in place with the given columns (the others keep their values)."""
    at = list(columns).index("id")
    sets = ", ".join(f'"{c}" = ?' for c in columns if c != "id")
    if not sets:
        return
    values = [row[:at] + row[at + 1 :] + (row[at],) for row in rows]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(f'UPDATE "{table}" SET {sets} WHERE "id" = ?', values)
    updated = cursor.rowcount
    cursor.close()
    _check_updated(kind, updated, len(rows))


def _check_updated(kind: str, updated: int, rows: int) -> None:
    if updated != rows:
        reason = f"{rows - updated} of {rows} rows name no stored record"
        raise DataError(
            f"{kind}: cannot update without every required column: {reason}",
            details={"kind": kind, "reason": reason},
        )


def _postgres_upsert(
    connection: Connection,
    kind: str,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    update_only: bool = False,
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c != "id")
    # new rows get the defaults of the columns left out; stored ones keep their values
    defaults = _insert_defaults(record_table(kind), columns)
    inserted = ", ".join(f'"{c}"' for c in [*columns, *defaults])
    selected = ", ".join([*(f'"{c}"' for c in columns), *(["%s"] * len(defaults))])
    staging = f"_staging_{table}"
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        # Only the written columns, without constraints: a partial update must not trip NOT NULL.
        cursor.execute(f'DROP TABLE IF EXISTS "{staging}"')
        cursor.execute(
            f'CREATE TEMP TABLE "{staging}" ON COMMIT DROP AS SELECT {names} FROM "{table}" WITH NO DATA'
        )
        with cursor.copy(f'COPY "{staging}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        if update_only:  # NOT NULL columns left out: PostgreSQL checks them before ON CONFLICT
            sets = ", ".join(f'"{c}" = s."{c}"' for c in columns if c != "id")
            if sets:
                cursor.execute(
                    f'UPDATE "{table}" AS t SET {sets} FROM (SELECT DISTINCT ON ("id") {names}'
                    f' FROM "{staging}") AS s WHERE t."id" = s."id"'
                )
                _check_updated(
                    kind, cursor.rowcount, len({row[columns.index("id")] for row in rows})
                )
            return
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        cursor.execute(
            f'INSERT INTO "{table}" ({inserted}) SELECT DISTINCT ON ("id") {selected}'
            f' FROM "{staging}" ON CONFLICT ("id") {action}',
            tuple(defaults.values()) or None,
        )


def arrow_schema(kind: str, columns: Sequence[str] | None = None) -> pa.Schema:
    """The Arrow schema of a record table (JSON columns as JSON text)."""
    table = record_table(kind)
    names = list(columns) if columns else [c.name for c in table.columns]
    return pa.schema(
        [(name, _ARROW_TYPES[table.c[name].type.__class__.__name__]) for name in names]
    )


_ARROW_TYPES: Mapping[str, pa.DataType] = {
    "String": pa.string(),
    "Text": pa.string(),
    "JSON": pa.string(),
    "Float": pa.float64(),
    "Integer": pa.int64(),
    "Boolean": pa.bool_(),
    "Date": pa.date32(),
    "DateTime": pa.timestamp("us"),
}


def read_arrow(connection: Connection, kind: str, columns: Sequence[str] | None = None) -> pa.Table:
    """Read a record table (or some of its columns) into an Arrow table, in batches.

    JSON columns (attributes, skills, polygons) come back as JSON text. Rows come in a stable
    order: SQLite's (the order they were inserted in, which updates and the migrations'
    table copies keep); on PostgreSQL by id, since every update (an import, a rule run, a
    migration filling a new column) moves a row to the end of the table and samples such as
    the gap ids of `rules check` changed with it.
    """
    table = record_table(kind)
    schema = arrow_schema(kind, columns)
    json_columns = _json_columns(table)
    if connection.dialect.name == "sqlite":
        return _read_arrow_sqlite(connection, table.name, schema, json_columns)
    selected = [table.c[name] for name in schema.names]
    query = select(*selected).order_by(table.c.id)
    result = connection.execution_options(yield_per=50_000).execute(query)
    batches: list[pa.RecordBatch] = []
    for partition in result.partitions():
        data = list(zip(*partition, strict=True))
        arrays = []
        for name, values in zip(schema.names, data, strict=True):
            column = (
                [json.dumps(v, separators=(",", ":")) if v is not None else None for v in values]
                if name in json_columns
                else values
            )
            arrays.append(pa.array(column, type=schema.field(name).type))
        batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def read_open_accounts(connection: Connection, columns: Sequence[str] | None = None) -> pa.Table:
    """The accounts that are not closed (``closed_on`` null), as :func:`read_arrow` reads
    them: ``columns`` (default: all, ``closed_on`` among them)."""
    wanted = list(columns) if columns is not None else None
    read = (
        None if wanted is None else [*wanted, *(["closed_on"] if "closed_on" not in wanted else [])]
    )
    data = read_arrow(connection, "accounts", read)
    data = data.filter(pc.is_null(data.column("closed_on")))
    if wanted is not None and "closed_on" not in wanted:
        data = data.drop_columns(["closed_on"])
    return data


def _read_arrow_sqlite(
    connection: Connection, table: str, schema: pa.Schema, json_columns: set[str]
) -> pa.Table:
    """SQLite through the driver's own cursor: Arrow parses the stored ISO dates and 0/1
    booleans column by column, several times faster than building Python row objects.
    JSON columns are stored as JSON text already."""
    names = ", ".join(f'"{name}"' for name in schema.names)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f'SELECT {names} FROM "{table}"')
        batches: list[pa.RecordBatch] = []
        while rows := cursor.fetchmany(100_000):
            arrays = []
            for index, field in enumerate(schema):
                values = [row[index] for row in rows]
                if field.name in json_columns:
                    values = [None if v in (None, "null") else v for v in values]
                arrays.append(_sqlite_column(values, field.type))
            batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    finally:
        cursor.close()
    return pa.Table.from_batches(batches, schema=schema)


def _sqlite_column(values: list[object], arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_date32(arrow_type) or pa.types.is_timestamp(arrow_type):
        text = pa.array(values, type=pa.string())
        if pa.types.is_timestamp(arrow_type):
            text = pc.replace_substring(text, " ", "T")
        return text.cast(arrow_type)
    if pa.types.is_boolean(arrow_type):
        return pa.array(values, type=pa.int64()).cast(pa.bool_())
    return pa.array(values, type=arrow_type)


def count_rows(connection: Connection, kind: str) -> int:
    table = record_table(kind)
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
