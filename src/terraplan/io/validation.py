"""Validate a :class:`SourceTable` into typed canonical rows and an :class:`ImportReport`.

All checks are polars expressions over the whole table; Python runs per row only to turn
the bad rows into :class:`ImportIssue` objects (and to parse GeoJSON polygons of geo units).

The accepted frame has one column per canonical field, in the order of the domain class:
``pl.String`` (text, enum values, ``polygon`` as GeoJSON text), ``pl.Float64``,
``pl.Int64``, ``pl.Date``, ``pl.Boolean``, ``pl.List(pl.String)`` (tuple fields,
``neighbours``) and ``attributes`` as a ``pl.Struct`` with one typed field per custom
attribute (a null field means "no value"). :func:`terraplan.io.records.iter_records` turns
rows into plain Python dicts.

Reference checks (``known_ids``): ``None`` skips them all. Otherwise a field referring to
kind ``k`` is checked when ``k`` is a key of ``known_ids``; a reference to the file's own
kind (``parent_id``, ``manager_id``) is always checked, against ``known_ids.get(kind)`` plus
the ids accepted from the file itself. An owner id (``owner_id`` of accounts and
opportunities) is an external reference: an unknown one is kept as given and the report says
once how many rows name an owner that is not a known rep yet (no reps stored) or not among
the stored reps (users the reps file left out: import them too, or map them to stored reps).

Other checks on every kind: text numbers follow the decimal separator (declared for the file,
else shown by the column's own numbers, else by the file's other numbers (amounts before
coordinates), else a decimal point
for XLSX, Parquet and comma-delimited CSV; an ambiguous ``1,200`` is an error when it cannot be
known); dates lie in
:data:`DATE_MIN` .. :data:`DATE_MAX`; a text field (a name, an id) refuses a cell stored as a
number (XLSX, Parquet) that is NaN, infinite or fractional (a whole number reads as its
digits: ``1234.0`` -> ``"1234"``).

Validation runs in steps, each in its own module: :mod:`~terraplan.io.typed_columns` types the
mapped columns, :mod:`~terraplan.io.field_checks` and :mod:`~terraplan.io.kind_checks` check
them on a :class:`~terraplan.io.checker.Checker`, and :mod:`~terraplan.io.canonical` shapes the
accepted rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import polars as pl

from terraplan.io.batch_readings import BatchReadings
from terraplan.io.canonical import canonical_frame, canonical_schema, empty_frame
from terraplan.io.checker import GEOCODED, RAW, Checker
from terraplan.io.currency import Currencies, with_codes_in_amounts
from terraplan.io.currency_tally import CurrencyTally
from terraplan.io.deleted_accounts import settle_deleted_accounts
from terraplan.io.derived_ids import derives_ids, fill_ids
from terraplan.io.field_checks import (
    DATE_MAX,
    DATE_MIN,
    check_duplicates,
    check_fields,
    check_required,
)
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.mapping import normalize_header
from terraplan.io.parsing import clean_text, parse_bool
from terraplan.io.period_ends import fill_period_ends, infers_end
from terraplan.io.readers import ROW, SourceTable
from terraplan.io.report import ImportIssue, ImportReport, short
from terraplan.io.schema import KindSpec, kind_spec
from terraplan.io.spellings import one_spelling
from terraplan.io.typed_columns import typed_columns

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "GEOCODED",
    "RAW",
    "REPEATED_WARNING_ROWS",
    "Checker",
    "ValidationResult",
    "canonical_schema",
    "empty_frame",
    "validate",
]

logger = logging.getLogger(__name__)

_ISSUE_SCHEMA = {
    "row": pl.Int64,
    "column": pl.String,
    "field": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "severity": pl.String,
}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Accepted rows (typed canonical frame, see the module docstring) and the report."""

    frame: pl.DataFrame
    report: ImportReport
    #: Row numbers left out without being refused (deals the CRM deleted); ids in
    #: ``report.details["removed_ids"]``.
    removed_rows: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.report.ok


def _title_row(table: SourceTable) -> bool:
    """Does the first row look like a title ("Accounts report, May 2026") over the header?"""
    headers = [c for c in table.frame.columns if c != ROW]
    named = [h for h in headers if not re.fullmatch(r"column_\d+", h)]
    return len(named) <= 1


