"""Import a file into the database: read, validate, then write all-or-nothing.

Reading and validation happen before any write. The write is one transaction: with
``on_error="abort"`` (the default) nothing is written when any row is bad; with
``on_error="skip"`` the good rows go in and the bad ones are reported. A crash or a kill in
the middle of the write leaves the database as it was before (the transaction never commits).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from terraplan.domain import PlanStatus
from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.currency import Currencies
from terraplan.io.deleted_accounts import deleted_account_rows
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.parsing import Decimal
from terraplan.io.readers import SourceTable, read_table
from terraplan.io.report import ImportReport, counted, counted_records
from terraplan.io.schema import PLANNED_KINDS, kind_spec
from terraplan.io.validation import missing_columns, validate
from terraplan.services.account_names import stored_account_names
from terraplan.services.account_parents import link_new_parents
from terraplan.services.account_status import (
    STATUS_FIELDS,
    StatusChange,
    apply_status,
    closed_ids,
    status_frame,
)
from terraplan.services.amount_currency import amounts_currency, check_amounts_currency
from terraplan.services.attribute_merge import merge_stored_attributes
from terraplan.services.deleted_records import remove_deleted, removed_ids
from terraplan.services.delta_stamps import compare_rows, with_stamps
from terraplan.services.empty_imports import no_rows
from terraplan.services.id_forms import in_stored_form, stored_id_forms
from terraplan.services.import_facts import area_centres, stored_deal_readings, stored_facts
from terraplan.services.import_notes import inactive_owner_notes, placement_notes
from terraplan.services.owner_names import resolve_into
from terraplan.services.progress import Progress, no_progress
from terraplan.services.stage_mappings import check_stage_readings, mapping_label
from terraplan.storage.crm_stamps import remember_deletions
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
    #: Accounts and reps: how many written records are new (None: not counted).
    new: int | None = None
    #: Accounts and reps stored before that the file does not hold (a few ids as examples).
    absent: int = 0
    absent_sample: tuple[str, ...] = ()
    #: Plain notes about what the import changed elsewhere (a rep now inactive owns a
    #: territory of the active plan).
    notes: tuple[str, ...] = ()
    #: Accounts closed and closed ones opened again by this import.
    closed: int = 0
    reopened: int = 0

    def absent_note(self, kind: str) -> str | None:
        """A note when the file looks like a full export (it updates at least half the
        stored records) yet leaves some out: closed in the CRM, perhaps, but kept here."""
        if self.new is None or not self.absent:
            return None
        updated = self.written - self.new
        if updated < self.absent:
            return None  # a partial file (a web form, one region): leaving most out is its point
        sample = ", ".join(self.absent_sample)
        stored = counted_records(self.absent, kind).replace(" ", " stored ", 1)
        if self.absent == 1:
            return (
                f"{stored} is not in this file (e.g. {sample}); it is kept as it was, and "
                "still counts in designs, balance and KPIs"
            )
        return (
            f"{stored} are not in this file (e.g. {sample}); they are kept as they were, and "
            "still count in designs, balance and KPIs"
        )


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
    close_missing: bool = False,
    reload: bool = False,
) -> ImportOutcome:
    """Import ``path`` as ``kind`` records; upsert by id (re-importing never duplicates).

    A file with ``LastModifiedDate`` or ``SystemModstamp`` leaves out the rows no newer than
    their stored record (:mod:`terraplan.services.delta_stamps`), unless ``reload``.

    Accounts: ``close_missing`` closes every stored open account the file leaves out (a full
    export of the CRM); see :mod:`terraplan.services.account_status` for the other ways a
    file closes or reopens accounts.

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
    if close_missing and kind != "accounts":
        raise InvalidParameterError(
            f"close_missing applies to accounts only, not {kind.replace('_', ' ')}",
            details={"field": "close_missing", "kind": kind},
        )
    progress("read file", 0, None)
    table = read_table(path, kind, mapping=mapping, encoding=encoding, sheet=sheet, decimal=decimal)
    if not table.frame.height:  # a quiet night's delta: a header and no rows
        return no_rows(db, table, on_error=on_error, close_missing=close_missing)
    progress("validate rows", 0, table.frame.height)
    known_ids, rep_names = _known_ids(db, kind)
    forms = stored_id_forms(db, table, known_ids)
    with db.connect() as connection:  # LastModifiedDate: older rows and replays left out
        delta = compare_rows(connection, table, forms, reload=reload)
    if delta is not None:
        table = delta.table
        if not table.frame.height:
            return no_rows(db, table, on_error=on_error, unchanged=delta.unchanged)
    stored = stored_ids(db, table, known_ids)
    facts = stored_facts(db, kind, table)
    accounts_known = _stored_accounts(db, table)  # a deleted account needs only its id
    result = validate(
        table,
        known_ids=known_ids,
        geocoder=geocoder,
        rep_names=rep_names,
        territory_plans=territory_plans(db, kind),
        currencies=currencies,
        stored_ids=stored,
        text_limits=facts.text_limits,
        stored_links=facts.stored_links,
        stored_units=facts.stored_units,
        custom_areas=facts.custom_areas,
        area_centres=area_centres(db, kind, table),
        spellings=facts.spellings,
        stored_forms=forms,
        account_names=stored_account_names(db, table, known_ids),
        stored_deals=stored_deal_readings(db, table, forms),
        stored_accounts=accounts_known,
    )
    report = result.report
    if delta is not None and delta.unchanged.ids:
        report.rows_read += len(delta.unchanged.ids)
        report.details["unchanged_ids"] = sorted(set(delta.unchanged.ids))
    progress("validate rows", table.frame.height, table.frame.height)
    if report.file_errors or (not report.ok and on_error == "abort"):
        raise DataError(
            _refusal(report, on_error),
            details={"file": report.file, "report": report.to_dict()},
        )
    with db.connect() as connection:
        check_amounts_currency(connection, kind, report)
    check_stage_readings(db, result.frame, report, mapping=mapping_label(mapping))
    frame = result.frame if delta is None else with_stamps(result.frame, delta.stamps)
    written = 0
    step = f"write {kind.replace('_', ' ')}"
    in_file = set(frame["id"].to_list())
    column = table.columns.fields.get("id")
    if column is not None:  # rows refused (--on-error skip) are in the file all the same
        written_ids = {str(v).strip() for v in table.frame[column].drop_nulls().to_list()}
        in_file |= in_stored_form(written_ids, forms)
    if delta is not None:  # rows left out as not newer are in the file all the same
        in_file |= set(delta.unchanged.ids)
    status = None
    mapped = {field.split(".", 1)[0] for field in report.columns.values()}
    if kind == "accounts":
        status = status_frame(frame, mapped)
        # a deleted account named by its id only closes: its blank cells are not written
        frame = frame.filter(~deleted_account_rows(frame, accounts_known or ()))
        frame = frame.drop([f for f in STATUS_FIELDS if f in frame.columns])
    change = StatusChange()
    linked: list[str] = []  # accounts: stored ones whose parent this file brings
    # Progress is reported outside the write transaction: the report is a write of its own
    # (the job row), which SQLite would have to wait for until this transaction ends.
    progress(step, 0, frame.height)
    with UnitOfWork(db) as uow:
        before = uow.records(kind).ids() if kind in COUNTED_KINDS else None
        closed_before = closed_ids(uow.connection) if status is not None else {}
        removed = remove_deleted(uow, kind, removed_ids(kind, report))
        if delta is not None:  # an older delta loaded later must not bring them back
            gone = {i: delta.stamps[i] for i in removed_ids(kind, report) if i in delta.stamps}
            remember_deletions(uow.connection, kind, gone)
        written = write_rows(uow, kind, frame, report, stored)
        if kind == "accounts" and before is not None:
            ids = set(frame["id"].to_list())
            linked = link_new_parents(uow.connection, ids - before, in_file)
        if status is not None and before is not None:
            change = apply_status(
                uow.connection,
                status,
                day=date.today(),
                before=before,
                closed_before=closed_before,
                close_missing=close_missing,
                in_file=in_file,
            )
        if kind == "reps" and written:
            resolve_into(uow.session.connection(), report)
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
    notes = tuple(inactive_owner_notes(db)) if kind == "reps" and written else ()
    notes = (*notes, *change.notes(), *removed.notes(), *linked)
    if delta is not None:
        notes = (*notes, *delta.unchanged.notes())
    if kind == "accounts" and written and "owner_id" in frame.columns:
        from terraplan.services.owner_sync import crm_behind_notes

        notes = (*notes, *crm_behind_notes(db, set(frame["id"].to_list())))
    if before is None or not frame.height:
        return ImportOutcome(
            report=report,
            written=written,
            on_error=on_error,
            notes=notes,
            closed=change.closed,
            reopened=change.reopened,
        )
    # Closed ones are not news: a full export without them is what closed them.
    absent = sorted(before - in_file - (closed_before.keys() if status is not None else set()))
    if close_missing:
        absent = []
    new_ids = set(frame["id"].to_list()) - before
    new = len(new_ids)
    if kind == "accounts" and (new or change.reopened):
        notes = (*notes, *placement_notes(db, new_ids, set(change.reopened_ids)))
    if kind == "accounts":
        from terraplan.services.moved_accounts import moved_territory_notes

        notes = (*notes, *moved_territory_notes(db, set(frame["id"].to_list()) & before))
    return ImportOutcome(
        report=report,
        written=written,
        on_error=on_error,
        new=new,
        absent=len(absent),
        absent_sample=tuple(absent[:3]),
        notes=notes,
        closed=change.closed,
        reopened=change.reopened,
    )


