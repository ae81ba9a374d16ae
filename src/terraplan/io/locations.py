"""Where a record is: states and countries as codes, US postal codes checked and geocoded.

Normalisation (accounts, leads, always; the ``state`` of geo units too): ``country`` becomes an ISO code (``"United
States"``, ``"USA"``, ``"U.S."`` -> ``US``; ``"Canada"`` -> ``CA``), ``state`` of a US row the
USPS code (``"California"``, ``" ca"`` -> ``CA``). A row is a US row when its country is empty
or the United States. A row whose country is another one, or whose country is empty and whose
postal code is Canadian or British (``M5V 2T6``: the country becomes ``CA``), is kept with a
warning: it
is not geocoded and no US ZIP, county or state rule will place it.

One rule for US postal codes, for accounts, leads and rep home ZIPs alike (geocoding on):

- the code must look like a ZIP: 5 digits, ZIP+4 (``94107-1234`` -> ``94107``; without its
  dash, ``941071234``, too, with a warning saying so), or 3-4 digits that lost their leading
  zeros in a spreadsheet, with or without a +4 (``2134`` and ``2134-1234`` -> ``02134``; an
  error when that ZIP is in another state than the row's, as Oregon ``9720``: a ZIP cut
  short); routing reads postal codes the same way; anything else on a US row is an error, 8
  digits too (``21341234`` may be ``02134-1234`` that lost its zero, or a mistyped ZIP+4: the
  error says so, nothing is guessed);
- a well-formed code must be in the ZIP table; an unknown one is an error, unless the row
  gives coordinates (then it is a warning and the coordinates are used);
- a known ZIP fills missing coordinates and ``county_fips``, sets ``country`` to ``US`` and
  ``state`` to the ZIP's state: a typed state that contradicts it is a warning (the ZIP wins).

A rep's ``country`` column (read from files, not stored) is read as an account's: a rep of
another country keeps the home postal code as typed (not checked, not geocoded: ``1054`` in
Portugal is never the US ZIP 01054), with a warning asking for coordinates when the row has
none; without a country column, or with an empty one, a Canadian or British home postal code
is taken as a home outside the US. A rep without a usable home location (no ZIP, no coordinates)
is kept; the report says how matching and capacity then estimate their travel
(:data:`NO_HOME_BASE`). Geo units of kind ``zip`` without a centroid take it from the ZIP
table.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from terraplan.domain.places import DASHED_ZIP, UNDASHED_ZIP4, US_ZIP_SHAPE
from terraplan.io.checker import GEOCODED, RAW, Checker
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.places import FOREIGN_POSTAL
from terraplan.io.readers import ROW
from terraplan.rules.place_columns import (
    country_code,
    county_fips,
    normalize_country,
    normalize_state,
    state_code,
    zip5,
)

_ZIP_COLUMNS = ["__zip__", "__lat__", "__lon__", "__fips__", "__state__"]
#: Rows refused by :func:`terraplan.io.custom_areas.check_custom_areas` (not read as US ZIPs
#: afterwards).
AREA_ROW = "__custom_area__"

#: What matching and capacity do for a rep with no home base: travel is estimated, not left
#: out (the warning once said both "ignore travel", which neither does).
NO_HOME_BASE = (
    "matching gives them the median of the other reps' distances to each territory, and "
    "capacity's visit model measures the travel in their territories from the centre of the "
    "territory's accounts"
)


def _zip_digits(text: pl.Expr) -> pl.Expr:
    """How many digits the ZIP part of ``text`` has as typed (``2134-1234``: 4), or null."""
    return text.cast(pl.String).str.strip_chars().str.extract(DASHED_ZIP, 1).str.len_chars()


def zip_frame(geocoder: ZipDirectory) -> pl.DataFrame:
    """The ZIP table as ``__zip__``, ``__lat__``, ``__lon__``, ``__fips__``, ``__state__``."""
    table = geocoder.table.select(["zip", "lat", "lon", "county_fips", "state"])
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.select(
        pl.col("zip").cast(pl.String).alias("__zip__"),
        pl.col("lat").cast(pl.Float64).alias("__lat__"),
        pl.col("lon").cast(pl.Float64).alias("__lon__"),
        pl.col("county_fips").cast(pl.String).alias("__fips__"),
        pl.col("state").cast(pl.String).alias("__state__"),
    ).unique("__zip__", keep="first")


def _join_zips(checker: Checker, source: pl.Expr, geocoder: ZipDirectory) -> None:
    checker.ctx = checker.ctx.with_columns(zip5(source).alias("__zip__")).join(
        zip_frame(geocoder), on="__zip__", how="left", maintain_order="left"
    )


def _foreign_country(postal: pl.Expr) -> pl.Expr:
    """The country a non-US postal code shape tells (``M5V 2T6`` -> ``CA``), else null."""
    out = pl.lit(None, dtype=pl.String)
    for country, shape in FOREIGN_POSTAL.items():
        out = pl.when(postal.str.contains(shape)).then(pl.lit(country)).otherwise(out)
    return out


def is_us_row(checker: Checker) -> pl.Expr:
    """Whether a row is read as in the US (its country empty or ``US``)."""
    if checker.spec.kind == "reps" and not checker.has("country"):
        return _foreign_country(pl.col("home_postal_code")).is_null()
    return pl.col("country").is_null() | (pl.col("country") == "US")


def normalize_places(checker: Checker) -> None:
    """Countries and US states as codes; non-US rows flagged (see the module docstring)."""
    if checker.spec.kind == "geo_units" and checker.has("state"):
        checker.ctx = checker.ctx.with_columns(normalize_state(pl.col("state")).alias("state"))
    if checker.spec.kind == "reps" and checker.has("country"):
        _rep_countries(checker)
    if checker.spec.kind not in ("accounts", "leads"):
        return
    col = pl.col
    postal = checker.spec.postal_field
    assert postal is not None
    country = normalize_country(col("country"))
    checker.ctx = checker.ctx.with_columns(  # issues quote the values as typed
        col("state").alias("state" + RAW),
        col("country").alias("country" + RAW),
    ).with_columns(pl.coalesce(country, _foreign_country(col(postal))).alias("country"))
    us = is_us_row(checker)
    if checker.has("state"):
        code = state_code(col("state"))
        checker.add(
            us & col("state").is_not_null() & code.is_null() & col(postal).is_null(),
            "state",
            "not a US state: kept as typed",
            severity="warning",
        )
        checker.ctx = checker.ctx.with_columns(
            pl.when(us & code.is_not_null())
            .then(code)
            .otherwise(col("state").str.strip_chars())
            .alias("state")
        )
    if checker.has("country") or checker.has(postal):
        label = "account" if checker.spec.kind == "accounts" else "lead"
        known = country_code(col("country")).is_not_null()
        checker.add(
            ~us,
            "country",
            pl.concat_str(
                pl.lit(f"{label} outside the US (country "),
                col("country"),
                pl.when(known).then(pl.lit("")).otherwise(pl.lit(", not a known country")),
                pl.lit(
                    "): kept, not geocoded; ZIP, county and state rules will not place it,"
                    " rules on its coordinates (custom areas) or other fields can"
                ),
            ),
            severity="warning",
        )


def _rep_countries(checker: Checker) -> None:
    """A rep's country read as an account's (``Portugal`` -> ``PT``; empty: a Canadian or
    British home postal code tells it, else the US). A rep outside the US keeps the home
    postal code as typed, never read as a US ZIP; without coordinates they have no home base,
    which the row's warning says how to give."""
    col = pl.col
    postal = "home_postal_code"
    foreign = _foreign_country(col(postal)) if checker.has(postal) else pl.lit(None, pl.String)
    checker.ctx = checker.ctx.with_columns(col("country").alias("country" + RAW)).with_columns(
        pl.coalesce(normalize_country(col("country")), foreign).alias("country")
    )
    us = is_us_row(checker)
    coords = [f for f in ("home_latitude", "home_longitude") if checker.has(f)]
    located = pl.lit(False)
    if len(coords) == 2:
        located = col("home_latitude").is_not_null() & col("home_longitude").is_not_null()
    known = country_code(col("country")).is_not_null()
    checker.add(
        (~us & ~located).fill_null(False),
        "country",
        pl.concat_str(
            pl.lit("rep outside the US (country "),
            col("country"),
            pl.when(known).then(pl.lit("")).otherwise(pl.lit(", not a known country")),
            pl.lit(
                "): home postal code kept as typed, not geocoded (the ZIP table is the US's);"
                " give home_latitude and home_longitude for a home base, or their travel is"
                " estimated"
            ),
        ),
        severity="warning",
    )