def _sheet_hint(table: SourceTable, missing: list[str]) -> str | None:
    """For a workbook of several sheets whose sheet read lacks ``missing`` columns: the
    sheet read, the other sheets, and the one to import with ``--sheet`` when one of them
    has the columns (``None`` for a CSV, Parquet or one-sheet workbook)."""
    if table.sheet is None or not table.other_sheets:
        return None
    others = list(table.other_sheets)
    fitting = [n for n, fields in table.other_sheets.items() if set(missing) <= fields]
    listed = ", ".join(repr(short(n)) for n in others[:10]) + (", …" if len(others) > 10 else "")
    sheets = "sheet" if len(others) == 1 else "sheets"
    said = f"read sheet {short(table.sheet)!r}; the workbook also has {sheets} {listed}"
    if fitting:
        arg = _sheet_arg(fitting[0])
        which = ", which" if len(others) == 1 else f"; {short(fitting[0])!r}"
        return f"{said}{which} has the columns: use --sheet {arg}"
    return f"{said}; name the sheet holding the data with --sheet NAME"


def _sheet_arg(name: str) -> str:
    """``name`` as a shell argument: quoted when it holds anything but letters, digits,
    dots, hyphens and underscores."""
    if re.fullmatch(r"[\w.\-]+", name):
        return name
    return "'" + short(name).replace("'", "'\\''") + "'"


