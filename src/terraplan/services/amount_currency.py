"""One currency for every stored amount, across imports.

Each import judges its own file's currencies (:mod:`terraplan.io.currency`), but amounts of
different files end up summed together: EUR sales lines imported on Monday and USD
opportunities on Tuesday would give attainment and pipeline figures that mix the two, and
no single file shows it. So every import of a money kind records, in its
:class:`~terraplan.storage.orm.ImportRunRow`, the currency its stored amounts are in when
the file (or ``--currency``) names it; a later import whose amounts are in another currency
is refused while records of the earlier one are stored, and an import that names no
currency is noted as taken to be in the stored one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from sqlalchemy import Connection, select

from terraplan.errors import DataError
from terraplan.io.currency import MONEY_FIELDS, SYMBOL_CURRENCIES
from terraplan.io.report import ImportReport, short
from terraplan.storage import bulk
from terraplan.storage.orm import ImportRunRow


@dataclass(frozen=True, slots=True)
class StoredCurrency:
    """The currency of the amounts of one stored kind, and the import that named it."""

    currency: str
    kind: str
    source: str
    finished_at: datetime

    def describe(self) -> str:
        """``the sales lines imported from X on 2026-12-01``."""
        what = self.kind.replace("_", " ")
        # a file by its name (the folder is noise); a database source as written
        source = self.source if "://" in self.source else Path(self.source).name
        return f"the {what} imported from {short(source)} on {self.finished_at:%Y-%m-%d}"


def stored_currencies(connection: Connection) -> list[StoredCurrency]:
    """Per money kind that still holds records, the currency named by its latest import
    that named one (newest first)."""
    rows = connection.execute(
        select(
            ImportRunRow.currency,
            ImportRunRow.kind,
            ImportRunRow.source,
            ImportRunRow.finished_at,
        )
        .where(ImportRunRow.currency.is_not(None), ImportRunRow.kind.in_(list(MONEY_FIELDS)))
        .order_by(ImportRunRow.finished_at.desc(), ImportRunRow.id.desc())
    ).all()
    found: dict[str, StoredCurrency] = {}
    for currency, kind, source, finished_at in rows:
        if kind not in found:
            found[kind] = StoredCurrency(str(currency), kind, source, finished_at)
    return [entry for entry in found.values() if bulk.count_rows(connection, entry.kind) > 0]


def amounts_currency(report: ImportReport) -> str | None:
    """The currency this import's amounts are stored in, when the file names it."""
    value = report.details.get("amounts_currency")
    return str(value) if value else None


def check_amounts_currency(connection: Connection, kind: str, report: ImportReport) -> None:
    """Refuse ``report``'s import of ``kind`` when its amounts are in another currency than
    amounts already stored, unless the import named its reporting currency (``--currency``):
    that switches currency on purpose, and a note names the stored records still in the
    other one. Notes the stored currency when the file names none.

    Raises :class:`DataError` naming both currencies and the earlier import.
    """
    if "amounts_currency" not in report.details:
        return  # no amount column in this file
    stored = stored_currencies(connection)
    own = amounts_currency(report)
    if not stored:
        # named with --currency (or rates) on purpose: the user chose what amounts are in
        if own is not None and report.details.get("reporting_currency") != own:
            _unlabelled_note(connection, report, own)
        return
    where = report.details.get("amounts_where")
    symbol = report.details.get("amounts_symbol")
    if own is None and symbol is not None:
        options = SYMBOL_CURRENCIES.get(str(symbol), ())
        first = _same_kind_first(stored, kind)
        if first.currency in options:
            report.warnings.append(
                f"amounts written with {symbol} taken to be in {first.currency}, like"
                f" {first.describe()}"
            )
            return
        either = " or ".join(options)
        _refuse(
            report,
            either,
            first,
            f"amounts written with {symbol} ({where}) are in {either}, but {first.describe()}"
            f" are in {first.currency}: summed together they would be wrong. Name which"
            f" currency with --currency and convert the amounts with --rates (a line"
            f" {options[0]},<rate>) to {first.currency}, or export them converted to"
            f" {first.currency}",
        )
    if own is None:
        first = _same_kind_first(stored, kind)
        report.warnings.append(
            f"no currency named: amounts taken to be in {first.currency}, like {first.describe()}"
        )
        return
    named = report.details.get("reporting_currency") == own
    others = [e for e in stored if e.currency != own and not (named and e.kind == kind)]
    if not others:
        return
    if named:
        for entry in others:
            report.warnings.append(
                f"{entry.describe()} are in {entry.currency}, not {own}: re-import them"
                f" converted to {own} (--rates, --currency {own}) so that figures add up"
            )
        return
    other = others[0]
    at = f" ({where})" if where else ""
    _refuse(
        report,
        own,
        other,
        f"amounts are in {own}{at}, but {other.describe()} are in {other.currency}: summed"
        f" together they would be wrong. Convert this file's amounts with --rates (a line"
        f" {own},<rate>) and --currency {other.currency}, or export them converted to"
        f" {other.currency}; to switch every amount to {own} on purpose, name it with"
        f" --currency {own} and re-import the other records converted to it",
    )


def _unlabelled_note(connection: Connection, report: ImportReport, own: str) -> None:
    """The first import to name a currency, over amounts stored by imports that named none:
    from now on those count as in ``own`` too (and a file in another currency is refused
    against them), which the user must hear once."""
    from sqlalchemy import column, func, table

    stored = {
        kind: int(
            connection.execute(
                select(func.count())
                .select_from(table(kind, column(field)))
                .where(column(field).is_not(None))
            ).scalar_one()
        )
        for kind, field in MONEY_FIELDS.items()
    }
    held = [f"{n:,} {kind.replace('_', ' ')}" for kind, n in stored.items() if n]
    if held:
        report.warnings.append(
            f"the amounts stored before ({', '.join(held)}) name no currency: from now on "
            f"they count as {own}, like this file; if they are in another currency, "
            f"re-import them converted to {own} (--rates, --currency {own})"
        )


def _refuse(report: ImportReport, own: str, other: StoredCurrency, reason: str) -> NoReturn:
    """Refuse the import: its amounts in ``own`` would be summed with ``other``'s."""
    raise DataError(
        f"{report.file}: {reason}; nothing was imported",
        details={
            "file": report.file,
            "field": "currency",
            "reason": reason,
            "currency": own,
            "where": report.details.get("amounts_where"),
            "stored_currency": other.currency,
            "stored_kind": other.kind,
        },
    )


def _same_kind_first(stored: Sequence[StoredCurrency], kind: str) -> StoredCurrency:
    """The stored currency entry to name: one of the same kind of record when there is one
    (sales lines are "like the sales lines imported from ...", not like the targets)."""
    return next((entry for entry in stored if entry.kind == kind), stored[0])
