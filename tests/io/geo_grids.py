"""Polygon files built in code for the geo-unit import tests (no binary fixtures)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely

#: A 4x4 grid of 10 km squares in ETRS89-LAEA (EPSG:3035), around 52 N 10 E (Germany).
ORIGIN = (4_321_000.0, 3_210_000.0)
SIDE = 10_000.0


def grid_features(rows: int = 4, cols: int = 4) -> list[dict[str, Any]]:
    """Features ``PLZ`` = ``"1{r}{c}00"``, ``NAME``, ``EINWOHNER`` (population) in EPSG:3035."""
    x0, y0 = ORIGIN
    features = []
    for r in range(rows):
        for c in range(cols):
            x, y = x0 + c * SIDE, y0 + r * SIDE
            ring = [[x, y], [x + SIDE, y], [x + SIDE, y + SIDE], [x, y + SIDE], [x, y]]
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "PLZ": f"1{r}{c}00",
                        "NAME": f"Bezirk {r}-{c}",
                        "EINWOHNER": 1000 * (r + 1) + 100 * c,
                    },
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
    return features


def write_geojson(path: Path, features: list[dict[str, Any]], *, crs: str | None = "3035") -> Path:
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        collection["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs}"}}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def write_with_gdal(path: Path, features: list[dict[str, Any]], driver: str) -> Path:
    """``features`` (EPSG:3035) written by GDAL as ``driver`` (``ESRI Shapefile`` or ``GPKG``)."""
    import pyogrio.raw

    geometry = np.asarray(
        [shapely.to_wkb(shapely.geometry.shape(f["geometry"])) for f in features], dtype=object
    )
    names = list(features[0]["properties"])
    field_data = [np.asarray([f["properties"][n] for f in features]) for n in names]
    pyogrio.raw.write(
        str(path),
        geometry,
        field_data,
        names,
        driver=driver,
        geometry_type="Polygon",
        crs="EPSG:3035",
    )
    return path


def write_zipped_shapefile(folder: Path, features: list[dict[str, Any]]) -> Path:
    shp = write_with_gdal(folder / "bezirke.shp", features, "ESRI Shapefile")
    archive = folder / "bezirke.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(folder.glob("bezirke.*")):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    for part in folder.glob("bezirke.*"):
        if part.suffix != ".zip":
            part.unlink()
    assert shp.suffix == ".shp"
    return archive