def validate(
    table: SourceTable,
    *,
    known_ids: Mapping[str, Collection[str]] | None = None,
    geocoder: ZipDirectory | None = None,
    geocode: bool = True,
    rep_names: Mapping[str, str] | None = None,
    territory_plans: Mapping[str, Collection[str]] | None = None,
    readings: BatchReadings | None = None,
    currencies: Currencies | None = None,
    stored_ids: Collection[str] | None = None,
    text_limits: Mapping[str, int] | None = None,
    stored_links: Mapping[str, str] | None = None,
    stored_units: Mapping[str, tuple[str, str]] | None = None,
    custom_areas: Mapping[str, str] | None = None,
    area_centres: Mapping[str, tuple[float, float]] | None = None,
    spellings: Mapping[str, Mapping[str, int]] | None = None,
    stored_forms: Mapping[str, str] | None = None,
    account_names: Mapping[str, str] | None = None,
    stored_deals: Mapping[str, str] | None = None,
    stored_accounts: Collection[str] | None = None,
) -> ValidationResult:
    """Check every row of ``table``; return the accepted rows and the report.

    ``known_ids`` maps a kind ("accounts", "reps", "geo_units", "territories", "plans") to
    the ids that exist already (see the module docstring). ``geocoder`` is the ZIP table used
    to check US postal codes and fill missing coordinates (default: a fresh
    :class:`ZipDirectory`); ``geocode=False`` skips both. ``rep_names`` (id -> name of the
    known reps) resolves owner columns that hold rep names; ``territory_plans`` (territory id
    -> ids of the plans holding it) gives targets without a plan their territory's plan.
    ``readings``: what earlier batches of the same import decided (updated), so that every
    batch reads a column the same way: the date orders, and the currencies seen (the caller
    then judges them after the last batch: ``readings.currencies.finish``).
    ``currencies``: the reporting currency and exchange rates of a money kind's amounts (see
    :mod:`terraplan.io.currency`; default: none named, no rates, so that amounts of several
    currencies are refused). ``stored_ids``: the ids of this kind already stored; a row
    updating one of them may leave out a required column (the stored value stays, as for any
    column the file lacks), a row with a new id is an error naming the field. Row problems
    become issues, never exceptions.

    ``text_limits`` (field -> most characters: the storage columns' lengths) refuses longer
    text per row; control characters are refused either way (:mod:`~terraplan.io.text_checks`).
    ``stored_links`` (stored id -> its parent or manager id) lets a cycle through stored
    records be found; ``stored_units`` (stored geo unit id -> kind and name) refuses a unit
    replacing one of another kind (:mod:`~terraplan.io.stored_checks`). ``custom_areas``
    (stored custom area id -> name, those the rows' postal codes name) refuses an account or
    lead with no country whose code is an area's id and that a US reading would take out of
    the area (:func:`~terraplan.io.custom_areas.check_custom_areas`: the ZIP table of
    ``geocoder`` says where that ZIP is); ``area_centres`` (stored custom area id -> its
    centre) places a row abroad without coordinates at its area's centre. ``spellings``
    (field -> stored value -> how many accounts hold it) writes each segment, industry and
    customer type as most accounts spell it (:mod:`~terraplan.io.spellings`; without it, as most of the file's
    rows do). ``stored_forms`` (an id of the file -> the stored id that is its other Salesforce
    form) makes such a row update the stored record (:mod:`~terraplan.io.own_ids`).
    ``account_names`` (stored account id -> name, those the rows' account cells may name)
    resolves an account column holding names (:mod:`~terraplan.io.account_names`).
    ``stored_deals`` (stored opportunity id -> won, lost or open) reads a file of ids and
    amounts without a stage or won flag by its stored deals: a negative amount on a stored
    won deal is a credit (:mod:`~terraplan.io.deal_checks`).
    ``stored_accounts``: the stored account ids, for an accounts file flagging deleted rows
    (a deleted stored account needs only its id: :mod:`~terraplan.io.deleted_accounts`).
    """
    from terraplan.io import custom_areas as custom
    from terraplan.io import (
        kind_checks,
        locations,
        own_ids,
        references,
        stored_checks,
        text_checks,
    )
    from terraplan.io.associations import with_only_associated_company

    spec = kind_spec(table.kind)
    table = with_codes_in_amounts(table)  # EUR 1,000.00: the currency in the amount
    table = with_only_associated_company(table)  # HubSpot: a blank primary company
    report = ImportReport(
        file=table.file,
        kind=spec.kind,
        rows_read=table.frame.height,
        warnings=list(table.warnings),
        columns={column: field for field, column in reversed(table.columns.fields.items())},
        details=dict(table.details),
    )
    for name, column in table.columns.attributes.items():
        report.columns[column] = f"attributes.{name}"
    missing = missing_columns(table)
    updating = "id" not in missing and (
        _updates_stored(table, stored_ids, stored_forms) or _removes_rows(table, spec)
    )
    kept = [f for f in missing if f != "id"] if updating else []
    # a file of ids and a few columns updates stored records; said when none of them is
    new_only = "id" not in missing and bool(stored_ids) and not updating
    for field in missing:
        if field in kept:
            continue
        reason = f"required column {field!r} is missing"
        sheets = _sheet_hint(table, [f for f in missing if f not in kept])
        if not report.issues and sheets is not None:  # said once, on the first
            reason += f" ({sheets})"
        elif not report.issues and _title_row(table):
            reason += (
                " (the first row names at most one column: is a title above the header? "
                "the header must be the first row)"
            )
        if new_only:
            reason += (
                " (none of the file's ids is stored yet, so every row is new and needs it; "
                "a file updating stored records may leave it out)"
            )
        report.issues.append(ImportIssue(table.file, None, None, field, None, reason))
    if table.frame.height == 0:
        report.issues.append(
            ImportIssue(table.file, None, None, None, None, "the file has no data rows")
        )
    if report.issues:
        report.rejected = report.rows_read
        return ValidationResult(empty_frame(spec.kind), report)

    if not updating and (unplaced := _no_location(table, spec)) is not None:
        report.warnings.append(unplaced)
    parsed = typed_columns(table, spec, report, readings)
    if report.file_errors:
        report.rejected = report.rows_read
        return ValidationResult(empty_frame(spec.kind), report)
    checker = Checker(table, spec, parsed)
    check_fields(checker)
    unknown_length = fill_period_ends(checker)
    fill_ids(checker)
    own_ids.match_stored_forms(checker, stored_forms or {})
    if unknown_length is not None:
        report.issues.append(
            ImportIssue(table.file, None, None, "period_end", None, unknown_length)
        )
        report.rejected = report.rows_read
        return ValidationResult(empty_frame(spec.kind), report)
    checker.stored_deals = stored_deals or {}
    kind_checks.check_kind(checker)
    no_close_dates = kind_checks.check_close_dates(checker, stored_ids)
    if no_close_dates is not None:
        report.issues.append(
            ImportIssue(table.file, None, None, "close_date", None, no_close_dates)
        )
        report.rejected = report.rows_read
        return ValidationResult(empty_frame(spec.kind), report)
    currencies = currencies or Currencies()
    tally = CurrencyTally() if readings is None else readings.currencies
    tally.apply(checker, currencies)
    locations.normalize_places(checker)
    if custom_areas:
        custom.check_custom_areas(
            checker, custom_areas, area_centres, (geocoder or ZipDirectory()) if geocode else None
        )
    if geocode and (spec.postal_field is not None or spec.kind == "geo_units"):
        locations.apply_geocoding(
            checker, geocoder or ZipDirectory(), stored=(stored_ids or ()) if updating else ()
        )
    if area_centres:
        custom.fill_area_centres(checker, area_centres)
    text_checks.check_text(checker, text_limits)
    if kept:
        _new_rows_need(checker, kept, stored_ids or ())
    check_required(checker, skip=kept)
    check_duplicates(checker)
    if known_ids is not None:
        references.check_references(checker, known_ids, rep_names, territory_plans, account_names)
    stored_checks.check_geo_kinds(checker, stored_units)
    stored_checks.check_cycles(checker, stored_links)
    issues = (
        pl.concat(checker.issues).sort("row", maintain_order=True)
        if checker.issues
        else pl.DataFrame(schema=_ISSUE_SCHEMA)
    )
    issues = settle_deleted_accounts(checker, issues, stored_accounts or stored_ids)
    removed = checker.removed  # left out, not refused: their own problems go unsaid
    issues = issues.filter(~pl.col("row").is_in(removed.implode()))
    errors = issues.filter(pl.col("severity") == "error")["row"].unique()
    bad = pl.concat([errors, removed]).unique()
    # after every check: a new value is spelled as most of the rows imported spell it
    one_spelling(checker, spellings or {}, refused=bad)
    report.warnings.extend(checker.warnings_of(bad))
    tally.settle(bad)
    report.warnings[:] = list(dict.fromkeys(report.warnings))
    accepted = checker.ctx.filter(~pl.col(ROW).is_in(bad.implode()))
    frame = canonical_frame(accepted, spec)
    report.accepted = frame.height
    report.rejected = report.rows_read - frame.height - removed.len()
    if removed.len():
        left_out = checker.ctx.filter(pl.col(ROW).is_in(removed.implode()))["id"]
        report.details["removed_ids"] = sorted(left_out.drop_nulls().unique().to_list())
    if GEOCODED in accepted.columns:
        report.geocoded = int(accepted[GEOCODED].sum())
    report.issues.extend(
        ImportIssue(table.file, **row)
        for row in issues.select(list(_ISSUE_SCHEMA)).iter_rows(named=True)
    )
    _collapse_repeated_warnings(report)
    if readings is None:  # one table: judge its currencies now
        tally.finish(report, currencies)
        if report.file_errors:
            frame = empty_frame(spec.kind)
            report.accepted, report.rejected = 0, report.rows_read
    logger.info(
        "%s: %d rows, %d accepted, %d rejected",
        table.file,
        report.rows_read,
        report.accepted,
        report.rejected,
    )
    return ValidationResult(frame, report, tuple(sorted(removed.to_list())))


