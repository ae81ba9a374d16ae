"""Between canonical frames and Python: record dicts for bulk inserts, domain objects.

A *record* is a dict keyed by canonical field name with Python values: ``str``, ``float``,
``int``, ``bool``, ``datetime.date``, ``None``; ``attributes`` a ``dict`` (attributes without
a value left out), tuple fields and ``neighbours`` a ``list[str]``, ``polygon`` a ``dict`` or
``None``. Enum fields (``Rep.role``, ``GeoUnit.kind``) are their string values.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from enum import Enum
from typing import Any

import polars as pl

from terraplan.errors import InvalidParameterError
from terraplan.io.canonical import canonical_schema
from terraplan.io.schema import kind_of, kind_spec


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    attributes = record.get("attributes", ...)
    if attributes is not ...:
        record["attributes"] = (
            {k: v for k, v in attributes.items() if v is not None} if attributes else {}
        )
    polygon = record.get("polygon")
    if isinstance(polygon, str):
        record["polygon"] = json.loads(polygon)
    return record


def iter_record_batches(
    frame: pl.DataFrame, batch_size: int = 10_000
) -> Iterator[list[dict[str, Any]]]:
    """Lists of at most ``batch_size`` records (see the module docstring), in frame order.

    Suited to ``session.execute(insert(table), batch)``; memory stays at one batch.
    """
    if batch_size < 1:
        raise InvalidParameterError(
            "batch_size must be >= 1", details={"parameter": "batch_size", "value": batch_size}
        )
    for chunk in frame.iter_slices(batch_size):
        yield [_clean(r) for r in chunk.to_dicts()]


def iter_records(frame: pl.DataFrame, batch_size: int = 10_000) -> Iterator[dict[str, Any]]:
    """One record dict per row of ``frame`` (converted ``batch_size`` rows at a time)."""
    for batch in iter_record_batches(frame, batch_size):
        yield from batch


def to_domain(frame: pl.DataFrame, kind: str) -> list[Any]:
    """Domain objects (:class:`Account`, :class:`Rep`...) of the rows of a canonical frame.

    Meant for small data (tests, a few thousand rows); use :func:`iter_record_batches` for
    bulk inserts.
    """
    spec = kind_spec(kind)
    converters: dict[str, Any] = {}
    for field in dataclasses.fields(spec.domain_class):
        if spec.names.count(field.name) == 0:
            continue
        field_spec = spec.field(field.name)
        if field_spec.type == "list":
            converters[field.name] = tuple
        elif field_spec.type == "enum":
            converters[field.name] = _enum_class(spec.domain_class, field.name)
    # Fields of the file that are not the domain class's own (an account's ``active``)
    names = set(spec.names) & {field.name for field in dataclasses.fields(spec.domain_class)}
    out = []
    for record in iter_records(frame):
        values = {k: v for k, v in record.items() if k in names}
        if kind == "accounts" and record.get("deleted"):
            # deleted in the CRM: closed as an inactive row is (today, unless dated)
            values["closed_on"] = values.get("closed_on") or date.today()
        elif kind == "accounts" and record.get("active") is not None:
            # as an import reads the flag: active is open, inactive closed (today, unless dated)
            if record["active"]:
                values["closed_on"] = None
            elif not values.get("closed_on"):
                values["closed_on"] = date.today()
        for name, convert in converters.items():
            if values.get(name) is not None:
                values[name] = convert(values[name])
        out.append(spec.domain_class(**values))
    return out


def _enum_class(domain_class: type, name: str) -> type[Enum]:
    from typing import get_type_hints

    hint = get_type_hints(domain_class)[name]
    assert isinstance(hint, type) and issubclass(hint, Enum)
    return hint


def _record_of(item: object) -> dict[str, Any]:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    if isinstance(item, Mapping):
        return dict(item)
    raise InvalidParameterError(
        f"cannot export a {type(item).__name__}; give records as dicts or domain objects",
        details={"parameter": "data"},
    )


def records_to_frame(records: Iterable[object], kind: str | None = None) -> pl.DataFrame:
    """A canonical frame of ``kind`` from domain objects or record dicts.

    ``kind`` defaults to the kind of the first domain object. Missing fields are null;
    attribute types are taken per attribute (mixed types become text).
    """
    items = list(records)
    if kind is None:
        if not items:
            raise InvalidParameterError("kind is required for an empty list", details={})
        kind = kind_of(items[0])
    spec = kind_spec(kind)
    rows = [_record_of(item) for item in items]
    attribute_names: list[str] = []
    for row in rows:
        for key in row.get("attributes") or {}:
            if key not in attribute_names:
                attribute_names.append(key)
    attributes: dict[str, pl.Series] = {}
    for name in attribute_names:
        values = [(row.get("attributes") or {}).get(name) for row in rows]
        attributes[name] = _attribute_series(name, values)
    schema = canonical_schema(kind, {n: s.dtype for n, s in attributes.items()})
    columns: dict[str, pl.Series] = {}
    for field in spec.fields:
        name = field.name
        if field.import_only:
            continue  # not a stored field: an export holds what the records hold
        if field.type == "attributes":
            if attributes:
                columns[name] = pl.struct(list(attributes.values()), eager=True).alias(name)
            else:
                columns[name] = pl.Series(name, [None] * len(rows), dtype=pl.Struct({}))
            continue
        values = [_plain(row.get(name, field.default), field.type) for row in rows]
        columns[name] = pl.Series(name, values, dtype=schema[name])
    return pl.DataFrame(columns)


def _attribute_series(name: str, values: Sequence[object]) -> pl.Series:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int} or kinds <= {bool} or kinds <= {str}:
        return pl.Series(name, values)
    if kinds <= {int, float}:
        return pl.Series(name, [None if v is None else float(v) for v in values])  # type: ignore[arg-type]
    return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)


def _plain(value: Any, field_type: str) -> Any:
    if value is None:
        return [] if field_type == "list" else None
    if isinstance(value, Enum):
        return value.value
    if field_type == "list":
        return list(value)
    if field_type == "json" and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"))
    return value