def apply_geocoding(checker: Checker, geocoder: ZipDirectory, stored: Collection[str] = ()) -> None:
    """Check US postal codes and fill locations (see the module docstring). ``stored``: ids
    already stored, whose home base a file without location columns leaves as it is."""
    kind = checker.spec.kind
    col = pl.col
    if kind == "geo_units":
        _geocode_units(checker, geocoder)
        return
    postal = checker.spec.postal_field
    assert postal is not None
    lat, lon = ("home_latitude", "home_longitude") if kind == "reps" else ("latitude", "longitude")
    if not checker.has(postal):
        _homeless_reps(checker, lat, lon, stored)
        return
    _join_zips(checker, col(postal), geocoder)
    us = is_us_row(checker)
    if AREA_ROW in checker.ctx.columns:  # dropped below
        us = us & ~col(AREA_ROW)
    given = col(postal).is_not_null()
    well_formed = col(postal).str.strip_chars().str.contains(US_ZIP_SHAPE)
    found = col("__lat__").is_not_null()
    has_coords = col(lat).is_not_null() & col(lon).is_not_null()
    if kind == "reps":
        follows = (
            "; fix it, give the home base as home_latitude and home_longitude instead (a "
            "home outside the US: also its country, in a country column), or leave it empty "
            "(a rep without a home base is kept, their travel estimated)"
        )
    else:
        follows = "; fix it, or give latitude and longitude"
    eight = col(postal).str.strip_chars().str.contains(r"^[0-9]{8}$")
    checker.add(
        us & given & ~well_formed & ~eight,
        postal,
        "not a US ZIP code (5 digits or ZIP+4)" + follows,
    )
    checker.add(  # a lost leading zero or a mistyped ZIP+4: not guessed
        us & given & eight,
        postal,
        pl.concat_str(
            pl.lit(
                "not a US ZIP code: 8 digits, not guessed (if it is a ZIP+4 that lost its"
                " leading zero, write 0"
            ),
            col(postal).str.slice(0, 4),
            pl.lit("-"),
            col(postal).str.slice(4),
            pl.lit(")" + follows),
        ),
    )
    checker.add(
        us & given & well_formed & ~found & ~has_coords,
        postal,
        "unknown US postal code (not in the ZIP table)" + follows,
    )
    checker.add(
        us & given & well_formed & ~found & has_coords,
        postal,
        "unknown US postal code: kept, located by its coordinates",
        severity="warning",
    )
    checker.add(
        us & found & col(postal).str.contains(UNDASHED_ZIP4),
        postal,
        "9 digits read as a ZIP+4 without its dash: the first 5 are the ZIP, the +4 is dropped",
        severity="warning",
    )
    raw_missing = (
        col(lat + RAW).is_null() & col(lon + RAW).is_null()
        if lat + RAW in checker.ctx.columns and lon + RAW in checker.ctx.columns
        else pl.lit(True)
    )
    known = (us & found).fill_null(False)
    fill = (known & col(lat).is_null() & col(lon).is_null() & raw_missing).fill_null(False)
    updates = [
        fill.alias(GEOCODED),
        pl.when(fill).then(col("__lat__")).otherwise(col(lat)).alias(lat),
        pl.when(fill).then(col("__lon__")).otherwise(col(lon)).alias(lon),
        pl.when(known).then(col("__zip__")).otherwise(col(postal)).alias(postal),
    ]
    if kind != "reps":
        typed = state_code(col("state"))
        contradiction = (
            known & col("state").is_not_null() & (typed.is_null() | (typed != col("__state__")))
        )
        # A 3-4 digit code is taken for a ZIP that lost its leading zeros; when the ZIP that
        # makes is in another state than the typed one, it was more likely cut short
        # (Oregon "9720" is 97201 without its last digit, not APO 09720): refuse the row.
        # The same for the ZIP part of a ZIP+4 that lost its zeros (``9720-1234``).
        digits = _zip_digits(col(postal))
        padded = digits < 5
        cut_short = (contradiction & typed.is_not_null() & padded).fill_null(False)
        checker.add(
            cut_short,
            postal,
            pl.concat_str(
                pl.lit("only "),
                digits.cast(pl.String),
                pl.when(col(postal).str.contains("-"))
                .then(pl.lit(" digits before the dash"))
                .otherwise(pl.lit(" digits")),
                pl.lit(": read as ZIP "),
                col("__zip__"),
                pl.lit(", which is in "),
                col("__state__"),
                pl.lit(", not "),
                typed,
                pl.lit(" as the row's state says; write the ZIP's 5 digits"),
            ),
        )
        contradiction = contradiction & ~cut_short
        checker.add(
            contradiction.fill_null(False),
            "state",
            pl.concat_str(
                pl.lit("contradicts ZIP "),
                col("__zip__"),
                pl.lit(" (in "),
                col("__state__"),
                pl.lit("): the ZIP wins, state set to "),
                col("__state__"),
            ),
            severity="warning",
        )
        updates.append(pl.when(known).then(col("__state__")).otherwise(col("state")).alias("state"))
        updates.append(pl.when(known).then(pl.lit("US")).otherwise(col("country")).alias("country"))
    if kind == "accounts":
        # A county code that lost its leading zero in a spreadsheet (6075: San Francisco) is
        # padded; a known ZIP's county wins over a typed one, as its state does, so that
        # accounts, routed leads and designs agree on the county.
        typed_fips = county_fips(col("county_fips"))
        zip_county = known & col("__fips__").is_not_null()
        checker.add(
            (zip_county & typed_fips.is_not_null() & (typed_fips != col("__fips__"))).fill_null(
                False
            ),
            "county_fips",
            pl.concat_str(
                pl.lit("contradicts ZIP "),
                col("__zip__"),
                pl.lit(" (in county "),
                col("__fips__"),
                pl.lit("): the ZIP wins"),
            ),
            severity="warning",
        )
        updates.append(
            pl.when(zip_county).then(col("__fips__")).otherwise(typed_fips).alias("county_fips")
        )
    # Coordinates the file gives are kept; far from their ZIP (a typo, latitude and longitude
    # swapped, 0,0 for "unknown") they are said to be, once per row.
    far = km_apart(col(lat), col(lon), col("__lat__"), col("__lon__")) > FAR_FROM_ZIP_KM
    checker.add(
        (known & ~fill & col(lat).is_not_null() & col(lon).is_not_null() & far).fill_null(False),
        lat,
        pl.concat_str(
            pl.lit("coordinates "),
            km_apart(col(lat), col(lon), col("__lat__"), col("__lon__"))
            .round(0)
            .cast(pl.Int64)
            .cast(pl.String),
            pl.lit(" km from ZIP "),
            col("__zip__"),
            pl.lit(": kept (latitude and longitude swapped, or 0,0 for unknown?)"),
        ),
        severity="warning",
    )
    if kind != "reps":
        inside = (
            col(lat).is_between(13.0, 72.0)
            & (col(lon).is_between(-180.0, -64.0) | col(lon).is_between(144.0, 180.0))
        ) | (col(lat).is_between(-15.0, -10.0) & col(lon).is_between(-172.0, -168.0))
        # the last box: American Samoa, south of the equator
        checker.add(
            (us & ~known & has_coords & ~inside & _on_earth(col(lat), col(lon))).fill_null(False),
            lat,
            "coordinates outside the United States for a US row: kept (latitude and "
            "longitude swapped, or 0,0 for unknown?)",
            severity="warning",
        )
    checker.ctx = checker.ctx.with_columns(updates).drop(_ZIP_COLUMNS)
    if AREA_ROW in checker.ctx.columns:
        checker.ctx = checker.ctx.drop(AREA_ROW)
    _homeless_reps(checker, lat, lon, stored)


