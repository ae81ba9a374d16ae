"""Import records from a database table or a Parquet folder, batch by batch, all-or-nothing.

The source is read in batches (:func:`terraplan.io.table_source.iter_source_tables`); each
batch is validated like a file and its good rows are written inside one transaction that
spans the whole import. With ``on_error="abort"`` the first bad row stops the writing (the
remaining batches are still validated, so the report lists every problem) and the
transaction is rolled back; with ``on_error="skip"`` the good rows of every batch go in.
Memory holds one batch of records, plus the ids read so far (one text column, to find an id
repeated in a later batch).

Checks across batches: an id seen in an earlier batch is a duplicate (naming the first row);
a reference to the source's own kind (an account's ``parent_id``, a rep's ``manager_id``)
may name any id of the source or of the database (the ids are read in a first pass).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.batch_readings import BatchReadings
from terraplan.io.currency import Currencies
from terraplan.io.deleted_accounts import deleted_account_rows
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.own_ids import record_keys
from terraplan.io.parsing import Decimal
from terraplan.io.readers import ROW, SourceTable
from terraplan.io.report import ImportIssue, ImportReport
from terraplan.io.schema import kind_spec
from terraplan.io.stored_checks import SELF_REFERENCES
from terraplan.io.table_source import DEFAULT_BATCH_ROWS, TableSource, iter_source_tables
from terraplan.io.validation import ValidationResult, validate
from terraplan.services.account_names import stored_account_names
from terraplan.services.account_parents import link_new_parents
from terraplan.services.account_status import (
    STATUS_FIELDS,
    StatusChange,
    apply_status,
    closed_ids,
    no_status,
    status_frame,
)
from terraplan.services.amount_currency import amounts_currency, check_amounts_currency
from terraplan.services.deleted_records import remove_deleted, removed_ids
from terraplan.services.delta_stamps import (
    Unchanged,
    compare_rows,
    latest_stamps,
    stamp_columns,
    with_stamps,
)
from terraplan.services.empty_imports import no_rows
from terraplan.services.id_forms import in_stored_form, stored_id_forms
from terraplan.services.import_facts import (
    area_centres,
    custom_areas,
    more_units,
    stored_deal_readings,
    stored_facts,
)
from terraplan.services.imports import (
    ImportOutcome,
    OnError,
    _known_ids,
    _refusal,
    stored_ids,
    territory_plans,
    write_rows,
)
from terraplan.services.owner_names import resolve_into
from terraplan.services.progress import Progress, no_progress
from terraplan.services.stage_mappings import check_stage_readings, mapping_label
from terraplan.services.warning_examples import summed, with_examples
from terraplan.storage.crm_stamps import remember_deletions
from terraplan.storage.database import Database
from terraplan.storage.orm import ImportRunRow
from terraplan.storage.unit_of_work import UnitOfWork


def import_source(
    db: Database,
    source: TableSource,
    kind: str,
    *,
    mapping: Mapping[str, Any] | str | Path | None = None,
    decimal: Decimal | None = None,
    on_error: OnError = "abort",
    batch_rows: int = DEFAULT_BATCH_ROWS,
    geocoder: ZipDirectory | None = None,
    progress: Progress = no_progress,
    currencies: Currencies | None = None,
    close_missing: bool = False,
    reload: bool = False,
) -> ImportOutcome:
    """Import the records of ``source`` as ``kind`` (upsert by id), ``batch_rows`` at a time.

    Same contract as :func:`terraplan.services.imports.import_file` (``currencies`` too: the
    currencies of every batch count, so amounts in EUR in one batch and in USD in a later one
    are refused without rates, and nothing is written): raises
    :class:`DataError` (with ``details["report"]``) when ``on_error="abort"`` and any row is
    bad, or when the source cannot be read; nothing is written then.
    """
    if on_error not in ("abort", "skip"):
        raise InvalidParameterError(
            f"on_error must be 'abort' or 'skip', got {on_error!r}", details={"field": "on_error"}
        )
    spec = kind_spec(kind)
    if close_missing and spec.kind != "accounts":
        raise InvalidParameterError(
            f"close_missing applies to accounts only, not {spec.kind.replace('_', ' ')}",
            details={"field": "close_missing", "kind": spec.kind},
        )
    known_ids, rep_names = _known_ids(db, spec.kind)
    stored_known = dict(known_ids)  # before the source's own ids join them
    plans_of_territories = territory_plans(db, spec.kind)
    geocoder = geocoder or ZipDirectory()
    # the stored links (a cycle may run through them) and column lengths, read once
    facts = stored_facts(db, spec.kind)
    links = dict(facts.stored_links)  # and those of the batches accepted so far
    link = SELF_REFERENCES.get(spec.kind, ("",))[0]
    label = mapping_label(mapping)

    def batches() -> Iterator[SourceTable]:
        return iter_source_tables(
            source, spec.kind, mapping=mapping, decimal=decimal, batch_rows=batch_rows
        )

    progress("read source", 0, None)
    first = _first_batch(batches)
    if first is not None and not first.frame.height:  # no records: a quiet night's table
        return no_rows(db, first, on_error=on_error, close_missing=close_missing)
    if _has_self_reference(spec.kind, first):
        own: set[str] = set(known_ids.get(spec.kind, ()))
        for table in batches():
            column = table.columns.fields.get("id")
            if column is not None:
                own.update(table.frame[column].drop_nulls().str.strip_chars().to_list())
        known_ids[spec.kind] = own
    # a record several batches hold (nightly deltas): the latest time of each, so that the
    # earlier rows are left out before they are read and counted in warnings
    latest = latest_stamps(batches()) if first is not None and stamp_columns(first) else {}
    merged = _Merged(source, spec.kind)
    # ids accepted so far, with where they were: the file as its index in ``files``
    seen = pl.DataFrame(schema={"id": pl.String, "file": pl.Int32, ROW: pl.Int64})
    files: list[str] = []
    written = 0
    step = f"import {spec.kind.replace('_', ' ')}"
    readings = BatchReadings()  # every batch reads a date column in the same order
    stored: Collection[str] | None = None
    statuses: list[pl.DataFrame] = []  # accounts: each batch's open/closed rows
    in_source: set[str] = set()  # accounts: every id of the source, refused rows too
    written_ids: set[str] = set()
    change = StatusChange()
    deleted_ids: list[str] = []  # records the CRM deleted (left out), removed at the end
    unchanged = Unchanged(kind=spec.kind)  # rows no newer than the stored records
    stamps: dict[str, datetime] = {}  # LastModifiedDate / SystemModstamp of the rows kept
    with UnitOfWork(db) as uow:
        accounts_before = uow.records("accounts").ids() if spec.kind == "accounts" else set()
        closing = 0  # deleted accounts' rows that only close a stored account
        closed_before = closed_ids(uow.connection) if spec.kind == "accounts" else {}
        for number, batch in enumerate(batches()):
            table = batch  # less the rows no newer than the stored records, below
            if number == 0:  # every batch has the columns of the first
                stored = stored_ids(db, table, stored_known)
            # stored before this import: a form an earlier batch wrote is a duplicate instead
            forms = stored_id_forms(db, table, stored_known)
            delta = compare_rows(uow.connection, table, forms, reload=reload, later=latest)
            if delta is not None:
                table = delta.table
                unchanged = unchanged.plus(delta.unchanged)
                stamps.update(delta.stamps)
                in_source.update(delta.unchanged.ids)
                merged.report.rows_read += len(delta.unchanged.ids)
                if not table.frame.height:
                    continue
            result = validate(
                table,
                known_ids=known_ids,
                geocoder=geocoder,
                rep_names=rep_names,
                territory_plans=plans_of_territories,
                readings=readings,
                currencies=currencies,
                stored_ids=stored,
                text_limits=facts.text_limits,
                stored_links=links,
                stored_units=more_units(db, table) if spec.kind == "geo_units" else None,
                custom_areas=custom_areas(db, spec.kind, table),
                area_centres=area_centres(db, spec.kind, table),
                spellings=facts.spellings,
                stored_forms=forms,
                account_names=stored_account_names(db, table, stored_known),
                stored_deals=stored_deal_readings(db, table, forms),
                stored_accounts=accounts_before,
            )
            if not result.report.file_errors:  # a stage renamed by the first import's mapping
                check_stage_readings(db, result.frame, result.report, mapping=label)
            merged.add(result.report)
            if result.report.file_errors:
                break
            if not files or files[-1] != table.file:
                files.append(table.file)
            rows = _accepted_rows(table, result)
            later = delta.stamped if delta is not None else None
            frame, superseded = _drop_repeated_ids(result, rows, seen, files, merged, later)
            if superseded:  # an earlier batch's row of these records is an earlier edit
                unchanged = unchanged.plus(_earlier_batches(unchanged, superseded))
                merged.report.accepted -= len(superseded)
                written -= len(superseded)
                deleted_ids = [i for i in deleted_ids if i not in set(superseded)]
            file_index = pl.lit(len(files) - 1, dtype=pl.Int32).alias("file")
            seen = pl.concat([seen, frame.select(_keys(frame), file_index, ROW)])
            frame = with_stamps(frame.drop(ROW), stamps)
            if link in frame.columns:  # a later batch's cycle may run through these rows
                for record, parent in frame.select("id", link).iter_rows():
                    if parent is None:
                        links.pop(record, None)
                    else:
                        links[record] = parent
            mapped = {f.split(".", 1)[0] for f in result.report.columns.values()}
            if spec.kind == "accounts":
                statuses.append(status_frame(frame, mapped))
                # a deleted account named by its id only closes: its blank cells (Name,
                # address) are not written over the stored values
                only_closed = frame.filter(deleted_account_rows(frame, accounts_before))
                closing += only_closed.height
                frame = frame.filter(~deleted_account_rows(frame, accounts_before))
                frame = frame.drop([f for f in STATUS_FIELDS if f in frame.columns])
                column = table.columns.fields.get("id")
                if column is not None:
                    ids = table.frame[column].drop_nulls().cast(pl.String).str.strip_chars()
                    in_source.update(in_stored_form(ids.to_list(), forms))
            if merged.ok or on_error == "skip":
                if frame.height:
                    written += write_rows(uow, spec.kind, frame, result.report, stored)
                    written_ids.update(frame["id"].to_list())
                deleted_ids += removed_ids(spec.kind, result.report)
            progress(step, merged.report.rows_read, None)
        final = merged.finish()
        readings.currencies.finish(final, currencies or Currencies())
        if final.file_errors:
            final.accepted, final.rejected = 0, final.rows_read
        if final.file_errors or (not final.ok and on_error == "abort"):
            raise DataError(
                _refusal(final, on_error), details={"file": final.file, "report": final.to_dict()}
            )
        if spec.kind == "accounts" and (written or close_missing or closing):
            change = apply_status(
                uow.connection,
                # a record in two batches: the later batch's row is the record
                pl.concat(statuses, how="vertical_relaxed").unique(
                    "id", keep="last", maintain_order=True
                )
                if statuses
                else no_status(),
                day=date.today(),
                before=accounts_before,
                closed_before=closed_before,
                close_missing=close_missing,
                in_file=in_source,
            )
        linked: list[str] = []  # stored accounts whose parent this source brings
        if spec.kind == "accounts" and written:
            linked = link_new_parents(uow.connection, written_ids - accounts_before, in_source)
        removed = remove_deleted(uow, spec.kind, deleted_ids)
        gone = {i: stamps[i] for i in deleted_ids if i in stamps}
        remember_deletions(uow.connection, spec.kind, gone)  # older rows do not bring them back
        if unchanged.ids:
            final.details["unchanged_ids"] = sorted(set(unchanged.ids))
        check_amounts_currency(uow.session.connection(), spec.kind, final)
        if spec.kind == "reps" and written:
            resolve_into(uow.session.connection(), final)
        uow.session.add(
            ImportRunRow(
                kind=spec.kind,
                source=source.display,
                rows_read=final.rows_read,
                accepted=final.accepted,
                rejected=final.rejected,
                on_error=on_error,
                finished_at=datetime.now(UTC).replace(tzinfo=None),
                currency=amounts_currency(final),
            )
        )
        uow.commit()
    moved: list[str] = []
    if spec.kind == "accounts" and written:
        from terraplan.services.moved_accounts import moved_territory_notes

        moved = moved_territory_notes(db, written_ids & accounts_before)
    return ImportOutcome(
        report=final,
        written=written,
        on_error=on_error,
        notes=(*change.notes(), *removed.notes(), *unchanged.notes(), *linked, *moved),
        closed=change.closed,
        reopened=change.reopened,
    )


def _first_batch(batches: Callable[[], Iterator[SourceTable]]) -> SourceTable | None:
    """The source's first batch (a source without records yields one empty table)."""
    tables = batches()
    try:
        return next(tables, None)
    finally:  # a generator: close it (and the cursor it holds) now
        close = getattr(tables, "close", None)
        if close is not None:
            close()


