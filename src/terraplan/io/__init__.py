"""File formats and CRM shapes: importers, validation reports and exporters.

Typical use::

    from terraplan.io import load_file, iter_record_batches

    result = load_file("accounts.csv", "accounts", known_ids={"reps": rep_ids})
    print(result.report.summary())
    if result.report.ok:
        for batch in iter_record_batches(result.frame):
            ...  # bulk insert

Submodules are imported on first use (polars is not loaded by ``import terraplan.io``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from terraplan.io.canonical import canonical_schema
    from terraplan.io.loading import load_file
    from terraplan.io.mapping import ColumnMap, load_mapping
    from terraplan.io.readers import SourceTable, read_table
    from terraplan.io.records import (
        iter_record_batches,
        iter_records,
        records_to_frame,
        to_domain,
    )
    from terraplan.io.report import ImportIssue, ImportReport
    from terraplan.io.schema import KINDS
    from terraplan.io.table_source import TableSource, iter_source_tables, parse_source
    from terraplan.io.validation import ValidationResult, validate
    from terraplan.io.writers import write_table

_EXPORTS = {
    "load_file": "loading",
    "ColumnMap": "mapping",
    "load_mapping": "mapping",
    "SourceTable": "readers",
    "read_table": "readers",
    "iter_record_batches": "records",
    "iter_records": "records",
    "records_to_frame": "records",
    "to_domain": "records",
    "ImportIssue": "report",
    "ImportReport": "report",
    "KINDS": "schema",
    "TableSource": "table_source",
    "iter_source_tables": "table_source",
    "parse_source": "table_source",
    "ValidationResult": "validation",
    "canonical_schema": "canonical",
    "validate": "validation",
    "write_table": "writers",
}

__all__ = [
    "KINDS",
    "ColumnMap",
    "ImportIssue",
    "ImportReport",
    "SourceTable",
    "TableSource",
    "ValidationResult",
    "canonical_schema",
    "iter_record_batches",
    "iter_records",
    "iter_source_tables",
    "load_file",
    "load_mapping",
    "parse_source",
    "read_table",
    "records_to_frame",
    "to_domain",
    "validate",
    "write_table",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'terraplan.io' has no attribute {name!r}")
    return getattr(importlib.import_module(f"terraplan.io.{module}"), name)
