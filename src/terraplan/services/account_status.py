"""Open and closed accounts, as an accounts import says them.

A CRM export says an account is closed in one of three ways: a close date (``closed_on``:
"Churn Date", "Closed Date"), an active flag (``active``: "Active__c", "IsActive"; an
inactive row is closed on the day of the import, or on the day it was closed before; a row
deleted in the CRM, ``deleted``/"IsDeleted" true, is closed the same way), or by
leaving it out of a full export (``close_missing``: every stored open account the file does
not hold is closed that day). An account a file holds with no such column is open: it is in
the CRM's export, so it is in the CRM (a closed one comes back).

Closed accounts keep their history (sales lines and opportunities, KPIs of past periods) and
are left out of designs, ownership rules, balance and owner update files.
"""

from __future__ import annotations

from collections.abc import Collection, Set
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, bindparam, select, update

from terraplan.errors import DataError
from terraplan.storage.orm import AccountRow

#: Above this share of the stored open accounts, ``close_missing`` is refused: a partial
#: file (one region, a web form) would close most of the book.
MOST_OF_THE_BOOK = 0.5

#: Fields of an accounts file that say whether an account is closed (not written as such):
#: ``deleted`` is Salesforce's ``IsDeleted`` (a deleted or merged-away account), closed as
#: an inactive row is.
STATUS_FIELDS = ("closed_on", "active", "deleted")


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What an accounts import changed in which accounts are closed."""

    closed: int = 0
    reopened: int = 0
    closed_missing: int = 0
    closed_sample: tuple[str, ...] = ()
    #: Rows closing on a day after the import (closed from now on) and rows flagged active
    #: that carry a close date (taken as open); a few ids of each.
    future: tuple[str, ...] = ()
    active_dated: tuple[str, ...] = ()
    future_count: int = 0
    active_dated_count: int = 0
    #: The accounts open again, for the notes that say which plans have yet to place them.
    reopened_ids: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        notes = []
        if self.closed:
            how = (
                f" ({self.closed_missing:,} because the file leaves them out)"
                if self.closed_missing
                else ""
            )
            sample = ", ".join(self.closed_sample)
            notes.append(
                f"{self.closed:,} account(s) closed{how} (e.g. {sample}): their sales and "
                "opportunities stay in the KPIs; designs, rule runs, balance, targets and "
                "owner update files leave them out"
            )
        if self.reopened:
            notes.append(
                f"{self.reopened:,} closed accounts are in this file again and are open again"
            )
        if self.future_count:
            notes.append(
                f"{self.future_count:,} account(s) close on a day after today (e.g. "
                f"{', '.join(self.future)}): they are closed from now on (terraplan keeps no "
                "planned closes); import them without the date until they close"
            )
        if self.active_dated_count:
            notes.append(
                f"{self.active_dated_count:,} account(s) flagged active carry a close date (e.g. "
                f"{', '.join(self.active_dated)}): taken as open, as the flag says"
            )
        return notes


def status_frame(frame: pl.DataFrame, mapped: Collection[str]) -> pl.DataFrame:
    """``id, closed_on, keep`` per row of a validated accounts frame: the close date the row
    asks for (null: open) and whether a stored earlier close date wins (an inactive row
    without a date). ``mapped``: the fields the file has a column for."""
    has_date = "closed_on" in mapped and "closed_on" in frame.columns
    has_flag = "active" in mapped and "active" in frame.columns
    has_deleted = "deleted" in mapped and "deleted" in frame.columns
    closed_on = pl.col("closed_on") if has_date else pl.lit(None, dtype=pl.Date)
    if has_flag or has_deleted:
        # An empty flag says nothing (an export's own file, a CRM's blank cell): the date rules.
        # A deleted row is closed whatever its active flag; ``IsDeleted = false`` says nothing.
        no = pl.lit(False)
        deleted = pl.col("deleted").eq(True).fill_null(False) if has_deleted else no
        flag_off = pl.col("active").eq(False).fill_null(False) if has_flag else no
        flag_on = pl.col("active").eq(True).fill_null(False) if has_flag else no
        inactive = flag_off | deleted
        active = flag_on & ~deleted
        return frame.select(
            "id",
            pl.when(active).then(None).otherwise(closed_on).cast(pl.Date).alias("closed_on"),
            (inactive & closed_on.is_null()).alias("keep"),
            (active & closed_on.is_not_null()).alias("dropped"),
        )
    return frame.select(
        "id",
        closed_on.alias("closed_on"),
        pl.lit(False).alias("keep"),
        pl.lit(False).alias("dropped"),
    )


def no_status() -> pl.DataFrame:
    """A status frame without rows (a source with no accepted account)."""
    return pl.DataFrame(
        schema={"id": pl.String, "closed_on": pl.Date, "keep": pl.Boolean, "dropped": pl.Boolean}
    )


def closed_ids(connection: Connection) -> dict[str, date]:
    """Stored closed accounts: ``id -> closed_on``."""
    rows = connection.execute(
        select(AccountRow.id, AccountRow.closed_on).where(AccountRow.closed_on.is_not(None))
    )
    return {row.id: row.closed_on for row in rows}


def apply_status(
    connection: Connection,
    status: pl.DataFrame,
    *,
    day: date,
    before: Set[str],
    closed_before: dict[str, date],
    close_missing: bool,
    in_file: Set[str],
) -> StatusChange:
    """Write the file's open/closed status in the caller's transaction.

    ``before``: the ids stored before the import; ``closed_before``: those closed then;
    ``in_file``: every id the file holds (refused rows too, so that they are not closed).
    Raises :class:`DataError` when ``close_missing`` would close most of the open book.
    """
    dates: dict[str, date | None] = {}
    future: list[str] = []
    dropped: list[str] = []
    for account_id, closed_on, keep, flagged in status.iter_rows():
        if keep:
            dates[account_id] = closed_before.get(account_id, day)
        else:
            dates[account_id] = closed_on
            if closed_on is not None and closed_on > day:
                future.append(account_id)
        if flagged:
            dropped.append(account_id)
    missing: list[str] = []
    if close_missing:
        open_before = before - closed_before.keys()
        missing = sorted(open_before - in_file)
        if open_before and len(missing) > MOST_OF_THE_BOOK * len(open_before):
            raise DataError(
                f"--close-missing would close {len(missing):,} of the {len(open_before):,} "
                "open accounts: this file does not look like a full export of the CRM's "
                "accounts (nothing was written)",
                details={
                    "field": "close_missing",
                    "closing": len(missing),
                    "open": len(open_before),
                },
            )
        for account_id in missing:
            dates[account_id] = day
    changes = [(i, d) for i, d in dates.items() if closed_before.get(i) != d]
    if changes:
        statement = (
            update(AccountRow)
            .where(AccountRow.id == bindparam("b_id"))
            .values(closed_on=bindparam("b_closed_on"))
        )
        params: list[dict[str, Any]] = [{"b_id": i, "b_closed_on": d} for i, d in changes]
        connection.execute(statement.execution_options(synchronize_session=False), params)
    newly = sorted(i for i, d in changes if d is not None and i not in closed_before)
    return StatusChange(
        closed=len(newly),
        reopened=sum(1 for i, d in changes if d is None),
        closed_missing=len(set(missing) & set(newly)),
        closed_sample=_named(connection, newly[:3]),
        future=_named(connection, sorted(future)[:3]),
        active_dated=_named(connection, sorted(dropped)[:3]),
        future_count=len(future),
        active_dated_count=len(dropped),
        reopened_ids=tuple(sorted(i for i, d in changes if d is None)),
    )


def _named(connection: Connection, ids: list[str]) -> tuple[str, ...]:
    """The accounts ``ids`` as the notes show them: by name, the id after it (``Acme Labs
    (001A)``: two accounts may share a name), or the id alone when the name is the id."""
    if not ids:
        return ()
    rows = connection.execute(
        select(AccountRow.id, AccountRow.name).where(AccountRow.id.in_(ids))
    ).all()
    names: dict[str, str] = {str(i): str(n) for i, n in rows}
    return tuple(f"{names[i]} ({i})" if names.get(i) and names[i] != i else i for i in ids)