#: Given coordinates this far from their ZIP's centre are said to be (no US ZIP is this wide).
FAR_FROM_ZIP_KM = 150.0


def _on_earth(lat: pl.Expr, lon: pl.Expr) -> pl.Expr:
    """Coordinates in range (those out of range are errors of their own)."""
    return lat.is_between(-90.0, 90.0) & lon.is_between(-180.0, 180.0)


def km_apart(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    """Great-circle distance in km between two points in degrees (haversine)."""
    radians = 3.141592653589793 / 180.0
    dlat = (lat2 - lat1) * radians / 2.0
    dlon = (lon2 - lon1) * radians / 2.0
    a = dlat.sin().pow(2) + (lat1 * radians).cos() * (lat2 * radians).cos() * dlon.sin().pow(2)
    return 2.0 * 6371.0 * a.sqrt().clip(upper_bound=1.0).arcsin()


def _homeless_reps(checker: Checker, lat: str, lon: str, stored: Collection[str]) -> None:
    """One warning for the reps kept without a home location (nothing to geocode); a stored
    rep updated by a file with no location column keeps the home base it has."""
    if checker.spec.kind != "reps":
        return
    col = pl.col
    without = col(lat).is_null() & col(lon).is_null() & col("id").is_not_null()
    located = any(checker.has(f) for f in (lat, lon, checker.spec.postal_field or lat))
    if stored and not located:
        without = without & ~col("id").is_in(pl.Series(list(stored), dtype=pl.String).implode())
    # counted once the refused rows are known: a rep refused by any check is not imported
    checker.note(checker.ctx.filter(without).select(ROW, "id"), _homeless_note)


def _homeless_note(kept: pl.DataFrame) -> str:
    first = kept["id"][0]
    subject = (
        f"rep {first} has" if kept.height == 1 else f"{kept.height:,} reps (e.g. {first}) have"
    )
    return f"{subject} no home base (no known home ZIP or coordinates): {NO_HOME_BASE}"


def _geocode_units(checker: Checker, geocoder: ZipDirectory) -> None:
    col = pl.col
    _join_zips(checker, col("id"), geocoder)
    fill = (col("kind") == "zip") & col("latitude").is_null() & col("longitude").is_null()
    fill = fill & col("__lat__").is_not_null()
    checker.ctx = checker.ctx.with_columns(
        fill.fill_null(False).alias(GEOCODED),
        pl.when(fill).then(col("__lat__")).otherwise(col("latitude")).alias("latitude"),
        pl.when(fill).then(col("__lon__")).otherwise(col("longitude")).alias("longitude"),
        pl.when(fill & col("state").is_null())
        .then(col("__state__"))
        .otherwise(col("state"))
        .alias("state"),
    ).drop(_ZIP_COLUMNS)
