"""Nightly deltas loaded late or twice: rows compared by the CRM's modification time.

A Salesforce delta carries ``LastModifiedDate`` or ``SystemModstamp`` (the API's ISO 8601
form, ``2026-11-03T09:42:00.000Z`` or ``…+0000``; a report's local ``11/3/2026 9:42 AM``,
read by :mod:`terraplan.io.report_times`). When a file of accounts, leads, reps or
opportunities has such a column, each row is compared with the time stored with its record
(``crm_modified_at``, or the time of the record's deletion):

- a row **older** than the stored one is left out: a delta loaded after a newer one (a retried
  job, Tuesday's file after Wednesday's) does not put older values back, nor bring back a
  record deleted since;
- a row with the **same** time is a replay of what is stored and is left out too (nothing to
  change);
- a newer row, a row of a record stored without a time, and a row whose cell is blank are
  imported as usual, and the time is stored with the record.

With both columns the later time of the two is the row's. A file without either column is
imported as before: the file loaded last wins.

A folder or table read in batches (nightly deltas side by side) is one file in this: a row
of a record a later batch holds with a later time is an earlier edit, left out before it is
read (:func:`latest_stamps`), so that the import's warnings count each record once, as
stored ("23 opportunities read as won", not the superseded Monday rows too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection

from terraplan.domain.salesforce_ids import record_key
from terraplan.errors import DataError
from terraplan.io.mapping import normalize_header
from terraplan.io.readers import ROW, SourceTable
from terraplan.io.report_times import report_time, shows_day_first, utc_of_local
from terraplan.storage.crm_stamps import stored_stamps

#: Kinds whose records keep the CRM's modification time.
STAMPED_KINDS = ("accounts", "leads", "reps", "opportunities")
#: Headers read as the modification time (normalized: any case, separators dropped).
STAMP_HEADERS = ("systemmodstamp", "lastmodifieddate")
#: A date alone (a typed time at midnight, as readers give it).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The column written with the records.
STAMP = "crm_modified_at"
#: The field naming a record in notes, per kind.
_NAME_FIELD = {"accounts": "name", "leads": "company", "reps": "name", "opportunities": "name"}


@dataclass(frozen=True, slots=True)
class Unchanged:
    """Rows left out because the stored record is as new as they are, or newer."""

    kind: str = "accounts"
    column: str = "LastModifiedDate"
    older: int = 0
    older_sample: tuple[str, ...] = ()
    replayed: int = 0
    #: Rows of a record the file holds again with a later time.
    earlier: int = 0
    earlier_sample: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def plus(self, other: Unchanged) -> Unchanged:
        """Both counts (the batches of one source)."""
        return Unchanged(
            kind=other.kind,
            column=other.column,
            older=self.older + other.older,
            older_sample=(*self.older_sample, *other.older_sample)[:3],
            replayed=self.replayed + other.replayed,
            earlier=self.earlier + other.earlier,
            earlier_sample=(*self.earlier_sample, *other.earlier_sample)[:3],
            ids=(*self.ids, *other.ids),
        )

    def notes(self) -> list[str]:
        notes = []
        what = self.kind.replace("_", " ")
        if self.older:
            rows = "1 row is" if self.older == 1 else f"{self.older:,} rows are"
            notes.append(
                f"{rows} older than the {what} stored (their {self.column} is before the one "
                f"stored, e.g. {', '.join(self.older_sample)}) and left out: a delta loaded "
                "after a newer one does not put older values back"
            )
        if self.earlier:
            rows = (
                "1 row is an earlier edit"
                if self.earlier == 1
                else (f"{self.earlier:,} rows are earlier edits")
            )
            notes.append(
                f"{rows} of a record the file holds again with a later {self.column} (e.g. "
                f"{', '.join(self.earlier_sample)}), left out: the latest row of each is imported"
            )
        if self.replayed:
            rows = "1 row" if self.replayed == 1 else f"{self.replayed:,} rows"
            notes.append(
                f"{rows} already imported (the same {self.column} as stored) left out: "
                "nothing to change (to import them again, e.g. with a corrected mapping file: "
                "`--reload`, `reload=true` in the API)"
            )
        return notes


@dataclass(frozen=True, slots=True)
class DeltaRows:
    """What comparing a file's rows with the stored times gives."""

    table: SourceTable
    #: stored-form id -> the row's time, for the rows kept (and flagged deleted).
    stamps: dict[str, datetime]
    unchanged: Unchanged
    #: stored-form ids of the rows kept that carry a time of their own (not a blank cell):
    #: a later batch's row of such an id is a later edit, not a duplicate.
    stamped: frozenset[str] = frozenset()


def stamp_columns(table: SourceTable) -> list[str]:
    """The file's modification-time columns (none for kinds that keep no time)."""
    if table.kind not in STAMPED_KINDS:
        return []
    return [c for c in table.headers if normalize_header(c) in STAMP_HEADERS]


