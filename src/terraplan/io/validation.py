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
once how many rows name an owner that is not a known rep yet.

Other checks on every kind: text numbers follow the decimal separator (declared for the file,
else shown by the column's own numbers, else by the file's other numbers (amounts before
coordinates), else a decimal point
for XLSX, Parquet and comma-delimited CSV; an ambiguous ``1,200`` is an error when it cannot be
known); dates lie in
:data:`DATE_MIN` .. :data:`DATE_MAX`; a text field (a name, an id) refuses a cell stored as a
number (XLSX, Parquet) that is NaN, infinite or fractional (a whole number reads as its
digits: ``1234.0`` -> ``"1234"``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from terraplan.io import parsing
from terraplan.io.batch_readings import BatchReadings
from terraplan.io.currency import MONEY_FIELDS, Currencies, split_codes, with_codes_in_amounts
from terraplan.io.currency_tally import CurrencyTally
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.readers import ROW, SourceTable
from terraplan.io.report import MAX_QUOTED, ImportIssue, ImportReport, short
from terraplan.io.schema import GEO_NUMERIC_ATTRIBUTES, FieldSpec, KindSpec, kind_spec

logger = logging.getLogger(__name__)

RAW = "\x00raw"
"""Suffix of the columns keeping a typed field's text (for issue values)."""

DATE_MIN = date(1900, 1, 1)
"""Earliest date an import accepts."""
DATE_MAX = date(2199, 12, 31)
"""Latest date an import accepts."""

_NOT_TEXT = r"(?i)^[+-]?(nan|inf|infinity)$"

GEOCODED = "__geocoded__"
"""Boolean column of ``Checker.ctx`` set by geocoding: coordinates came from the ZIP table."""

_ISSUE_SCHEMA = {
    "row": pl.Int64,
    "column": pl.String,
    "field": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "severity": pl.String,
}

_PARSE_REASONS = {
    "float": "not a number",
    "int": "not a whole number",
    "date": "not a date (use YYYY-MM-DD)",
    "bool": "not a boolean (true/false, yes/no, 1/0)",
}

_DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "enum": pl.String(),
    "json": pl.String(),
    "float": pl.Float64(),
    "int": pl.Int64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
    "list": pl.List(pl.String()),
}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Accepted rows (typed canonical frame, see the module docstring) and the report."""

    frame: pl.DataFrame
    report: ImportReport

    @property
    def ok(self) -> bool:
        return self.report.ok


def empty_frame(kind: str, attributes: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
    """A zero-row canonical frame of ``kind``."""
    return pl.DataFrame(schema=canonical_schema(kind, attributes))


def canonical_schema(
    kind: str, attributes: Mapping[str, pl.DataType] | None = None
) -> dict[str, pl.DataType]:
    """Column name -> polars type of the canonical frame of ``kind``."""
    schema: dict[str, pl.DataType] = {}
    for spec in kind_spec(kind).fields:
        if spec.type == "attributes":
            schema[spec.name] = pl.Struct(dict(attributes or {}))
        else:
            schema[spec.name] = _DTYPES[spec.type]
    return schema


class Checker:
    """The table under validation (``ctx``: typed fields, raw text, ``__row__``) and its issues.

    ``ctx`` keeps its row order from start to end, so masks and frames stay aligned.
    """

    def __init__(self, table: SourceTable, spec: KindSpec, ctx: pl.DataFrame) -> None:
        self.table = table
        self.spec = spec
        self.ctx = ctx
        self.issues: list[pl.DataFrame] = []
        #: File-level warnings (one line each, no row).
        self.warnings: list[str] = []

    def column_of(self, field: str) -> str:
        return self.table.columns.column_of(field)

    def value_of(self, field: str) -> pl.Expr:
        """The cell text of ``field`` as read (falls back to the typed value)."""
        if field + RAW in self.ctx.columns:
            return pl.col(field + RAW)
        if field in self.ctx.columns:
            dtype = self.ctx.schema[field]
            if isinstance(dtype, pl.List):
                return pl.col(field).list.join(";")
            return pl.col(field).cast(pl.String)
        return pl.lit(None, dtype=pl.String)

    def add(
        self,
        mask: pl.Expr,
        field: str,
        reason: str | pl.Expr,
        *,
        severity: str = "error",
        value: pl.Expr | None = None,
    ) -> int:
        """Report every row where ``mask`` is true; returns how many."""
        columns = [
            pl.col(ROW).alias("row"),
            pl.lit(short(self.column_of(field)), dtype=pl.String).alias("column"),
            pl.lit(field, dtype=pl.String).alias("field"),
            _quoted((value if value is not None else self.value_of(field)).cast(pl.String)).alias(
                "value"
            ),
        ]
        if isinstance(reason, str):
            found = self.ctx.filter(mask.fill_null(False)).select(
                *columns,
                pl.lit(reason, dtype=pl.String).alias("reason"),
                pl.lit(severity, dtype=pl.String).alias("severity"),
            )
        else:  # the reason may use window expressions: evaluate it on the whole table
            found = (
                self.ctx.select(
                    *columns,
                    reason.cast(pl.String).alias("reason"),
                    pl.lit(severity, dtype=pl.String).alias("severity"),
                    mask.fill_null(False).alias("__mask__"),
                )
                .filter(pl.col("__mask__"))
                .drop("__mask__")
            )
        if found.height:
            self.issues.append(found)
        return found.height

    def error_rows(self) -> pl.Series:
        """Row numbers with at least one error so far."""
        if not self.issues:
            return pl.Series("row", [], dtype=pl.Int64)
        issues = pl.concat(self.issues)
        return issues.filter(pl.col("severity") == "error")["row"].unique()

    def has(self, field: str) -> bool:
        return field in self.table.columns.fields


def _quoted(value: pl.Expr) -> pl.Expr:
    """Cell text cut to :data:`MAX_QUOTED` characters for a report."""
    cut = pl.concat_str(value.str.slice(0, MAX_QUOTED), pl.lit("…"))
    return pl.when(value.str.len_chars() > MAX_QUOTED).then(cut).otherwise(value)


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
    currencies are refused). Row problems become issues, never exceptions.
    """
    from terraplan.io import kind_checks, locations, references

    spec = kind_spec(table.kind)
    table = with_codes_in_amounts(table)  # EUR 1,000.00: the currency in the amount
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
    missing = [f for f in spec.required_columns if not _column_present(table, spec, f)]
    for field in missing:
        report.issues.append(
            ImportIssue(
                table.file, None, None, field, None, f"required column {field!r} is missing"
            )
        )
    if table.frame.height == 0:
        report.issues.append(
            ImportIssue(table.file, None, None, None, None, "the file has no data rows")
        )
    if report.issues:
        report.rejected = report.rows_read
        return ValidationResult(empty_frame(spec.kind), report)

    parsed = _parse(table, spec, report, readings)
    if report.file_errors:
        report.rejected = report.rows_read
        return ValidationResult(empty_frame(spec.kind), report)
    checker = Checker(table, spec, parsed)
    _generic_checks(checker)
    kind_checks.check_kind(checker)
    currencies = currencies or Currencies()
    tally = CurrencyTally() if readings is None else readings.currencies
    tally.apply(checker, currencies)
    locations.normalize_places(checker)
    if geocode and (spec.postal_field is not None or spec.kind == "geo_units"):
        locations.apply_geocoding(checker, geocoder or ZipDirectory())
    _required_checks(checker)
    _duplicate_checks(checker)
    if known_ids is not None:
        references.check_references(checker, known_ids, rep_names, territory_plans)
    report.warnings.extend(checker.warnings)
    report.warnings[:] = list(dict.fromkeys(report.warnings))

    issues = (
        pl.concat(checker.issues).sort("row", maintain_order=True)
        if checker.issues
        else pl.DataFrame(schema=_ISSUE_SCHEMA)
    )
    bad = issues.filter(pl.col("severity") == "error")["row"].unique()
    accepted = checker.ctx.filter(~pl.col(ROW).is_in(bad.implode()))
    frame = _output(accepted, spec)
    report.accepted = frame.height
    report.rejected = report.rows_read - frame.height
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
    return ValidationResult(frame, report)


