"""The CRM modification times stored with records (``crm_modified_at``) and with the records
the CRM deleted (:class:`CrmDeletionRow`): what a nightly delta's rows are compared with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from terraplan.storage.bulk import record_table
from terraplan.storage.orm import CrmDeletionRow

#: Ids asked per query (SQLite allows 32,766 parameters; PostgreSQL more).
_CHUNK = 5_000


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    values = sorted(set(ids))
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def stored_stamps(connection: Connection, kind: str, ids: Iterable[str]) -> dict[str, datetime]:
    """``id -> the latest modification time stored`` for those of ``ids`` stored with one:
    the record's own, or its deletion's when the CRM deleted it later (or it is gone)."""
    table = record_table(kind)
    deletions = CrmDeletionRow.__table__
    found: dict[str, datetime] = {}
    for chunk in _chunks(ids):
        rows = connection.execute(
            select(table.c.id, table.c.crm_modified_at).where(
                table.c.id.in_(chunk), table.c.crm_modified_at.is_not(None)
            )
        )
        found.update({row[0]: row[1] for row in rows})
        gone = connection.execute(
            select(deletions.c.id, deletions.c.modified_at).where(
                deletions.c.kind == kind, deletions.c.id.in_(chunk)
            )
        )
        for record_id, stamp in gone:
            if record_id not in found or stamp > found[record_id]:
                found[record_id] = stamp
    return found


def remember_deletions(connection: Connection, kind: str, stamps: Mapping[str, datetime]) -> None:
    """Keep each deleted record's modification time (the later one when one is stored)."""
    if not stamps:
        return
    deletions = CrmDeletionRow.__table__
    latest = dict(stamps)
    for chunk in _chunks(stamps):
        rows = connection.execute(
            select(deletions.c.id, deletions.c.modified_at).where(
                deletions.c.kind == kind, deletions.c.id.in_(chunk)
            )
        )
        for record_id, stamp in rows:
            latest[record_id] = max(stamp, latest[record_id])
        connection.execute(
            delete(CrmDeletionRow).where(deletions.c.kind == kind, deletions.c.id.in_(chunk))
        )
    connection.execute(
        insert(CrmDeletionRow),
        [{"kind": kind, "id": i, "modified_at": t} for i, t in sorted(latest.items())],
    )
