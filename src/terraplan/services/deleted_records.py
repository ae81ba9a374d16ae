"""Records the CRM deleted, as an import says them: Salesforce's ``IsDeleted``, Pipedrive's
deal status ``deleted``.

A nightly delta taken with ``queryAll`` (Data Loader's "Export All", the Bulk API) holds the
rows deleted since the last run with ``IsDeleted = true`` (a merge's losers too, naming their
``MasterRecordId``); Pipedrive's deal exports keep deleted deals. An account is then closed,
as an inactive row is (:mod:`terraplan.services.account_status`): its history stays. An
opportunity deleted in the CRM is no deal at all, and a deleted lead no lead: validation
leaves such rows out (:mod:`terraplan.io.kind_checks`, ids in the report's
``details["removed_ids"]``) and the import removes the stored ones here, in its own
transaction, so they leave the pipeline, revenue, win rate and lead conversion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from terraplan.io.report import ImportReport
from terraplan.io.schema import kind_spec
from terraplan.storage.unit_of_work import UnitOfWork

#: The import-only field holding the flag.
DELETED = "deleted"

#: How the notes name the removed records of each kind whose deleted rows remove the stored
#: record (``KindSpec.removes_deleted``; accounts are closed instead), and what they leave.
_WORDS = {
    "opportunities": ("opportunity", "the pipeline, revenue and win rate"),
    "leads": ("lead", "the lead counts, conversion and routing audits"),
    "sales_lines": ("sales line", "revenue"),
}


@dataclass(frozen=True, slots=True)
class Removed:
    """What an import removed: the rows flagged deleted and how many of them were stored."""

    kind: str = "opportunities"
    flagged: int = 0
    removed: int = 0
    sample: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """What was removed (the import's warnings already say which rows were left out)."""
        if not self.removed:
            return []
        singular, leaves = _WORDS.get(self.kind, (self.kind, "the KPIs"))
        noun = singular if self.removed == 1 else self.kind.replace("_", " ")
        return [
            f"{self.removed:,} {noun} stored by an earlier import removed: the CRM deleted "
            f"{'it' if self.removed == 1 else 'them'} (e.g. {', '.join(self.sample)}), so "
            f"{'it leaves' if self.removed == 1 else 'they leave'} {leaves}"
        ]


def removed_ids(kind: str, report: ImportReport) -> list[str]:
    """The ids of the rows ``report``'s validation left out as deleted in the CRM (flagged
    ``IsDeleted``, or a deal whose stage reads ``deleted``), for a kind whose deleted rows
    remove the stored record."""
    if not kind_spec(kind).removes_deleted:
        return []
    return [str(i) for i in report.details.get("removed_ids") or []]


def remove_deleted(uow: UnitOfWork, kind: str, ids: Sequence[str]) -> Removed:
    """Delete the stored records of ``ids`` in the caller's transaction."""
    if not ids:
        return Removed(kind=kind)
    wanted = sorted(set(ids))
    stored = sorted(uow.records(kind).stored_among(wanted))
    if stored:
        uow.records(kind).delete_ids(stored)
    return Removed(kind=kind, flagged=len(wanted), removed=len(stored), sample=tuple(stored[:3]))
