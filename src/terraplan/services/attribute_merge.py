"""Custom attributes of an update: the file's columns change, the others are kept.

An accounts or leads file keeps its extra columns as the record's custom attributes (one
JSON object). A file updating stored records (a CRM's nightly delta: ``Id, Name,
LastModifiedDate``) names only some of them: the attributes it has no column for keep their
stored values, as every other field the file has no column for does (README, "Atomic").
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from terraplan.storage.unit_of_work import UnitOfWork

#: The JSON column holding custom attributes.
ATTRIBUTES = "attributes"


def merge_stored_attributes(uow: UnitOfWork, kind: str, data: pa.Table) -> pa.Table:
    """``data`` (rows updating stored records, attributes as JSON text) with each row's
    attributes laid over the stored ones: a key the file carries (even blank) wins, a
    stored key it does not carry is kept."""
    if ATTRIBUTES not in data.column_names or not data.num_rows:
        return data
    ids = [str(i) for i in data.column("id").to_pylist()]
    stored = uow.records(kind).json_values(ids, ATTRIBUTES)
    merged = [
        _merged(stored.get(record_id), text)
        for record_id, text in zip(ids, data.column(ATTRIBUTES).to_pylist(), strict=True)
    ]
    position = data.column_names.index(ATTRIBUTES)
    return data.set_column(position, ATTRIBUTES, pa.array(merged, type=pa.string()))


def _merged(stored: Any, text: str | None) -> str | None:
    old = _as_dict(stored)
    new = _as_dict(text)
    if not old:
        return text
    return json.dumps({**old, **new}, ensure_ascii=False, separators=(",", ":"))


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    loaded = json.loads(value) if isinstance(value, str) and value else None
    return loaded if isinstance(loaded, dict) else {}
