"""Whole columns of states, countries, ZIPs and county FIPS read as an import reads them.

Polars expressions built on the spelling tables of :mod:`terraplan.domain.places`. Imports
(:mod:`terraplan.io.locations`) and the batch evaluator (:func:`terraplan.rules.assign_batch`)
both use them, and :func:`terraplan.rules.fields.normalize_values` reads one record the same
way, so that a table assigned at once, a record routed alone and the same rows imported land in
the same territory.

Imported only where a table is read (it needs Polars): ``import terraplan.rules`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import polars as pl

from terraplan.domain.places import COUNTRIES, CUT_FIPS, DASHED_ZIP, STATE_KEYS, UNDASHED_ZIP4
from terraplan.rules.fields import WHITESPACE

#: Columns :func:`read_places` rewrites.
PLACE_COLUMNS = ("country", "state", "postal_code", "county_fips")


def _key(text: pl.Expr) -> pl.Expr:
    """Lower case, dots and separators as single spaces, trimmed (as
    :func:`terraplan.domain.places.place_key`)."""
    return (
        text.str.to_lowercase()
        .str.replace_all(r"[.\-_,]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def state_code(text: pl.Expr) -> pl.Expr:
    """The USPS code of a US state spelling, else null."""
    return _key(text).replace_strict(STATE_KEYS, default=None, return_dtype=pl.String)


def country_code(text: pl.Expr) -> pl.Expr:
    """The ISO alpha-2 code of a country spelling, else null."""
    return _key(text).replace_strict(COUNTRIES, default=None, return_dtype=pl.String)


def normalize_state(text: pl.Expr) -> pl.Expr:
    """The USPS code when ``text`` spells a US state, else ``text`` as typed (trimmed)."""
    return pl.coalesce(state_code(text), text.str.strip_chars())


def normalize_country(text: pl.Expr) -> pl.Expr:
    """The ISO code when ``text`` spells a known country, else ``text`` as typed (trimmed)."""
    return pl.coalesce(country_code(text), text.str.strip_chars())


def zip5(text: pl.Expr) -> pl.Expr:
    """The 5-digit ZIP of ``text`` or null (``94107-1234``, ``941071234``, ``2134``)."""
    text = text.cast(pl.String).str.strip_chars()
    return (
        pl.when(text.str.contains(UNDASHED_ZIP4))
        .then(text.str.slice(0, 5))
        .otherwise(text.str.extract(DASHED_ZIP, 1).str.zfill(5))
    )


def county_fips(text: pl.Expr) -> pl.Expr:
    """A county FIPS code trimmed, padded when it lost its leading zero (``6075`` ->
    ``06075``); blank is null."""
    text = text.cast(pl.String).str.strip_chars()
    return (
        pl.when(text.str.contains(CUT_FIPS))
        .then(text.str.zfill(5))
        .when(text == "")
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(text)
    )


def code_text(dtype: pl.DataType, col: str, *, pad: pl.Expr | None = None) -> pl.Expr:
    """A postal code / FIPS column as text, whole numbers zero-padded (as
    :func:`terraplan.rules.fields.code_text`: a spreadsheet or JSON sends ``2134``); with
    ``pad``, only on the rows where it holds (a US row: Portugal's 2134 stays 2134), other
    whole numbers as their digits."""
    if dtype.is_numeric():
        number = pl.col(col).cast(pl.Float64, strict=False)
        whole = number.is_finite() & (number == number.floor())
        digits = number.cast(pl.Int64, strict=False).cast(pl.Utf8)
        padded = digits.str.zfill(5)
        fits = whole & number.is_between(0, 99999)
        if pad is not None:
            return (
                pl.when(fits & pad)
                .then(padded)
                .when(whole)
                .then(digits)
                .otherwise(number.cast(pl.Utf8))
            )
        return pl.when(fits).then(padded).otherwise(number.cast(pl.Utf8))
    return pl.col(col).cast(pl.Utf8, strict=False)


def clean_column(text: pl.Expr) -> pl.Expr:
    """A text column as :func:`terraplan.rules.fields.clean_text` reads one value."""
    trimmed = text.str.strip_chars(WHITESPACE)
    return pl.when(trimmed != "").then(trimmed)


def read_places(frame: pl.DataFrame, fields: Collection[str] = PLACE_COLUMNS) -> pl.DataFrame:
    """``frame`` with its place columns among ``fields`` read as
    :func:`terraplan.rules.fields.normalize_values` reads one record: the country as its ISO
    code, a US row's state as its USPS code (``"California"``, ``" calif. "`` -> ``CA``) and
    its postal code as the 5-digit ZIP (``2134``, ``"02134-1234"`` -> ``02134``), any postal
    code trimmed, a county FIPS that lost its zero padded (``6075`` -> ``06075``). Unknown
    spellings are kept (trimmed); a state abroad is kept as given. Idempotent.

    Only the columns asked for are read (with the country when a state or ZIP depends on it),
    so that a table is not cleaned in columns nobody compares.
    """
    present = set(frame.columns)
    wanted = {c for c in PLACE_COLUMNS if c in present and c in fields}
    if not wanted:
        return frame
    # text trimmed of every whitespace (a no-break space too), blank as null, as an import
    # stores it (:func:`terraplan.rules.fields.clean_text`)
    frame = frame.with_columns(
        clean_column(pl.col(c)).alias(c)
        for c in dict.fromkeys((*sorted(wanted), "country"))
        if c in present and frame.schema[c] == pl.String
    )
    if "country" in present and wanted & {"country", "state", "postal_code"}:
        country = pl.col("country").cast(pl.String, strict=False)
        frame = frame.with_columns(_per_value(frame, country, normalize_country).alias("country"))
    # after normalize_country every spelling of the US is "US" (an empty one stays empty)
    us = (
        pl.col("country").is_null() | pl.col("country").is_in(["", "US"])
        if "country" in present
        else pl.lit(True)
    )
    updates: list[pl.Expr | pl.Series] = []
    if "state" in wanted:
        state = pl.col("state").cast(pl.String, strict=False)
        code = _per_value(frame, state, normalize_state)
        updates.append(pl.when(us).then(code).otherwise(state).alias("state"))
    if "postal_code" in wanted:
        updates.append(_zip_codes(frame, us).alias("postal_code"))
    if "county_fips" in wanted:
        fips = code_text(frame.schema["county_fips"], "county_fips")
        updates.append(county_fips(fips).alias("county_fips"))
    return frame.with_columns(updates)


def _zip_codes(frame: pl.DataFrame, us: pl.Expr) -> pl.Series:
    """The postal codes trimmed (blank: null), each US row's as its 5-digit ZIP. Only the rows
    not already 5 digits are read by :func:`zip5`: most of a table's are, and its regular
    expressions over every row cost more than the rest of a 1M-row read (0.5 s)."""
    postal = code_text(frame.schema["postal_code"], "postal_code", pad=us).str.strip_chars()
    codes = frame.select(
        pl.when(postal != "").then(postal).alias("postal_code"),
        us.alias("us"),
    )
    text = pl.col("postal_code")
    odd = codes.select(
        (pl.col("us") & text.is_not_null() & ~text.str.contains(r"^[0-9]{5}$")).arg_true()
    ).to_series()
    column = codes.get_column("postal_code")
    if odd.len() == 0:
        return column
    fixed = column.gather(odd).to_frame().select(pl.coalesce(zip5(text), text)).to_series()
    return column.scatter(odd, fixed)


def _per_value(frame: pl.DataFrame, text: pl.Expr, read: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``read(text)`` computed once per distinct value of ``text``: a state or country column
    repeats a few dozen spellings over millions of rows, and the regular expressions of
    ``read`` cost far more than a look-up (1M states: 0.46 s read row by row, 0.03 s so)."""
    distinct = frame.select(text.drop_nulls().unique().alias("raw"))
    table = distinct.with_columns(read(pl.col("raw")).alias("read"))
    return text.replace_strict(table["raw"], table["read"], default=None, return_dtype=pl.String)