def _column_present(table: SourceTable, spec: KindSpec, field: str) -> bool:
    if table.columns.fields.get(field) is not None:
        return True
    # Geo units of kind ZIP can take their centroid from the ZIP table.
    return spec.kind == "geo_units" and field in ("latitude", "longitude")


def _parse(
    table: SourceTable, spec: KindSpec, report: ImportReport, readings: BatchReadings | None
) -> pl.DataFrame:
    """Clean and type every mapped column; build ``ctx`` (see :class:`Checker`)."""
    fields = table.columns.fields
    text = table.frame.select(
        pl.col(ROW),
        *(parsing.clean_text(column).alias(field) for field, column in fields.items()),
        *(
            parsing.clean_text(column).alias(f"attributes.{name}")
            for name, column in table.columns.attributes.items()
        ),
    )
    if table.columns.values:
        text = text.with_columns(
            _map_values(pl.col(name), table.columns.values[name]).alias(name)
            for name in table.columns.values
            if name in text.columns
        )
    money = MONEY_FIELDS.get(spec.kind, "amount")
    if "currency" in fields and fields["currency"] == fields.get(money):
        text = split_codes(text, money)
    decimal = _decimal_mode(table, spec, text)
    report.details["decimal"] = decimal or "unknown"
    declared = table.decimal is not None
    year_limit = parsing.two_digit_year_limit()
    exprs: list[pl.Expr] = []
    for spec_field in spec.fields:
        name = spec_field.name
        if spec_field.type == "attributes":
            continue
        if name not in fields:
            exprs.append(pl.lit(spec_field.default, dtype=_DTYPES[spec_field.type]).alias(name))
            if spec_field.type == "list":
                exprs[-1] = pl.lit([], dtype=pl.List(pl.String)).alias(name)
            continue
        mode = decimal
        if not declared and spec_field.type in ("float", "int"):
            mode = parsing.detect_decimal([text[name]]) or decimal
        if spec_field.type == "date":
            order = (
                None if readings is None else readings.day_first(table, name, text[name], report)
            )
            parsed, notes = parsing.column_dates(
                text[name], short(fields[name]), year_limit, day_first=order
            )
            report.warnings.extend(notes)
        else:
            parsed = _parser(spec_field, mode)(pl.col(name))
        if spec_field.type not in ("str", "list"):
            exprs.append(pl.col(name).alias(name + RAW))
        if spec_field.default is not None:
            parsed = (
                pl.when(pl.col(name).is_null()).then(pl.lit(spec_field.default)).otherwise(parsed)
            )
        exprs.append(parsed.alias(name))
    attribute_types: dict[str, pl.DataType] = {}
    for name in table.columns.attributes:
        column = f"attributes.{name}"
        if spec.extra_columns == "numeric":
            dtype = parsing.text_type(text[column])
            if name.lower() not in GEO_NUMERIC_ATTRIBUTES and dtype not in (
                pl.Int64,
                pl.Float64,
            ):
                report.warnings.append(
                    f"column {table.columns.attributes[name]!r} is not numeric and is ignored"
                )
                continue
            exprs.append(pl.col(column).alias(column + RAW))
            exprs.append(parsing.parse_float(pl.col(column)).alias(column))
            attribute_types[name] = pl.Float64()
        else:
            dtype = parsing.text_type(text[column])
            exprs.append(parsing.cast_text(pl.col(column), dtype).alias(column))
            attribute_types[name] = dtype
    ctx = text.with_columns(exprs)
    dropped = [f"attributes.{n}" for n in table.columns.attributes if n not in attribute_types]
    return ctx.drop(dropped)


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


