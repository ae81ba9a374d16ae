"""Records the CRM deleted: left out of an import, and removed when stored.

A Salesforce export that includes deleted records (the weekly Data Export, a ``queryAll``
extract, Data Loader's "Export All") holds them beside the live ones with ``IsDeleted`` true.
Kept, a deleted lead would be routed, audited by ``rules check`` and counted in lead
conversion (spam, test submissions, merged duplicates), and a deleted opportunity or line item
would count as revenue, pipeline and wins. An import of leads, opportunities or sales lines
reads the flag (field ``deleted``), writes only the live rows and removes a stored record the
file says is deleted, with one note counting both. (Accounts have their own ways to be closed:
:mod:`terraplan.services.account_status`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import delete

from terraplan.io.report import counted_records
from terraplan.storage.orm import LeadRow, OpportunityRow, SalesLineRow
from terraplan.storage.unit_of_work import UnitOfWork

#: The import-only field holding the CRM's deleted flag (``IsDeleted``).
DELETED_FIELD = "deleted"
#: The kinds whose rows may carry it, and their tables.
DELETABLE: dict[str, type[LeadRow] | type[OpportunityRow] | type[SalesLineRow]] = {
    "leads": LeadRow,
    "opportunities": OpportunityRow,
    "sales_lines": SalesLineRow,
}
_CHUNK = 500  # ids per DELETE statement (SQLite's variable limit)
_COUNTS_IN = {
    "leads": "no routing audit or lead KPI counts",
    "opportunities": "no revenue, pipeline, win rate or lead KPI counts",
    "sales_lines": "no revenue counts",
}


@dataclass(frozen=True)
class DeletedRecords:
    """Records of ``kind`` an import left out as deleted in the CRM, and how many stored
    ones it removed."""

    kind: str
    ids: tuple[str, ...] = ()
    removed: int = 0

    def notes(self) -> list[str]:
        if not self.ids:
            return []
        count = len(self.ids)
        sample = ", ".join(self.ids[:3]) + (", ..." if count > 3 else "")
        one = count == 1
        if not self.removed:
            were = ""
        elif one:
            were = "; it was stored and is removed"
        else:
            were = (
                f"; {self.removed:,} of them {'was' if self.removed == 1 else 'were'} stored "
                f"and {'is' if self.removed == 1 else 'are'} removed"
            )
        return [
            f"{counted_records(count, self.kind)} {'is' if one else 'are'} deleted in the CRM "
            f"(IsDeleted true: {sample}): left out of the import, so that "
            f"{_COUNTS_IN[self.kind]} {'it' if one else 'them'}{were}"
        ]

    def __add__(self, other: DeletedRecords) -> DeletedRecords:
        return DeletedRecords(self.kind, self.ids + other.ids, self.removed + other.removed)


def split_deleted(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The rows to write (without the flag column) and the ids of the rows flagged deleted."""
    if DELETED_FIELD not in frame.columns:
        return frame, ()
    flagged = pl.col(DELETED_FIELD).eq(True).fill_null(False)
    ids = tuple(str(v) for v in frame.filter(flagged)["id"].to_list())
    return frame.filter(~flagged).drop(DELETED_FIELD), ids


def remove_deleted(uow: UnitOfWork, kind: str, ids: Sequence[str]) -> DeletedRecords:
    """Remove the stored records of ``kind`` among ``ids`` (in the caller's transaction)."""
    table = DELETABLE[kind]
    removed = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        result = uow.session.execute(delete(table).where(table.id.in_(chunk)))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return DeletedRecords(kind, tuple(ids), removed)
