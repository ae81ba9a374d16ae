"""DataFrames in and out: pandas or Polars frames to validated records, results to frames.

A frame passed where the library takes records has the import columns (our field names, or
the Salesforce names a file import recognises, or a ``mapping``); it is checked by the same
validation as a file (:func:`terraplan.io.validation.validate`), so a bad cell is reported
with its row index, column and reason. Rows are named by the frame's index: a pandas index
of integers as it is (``df.loc[row]`` finds the row), else the position from 0 (Polars
frames, other pandas indexes).

pandas is optional: it is imported only when a pandas frame comes in or ``library="pandas"``
goes out.
"""

from __future__ import annotations

import decimal
import numbers
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.currency import Currencies
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.mapping import load_mapping, resolve_columns
from terraplan.io.parsing import Decimal
from terraplan.io.readers import MAX_COLUMNS, ROW, SourceTable, cells_as_text
from terraplan.io.records import records_to_frame, to_domain
from terraplan.io.schema import kind_spec
from terraplan.io.validation import ValidationResult, validate

Library = Literal["pandas", "polars"]


def is_frame(value: object) -> bool:
    """Whether ``value`` is a pandas or Polars DataFrame (without importing pandas)."""
    if isinstance(value, pl.DataFrame | pl.LazyFrame):
        return True
    module = type(value).__module__
    return module.split(".", 1)[0] in ("pandas", "geopandas") and hasattr(value, "columns")


def as_polars(frame: Any, name: str = "frame") -> tuple[pl.DataFrame, pl.Series]:
    """A Polars copy of a pandas/Polars ``frame`` and the row names (see the module docstring).

    A column of mixed values (text and numbers, as ``pandas.read_excel`` gives for an export
    whose cells are partly typed as text) becomes text; its numbers read as a typed number
    column's do (``3000.0`` -> ``"3000"``). Raises :class:`DataError` for a value that is not
    a DataFrame.
    """
    data, rows, numbers = _converted(frame, name)
    if numbers:
        data = _with_numbers(data.with_columns(rows.alias(ROW)), numbers)[0].drop(ROW)
    return data, rows


