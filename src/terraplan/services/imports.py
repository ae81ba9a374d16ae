"""Import a file into the database: read, validate, then write all-or-nothing.

Reading and validation happen before any write. The write is one transaction: with
``on_error="abort"`` (the default) nothing is written when any row is bad; with
``on_error="skip"`` the good rows go in and the bad ones are reported. A crash or a kill in
the middle of the write leaves the database as it was before (the transaction never commits).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from terraplan.domain import PlanStatus
from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.currency import Currencies
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.parsing import Decimal
from terraplan.io.readers import read_table
from terraplan.io.report import ImportReport
from terraplan.io.schema import PLANNED_KINDS
from terraplan.io.validation import validate
from terraplan.services.amount_currency import amounts_currency, check_amounts_currency
from terraplan.services.progress import Progress, no_progress
from terraplan.storage.database import Database
from terraplan.storage.orm import ImportRunRow
from terraplan.storage.unit_of_work import UnitOfWork

OnError = Literal["abort", "skip"]

#: Which stored ids each kind's references are checked against.
REFERENCED_KINDS: Mapping[str, tuple[str, ...]] = {
    "accounts": ("accounts", "reps", "geo_units"),
    "leads": (),
    "reps": ("reps",),
    "geo_units": ("geo_units",),
    "sales_lines": ("accounts",),
    "opportunities": ("accounts", "reps"),
    "targets": ("reps", "plans", "territories"),
    "acquisition_costs": ("plans", "territories"),
}


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    report: ImportReport
    written: int
    on_error: OnError


def import_file(
    db: Database,
    path: str | Path,
    kind: str,
    *,
    mapping: Mapping[str, Any] | str | Path | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    decimal: Decimal | None = None,
    on_error: OnError = "abort",
    geocoder: ZipDirectory | None = None,
    progress: Progress = no_progress,
    currencies: Currencies | None = None,
) -> ImportOutcome:
    """Import ``path`` as ``kind`` records; upsert by id (re-importing never duplicates).

    ``decimal`` declares the decimal separator of text numbers ("point" or "comma"; default:
    detected, see :mod:`terraplan.io.validation`). ``currencies`` names the reporting
    currency and the exchange rates that convert the amounts of sales lines, opportunities,
    targets and acquisition costs into it (:func:`terraplan.io.currency.read_currencies`);
    without rates, a file whose amounts are in several currencies is refused.

    Raises :class:`DataError` (with ``details["report"]``) when ``on_error="abort"`` and any
    row is bad, or when the file itself is unusable; nothing is written then.
    """
    if on_error not in ("abort", "skip"):
        raise InvalidParameterError(
            f"on_error must be 'abort' or 'skip', got {on_error!r}", details={"field": "on_error"}
        )
    progress("read file", 0, None)
    table = read_table(path, kind, mapping=mapping, encoding=encoding, sheet=sheet, decimal=decimal)
    progress("validate rows", 0, table.frame.height)
    known_ids, rep_names = _known_ids(db, kind)
    result = validate(
        table,
        known_ids=known_ids,
        geocoder=geocoder,
        rep_names=rep_names,
        territory_plans=territory_plans(db, kind),
        currencies=currencies,
    )
    report = result.report
    progress("validate rows", table.frame.height, table.frame.height)
    if report.file_errors or (not report.ok and on_error == "abort"):
        raise DataError(
            _refusal(report, on_error),
            details={"file": report.file, "report": report.to_dict()},
        )
    with db.connect() as connection:
        check_amounts_currency(connection, kind, report)
    frame = result.frame
    written = 0
    step = f"write {kind.replace('_', ' ')}"
    # Progress is reported outside the write transaction: the report is a write of its own
    # (the job row), which SQLite would have to wait for until this transaction ends.
    progress(step, 0, frame.height)
    with UnitOfWork(db) as uow:
        if frame.height:
            written = uow.records(kind).upsert_arrow(
                _storage_table(frame, _written_columns(frame, report))
            )
        uow.session.add(
            ImportRunRow(
                kind=kind,
                source=str(path),
                rows_read=report.rows_read,
                accepted=report.accepted,
                rejected=report.rejected,
                on_error=on_error,
                finished_at=datetime.now(UTC).replace(tzinfo=None),
                currency=amounts_currency(report),
            )
        )
        uow.commit()
    progress(step, frame.height, frame.height)
    return ImportOutcome(report=report, written=written, on_error=on_error)


def _storage_table(frame: pl.DataFrame, columns: list[str]) -> pa.Table:
    """The accepted rows as table columns: custom attributes and lists as JSON text."""
    expressions = []
    for name in columns:
        dtype = frame.schema[name]
        if isinstance(dtype, pl.Struct):
            expressions.append(
                pl.when(pl.col(name).is_null())
                .then(None)
                .otherwise(pl.col(name).struct.json_encode())
                .alias(name)
                if dtype.fields
                else pl.lit(None, pl.String).alias(name)
            )
        elif isinstance(dtype, pl.List):
            expressions.append(
                pl.col(name)
                .map_elements(
                    lambda v: json.dumps(v.to_list()), return_dtype=pl.String, skip_nulls=True
                )
                .alias(name)
            )
        else:
            expressions.append(pl.col(name))
    return frame.select(expressions).to_arrow()


def _written_columns(frame: pl.DataFrame, report: ImportReport) -> list[str]:
    """The columns the file carries (or that were derived or defaulted): the rest keep their stored values."""
    mapped = {field.split(".", 1)[0] for field in report.columns.values()}
    return [
        name
        for name in frame.columns
        if name == "id" or name in mapped or frame[name].null_count() < frame.height
    ]


def _known_ids(db: Database, kind: str) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Ids already stored, per referenced kind (territories: of every stored plan), and the
    stored reps' id -> name (owner columns may hold names)."""
    known: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    with UnitOfWork(db) as uow:
        if kind in ("accounts", "opportunities"):
            names = {rep.id: rep.name for rep in uow.reps.list()}
        for ref in REFERENCED_KINDS.get(kind, ()):
            if ref == "plans":
                known[ref] = {row.id for row in uow.plans.list()}
                if kind in PLANNED_KINDS:  # a row without a plan prefers the active one
                    active = uow.plans.list(status=PlanStatus.ACTIVE)
                    known["active_plans"] = {row.id for row in active}
            elif ref == "territories":
                known[ref] = uow.plans.territory_ids()
            else:
                known[ref] = uow.records(ref).ids()
    return known, names


def territory_plans(db: Database, kind: str) -> dict[str, set[str]] | None:
    """For targets and acquisition costs: territory id -> the plans holding it (a row
    without a plan takes its territory's plan); ``None`` for other kinds."""
    if kind not in PLANNED_KINDS:
        return None
    with UnitOfWork(db) as uow:
        return uow.plans.territory_plans()


def _refusal(report: ImportReport, on_error: OnError) -> str:
    if report.file_errors:
        reasons = "; ".join(issue.reason for issue in report.file_errors)
        return f"{report.file}: {reasons}; nothing was imported"
    first = report.errors[0]
    more = len(report.errors) - 1
    tail = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
    return (
        f"{report.rejected} of {report.rows_read} rows of {report.file} are invalid, first: {first}{tail}; "
        f"nothing was imported (use --on-error skip to import the {report.accepted} valid rows)"
    )