def _map_values(text: pl.Expr, table: Mapping[str, str | None]) -> pl.Expr:
    """``text`` with the mapping file's values replaced (ignoring case and extra spaces)."""
    keyed = {" ".join(k.split()).lower(): v for k, v in table.items()}
    key = text.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()
    mapped = key.replace_strict(keyed, default=None, return_dtype=pl.String)
    return pl.when(key.is_in(list(keyed))).then(mapped).otherwise(text)


def _decimal_mode(table: SourceTable, spec: KindSpec, text: pl.DataFrame) -> parsing.Decimal | None:
    """Declared, else shown by the numbers, else by the format (see the module docstring)."""
    if table.decimal is not None:
        return table.decimal
    numeric = [f.name for f in spec.fields if f.type in ("float", "int") and f.name in text.columns]
    # Amounts first: coordinates often keep a decimal point in files with decimal commas.
    amounts = [n for n in numeric if not n.endswith(("latitude", "longitude"))]
    detected = parsing.detect_decimal([text[n] for n in amounts]) or parsing.detect_decimal(
        [text[n] for n in numeric]
    )
    if detected is not None:
        return detected
    if table.format != "csv" or table.details.get("delimiter", ",") == ",":
        return "point"
    return None


def _parser(spec: FieldSpec, decimal: parsing.Decimal | None):  # type: ignore[no-untyped-def]
    if spec.type == "float":
        return lambda e: parsing.parse_float(e, decimal)
    if spec.type == "int":
        return lambda e: parsing.parse_int(e, decimal)
    if spec.type == "bool":
        return parsing.parse_bool
    if spec.type == "list":
        return parsing.parse_list
    if spec.type == "enum":
        synonyms = parsing.ENUM_SYNONYMS.get(spec.name, {})
        return lambda e: parsing.parse_enum(e, spec.choices, synonyms)
    return lambda e: e


