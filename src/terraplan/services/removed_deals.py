"""Opportunities the CRM deleted since an earlier import: deleted here too.

Pipedrive's deal exports keep deleted deals (status ``deleted``); the import leaves such rows
out (:func:`terraplan.io.kind_checks.check_kind`) and names their ids in the report's
``details["removed_ids"]``. A deal imported open last week and deleted since would otherwise
stay stored as open, in the pipeline for good (no command deletes an opportunity): the import
deletes the stored ones in its own transaction and says how many.
"""

from __future__ import annotations

from terraplan.io.report import ImportReport, counted
from terraplan.storage.unit_of_work import UnitOfWork


def remove_deleted_deals(uow: UnitOfWork, kind: str, report: ImportReport) -> list[str]:
    """Delete the stored opportunities among ``report``'s removed ids (in ``uow``, which the
    caller commits); their ids, sorted."""
    ids = report.details.get("removed_ids") or []
    if kind != "opportunities" or not ids:
        return []
    records = uow.records(kind)
    stored = sorted(records.stored_among(str(i) for i in ids))
    if stored:
        records.delete_ids(stored)
    return stored


def removed_note(deleted: list[str]) -> str | None:
    """The note saying how many stored opportunities were deleted, and one of them."""
    if not deleted:
        return None
    many = len(deleted) != 1
    return (
        f"{counted(len(deleted), 'opportunity', 'opportunities')} stored by an earlier import"
        f" {'are' if many else 'is'} deleted: the CRM marks {'them' if many else 'it'} as"
        f" deleted now (e.g. {min(deleted)})"
    )
