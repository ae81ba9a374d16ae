"""The checks every kind shares: unparsable cells, bounds, date range, coordinate pairs,
required fields and duplicate ids.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

import polars as pl

from terraplan.io import parsing
from terraplan.io.checker import RAW, Checker
from terraplan.io.own_ids import record_keys
from terraplan.io.placeholder_dates import check_placeholder_dates
from terraplan.io.readers import ROW
from terraplan.io.value_hints import date_hint, number_hint

DATE_MIN = date(1900, 1, 1)
"""Earliest date an import accepts."""
DATE_MAX = date(2199, 12, 31)
"""Latest date an import accepts."""

_NOT_TEXT = r"(?i)^[+-]?(nan|inf|infinity)$"

_PARSE_REASONS = {
    "float": "not a number",
    "int": "not a whole number",
    "date": "not a date (use YYYY-MM-DD)",
    "bool": "not a boolean (true/false, yes/no, 1/0)",
}


#: What a spreadsheet shows for a formula that failed (kept as text by CSV and XLSX exports).
EXCEL_ERRORS = frozenset(
    ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA")
)

#: The largest magnitude a number of a record may have (a quadrillion: no sales figure is near).
LARGEST_NUMBER = 1e15


def check_fields(checker: Checker) -> None:
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
                "ambiguous number: the file's numbers do not settle whether its decimal"
                " separator is a point or a comma (1,200 is 1200 or 1.2); declare it"
                " (--decimal-comma or --decimal-point)",
            )
            parse_reason = (
                pl.when(parsing.comma_in_point_number(raw))
                .then(
                    pl.lit(
                        "not a number: the decimal separator is a point, so a comma can only"
                        " separate thousands in groups of three (1,234.5)"
                    )
                )
                .otherwise(pl.lit(_PARSE_REASONS[spec.type]))
            )
            bad = raw.is_not_null() & pl.col(name).is_null() & ~parsing.ambiguous_number(raw)
            checker.add(bad, name, _hinted(checker, name, bad, parse_reason, number_hint))
        elif raw is not None and spec.type in _PARSE_REASONS:
            bad = raw.is_not_null() & pl.col(name).is_null()
            reason: str | pl.Expr = _PARSE_REASONS[spec.type]
            if spec.type == "date":
                reason = _hinted(checker, name, bad, pl.lit(reason), date_hint)
            checker.add(bad, name, reason)
        if spec.type == "enum" and raw is not None:
            reason = f"unknown {name}; use one of {', '.join(spec.choices)}"
            checker.add(raw.is_not_null() & pl.col(name).is_null(), name, reason)
        if spec.minimum is not None and spec.type in ("float", "int"):
            why = f": {spec.below_minimum}" if spec.below_minimum else ""
            checker.add(pl.col(name) < spec.minimum, name, f"must be >= {spec.minimum:g}{why}")
        if spec.type in ("float", "int"):
            # 1e308 is a finite float, but sums of it overflow (a design's balance, KPIs)
            checker.add(
                pl.col(name).abs() > LARGEST_NUMBER,
                name,
                f"larger than {LARGEST_NUMBER:.0e} in absolute value: not a real figure",
            )
        if spec.type == "date":
            out = (pl.col(name) < DATE_MIN) | (pl.col(name) > DATE_MAX)
            checker.add(out, name, f"date out of range ({DATE_MIN} .. {DATE_MAX})")
            # reported once: later checks (ends before it starts) see no date
            checker.ctx = checker.ctx.with_columns(
                pl.when(out).then(None).otherwise(pl.col(name)).alias(name)
            )
            check_placeholder_dates(checker, spec)
        if spec.type == "str":
            checker.add(
                pl.col(name).is_in(list(EXCEL_ERRORS)),
                name,
                "an Excel error value, not a value: fix the formula or clear the cell",
            )
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


def _hinted(
    checker: Checker,
    name: str,
    bad: pl.Expr,
    generic: pl.Expr,
    hint: Callable[[str, str], str],
) -> pl.Expr:
    """``generic`` (a reason per row), made specific by ``hint`` on the refused cells (see
    :mod:`terraplan.io.value_hints`); computed for those cells alone."""
    refused = checker.ctx.filter(bad.fill_null(False)).select(
        ROW, pl.col(name + RAW), generic.alias("__generic__")
    )
    if refused.height == 0:
        return generic
    reasons = {
        row: hint(text, reason) for row, text, reason in refused.iter_rows() if text is not None
    }
    return pl.col(ROW).replace_strict(reasons, default=generic, return_dtype=pl.String)


def check_required(checker: Checker, skip: Collection[str] = ()) -> None:
    """Each required field has a value; ``skip``: fields the file has no column for whose
    stored values the rows keep (checked by the caller for rows with new ids)."""
    for spec in checker.spec.fields:
        if not spec.required or spec.type == "attributes" or spec.name in skip:
            continue
        name = spec.name
        if name + RAW in checker.ctx.columns:  # unparsable cells were reported already
            mask = pl.col(name).is_null() & pl.col(name + RAW).is_null()
        else:
            mask = pl.col(name).is_null()
        if name in ("latitude", "longitude") and checker.spec.kind == "geo_units":
            # a point or an empty shape has no centroid: its polygon error says why
            mask = mask & ~pl.col(ROW).is_in(_error_rows(checker, "polygon").implode())
        checker.add(mask, name, "is required")


def _error_rows(checker: Checker, field: str) -> pl.Series:
    """The rows with an error on ``field`` so far."""
    if not checker.issues:
        return pl.Series("row", [], dtype=pl.Int64)
    issues = pl.concat(checker.issues)
    wanted = (pl.col("severity") == "error") & (pl.col("field") == field)
    return issues.filter(wanted)["row"].unique()


def check_duplicates(checker: Checker) -> None:
    """A second row naming the same record is refused, naming the first: the same id, or
    one Salesforce id in its 15- and 18-character forms (:mod:`~terraplan.io.own_ids`)."""
    key = record_keys(checker.ctx["id"])
    first = pl.col(ROW).first().over(key)
    written = checker.value_of("id")  # the file's text, before a stored form replaced it
    first_written = written.first().over(key)
    same = pl.concat_str(pl.lit("duplicate id (first at row "), first.cast(pl.String), pl.lit(")"))
    forms = pl.concat_str(
        pl.lit("duplicate id (first at row "),
        first.cast(pl.String),
        pl.lit(" as "),
        first_written,
        pl.lit(": one Salesforce record in its 15- and 18-character forms)"),
    )
    reason = pl.when(written == first_written).then(same).otherwise(forms)
    mask = pl.col("id").is_not_null() & ~key.is_first_distinct()
    checker.add(mask, "id", reason)
