"""A table's place columns before a batch assignment (:func:`terraplan.rules.assign_batch`):
read as an import reads them, and a US row's missing county, state and coordinates filled
from its ZIP, as :func:`terraplan.rules.route` reads one record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from terraplan.rules.batch import as_frame, fields_read, us_rows
from terraplan.rules.fields import ZipLookup, ZipPlace, column_name, zip5
from terraplan.rules.model import RuleSet

if TYPE_CHECKING:
    import polars as pl


def read_as_imported(data: Any, rule_set: RuleSet, *, locating: bool = False) -> pl.DataFrame:
    """The table with the place columns the rule set reads (with ``locating``, also those a
    ZIP look-up reads) as :func:`terraplan.rules.route` reads one record's
    (:func:`terraplan.rules.place_columns.read_places`)."""
    import polars as pl

    from terraplan.rules.place_columns import clean_column, read_places

    used = fields_read(rule_set)
    if locating:
        used.update({"country": False, "postal_code": False})
    frame = read_places(as_frame(data), used)
    # every text value trimmed as an import stores it (a no-break space too; blank: NULL),
    # as :func:`terraplan.rules.fields.normalize_values` reads one record
    text = [
        c
        for c in dict.fromkeys(column_name(f) for f in used)
        if c in frame.columns and frame.schema[c] == pl.String
    ]
    return frame.with_columns(clean_column(pl.col(c)).alias(c) for c in text)


def with_locations(data: Any, locate: ZipLookup) -> pl.DataFrame:
    """The table with each US row's missing county FIPS, state and coordinates filled from its
    ZIP, exactly as :func:`terraplan.rules.fields.fill_location` does for one record.

    ``locate`` is called once per distinct ZIP of the rows that miss something.
    """
    import polars as pl

    from terraplan.rules.place_columns import code_text

    frame = as_frame(data)
    if "postal_code" not in frame.columns or frame.height == 0:
        return frame
    codes = frame.select(code_text(frame.schema["postal_code"], "postal_code"))["postal_code"]
    frame = _zip_codes(frame, codes)

    def looked_up(values: list[Any], dtype: Any) -> pl.Expr:
        return pl.col("__code").replace_strict(keys, values, default=None, return_dtype=dtype)

    def empty(col: str, dtype: Any) -> pl.Expr:
        if col not in frame.columns:
            return pl.lit(True)
        value = pl.col(col).cast(dtype, strict=False)
        if dtype == pl.Float64:
            return value.is_null() | value.is_nan()
        return value.is_null() | (value.str.strip_chars() == "")

    us = _us_rows(frame)
    point = empty("latitude", pl.Float64) & empty("longitude", pl.Float64)
    needs = us & (empty("county_fips", pl.Utf8) | empty("state", pl.Utf8) | point)
    wanted = frame.select(needs.fill_null(False).alias("needs"))["needs"]
    places: dict[str, ZipPlace] = {}
    for code in codes.filter(wanted).drop_nulls().unique().to_list():
        five = zip5(code)
        place = locate(five) if five is not None else None
        if place is not None:
            places[code] = place
    if not places:
        return frame
    keys = list(places)
    fills = []
    for col, values, dtype, when in (
        (
            "county_fips",
            [p.county_fips for p in places.values()],
            pl.Utf8,
            empty("county_fips", pl.Utf8),
        ),
        ("state", [p.state for p in places.values()], pl.Utf8, empty("state", pl.Utf8)),
        ("latitude", [p.latitude for p in places.values()], pl.Float64, point),
        ("longitude", [p.longitude for p in places.values()], pl.Float64, point),
    ):
        current = (
            pl.col(col).cast(dtype, strict=False)
            if col in frame.columns
            else pl.lit(None, dtype=dtype)
        )
        found = looked_up(values, dtype)
        take = us & when & found.is_not_null()
        if col in ("latitude", "longitude"):
            other = "longitude" if col == "latitude" else "latitude"
            other_values = [getattr(p, other) for p in places.values()]
            take = take & looked_up(other_values, dtype).is_not_null()
        fills.append(pl.when(take).then(found).otherwise(current).alias(col))
    return frame.with_columns(codes.alias("__code")).with_columns(fills).drop("__code")


def _us_rows(frame: pl.DataFrame) -> pl.Expr:
    """Rows whose country is empty or names the United States."""
    return us_rows(frame.columns)


def _zip_codes(frame: pl.DataFrame, codes: pl.Series) -> pl.DataFrame:
    """The table with each US row's postal code written as its 5-digit ZIP (``8540`` ->
    ``08540``, ``94107-1234`` -> ``94107``), as :func:`terraplan.rules.fields.fill_location`
    does for one record and the importer stores it."""
    import polars as pl

    changed = {}
    for code in codes.drop_nulls().unique().to_list():
        five = zip5(code)
        if five is not None and five != code:
            changed[code] = five
    if not changed:
        return frame
    text = pl.Series("__text", codes)
    fixed = pl.col("__text").replace_strict(changed, default=pl.col("__text"))
    return (
        frame.with_columns(text)
        .with_columns(
            pl.when(_us_rows(frame)).then(fixed).otherwise(pl.col("__text")).alias("postal_code")
        )
        .drop("__text")
    )