#: Kinds whose imports say how many records are new and which stored ones the file leaves out.
COUNTED_KINDS = ("accounts", "reps")


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


#: Fields filled from another field when the file has no column for them (not a default).
DERIVED_FROM: Mapping[str, str] = {"is_closed": "stage", "is_won": "stage"}


def write_rows(
    uow: UnitOfWork,
    kind: str,
    frame: pl.DataFrame,
    report: ImportReport,
    stored: Collection[str] | None,
) -> int:
    """Upsert the accepted rows. Rows updating a stored record (``stored``: its kind's ids,
    when known) write only what the file says: a field the file has no column for keeps its
    stored value rather than a default (a rep's role, an opportunity's ``is_won``), and so
    does a custom attribute (:mod:`terraplan.services.attribute_merge`)."""
    if not frame.height:
        return 0
    records = uow.records(kind)
    if stored is None:  # rows updating stored records are not told apart: merge any stored
        data = _storage_table(frame, _written_columns(frame, report))
        return records.upsert_arrow(merge_stored_attributes(uow, kind, data))
    known = pl.col("id").is_in(pl.Series(list(stored), dtype=pl.String).implode())
    written = 0
    for part, update in ((frame.filter(known), True), (frame.filter(~known), False)):
        if part.height:
            columns = _written_columns(part, report, update=update)
            data = _storage_table(part, columns)
            if update:
                data = merge_stored_attributes(uow, kind, data)
            written += records.upsert_arrow(data)
    return written