def parse_stamp(text: str, *, dates: bool = False) -> datetime | None:
    """An ISO 8601 date and time as UTC without zone (none given: UTC); ``None`` when the
    text is not one. A date alone is one (midnight) only with ``dates``: a column of dates
    cannot order two edits of one day, but a typed column (Parquet, a database table, XLSX)
    reads its midnight values as dates beside the times of its other rows."""
    value = text.strip()
    if ":" not in value and not (dates and _DATE.fullmatch(value)):
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp


def _row_stamps(table: SourceTable, columns: list[str]) -> tuple[list[datetime | None], list[str]]:
    """Each row's time: the later of its stamp cells; a cell that is not one is refused. Also
    the columns holding a report's local times read as UTC (no ``time_zone`` declared)."""
    rows = table.frame[ROW].to_list()
    stamps: list[datetime | None] = [None] * table.frame.height
    zone = table.columns.time_zone
    as_utc: list[str] = []
    for column in columns:
        cells = table.frame[column].to_list()
        timed = any(cell is not None and ":" in str(cell) for cell in cells)
        order = table.columns.date_order
        day_first = (
            order == "day first"
            if order is not None
            else shows_day_first(str(c) for c in cells if c is not None)
        )
        for at, cell in enumerate(cells):
            if cell is None or not str(cell).strip():
                continue
            stamp = parse_stamp(str(cell), dates=timed)
            if stamp is None:
                local = report_time(str(cell), day_first=day_first)
                if local is not None and zone is not None:
                    stamp = utc_of_local(local, zone)
                elif local is not None:
                    stamp = local
                    if column not in as_utc:
                        as_utc.append(column)
            if stamp is None:
                by = table.columns.declared_by
                declared = f" ({by} declares dates: {order})" if order else ""
                raise DataError(
                    f"{table.file} row {rows[at]} column {column!r} value {str(cell)[:80]!r}: "
                    "not a date and time (ISO 8601 as the Salesforce API and Data Loader "
                    "write it, e.g. 2026-11-03T09:42:00.000Z, or a report's local time, "
                    f"e.g. 11/3/2026 9:42 AM){declared}; nothing was imported",
                    details={
                        "file": table.file,
                        "row": rows[at],
                        "column": column,
                        "value": str(cell)[:80],
                    },
                )
            current = stamps[at]
            stamps[at] = stamp if current is None or stamp > current else current
    return stamps, as_utc


def _local_note(columns: list[str]) -> str:
    return (
        f"column {' and '.join(repr(c) for c in columns)} holds local times as a report writes "
        "them (11/3/2026 9:42 AM) and no time_zone is declared: they are read as UTC, so they "
        "order this file's rows and deltas written the same way, but not deltas with UTC times "
        "(Data Loader, the API); a mapping file's time_zone: line (America/New_York) names the "
        "report's time zone"
    )


def compare_rows(
    connection: Connection,
    table: SourceTable,
    forms: Mapping[str, str],
    *,
    reload: bool = False,
    later: Mapping[str, datetime] | None = None,
) -> DeltaRows | None:
    """Leave out the rows of ``table`` that are not newer than their stored record; ``None``
    when the file has no modification-time column (or no id column). ``forms``: file id ->
    stored id, for ids written in their other Salesforce form. ``reload``: leave none out
    (the same rows again with a corrected mapping file), the times are stored all the same.
    ``later``: record key -> the latest time another batch of the same source holds it with
    (:func:`latest_stamps`); an older row is an earlier edit, left out."""
    columns = stamp_columns(table)
    id_column = table.columns.fields.get("id")
    if not columns or id_column is None:
        return None
    stamps, as_utc = _row_stamps(table, columns)
    raw_ids = [
        None if v is None else forms.get(str(v).strip(), str(v).strip())
        for v in table.frame[id_column].to_list()
    ]
    stored: dict[str, datetime] = {}
    if not reload:
        stored = stored_stamps(connection, table.kind, {i for i in raw_ids if i})
    name_column = table.columns.fields.get(_NAME_FIELD[table.kind])
    names = table.frame[name_column].to_list() if name_column else [None] * len(raw_ids)
    keep: list[bool] = []
    kept: dict[str, datetime] = {}
    older: list[str] = []
    replayed = 0
    left_out: list[str] = []
    for record_id, stamp, name in zip(raw_ids, stamps, names, strict=True):
        before = stored.get(record_id) if record_id else None
        if stamp is not None and before is not None and stamp <= before:
            keep.append(False)
            left_out.append(str(record_id))
            if stamp < before:
                older.append(f"{name} ({record_id})" if name else str(record_id))
            else:
                replayed += 1
            continue
        keep.append(True)
        if record_id and stamp is None and before is not None:
            kept.setdefault(record_id, before)  # a blank cell keeps the time stored
        elif record_id and stamp is not None and (record_id not in kept or stamp > kept[record_id]):
            kept[record_id] = stamp
    earlier = _earlier_edits(raw_ids, stamps, keep)
    if later:
        earlier = sorted({*earlier, *_edited_later(raw_ids, stamps, keep, later)})
    for at in earlier:
        keep[at] = False
        left_out.append(str(raw_ids[at]))
    column = next((c for c in columns if normalize_header(c) == "systemmodstamp"), columns[0])
    unchanged = Unchanged(
        kind=table.kind,
        column=column if len(columns) == 1 else " / ".join(columns),
        older=len(older),
        older_sample=tuple(older[:3]),
        replayed=replayed,
        earlier=len(earlier),
        earlier_sample=tuple(
            f"{names[at]} ({raw_ids[at]})" if names[at] else str(raw_ids[at]) for at in earlier[:3]
        ),
        ids=tuple(left_out),
    )
    ignored = tuple(f"column {c!r} maps to no field" for c in columns)
    warnings = tuple(w for w in table.warnings if not w.startswith(ignored))
    if as_utc:
        warnings = (*warnings, _local_note(as_utc))
    frame = table.frame.filter(pl.Series(keep, dtype=pl.Boolean))
    stamped = frozenset(
        str(record_id)
        for record_id, stamp, kept_row in zip(raw_ids, stamps, keep, strict=True)
        if kept_row and record_id and stamp is not None
    )
    return DeltaRows(replace(table, frame=frame, warnings=warnings), kept, unchanged, stamped)


