"""Explicit mapping between domain objects and table records (plain dicts)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any, TypeVar

from terraplan.domain import (
    Account,
    AcquisitionCost,
    GeoKind,
    GeoUnit,
    Lead,
    Opportunity,
    Rep,
    RepRole,
    SalesLine,
    Target,
)

#: Domain class of each record kind.
RECORD_CLASSES: Mapping[str, type[Any]] = {
    "accounts": Account,
    "leads": Lead,
    "reps": Rep,
    "geo_units": GeoUnit,
    "sales_lines": SalesLine,
    "opportunities": Opportunity,
    "targets": Target,
    "acquisition_costs": AcquisitionCost,
}

_TUPLE_FIELDS = {"skills_industries", "skills_segments", "skills_products", "neighbours"}
_ENUMS: Mapping[str, type[Enum]] = {"role": RepRole, "kind": GeoKind}

T = TypeVar("T")


def to_record(obj: Any) -> dict[str, Any]:
    """A domain object as a table record: enums as values, tuples as lists."""
    record: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        record[field.name] = value
    return record


def from_record(kind: str, record: Mapping[str, Any]) -> Any:
    """A table record (row mapping) as the domain object of ``kind``."""
    cls = RECORD_CLASSES[kind]
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name not in record:
            continue
        value = record[field.name]
        if isinstance(value, str) and field.name in {"attributes", "polygon"} | _TUPLE_FIELDS:
            value = json.loads(value)
        if field.name in _TUPLE_FIELDS:
            value = tuple(value or ())
        elif field.name == "attributes":
            value = {k: v for k, v in (value or {}).items() if v is not None}
        elif field.name in _ENUMS and value is not None and kind in ("reps", "geo_units"):
            value = _ENUMS[field.name](value)
        elif isinstance(value, str) and field.type in ("date", "date | None") and value:
            value = date.fromisoformat(value)
        values[field.name] = value
    return cls(**values)
