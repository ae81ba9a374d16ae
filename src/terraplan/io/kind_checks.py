"""Checks that belong to one kind, and US postal code validation and geocoding.

Geocoding (accounts, leads): a row is a US row when its country is empty or names the
United States. Its postal code must be a known ZIP (``"2134"`` and ``"02134-1234"`` are read
as ``02134`` and stored as the 5-digit ZIP); a row without coordinates takes the ZIP
centroid; ``county_fips`` and ``state`` are filled when empty. Rows with coordinates keep
them. Reps (no country field): a home postal code that looks like a ZIP is looked up; an
unknown one is a warning. Geo units of kind ``zip`` without a centroid take it from the
table.
"""

from __future__ import annotations

import json

import polars as pl

from terraplan.io.geocoding import ZipDirectory
from terraplan.io.validation import GEOCODED, RAW, Checker

_US_NAMES = ("us", "usa", "u.s.", "u.s.a.", "united states", "united states of america", "america")


def check_kind(checker: Checker) -> None:
    """Cross-field checks of ``checker.spec.kind``."""
    kind = checker.spec.kind
    col = pl.col
    if kind == "accounts" and checker.has("parent_id"):
        checker.add(
            col("parent_id") == col("id"), "parent_id", "an account cannot be its own parent"
        )
    elif kind == "reps":
        if checker.has("email"):
            checker.add(
                ~col("email").str.contains("@", literal=True), "email", "not an e-mail address"
            )
        if checker.has("manager_id"):
            checker.add(
                col("manager_id") == col("id"), "manager_id", "a rep cannot be their own manager"
            )
    elif kind == "geo_units":
        if checker.has("neighbours"):
            checker.add(
                col("neighbours").list.contains(col("id")),
                "neighbours",
                "a unit cannot be its own neighbour",
            )
        if checker.has("parent_id"):
            checker.add(
                col("parent_id") == col("id"), "parent_id", "a unit cannot be its own parent"
            )
        if checker.has("polygon"):
            _check_polygons(checker)
    elif kind == "opportunities":
        checker.add(col("is_won") & ~col("is_closed"), "is_won", "a won opportunity must be closed")
        checker.add(
            col("close_date") < col("created_date"),
            "close_date",
            "closes before it was created",
        )
    elif kind == "acquisition_costs":
        checker.add(col("period_end") < col("period_start"), "period_end", "ends before it starts")
    elif kind == "targets":
        both = col("territory_id").is_not_null() & col("rep_id").is_not_null()
        neither = col("territory_id").is_null() & col("rep_id").is_null()
        checker.add(
            both, "territory_id", "give exactly one of territory_id and rep_id (both given)"
        )
        checker.add(
            neither, "territory_id", "give exactly one of territory_id and rep_id (neither given)"
        )
        checker.add(col("period_end") < col("period_start"), "period_end", "ends before it starts")


def _check_polygons(checker: Checker) -> None:
    """Parse GeoJSON polygons (per row: geo unit files are small); keep them as JSON text."""
    texts = checker.ctx["polygon"]
    bad: list[bool] = []
    normal: list[str | None] = []
    for text in texts.to_list():
        if text is None:
            bad.append(False)
            normal.append(None)
            continue
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        ok = isinstance(value, dict) and value.get("type") in ("Polygon", "MultiPolygon")
        bad.append(not ok)
        normal.append(json.dumps(value, separators=(",", ":")) if ok else None)
    checker.ctx = checker.ctx.with_columns(
        pl.Series("__bad_polygon__", bad, dtype=pl.Boolean),
        pl.Series("polygon", normal, dtype=pl.String),
    )
    checker.add(pl.col("__bad_polygon__"), "polygon", "not a GeoJSON Polygon or MultiPolygon")
    checker.ctx = checker.ctx.drop("__bad_polygon__")


def zip5(text: pl.Expr) -> pl.Expr:
    """The 5-digit ZIP of ``text`` or null (as :func:`normalize_us_postal_code`)."""
    head = text.str.strip_chars().str.split("-").list.first().str.replace(r"\.0$", "")
    return pl.when(head.str.contains(r"^\d{3,5}$")).then(head.str.zfill(5))


def _zip_frame(geocoder: ZipDirectory) -> pl.DataFrame:
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
        _zip_frame(geocoder), on="__zip__", how="left", maintain_order="left"
    )


def _drop_zip_columns(checker: Checker) -> None:
    checker.ctx = checker.ctx.drop(["__zip__", "__lat__", "__lon__", "__fips__", "__state__"])


def apply_geocoding(checker: Checker, geocoder: ZipDirectory) -> None:
    """Validate US postal codes and fill coordinates (see the module docstring)."""
    kind = checker.spec.kind
    col = pl.col
    if kind == "geo_units":
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
        )
        _drop_zip_columns(checker)
        return
    postal = checker.spec.postal_field
    assert postal is not None
    if not checker.has(postal):
        return
    _join_zips(checker, col(postal), geocoder)
    found = col("__lat__").is_not_null()
    if kind == "reps":
        looks_us = col(postal).str.contains(r"^\s*\d{5}(-\d{4})?\s*$")
        checker.add(
            looks_us & ~found,
            postal,
            "unknown US postal code",
            severity="warning",
        )
        lat, lon = "home_latitude", "home_longitude"
        us = found
    else:
        country = col("country").str.to_lowercase().str.strip_chars()
        us = col("country").is_null() | country.is_in(list(_US_NAMES))
        checker.add(us & col(postal).is_not_null() & ~found, postal, "unknown US postal code")
        lat, lon = "latitude", "longitude"
    no_coords = (
        col(lat).is_null()
        & col(lon).is_null()
        & col(lat + RAW).is_null()
        & col(lon + RAW).is_null()
        if lat + RAW in checker.ctx.columns and lon + RAW in checker.ctx.columns
        else col(lat).is_null() & col(lon).is_null()
    )
    fill = (us & found & no_coords).fill_null(False)
    known = (us & found).fill_null(False)
    updates = [
        fill.alias(GEOCODED),
        pl.when(fill).then(col("__lat__")).otherwise(col(lat)).alias(lat),
        pl.when(fill).then(col("__lon__")).otherwise(col(lon)).alias(lon),
        pl.when(known).then(col("__zip__")).otherwise(col(postal)).alias(postal),
    ]
    if kind != "reps":
        updates.append(
            pl.when(known & col("state").is_null())
            .then(col("__state__"))
            .otherwise(col("state"))
            .alias("state")
        )
    if kind == "accounts":
        updates.append(
            pl.when(known & col("county_fips").is_null())
            .then(col("__fips__"))
            .otherwise(col("county_fips"))
            .alias("county_fips")
        )
    checker.ctx = checker.ctx.with_columns(updates)
    _drop_zip_columns(checker)
