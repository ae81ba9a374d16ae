"""Leads the CRM deleted: left out of an import, and removed when stored.

A Salesforce export that includes deleted records (the weekly Data Export, a ``queryAll``
extract, Data Loader's "Export All") holds them beside the live leads with ``IsDeleted`` true.
Kept, they would be routed, audited by ``rules check`` and counted in lead conversion, though
marketing removed them (spam, test submissions, merged duplicates). An import reads the flag
(field ``deleted``), writes only the live rows and removes a stored lead the file says is
deleted, with one note counting both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import delete

from terraplan.storage.orm import LeadRow
from terraplan.storage.unit_of_work import UnitOfWork

#: The import-only field holding the CRM's deleted flag (``IsDeleted``).
DELETED_FIELD = "deleted"
_CHUNK = 500  # ids per DELETE statement (SQLite's variable limit)


@dataclass(frozen=True)
class DeletedLeads:
    """Leads an import left out as deleted in the CRM, and how many stored ones it removed."""

    ids: tuple[str, ...] = ()
    removed: int = 0

    def notes(self) -> list[str]:
        if not self.ids:
            return []
        count = len(self.ids)
        sample = ", ".join(self.ids[:3]) + (", ..." if count > 3 else "")
        were = (
            f"; {self.removed:,} of them {'was' if self.removed == 1 else 'were'} stored and "
            f"{'is' if self.removed == 1 else 'are'} removed"
            if self.removed
            else ""
        )
        leads = "1 lead is" if count == 1 else f"{count:,} leads are"
        return [
            f"{leads} deleted in the CRM (IsDeleted true: {sample}): left out of the import, "
            f"so that no routing audit or lead KPI counts {'it' if count == 1 else 'them'}{were}"
        ]

    def __add__(self, other: DeletedLeads) -> DeletedLeads:
        return DeletedLeads(self.ids + other.ids, self.removed + other.removed)


def split_deleted(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The rows to write (without the flag column) and the ids of the rows flagged deleted."""
    if DELETED_FIELD not in frame.columns:
        return frame, ()
    flagged = pl.col(DELETED_FIELD).eq(True).fill_null(False)
    ids = tuple(str(v) for v in frame.filter(flagged)["id"].to_list())
    return frame.filter(~flagged).drop(DELETED_FIELD), ids


def remove_deleted(uow: UnitOfWork, ids: Sequence[str]) -> DeletedLeads:
    """Remove the stored leads among ``ids`` (in the caller's transaction)."""
    removed = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        result = uow.session.execute(delete(LeadRow).where(LeadRow.id.in_(chunk)))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return DeletedLeads(tuple(ids), removed)
