"""Accounts and leads in custom areas: a postal code that is a stored area's id.

A company outside the US draws custom areas named by its own postal codes (``6494`` in
Portugal, ``12345`` in Germany) and often exports accounts with the country left blank, its
home country going without saying. A blank country reads as the US (see
:mod:`terraplan.io.locations`), so such a code would become a US ZIP: the account would be
placed in Connecticut or New York, its state and county filled from there, outside its area,
with nothing said. An account or lead with no country whose code is an area's id is refused
when reading it as a US ZIP would take it out of the area; the message names the row, the
area and the fix (give the country). A code whose US ZIP lies where the area is (a US
company's own polygon around its ZIP) is not in doubt and reads as the ZIP.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from terraplan.io.checker import GEOCODED, Checker
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.locations import AREA_ROW, FAR_FROM_ZIP_KM, is_us_row, km_apart, zip_frame
from terraplan.rules.place_columns import zip5

_FIX = "give the row's country (code or name) to keep it in the area"


def check_custom_areas(
    checker: Checker,
    areas: Mapping[str, str],
    centres: Mapping[str, tuple[float, float]] | None = None,
    geocoder: ZipDirectory | None = None,
) -> None:
    """Refuse an account or lead with no country whose postal code, as typed, is the id of a
    stored custom area (``areas``: id -> name) that a US reading would take out of the area:

    - the US reading changes the code (``6494`` -> ZIP 06494, Connecticut; ``42`` -> 00042);
    - or it keeps the code (``12345``) and, in the ZIP table of ``geocoder``, that is no
      known ZIP, or a ZIP more than :data:`FAR_FROM_ZIP_KM` from the area's centre
      (``centres``: id -> latitude, longitude), or the area has no centre to compare.

    The row's country decides: another country keeps the code as typed, in the area; a US
    row reads it as a ZIP. Without ``geocoder`` only the first case is checked."""
    if checker.spec.kind not in ("accounts", "leads") or not areas:
        return
    col = pl.col
    postal = checker.spec.postal_field
    assert postal is not None
    if not checker.has(postal):
        return
    typed = col(postal).cast(pl.String).str.strip_chars()
    as_zip = zip5(col(postal))
    area = typed.replace_strict(
        pl.Series(list(areas), dtype=pl.String),
        pl.Series(list(areas.values()), dtype=pl.String),
        default=None,
        return_dtype=pl.String,
    )
    in_area = col("country").is_null() & area.is_not_null() & as_zip.is_not_null()
    moved = (in_area & (as_zip != typed)).fill_null(False)
    checker.add(
        moved,
        postal,
        pl.concat_str(
            pl.lit("the row has no country and its postal code is custom area "),
            typed,
            pl.lit(" ("),
            area,
            pl.lit("), which a US row would read as ZIP "),
            as_zip,
            pl.lit(f", outside the area: {_FIX}, or, for a US row, the ZIP's 5 digits ("),
            as_zip,
            pl.lit(")"),
        ),
    )
    same = (in_area & (as_zip == typed)).fill_null(False)
    refused = moved
    if geocoder is not None and checker.ctx.select(same.any()).item():
        refused = moved | _same_code_elsewhere(checker, same, typed, area, centres or {}, geocoder)
    # said once: the US ZIP checks do not read these rows again
    checker.ctx = checker.ctx.with_columns(refused.alias(AREA_ROW))


def _same_code_elsewhere(
    checker: Checker,
    same: pl.Expr,
    typed: pl.Expr,
    area: pl.Expr,
    centres: Mapping[str, tuple[float, float]],
    geocoder: ZipDirectory,
) -> pl.Expr:
    """Refuse the ``same`` rows (no country, a code that is both an area's id and a
    well-formed ZIP) whose ZIP is unknown or lies away from the area; returns their mask."""
    col = pl.col
    ids = pl.Series(list(centres), dtype=pl.String)

    def centre(i: int) -> pl.Expr:
        values = pl.Series([c[i] for c in centres.values()], dtype=pl.Float64)
        return typed.replace_strict(ids, values, default=None, return_dtype=pl.Float64)

    zips = zip_frame(geocoder).select(
        pl.col("__zip__").alias(_ZIP),
        pl.col("__lat__").alias(_LAT),
        pl.col("__lon__").alias(_LON),
        pl.col("__state__").alias(_STATE),
    )
    checker.ctx = checker.ctx.with_columns(typed.alias(_ZIP)).join(
        zips, on=_ZIP, how="left", maintain_order="left"
    )
    km = km_apart(centre(0), centre(1), col(_LAT), col(_LON))
    known = col(_LAT).is_not_null()
    elsewhere = (same & (~known | km.is_null() | (km > FAR_FROM_ZIP_KM))).fill_null(False)
    distance = pl.concat_str(pl.lit(", "), km.round(0).cast(pl.Int64), pl.lit(" km from the area"))
    where = (
        pl.when(known)
        .then(
            pl.concat_str(
                pl.lit(", also the US ZIP "),
                typed,
                pl.lit(" ("),
                col(_STATE),
                distance.fill_null(""),
                pl.lit(f"): {_FIX}, or US for a US row"),
            )
        )
        .otherwise(pl.lit(f", and no known US ZIP: {_FIX}"))
    )
    checker.add(
        elsewhere,
        checker.spec.postal_field or "postal_code",
        pl.concat_str(
            pl.lit("the row has no country and its postal code is custom area "),
            typed,
            pl.lit(" ("),
            area,
            pl.lit(")"),
            where,
        ),
    )
    refused = checker.ctx.select(elsewhere.alias("refused"))["refused"]
    checker.ctx = checker.ctx.drop(_ZIP, _LAT, _LON, _STATE)
    return pl.lit(refused)


_ZIP, _LAT, _LON, _STATE = "__area_zip__", "__area_lat__", "__area_lon__", "__area_state__"


def fill_area_centres(checker: Checker, centres: Mapping[str, tuple[float, float]]) -> None:
    """An account or lead outside the US with no coordinates whose postal code, as typed, is
    a stored custom area's id (``centres``: id -> latitude, longitude) is placed at the
    area's centre, as a US row is at its ZIP's: matching measured no distance to such
    accounts and the map drew none of them. Counted as geocoded."""
    if checker.spec.kind not in ("accounts", "leads") or not centres:
        return
    postal = checker.spec.postal_field
    if postal is None or not checker.has(postal):
        return
    col = pl.col
    ids = pl.Series(list(centres), dtype=pl.String)

    def looked_up(i: int) -> pl.Expr:
        values = pl.Series([c[i] for c in centres.values()], dtype=pl.Float64)
        typed = col(postal).cast(pl.String).str.strip_chars()
        return typed.replace_strict(ids, values, default=None, return_dtype=pl.Float64)

    lat, lon = looked_up(0), looked_up(1)
    missing = [
        col(c).is_null() if checker.has(c) or c in checker.ctx.columns else pl.lit(True)
        for c in ("latitude", "longitude")
    ]
    fill = (~is_us_row(checker) & lat.is_not_null() & missing[0] & missing[1]).fill_null(False)
    geocoded = col(GEOCODED) if GEOCODED in checker.ctx.columns else pl.lit(False)
    checker.ctx = checker.ctx.with_columns(
        pl.when(fill).then(lat).otherwise(col("latitude")).alias("latitude"),
        pl.when(fill).then(lon).otherwise(col("longitude")).alias("longitude"),
        (geocoded | fill).alias(GEOCODED),
    )