def missing_columns(table: SourceTable) -> list[str]:
    """The required fields ``table`` has no column for (nor derives)."""
    spec = kind_spec(table.kind)
    return [f for f in spec.required_columns if not _column_present(table, spec, f)]


def _updates_stored(
    table: SourceTable,
    stored_ids: Collection[str] | None,
    stored_forms: Mapping[str, str] | None = None,
) -> bool:
    """Whether some row of ``table`` names a stored record, by its id or by the id's other
    Salesforce form (else a missing required column is the file's error, as for a first
    import)."""
    column = table.columns.fields.get("id")
    if not stored_ids or column is None:
        return False
    ids = table.frame[column].cast(pl.String).str.strip_chars()
    named = [*stored_ids, *(stored_forms or {})]
    return bool(ids.is_in(pl.Series(named, dtype=pl.String).implode()).any())


def _removes_rows(table: SourceTable, spec: KindSpec) -> bool:
    """Whether some row is flagged deleted in a kind whose deleted rows only remove the
    stored record (``Id,IsDeleted`` sent again after the records are gone)."""
    column = table.columns.fields.get("deleted")
    if not spec.removes_deleted or column is None:
        return False
    return bool(table.frame.select(parse_bool(clean_text(column)).fill_null(False).any()).item())


def _new_rows_need(checker: Checker, kept: list[str], stored_ids: Collection[str]) -> None:
    """A row whose id is stored keeps its stored values of the fields the file has no column
    for; a row with a new id has none to keep, so each such field is an error on it (unless
    it is flagged deleted where that removes the record: nothing of it is written)."""
    stored = pl.Series(list(stored_ids), dtype=pl.String).implode()
    new = pl.col("id").is_not_null() & ~pl.col("id").is_in(stored)
    if checker.spec.removes_deleted and "deleted" in checker.ctx.columns:
        new = new & ~pl.col("deleted").eq(True).fill_null(False)
    what = checker.spec.kind.replace("_", " ").removesuffix("s")
    for field in kept:
        checker.add(
            new,
            field,
            f"is required for a new {what} (its id is not stored yet, and the file has no"
            " column for it)",
        )


