"""Export a record table to CSV, XLSX or Parquet in the shape the importers read back."""

from __future__ import annotations

import json
from pathlib import Path

from terraplan.io.outputs import check_output
from terraplan.io.writers import write_table
from terraplan.storage import bulk
from terraplan.storage.database import Database

_JSON_FIELDS = (
    "attributes",
    "skills_industries",
    "skills_segments",
    "skills_products",
    "neighbours",
    "polygon",
)


def export_records(db: Database, kind: str, path: str | Path, *, overwrite: bool = False) -> int:
    """Write every ``kind`` record to ``path`` (format from the extension); returns the count.

    An existing ``path`` is refused (:class:`ConflictError`) unless ``overwrite``; the file
    is written atomically and text a spreadsheet would run as a formula is neutralised.
    """
    check_output(path, overwrite=overwrite)
    with db.connect() as connection:
        table = bulk.read_arrow(connection, kind)
    records = table.to_pylist()
    for record in records:
        for name in _JSON_FIELDS:
            value = record.get(name)
            if isinstance(value, str):
                record[name] = json.loads(value)
    write_table(records, path, kind=kind, overwrite=overwrite)
    return len(records)
