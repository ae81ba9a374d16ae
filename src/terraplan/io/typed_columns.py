"""Typing the mapped columns of a source table: cleaned text, mapped values and the decimal
separator, parsed into the typed fields and custom attributes that validation checks.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from terraplan.io import parsing
from terraplan.io.batch_readings import BatchReadings
from terraplan.io.canonical import DTYPES
from terraplan.io.checker import RAW
from terraplan.io.currency import MONEY_FIELDS, split_codes
from terraplan.io.date_orders import declared_order_note
from terraplan.io.readers import ROW, SourceTable
from terraplan.io.report import ImportReport, short
from terraplan.io.schema import GEO_NUMERIC_ATTRIBUTES, FieldSpec, KindSpec
from terraplan.io.time_zones import declared_zone_note


def typed_columns(
    table: SourceTable, spec: KindSpec, report: ImportReport, readings: BatchReadings | None
) -> pl.DataFrame:
    """Clean and type every mapped column; build ``ctx`` (see :class:`~terraplan.io.checker.Checker`)."""
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
    # Cells that were typed numbers (XLSX numbers, Parquet floats) with a fraction read as
    # "2.125" whatever the file's text numbers use: they show no decimal separator and are
    # always read with a point (a decimal comma would make 2.125 into 2125).
    typed = {
        column: rows
        for column, source in (
            *fields.items(),
            *((f"attributes.{n}", c) for n, c in table.columns.attributes.items()),
        )
        if (rows := table.fractional.get(source))
    }
    shown_text = text.with_columns(
        pl.when(pl.col(ROW).is_in(rows)).then(None).otherwise(pl.col(column)).alias(column)
        for column, rows in typed.items()
    )
    decimal = _decimal_mode(table, spec, shown_text)
    report.details["decimal"] = decimal or "unknown"
    declared = table.decimal is not None
    year_limit = parsing.two_digit_year_limit()
    dates = _date_orders(table, spec, text, readings)
    deciders = parsing.file_day_first({short(fields[n]): shown for n, (shown, _) in dates.items()})
    # no date of the file shows the order: the numbers' decimal separator decides it
    shows_order = any(day or month for (day, month), _ in dates.values())
    guess = None if shows_order else parsing.guessed_order(decimal)
    declared_order = table.columns.date_order
    if declared_order is not None:  # the mapping file names it: nothing is guessed
        deciders, guess = [], None
        if any(slashed for _, slashed in dates.values()):
            report.warnings.append(declared_order_note(declared_order, table.columns.declared_by))
    time_zone = table.columns.time_zone
    if time_zone is not None and dates:
        report.warnings.append(declared_zone_note(time_zone, table.columns.declared_by))
    guessed: dict[parsing.Guess, list[str]] = {}
    exprs: list[pl.Expr] = []
    for spec_field in spec.fields:
        name = spec_field.name
        if spec_field.type == "attributes":
            continue
        if name not in fields:
            exprs.append(pl.lit(spec_field.default, dtype=DTYPES[spec_field.type]).alias(name))
            if spec_field.type == "list":
                exprs[-1] = pl.lit([], dtype=pl.List(pl.String)).alias(name)
            continue
        mode = decimal
        if not declared and spec_field.type in ("float", "int"):
            mode = parsing.detect_decimal([shown_text[name]]) or decimal
            if (
                mode == "comma"
                and _comma_separated(table)
                and parsing.any_thousands_comma([shown_text[name]])
            ):
                mode = None  # "12,34" beside "$10,000" in a comma-separated file: ask
        if spec_field.type == "date":
            (day, month), any_slashed = dates[name]
            follows = bool(deciders) and any_slashed and not (day or month)
            if declared_order is not None:
                order: bool | None = declared_order == "day first"
                column_guess: parsing.Guess | None = None
            elif readings is not None:
                order = readings.day_first(
                    table,
                    name,
                    text[name],
                    report,
                    follow_day_first=bool(deciders),
                    decimal_comma=guess == "decimal comma",
                )
                state = readings.orders.get(name)
                follows = state == "file"
                column_guess = None
                if state == "comma" and any_slashed:
                    column_guess = "decimal comma"
                elif state == "default" and any_slashed and guess is not None:
                    column_guess = "month first"
            else:
                order = True if follows else None
                column_guess = guess if any_slashed and not (day or month) else None
            parsed, notes = parsing.column_dates(
                text[name],
                short(fields[name]),
                year_limit,
                day_first=order,
                like=deciders if follows else (),
                guess=column_guess,
                time_zone=time_zone,
            )
            report.warnings.extend(notes)
            if column_guess is not None:
                guessed.setdefault(column_guess, []).append(short(fields[name]))
        else:
            parsed = _parser(spec_field, mode)(pl.col(name))
            if spec_field.type in ("float", "int") and name in typed:
                parsed = (
                    pl.when(pl.col(ROW).is_in(typed[name]))
                    .then(_parser(spec_field, "point")(pl.col(name)))
                    .otherwise(parsed)
                )
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
            shown = None if declared else parsing.detect_decimal([shown_text[column]])
            mode = shown or decimal or "point"
            value = parsing.parse_float(pl.col(column), mode)
            if column in typed:
                point = parsing.parse_float(pl.col(column), "point")
                value = pl.when(pl.col(ROW).is_in(typed[column])).then(point).otherwise(value)
            exprs.append(value.alias(column))
            attribute_types[name] = pl.Float64()
        else:
            dtype = parsing.text_type(text[column])
            exprs.append(parsing.cast_text(pl.col(column), dtype).alias(column))
            attribute_types[name] = dtype
    report.warnings.extend(parsing.guessed_order_note(c, g) for g, c in guessed.items())
    ctx = text.with_columns(exprs)
    dropped = [f"attributes.{n}" for n in table.columns.attributes if n not in attribute_types]
    return ctx.drop(dropped)


def _date_orders(
    table: SourceTable, spec: KindSpec, text: pl.DataFrame, readings: BatchReadings | None
) -> dict[str, tuple[tuple[bool, bool], bool]]:
    """Per mapped date field: ``((day first, month first), any slashed date)`` as this table
    shows them, with what earlier batches showed (see :func:`parsing.file_day_first`)."""
    shown: dict[str, tuple[tuple[bool, bool], bool]] = {}
    for spec_field in spec.fields:
        name = spec_field.name
        if spec_field.type != "date" or name not in table.columns.fields:
            continue
        day, month, any_slashed = parsing.slashed_orders(text[name])
        if readings is not None:
            was_day, was_month = readings.shown(name)
            day, month = day or was_day, month or was_month
        shown[name] = ((day, month), any_slashed)
    return shown


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
    if (
        detected == "comma"
        and _comma_separated(table)
        and parsing.any_thousands_comma([text[n] for n in numeric])
    ):
        return None  # the cells contradict each other: each ambiguous one is reported
    if detected is not None:
        return detected
    if table.format != "csv" or table.details.get("delimiter", ",") == ",":
        return "point"
    return None


def _comma_separated(table: SourceTable) -> bool:
    return table.format == "csv" and table.details.get("delimiter", ",") == ","


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