#: Fields any of which places an account or lead on the map (latitude with longitude).
_LOCATION_FIELDS = ("postal_code", "latitude", "county_fips")
#: Words of a header that may hold a postal code a mapping file should name.
_POSTAL_WORDS = ("zip", "postal", "postcode", "code")


def _no_location(table: SourceTable, spec: KindSpec) -> str | None:
    """The warning for a file of new accounts or leads with no column giving a postal code,
    coordinates or a county but one whose header reads like a postal code's (a CRM whose ZIP
    header is not recognised: its ZIPs would be kept as a custom attribute), naming such
    columns; None otherwise."""
    if spec.kind not in ("accounts", "leads"):
        return None
    fields = table.columns.fields
    if any(fields.get(name) is not None for name in _LOCATION_FIELDS):
        return None
    what = spec.kind
    maybe = [
        column
        for column in table.columns.attributes.values()
        if any(word in normalize_header(column) for word in _POSTAL_WORDS)
    ]
    if not maybe:  # a list of names and owners, say: nothing to point at
        return None
    named = ", ".join(repr(short(c)) for c in maybe[:3])
    return (
        f"no column gives the {what}' postal code, coordinates or county (a column such as"
        f" {named} may hold it): they are"
        " imported without a location, so no county, ZIP or area design, geographic rule or"
        " map places them; map the ZIP column to postal_code in a mapping file (--mapping)"
    )


def _column_present(table: SourceTable, spec: KindSpec, field: str) -> bool:
    if table.columns.fields.get(field) is not None:
        return True
    if field == "period_end" and infers_end(spec.kind, set(table.columns.fields)):
        return True  # read from the start dates (period_ends.py)
    if field == "id" and derives_ids(spec.kind, set(table.columns.fields)):
        return True  # made from each row's key fields (derived_ids.py)
    # Geo units of kind ZIP can take their centroid from the ZIP table.
    return spec.kind == "geo_units" and field in ("latitude", "longitude")


#: A row-level warning repeated on more rows than this becomes one report-level warning.
REPEATED_WARNING_ROWS = 5


def _collapse_repeated_warnings(report: ImportReport) -> None:
    """Say each warning once: the same warning on many rows (thousands of Canadian accounts,
    say) becomes one line naming how many rows and the first few of them."""
    groups: dict[tuple[str | None, str], list[ImportIssue]] = {}
    for issue in report.issues:
        if issue.severity == "warning" and issue.row is not None:
            groups.setdefault((issue.field, issue.reason), []).append(issue)
    collapsed = {key for key, issues in groups.items() if len(issues) > REPEATED_WARNING_ROWS}
    if not collapsed:
        return
    report.issues[:] = [
        i
        for i in report.issues
        if not (i.severity == "warning" and i.row is not None and (i.field, i.reason) in collapsed)
    ]
    for field_name, reason in sorted(collapsed, key=lambda k: (str(k[0]), k[1])):
        rows = [i.row for i in groups[(field_name, reason)]]
        first = ", ".join(str(r) for r in rows[:3])
        report.warnings.append(
            f"{len(rows):,} rows, field {field_name}: {reason} (rows {first}, ...)"
        )
