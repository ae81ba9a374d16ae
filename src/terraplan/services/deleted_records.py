"""Records the CRM deleted, as an import says them: Salesforce's ``IsDeleted``.

A nightly delta taken with ``queryAll`` (Data Loader's "Export All", the Bulk API) holds the
rows deleted since the last run with ``IsDeleted = true`` (a merge's losers too, naming their
``MasterRecordId``). An account is then closed, as an inactive row is
(:mod:`terraplan.services.account_status`): its history stays. An opportunity deleted in the
CRM is no deal at all: the stored one is removed, so it leaves the pipeline, revenue and win
rate, and the row is not written; so is a deleted lead (lead counts and conversion).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import delete

from terraplan.io.schema import kind_spec
from terraplan.storage.bulk import record_table
from terraplan.storage.unit_of_work import UnitOfWork

#: The import-only field holding the flag.
DELETED = "deleted"

#: How the notes name the removed records of each kind whose deleted rows remove the stored
#: record (``KindSpec.removes_deleted``; accounts are closed instead), and what they leave.
_WORDS = {
    "opportunities": ("opportunity", "the pipeline, revenue and win rate"),
    "leads": ("lead", "the lead counts, conversion and routing audits"),
}

#: Ids per DELETE statement (SQLite's parameter limit).
_CHUNK = 900


@dataclass(frozen=True, slots=True)
class Removed:
    """What an import removed: the rows flagged deleted and how many of them were stored."""

    kind: str = "opportunities"
    flagged: int = 0
    removed: int = 0
    sample: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        if not self.flagged:
            return []
        singular, leaves = _WORDS.get(self.kind, (self.kind, "the KPIs"))
        noun = singular if self.flagged == 1 else self.kind.replace("_", " ")
        head = f"{self.flagged:,} {noun} deleted in the CRM (IsDeleted) (e.g. {', '.join(self.sample)})"
        if not self.removed:
            return [f"{head}: none of them was stored, nothing was removed"]
        absent = self.flagged - self.removed
        never = f"; {absent:,} of them were not stored" if absent else ""
        return [f"{head}: {self.removed:,} removed, so they leave {leaves}{never}"]


def split_deleted(
    kind: str, frame: pl.DataFrame, mapped: Collection[str]
) -> tuple[pl.DataFrame, list[str]]:
    """The rows to write and the ids of the rows flagged deleted (a kind whose
    ``KindSpec.removes_deleted`` and a deleted column in the file; else every row, no id)."""
    if not kind_spec(kind).removes_deleted or DELETED not in mapped or DELETED not in frame:
        return frame, []
    flagged = pl.col(DELETED).eq(True).fill_null(False)
    return frame.filter(~flagged), frame.filter(flagged)["id"].to_list()


def remove_deleted(uow: UnitOfWork, kind: str, ids: Sequence[str]) -> Removed:
    """Delete the stored records of ``ids`` in the caller's transaction."""
    if not ids:
        return Removed(kind=kind)
    table = record_table(kind)
    wanted = sorted(set(ids))
    removed = 0
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        result = uow.connection.execute(delete(table).where(table.c.id.in_(chunk)))
        removed += int(result.rowcount or 0)
    return Removed(kind=kind, flagged=len(wanted), removed=removed, sample=tuple(wanted[:3]))
