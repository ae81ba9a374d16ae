"""An import with no row to write: a quiet night's delta (a header and no rows), or a delta
whose every row is already stored as new or newer (loaded late, or twice).

Nothing is written and the import succeeds, saying so; it is logged as any import is. A file
with no rows imported to close what it leaves out (``close_missing``, a full export) is
refused instead: it would close every open account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from terraplan.errors import DataError
from terraplan.io.readers import SourceTable
from terraplan.io.report import ImportReport
from terraplan.services.delta_stamps import Unchanged, stamp_columns
from terraplan.storage.database import Database
from terraplan.storage.orm import ImportRunRow
from terraplan.storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from terraplan.services.imports import ImportOutcome, OnError


def no_rows(
    db: Database,
    table: SourceTable,
    *,
    on_error: OnError,
    close_missing: bool = False,
    unchanged: Unchanged | None = None,
) -> ImportOutcome:
    """The outcome of importing ``table`` when none of its rows is left to write:
    ``unchanged`` says which rows were left out as not newer than the stored records (none:
    the file has no data rows)."""
    from terraplan.services.imports import ImportOutcome

    if unchanged is None and close_missing:
        raise DataError(
            f"{table.file}: the file has no data rows; closing the accounts it leaves out "
            "would close every open account, so nothing was imported (a full export holds "
            "every open account)",
            details={"file": table.file, "field": "close_missing"},
        )
    ignored = tuple(f"column {c!r} maps to no field" for c in stamp_columns(table))
    read = len(unchanged.ids) if unchanged is not None else 0
    report = ImportReport(
        file=table.file,
        kind=table.kind,
        rows_read=read,
        # a time column is read, not ignored (:mod:`terraplan.services.delta_stamps`)
        warnings=[w for w in table.warnings if not w.startswith(ignored)],
        columns={column: field for field, column in reversed(table.columns.fields.items())},
    )
    if unchanged is not None:
        report.details["unchanged_ids"] = sorted(set(unchanged.ids))
        notes = tuple(unchanged.notes())
    else:
        what = table.kind.replace("_", " ")
        notes = (
            f"no {what} imported, as the file has no data rows (a delta of a night without "
            "changes)",
        )
    with UnitOfWork(db) as uow:
        uow.session.add(
            ImportRunRow(
                kind=table.kind,
                source=table.file,
                rows_read=read,
                accepted=0,
                rejected=0,
                on_error=on_error,
                finished_at=datetime.now(UTC).replace(tzinfo=None),
                currency=None,
            )
        )
        uow.commit()
    return ImportOutcome(report=report, written=0, on_error=on_error, notes=notes)