def _converted(frame: Any, name: str) -> tuple[pl.DataFrame, pl.Series, dict[str, pl.Series]]:
    """:func:`as_polars` before the numbers of mixed columns are written in: per mixed
    column, its cells that are non-whole numbers are null and held apart as floats."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if isinstance(frame, pl.DataFrame):
        rows = pl.int_range(0, frame.height, dtype=pl.Int64, eager=True)
        mixed = [c for c, t in frame.schema.items() if t == pl.Object]
        if not mixed:
            return frame, rows, {}
        columns = {c: _mixed_column(c, frame[c].to_list()) for c in mixed}
        written = frame.with_columns(text for text, _ in columns.values())
        return written, rows, {c: numbers for c, (_, numbers) in columns.items()}
    if not is_frame(frame):
        raise DataError(
            f"{name}: expected a pandas or Polars DataFrame, got {type(frame).__name__}",
            details={"file": name, "reason": "not a DataFrame"},
        )
    if "geometry" in frame.columns and hasattr(frame, "to_wkt"):  # a GeoDataFrame
        frame = frame.drop(columns=["geometry"])
    index = frame.index
    rows = (
        pl.Series(ROW, [int(i) for i in index], dtype=pl.Int64)
        if index.dtype.kind in "iu"
        else pl.int_range(0, len(frame), dtype=pl.Int64, eager=True)
    )
    plain = frame.reset_index(drop=True)
    plain.columns = [str(c) for c in plain.columns]
    try:
        return pl.from_pandas(plain), rows, {}
    except Exception:  # a column of mixed types: only that column is read as text
        pass
    series: list[pl.Series] = []
    numbers: dict[str, pl.Series] = {}
    for position, column in enumerate(plain.columns):
        values = plain.iloc[:, position]
        try:
            typed = pl.Series(column, pl.from_pandas(values))
        except Exception:
            cells = values.astype(object)
            typed, numbers[column] = _mixed_column(column, cells.where(cells.notna(), None))
        series.append(typed)
    return pl.DataFrame(series), rows, numbers


def _mixed_column(name: str, values: Iterable[object]) -> tuple[pl.Series, pl.Series]:
    """A column of mixed values as text, and apart its non-integer numbers as floats.

    Such numbers were typed, like an XLSX number cell: their Python text (``3000.0``) shows
    no decimal separator of the source, so they must not vote on the column's convention
    (``"2,500"`` beside them is read as the column's other text cells say, as in a file).
    Integers read as their digits (an 18-digit id stays exact); everything else as ``str``.
    """
    texts: list[str | None] = []
    floats: list[float | None] = []
    for value in values:
        number = None
        if value is None or isinstance(value, bool):
            text = None if value is None else str(value)
        elif isinstance(value, numbers.Integral):
            text = str(int(value))
        elif isinstance(value, numbers.Real | decimal.Decimal):
            text, number = None, float(value)
        else:
            text = str(value)
        texts.append(text)
        floats.append(number)
    return pl.Series(name, texts, dtype=pl.String), pl.Series(name, floats, dtype=pl.Float64)


def _with_numbers(
    text: pl.DataFrame, numbers: Mapping[str, pl.Series]
) -> tuple[pl.DataFrame, dict[str, list[int]]]:
    """``text`` (with its row column) with the held-apart numbers written in as a typed
    float column's cells are (:func:`cells_as_text`), and the rows of fractional ones."""
    shown, fractional = cells_as_text(pl.DataFrame(list(numbers.values())).with_columns(text[ROW]))
    filled = text.with_columns(pl.coalesce(pl.col(c), shown[c]).alias(c) for c in numbers)
    return filled, fractional


def validate_frame(
    frame: Any,
    kind: str,
    *,
    mapping: Mapping[str, Any] | str | Path | None = None,
    name: str | None = None,
    decimal: Decimal | None = None,
    known_ids: Mapping[str, Collection[str]] | None = None,
    geocoder: ZipDirectory | None = None,
    geocode: bool = True,
    currencies: Currencies | None = None,
) -> ValidationResult:
    """Check every row of a pandas/Polars ``frame`` of ``kind`` records, as a file import does.

    ``name`` is what the report calls the frame (default ``"<kind> DataFrame"``); the other
    parameters are those of :func:`terraplan.io.validation.validate` and
    :func:`terraplan.io.readers.read_table` (``currencies``: the reporting currency and the
    rates converting a money kind's amounts; a frame of several currencies without them is
    refused as a file is). Row problems are in ``result.report``.
    """
    spec = kind_spec(kind)
    label = name or f"{spec.kind} DataFrame"
    data, rows, numbers = _converted(frame, label)
    if data.width > MAX_COLUMNS:
        raise DataError(
            f"{label}: {data.width:,} columns; the limit is {MAX_COLUMNS:,}",
            details={"file": label, "reason": "too many columns"},
        )
    data = data.with_columns(rows.alias(ROW))
    text, fractional = cells_as_text(data)
    if numbers:
        text, typed = _with_numbers(text, numbers)
        fractional |= typed
    mapping_source = "mapping"
    if isinstance(mapping, str | Path):
        mapping_source = str(mapping)
        mapping = load_mapping(mapping)
    headers = [c for c in text.columns if c != ROW]
    columns = resolve_columns(headers, spec.kind, mapping, mapping_source=mapping_source)
    table = SourceTable(
        file=label,
        kind=spec.kind,
        format="dataframe",
        frame=text,
        columns=columns,
        warnings=columns.warnings,
        details={"row": "the DataFrame's row index"},
        decimal=decimal,
        fractional=fractional,
    )
    return validate(
        table, known_ids=known_ids, geocoder=geocoder, geocode=geocode, currencies=currencies
    )


def records(
    frame: Any,
    kind: str,
    *,
    mapping: Mapping[str, Any] | str | Path | None = None,
    name: str | None = None,
    decimal: Decimal | None = None,
    known_ids: Mapping[str, Collection[str]] | None = None,
    geocoder: ZipDirectory | None = None,
    geocode: bool = True,
    currencies: Currencies | None = None,
) -> list[Any]:
    """Domain records (:class:`~terraplan.domain.Account`, ...) of a DataFrame, or of records.

    A sequence of domain objects is returned as a list unchanged. A DataFrame is validated
    (:func:`validate_frame`); any bad row raises :class:`DataError` whose message names the
    first (row index, column, reason) and whose ``details["report"]`` holds them all.
    """
    if not is_frame(frame):
        if isinstance(frame, str | bytes) or not isinstance(frame, Sequence | Collection):
            raise InvalidParameterError(
                f"expected a DataFrame or a list of {kind}, got {type(frame).__name__}",
                details={"parameter": kind},
            )
        return list(frame)
    result = validate_frame(
        frame,
        kind,
        mapping=mapping,
        name=name,
        decimal=decimal,
        known_ids=known_ids,
        geocoder=geocoder,
        geocode=geocode,
        currencies=currencies,
    )
    report = result.report
    if not report.ok:
        first = report.errors[0]
        more = len(report.errors) - 1
        tail = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        where = f"row {first.row}, " if first.row is not None else ""
        what = f"column {first.column!r}: " if first.column else ""
        value = f"value {first.value!r}: " if first.value is not None else ""
        raise DataError(
            f"{report.file}: {where}{what}{value}{first.reason}{tail}",
            details={"file": report.file, "report": report.to_dict()},
        )
    return to_domain(result.frame, kind_spec(kind).kind)


def to_library(frame: pl.DataFrame, library: Library = "pandas") -> Any:
    """``frame`` as a pandas DataFrame (default) or returned as the Polars one."""
    if library == "polars":
        return frame
    if library != "pandas":
        raise InvalidParameterError(
            f"library must be 'pandas' or 'polars', got {library!r}",
            details={"parameter": "library"},
        )
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise InvalidParameterError(
            "pandas is not installed: pip install pandas, or ask for library='polars'",
            details={"parameter": "library"},
        ) from None
    return frame.to_pandas()


def records_frame(items: Sequence[Any], kind: str, library: Library = "pandas") -> Any:
    """Domain records as a DataFrame with the import columns (custom attributes as columns
    of their own, lists joined with ``;``), so that it reads back with :func:`records`."""
    frame = records_to_frame(items, kind)
    if "attributes" in frame.columns:
        dtype = frame.schema["attributes"]
        fields = [f.name for f in dtype.fields] if isinstance(dtype, pl.Struct) else []
        taken = set(frame.columns)
        frame = frame.with_columns(
            pl.col("attributes").struct.field(f).alias(f) for f in fields if f not in taken
        ).drop("attributes")
    lists = [n for n, t in frame.schema.items() if isinstance(t, pl.List)]
    if lists:
        frame = frame.with_columns(pl.col(n).list.join(";") for n in lists)
    return to_library(frame, library)