def _earlier_edits(
    ids: list[str | None], stamps: list[datetime | None], keep: list[bool]
) -> list[int]:
    """The positions of kept rows whose record the file holds again with a later time (two
    edits caught by one run, two runs' files joined): the latest row of each is the record.
    Rows of one id whose latest time is shared are left to the duplicate-id check."""
    rows: dict[str, list[int]] = {}
    for at, (record_id, stamp) in enumerate(zip(ids, stamps, strict=True)):
        if keep[at] and record_id and stamp is not None:
            rows.setdefault(record_id, []).append(at)
    earlier: list[int] = []
    for positions in rows.values():
        if len(positions) < 2:
            continue
        latest = max(stamps[at] for at in positions)  # type: ignore[type-var]
        if sum(stamps[at] == latest for at in positions) == 1:
            earlier += [at for at in positions if stamps[at] != latest]
    return sorted(earlier)


def _edited_later(
    ids: list[str | None],
    stamps: list[datetime | None],
    keep: list[bool],
    later: Mapping[str, datetime],
) -> list[int]:
    """The positions of kept rows whose record another batch holds with a later time."""
    return [
        at
        for at, (record_id, stamp) in enumerate(zip(ids, stamps, strict=True))
        if keep[at]
        and record_id
        and stamp is not None
        and (latest := later.get(record_key(record_id))) is not None
        and stamp < latest
    ]


def latest_stamps(tables: Iterable[SourceTable]) -> dict[str, datetime]:
    """Record key (:func:`~terraplan.domain.salesforce_ids.record_key`) -> its latest time,
    for the records more than one of ``tables`` (the batches of one source) hold with a
    time; empty when they have no modification-time or id column (every batch has the
    columns of the first). A cell that is no time is refused (:class:`DataError`)."""
    frames: list[pl.DataFrame] = []
    for number, table in enumerate(tables):
        columns = stamp_columns(table)
        id_column = table.columns.fields.get("id")
        if not columns or id_column is None:
            return {}
        stamps, _ = _row_stamps(table, columns)
        ids = table.frame[id_column].cast(pl.String).str.strip_chars()
        keys = [None if v is None else record_key(v) for v in ids.to_list()]
        frames.append(
            pl.DataFrame(
                {"key": keys, "stamp": stamps, "batch": [number] * len(keys)},
                schema={"key": pl.String, "stamp": pl.Datetime("us"), "batch": pl.Int32},
            ).drop_nulls()
        )
    if len(frames) < 2:
        return {}
    rows = pl.concat(frames)
    repeated = (
        rows.group_by("key")
        .agg(pl.col("batch").n_unique().alias("batches"), pl.col("stamp").max())
        .filter(pl.col("batches") > 1)
    )
    return dict(zip(repeated["key"].to_list(), repeated["stamp"].to_list(), strict=True))


def with_stamps(frame: pl.DataFrame, stamps: Mapping[str, datetime]) -> pl.DataFrame:
    """``frame`` (accepted rows) with each row's time in :data:`STAMP` (blank: none given)."""
    if not stamps or "id" not in frame.columns:
        return frame
    times = pl.DataFrame(
        {"id": list(stamps), STAMP: list(stamps.values())},
        schema={"id": pl.String, STAMP: pl.Datetime("us")},
    )
    return frame.join(times, on="id", how="left", maintain_order="left")