def _written_columns(
    frame: pl.DataFrame, report: ImportReport, *, update: bool = False
) -> list[str]:
    """The columns the file carries (or that were derived, or defaulted for new records):
    the rest keep their stored values."""
    mapped = {field.split(".", 1)[0] for field in report.columns.values()}
    spec = kind_spec(report.kind)
    defaulted = {f.name for f in spec.fields if f.default is not None}
    # read from files, never stored (a rep's country: how the home postal code is read)
    import_only = {f.name for f in spec.fields if f.import_only}
    # A rep's home base follows the home postal code the file gives: one abroad (no ZIP to
    # geocode) clears the coordinates an earlier reading as a US ZIP stored.
    follows_postal = (
        report.kind == "reps"
        and "home_postal_code" in mapped
        and "home_postal_code" in frame.columns
        and frame["home_postal_code"].null_count() < frame.height
    )
    columns = []
    for name in frame.columns:
        if name in import_only:
            continue
        if name != "id" and name not in mapped:
            derived = follows_postal and name in ("home_latitude", "home_longitude")
            if frame[name].null_count() == frame.height and not derived:
                continue
            if update and name in defaulted and DERIVED_FROM.get(name) not in mapped:
                continue
            if update and isinstance(frame.schema[name], pl.List) and _all_empty(frame[name]):
                continue  # a list field the file has no column for
        columns.append(name)
    return columns


def _all_empty(values: pl.Series) -> bool:
    return bool((values.list.len().fill_null(0) == 0).all())


def _stored_accounts(db: Database, table: SourceTable) -> Collection[str] | None:
    """The stored account ids, for an accounts file with a deleted flag (else None)."""
    if table.kind != "accounts" or "deleted" not in table.columns.fields:
        return None
    with UnitOfWork(db) as uow:
        return uow.records("accounts").ids()


def stored_ids(
    db: Database, table: SourceTable, known: Mapping[str, Collection[str]]
) -> Collection[str] | None:
    """The ids of ``table``'s kind already stored, when the file leaves out a column whose
    stored values rows updating them keep (a required field, or one with a default); else
    ``None`` (nothing to tell apart, and a big table's ids are not read for nothing)."""
    spec = kind_spec(table.kind)
    fields = set(table.columns.fields)
    defaulted = [
        f.name
        for f in spec.fields
        if (f.default is not None or f.type == "list")
        and f.name not in fields
        and DERIVED_FROM.get(f.name) not in fields
    ]
    # a closed opportunity needs a close date: updating stored ones keeps theirs
    undated = spec.kind == "opportunities" and "close_date" not in fields
    if not defaulted and not undated and not [f for f in missing_columns(table) if f != "id"]:
        return None
    if spec.kind in known:
        return known[spec.kind]
    with UnitOfWork(db) as uow:
        return uow.records(spec.kind).ids()


def _known_ids(db: Database, kind: str) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Ids already stored, per referenced kind (territories: of every stored plan), and the
    stored reps' id -> name (owner columns may hold names)."""
    known: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    with UnitOfWork(db) as uow:
        if kind in ("accounts", "opportunities", "targets"):
            names = {rep.id: rep.name for rep in uow.reps.list()}
        for ref in REFERENCED_KINDS.get(kind, ()):
            if ref == "plans":
                known[ref] = {row.id for row in uow.plans.list()}
                if kind in PLANNED_KINDS:  # a row without a plan prefers the active one
                    active = uow.plans.list(status=PlanStatus.ACTIVE)
                    known["active_plans"] = {row.id for row in active}
                    archived = uow.plans.list(status=PlanStatus.ARCHIVED)
                    known["archived_plans"] = {row.id for row in archived}
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
    rows = "row" if report.rows_read == 1 else "rows"
    verb = "is" if report.rejected == 1 else "are"
    return (
        f"{report.rejected:,} of {report.rows_read:,} {rows} of {report.file} {verb} invalid, first: "
        f"{first}{tail}; nothing was imported (use --on-error skip to import the "
        f"{counted(report.accepted, 'valid row')})"
    )