def _generic_checks(checker: Checker) -> None:
    """Unparsable cells, lower bounds, coordinate pairs and ranges."""
    for spec in checker.spec.fields:
        name = spec.name
        if not checker.has(name):
            continue
        raw = pl.col(name + RAW) if name + RAW in checker.ctx.columns else None
        if raw is not None and spec.type in ("float", "int"):
            ambiguous = raw.is_not_null() & pl.col(name).is_null() & parsing.ambiguous_number(raw)
            checker.add(
                ambiguous,
                name,
                "ambiguous number: nothing in the file tells whether its decimal separator is"
                " a point or a comma (1,200 is 1200 or 1.2); declare it"
                " (--decimal-comma or --decimal-point)",
            )
            checker.add(
                raw.is_not_null() & pl.col(name).is_null() & ~parsing.ambiguous_number(raw),
                name,
                _PARSE_REASONS[spec.type],
            )
        elif raw is not None and spec.type in _PARSE_REASONS:
            checker.add(raw.is_not_null() & pl.col(name).is_null(), name, _PARSE_REASONS[spec.type])
        if spec.type == "enum" and raw is not None:
            reason = f"unknown {name}; use one of {', '.join(spec.choices)}"
            checker.add(raw.is_not_null() & pl.col(name).is_null(), name, reason)
        if spec.minimum is not None and spec.type in ("float", "int"):
            checker.add(pl.col(name) < spec.minimum, name, f"must be >= {spec.minimum:g}")
        if spec.type == "date":
            out = (pl.col(name) < DATE_MIN) | (pl.col(name) > DATE_MAX)
            checker.add(out, name, f"date out of range ({DATE_MIN} .. {DATE_MAX})")
            # reported once: later checks (ends before it starts) see no date
            checker.ctx = checker.ctx.with_columns(
                pl.when(out).then(None).otherwise(pl.col(name)).alias(name)
            )
        if spec.type == "str":
            rows = checker.table.fractional.get(checker.column_of(name))
            if rows:
                not_text = (
                    pl.when(pl.col(name).str.contains(_NOT_TEXT))
                    .then(pl.lit("NaN or infinity stored as a number: not a text value"))
                    .otherwise(pl.lit("a fractional number where text is expected"))
                )
                checker.add(pl.col(ROW).is_in(rows), name, not_text)
    for column in checker.ctx.columns:
        if column.startswith("attributes.") and column + RAW in checker.ctx.columns:
            mask = pl.col(column + RAW).is_not_null() & pl.col(column).is_null()
            checker.add(mask, column, "not a number")
    prefix = "home_" if checker.spec.kind == "reps" else ""
    _coordinate_checks(checker, prefix + "latitude", prefix + "longitude")


def _coordinate_checks(checker: Checker, lat: str, lon: str) -> None:
    if not (checker.has(lat) or checker.has(lon)):
        return
    checker.add(pl.col(lat).abs() > 90, lat, "latitude is outside [-90, 90]")
    checker.add(pl.col(lon).abs() > 180, lon, "longitude is outside [-180, 180]")
    if checker.spec.kind == "geo_units":
        return  # missing centroids are "required" issues after geocoding
    # A coordinate that failed to parse is already reported; do not blame its partner.
    lat_text = pl.col(lat + RAW) if checker.has(lat) else pl.lit(None, dtype=pl.String)
    lon_text = pl.col(lon + RAW) if checker.has(lon) else pl.lit(None, dtype=pl.String)
    pair = "latitude and longitude go together"
    checker.add(lat_text.is_null() & lon_text.is_not_null(), lat, pair)
    checker.add(lon_text.is_null() & lat_text.is_not_null(), lon, pair)


def _required_checks(checker: Checker) -> None:
    for spec in checker.spec.fields:
        if not spec.required or spec.type == "attributes":
            continue
        name = spec.name
        if name + RAW in checker.ctx.columns:  # unparsable cells were reported already
            mask = pl.col(name).is_null() & pl.col(name + RAW).is_null()
        else:
            mask = pl.col(name).is_null()
        checker.add(mask, name, "is required")


def _duplicate_checks(checker: Checker) -> None:
    first = pl.col(ROW).first().over("id")
    reason = pl.concat_str(
        pl.lit("duplicate id (first at row "), first.cast(pl.String), pl.lit(")")
    )
    mask = pl.col("id").is_not_null() & ~pl.col("id").is_first_distinct()
    checker.add(mask, "id", reason)


def _output(accepted: pl.DataFrame, spec: KindSpec) -> pl.DataFrame:
    columns: list[pl.Expr] = []
    for field in spec.fields:
        if field.type == "attributes":
            names = [
                c for c in accepted.columns if c.startswith("attributes.") and not c.endswith(RAW)
            ]
            if names:
                columns.append(
                    pl.struct([pl.col(c).alias(c[len("attributes.") :]) for c in names]).alias(
                        "attributes"
                    )
                )
            else:
                columns.append(pl.lit(None, dtype=pl.Struct({})).alias("attributes"))
        else:
            columns.append(pl.col(field.name).cast(_DTYPES[field.type]))
    return accepted.select(columns)
