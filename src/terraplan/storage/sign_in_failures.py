"""Failed sign-ins, by user name and by client address: written and read by the API's sign-in
throttle (``terraplan.api.login_guard``) so that every server process on one database counts
the same failures. Times are stored as naive UTC, as in every table here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select, tuple_

from terraplan.storage.orm_access import SignInFailureRow

#: What a failure is counted against: ``("name", "ana")`` or ``("client", "10.0.0.1")``.
FailureKey = tuple[str, str]


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def recent_failures(
    connection: Connection, keys: Iterable[FailureKey], since: datetime
) -> dict[FailureKey, list[datetime]]:
    """The failures of each of ``keys`` after ``since``, oldest first (UTC, aware)."""
    wanted = list(keys)
    row = SignInFailureRow
    rows = connection.execute(
        select(row.kind, row.value, row.failed_at)
        .where(tuple_(row.kind, row.value).in_(wanted))
        .where(row.failed_at > _naive(since))
        .order_by(row.failed_at)
    )
    found: dict[FailureKey, list[datetime]] = {key: [] for key in wanted}
    for kind, value, failed_at in rows:
        found[(kind, value)].append(failed_at.replace(tzinfo=UTC))
    return found


def add_failure(
    connection: Connection, keys: Iterable[FailureKey], at: datetime, *, forget_before: datetime
) -> None:
    """Count a failure at ``at`` against each of ``keys``; forget every failure (of anyone)
    from before ``forget_before``, so that the table holds one window's failures at most."""
    row = SignInFailureRow
    connection.execute(delete(row).where(row.failed_at <= _naive(forget_before)))
    connection.execute(
        insert(row),
        [{"kind": kind, "value": value, "failed_at": _naive(at)} for kind, value in keys],
    )


def clear_failures(connection: Connection, key: FailureKey) -> None:
    row = SignInFailureRow
    connection.execute(delete(row).where(row.kind == key[0], row.value == key[1]))