def _has_self_reference(kind: str, first: SourceTable | None) -> bool:
    """Whether a field referring to the source's own kind is mapped (in its first batch)."""
    fields = [f.name for f in kind_spec(kind).fields if f.references == kind]
    return first is not None and any(first.columns.fields.get(f) for f in fields)


def _accepted_rows(table: SourceTable, result: ValidationResult) -> pl.Series:
    """The row numbers of ``result.frame`` (validation keeps the table's row order)."""
    bad = {i.row for i in result.report.issues if i.severity == "error" and i.row is not None}
    bad.update(result.removed_rows)  # deals the CRM deleted: left out, not refused
    rows = table.frame[ROW].filter(~table.frame[ROW].is_in(list(bad)))
    if rows.len() != result.frame.height:  # pragma: no cover - validation keeps order
        raise AssertionError("accepted rows and row numbers disagree")
    return rows


def _drop_repeated_ids(
    result: ValidationResult,
    rows: pl.Series,
    seen: pl.DataFrame,
    files: list[str],
    merged: _Merged,
    stamps: Collection[str] | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """The accepted frame (with its ``__row__``) less the ids an earlier batch had: those rows
    become errors naming the first row. With a modification-time column, ``stamps`` holds the
    ids of the rows carrying a time (``None``: no such column): such a row, later than the
    earlier batch's (an older or equal one was left out before), updates it and stays; their
    ids are returned, the earlier rows being superseded as an earlier edit in one file is."""
    frame = result.frame.with_columns(rows.alias(ROW))
    if seen.height == 0 or frame.height == 0:
        return frame, []
    # the lookup set is built from this batch's ids and the ids seen so far are scanned
    # against it: a set of every id seen, built again for each batch, raised the peak with
    # every row read (by ~50 MB at 800,000 accounts)
    keys = frame.select(_keys(frame))["id"]
    first = seen.filter(pl.col("id").is_in(keys.implode()))
    if first.height == 0:
        return frame, []
    repeated = keys.is_in(first["id"].implode())
    later = pl.Series(list(stamps or ()), dtype=pl.String)
    updates = repeated & frame["id"].is_in(later.implode())
    superseded = frame.filter(updates)["id"].to_list()
    repeated = repeated & ~updates
    first = first.unique("id", keep="first", maintain_order=True)
    hits = (
        frame.filter(repeated)
        .select("id", ROW, _keys(frame).alias("key"))
        .join(first.rename({"id": "key"}), on="key", how="left")
        .drop("key")
    )
    file = result.report.file
    for record_id, row, first_file, first_row in hits.iter_rows():
        where = (
            f"row {first_row}"
            if files[first_file] == file
            else f"{files[first_file]} row {first_row}{_ORDER_HINT if stamps is None else ''}"
        )
        merged.reject(
            ImportIssue(file, row, "id", "id", record_id, f"duplicate id (first at {where})")
        )
    return frame.filter(~repeated), superseded


#: Said of an id repeated in another file of a folder without a modification-time column.
_ORDER_HINT = (
    "; without a LastModifiedDate or SystemModstamp column the later edit cannot be told:"
    " import the files one at a time, in the order they were taken"
)


def _earlier_batches(so_far: Unchanged, superseded: list[str]) -> Unchanged:
    """The rows an earlier batch (another file of a folder) wrote for records a later batch
    holds with a later modification time: left out, as earlier edits in one file are."""
    return Unchanged(
        kind=so_far.kind,
        column=so_far.column,
        earlier=len(superseded),
        earlier_sample=tuple(superseded[:3]),
        ids=tuple(superseded),
    )


def _keys(frame: pl.DataFrame) -> pl.Expr:
    """``id`` as the record it names: one Salesforce id in its 15- and 18-character forms is
    one record, so a later batch giving the other form is a duplicate too."""
    return record_keys(frame["id"]).alias("id")


_COUNT = re.compile(r"^(\d[\d,]*) (.*)$", re.DOTALL)
_EXAMPLES = re.compile(r" ?\((?:e\.g\.|rows) [^)]*\)")
_ONE_REP = re.compile(r"^rep (\S+) has (.*)$", re.DOTALL)  # locations: one rep without a home


def _counted(warning: str) -> tuple[int, str, str] | None:
    """``(count, text after the count, key)`` of a warning that counts rows, else ``None``.
    The key leaves out examples and plural endings, so that "1 account names ..." and
    "3 accounts name ..." of two batches are one warning."""
    one = _ONE_REP.match(warning)
    if one is not None:
        warning = f"1 reps (e.g. {one.group(1)}) have {one.group(2)}"
    match = _COUNT.match(warning)
    if match is None:
        return None
    text = match.group(2)
    key = re.sub(r"(?<=\w)ies\b", "y", _EXAMPLES.sub("", text))  # opportunities, opportunity
    key = re.sub(r"(?<=\w)s\b", "", key).replace(" have ", " ha ")
    return int(match.group(1).replace(",", "")), text, key.replace(" has ", " ha ")


#: Verbs after a counted noun, in the singular -> in the plural.
_PLURAL_VERBS = {"has": "have", "is": "are", "was": "were", "names": "name", "does": "do"}


def _plural(text: str) -> str:
    """The text after a count of 1 (``"opportunity read as open ..."``, ``"account names an
    owner ..."``) for a larger count: its first word (the noun) and a verb after it in the
    plural. Used when every batch counted one and the import as a whole counts more."""
    noun, _, rest = text.partition(" ")
    if re.search(r"[^aeiou]y$", noun):
        noun = noun[:-1] + "ies"
    elif not noun.endswith("s"):
        noun += "s"
    verb, space, tail = rest.partition(" ")
    if verb in _PLURAL_VERBS:
        rest = _PLURAL_VERBS[verb] + space + tail
    return f"{noun} {rest}" if rest else noun


class _Merged:
    """One report for every batch: counts summed, issues in order, each warning once (a
    warning that counts rows, "1,234 accounts name an owner...", is summed over batches)."""

    def __init__(self, source: TableSource, kind: str) -> None:
        self.report = ImportReport(file=source.label, kind=kind)
        self.report.details["source"] = source.display
        self.report.details["batches"] = 0
        self._counted: dict[str, tuple[int, str, str]] = {}
        # the value counts each warning gives as examples, summed (None: not summable)
        self._examples: dict[str, dict[str, int] | None] = {}

    @property
    def ok(self) -> bool:
        return self.report.ok

    def add(self, part: ImportReport) -> None:
        total = self.report
        total.details["batches"] += 1
        total.rows_read += part.rows_read
        total.accepted += part.accepted
        total.rejected += part.rejected
        total.geocoded += part.geocoded
        total.issues.extend(part.issues)
        for column, field in part.columns.items():
            total.columns.setdefault(column, field)
        for key, value in part.details.items():
            if key == "removed_ids":  # every batch's deals the CRM deleted
                total.details.setdefault(key, []).extend(value)
                continue
            total.details.setdefault(key, value)
        for warning in part.warnings:
            counted = _counted(warning)
            if counted is None:
                if warning not in total.warnings:
                    total.warnings.append(warning)
                continue
            count, text, key = counted
            before, plural, single = self._counted.get(key, (0, "", warning))
            # said as the batch said it when once in all, else in the first plural form
            self._counted[key] = (before + count, plural or (text if count > 1 else ""), single)
            if before == 0:
                total.warnings.append(key)  # placeholder, filled in by finish()
            self._examples[key] = summed(self._examples.get(key, {}), text)

    def reject(self, issue: ImportIssue) -> None:
        """An accepted row found bad afterwards (an id an earlier batch had)."""
        self.report.issues.append(issue)
        self.report.accepted -= 1
        self.report.rejected += 1

    def finish(self) -> ImportReport:
        report = self.report
        files = {issue.file: None for issue in report.issues}
        order = {file: index for index, file in enumerate(files)}
        report.issues.sort(key=lambda i: (order[i.file], -1 if i.row is None else i.row))
        for key, (count, text, single) in self._counted.items():
            index = report.warnings.index(key)
            plural = text or _plural((_counted(single) or (0, single, ""))[1])
            sums = self._examples.get(key)
            if count > 1 and sums:  # each value's count over every batch
                plural = with_examples(plural, sums)
            report.warnings[index] = single if count == 1 else f"{count:,} {plural}"
        self._counted.clear()
        self._examples.clear()
        return report
