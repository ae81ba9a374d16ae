"""Effective-dated ownership: who owned a record (account), in which territory, on any day.

Periods are appended when a plan becomes active and closed (``valid_to`` set) when the next
active plan changes the record's territory or owner; nothing is overwritten. At most one
period per record is open (``valid_to`` NULL). Call inside the activation's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, delete, insert, or_, select, update

from terraplan.errors import ConflictError
from terraplan.storage.orm import OwnershipPeriodRow


@dataclass(frozen=True, slots=True)
class OwnershipPeriod:
    record_kind: str
    record_id: str
    territory_id: str | None
    territory_name: str | None
    owner_id: str | None
    plan_id: str
    valid_from: date
    valid_to: date | None


def _period(row: Any) -> OwnershipPeriod:
    return OwnershipPeriod(
        row.record_kind,
        row.record_id,
        row.territory_id,
        row.territory_name,
        row.owner_id,
        row.plan_id,
        row.valid_from,
        row.valid_to,
    )


def record_ownership(
    connection: Connection,
    plan_id: str,
    start: date,
    owners: Mapping[str, tuple[str | None, str | None, str | None]],
    *,
    record_kind: str = "account",
) -> tuple[int, int]:
    """From ``start``, ``record id -> (territory id, territory name, owner id)``.

    Open periods that differ are closed the day before ``start`` (a period that would end
    before it began is removed: a plan activated again the same day replaces it); records
    whose territory (id and name) and owner stay the same keep their open period, so a
    renamed territory opens one (an account kept by its owner read as in the archived
    plan's territory, by its old name, for good). The plan is not compared: plans of
    overlapping scopes would take an account's period from each other at every activation.
    Returns ``(opened, closed)``.
    """
    table = cast(Table, OwnershipPeriodRow.__table__)
    current = {
        row.record_id: row
        for row in connection.execute(
            select(table).where(table.c.record_kind == record_kind, table.c.valid_to.is_(None))
        )
    }
    end = start - timedelta(days=1)
    to_close: list[int] = []
    to_drop: list[int] = []
    later: list[Any] = []
    opened = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for record_id, (territory_id, territory_name, owner_id) in owners.items():
        row = current.get(record_id)
        kept = (territory_id, territory_name, owner_id)
        if row is not None and (row.territory_id, row.territory_name, row.owner_id) == kept:
            continue
        if row is not None:
            if row.valid_from > start:
                later.append(row)
            (to_drop if row.valid_from > end else to_close).append(row.id)
        opened.append(
            {
                "record_kind": record_kind,
                "record_id": record_id,
                "territory_id": territory_id,
                "territory_name": territory_name,
                "owner_id": owner_id,
                "plan_id": plan_id,
                "valid_from": start,
                "valid_to": None,
                "recorded_at": now,
            }
        )
    if later:
        # History is not rewritten: a period that began after ``start`` would be deleted
        # and the sales of its days credited again.
        first = max(later, key=lambda r: r.valid_from)
        since = first.valid_from
        raise ConflictError(
            f"plan {plan_id} cannot take effect on {start}: {len(later):,} {record_kind}(s) "
            f"have an owner recorded from a later day (e.g. {first.record_id} since {since}, "
            f"plan {first.plan_id}); ownership history is not rewritten: take effect on "
            f"{since} or later",
            details={"plan_id": plan_id, "effective_from": start.isoformat(),
                     "earliest": since.isoformat(), "records": len(later)},
        )  # fmt: skip
    for chunk in _chunks(to_close):
        connection.execute(update(table).where(table.c.id.in_(chunk)).values(valid_to=end))
    for chunk in _chunks(to_drop):
        connection.execute(table.delete().where(table.c.id.in_(chunk)))
    if opened:
        connection.execute(insert(table), opened)
    return len(opened), len(to_close)


def _chunks(ids: list[int], size: int = 900) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def history(
    connection: Connection, record_id: str, *, record_kind: str = "account"
) -> list[OwnershipPeriod]:
    """Every period of one record, oldest first."""
    table = cast(Table, OwnershipPeriodRow.__table__)
    rows = connection.execute(
        select(table)
        .where(table.c.record_kind == record_kind, table.c.record_id == record_id)
        .order_by(table.c.valid_from, table.c.id)
    )
    return [_period(row) for row in rows]


def owner_on(
    connection: Connection, record_id: str, day: date, *, record_kind: str = "account"
) -> OwnershipPeriod | None:
    """The period covering ``day`` (None before the first activation)."""
    table = cast(Table, OwnershipPeriodRow.__table__)
    row = connection.execute(
        select(table)
        .where(
            table.c.record_kind == record_kind,
            table.c.record_id == record_id,
            table.c.valid_from <= day,
            or_(table.c.valid_to.is_(None), and_(table.c.valid_to >= day)),
        )
        .order_by(table.c.valid_from.desc())
        .limit(1)
    ).first()
    return None if row is None else _period(row)


def clear_history(connection: Connection) -> None:
    """Delete every ownership period: only for starting a database over (the demo's reset),
    where the accounts and plans the periods name are deleted too."""
    connection.execute(delete(OwnershipPeriodRow))
