"""Polygon files (GeoJSON with a CRS, zipped Shapefile, GeoPackage) read as geo units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from tests.io.geo_grids import (
    grid_features,
    write_geojson,
    write_with_gdal,
    write_zipped_shapefile,
)

from terraplan.errors import DataError
from terraplan.io.loading import load_file
from terraplan.io.readers import read_table

MAPPING = {"PLZ": "id", "NAME": "name", "EINWOHNER": "attributes.population"}


def _check_grid(rows: list[dict[str, object]]) -> None:
    by_id = {r["id"]: r for r in rows}
    assert len(by_id) == 16
    corner, middle = by_id["10000"], by_id["11100"]
    assert corner["kind"] == "custom" and corner["name"] == "Bezirk 0-0"
    # Reprojected from EPSG:3035 to WGS84: central Germany.
    assert 51.5 < float(corner["latitude"]) < 52.5  # type: ignore[arg-type]
    assert 9.5 < float(corner["longitude"]) < 10.5  # type: ignore[arg-type]
    # Queen contiguity: a corner cell has 3 neighbours, an inner cell 8.
    assert sorted(corner["neighbours"]) == ["10100", "11000", "11100"]  # type: ignore[arg-type]
    assert len(middle["neighbours"]) == 8  # type: ignore[arg-type]
    assert middle["attributes"] == {"population": 2100.0}
    polygon = shape(json.loads(str(middle["polygon"])))
    assert polygon.is_valid
    assert polygon.contains(shapely.Point(middle["longitude"], middle["latitude"]))
    # A 10 km square spans about 0.09 degrees of latitude.
    assert polygon.bounds[3] - polygon.bounds[1] == pytest.approx(0.09, abs=0.005)


def test_geojson_with_a_projected_crs_is_reprojected_with_centroids_and_neighbours(
    tmp_path: Path,
) -> None:
    path = write_geojson(tmp_path / "bezirke.geojson", grid_features())
    result = load_file(path, "geo_units", mapping=MAPPING)
    assert result.report.ok, result.report.to_dict()
    assert result.report.accepted == 16
    _check_grid(result.frame.to_dicts())
    table = read_table(path, "geo_units", mapping=MAPPING)
    assert table.details["crs"] == "EPSG:3035"


def test_zipped_shapefile_and_geopackage_read_the_same(tmp_path: Path) -> None:
    archive = write_zipped_shapefile(tmp_path, grid_features())
    result = load_file(archive, "geo_units", mapping=MAPPING)
    assert result.report.ok, result.report.to_dict()
    _check_grid(result.frame.to_dicts())
    gpkg = write_with_gdal(tmp_path / "bezirke.gpkg", grid_features(), "GPKG")
    result = load_file(gpkg, "geo_units", mapping=MAPPING)
    assert result.report.ok, result.report.to_dict()
    _check_grid(result.frame.to_dicts())


def test_invalid_and_overlapping_shapes_are_reported_by_row_and_id(tmp_path: Path) -> None:
    features = grid_features(2, 2)
    x, y = 4_321_000.0, 3_210_000.0
    # Row 2: a bow-tie (self-intersecting ring); row 5: a square overlapping rows 1 and 2;
    # row 6: a point, not a polygon; row 7: no geometry.
    features[1]["geometry"]["coordinates"] = [
        [
            [x + 10_000, y],
            [x + 20_000, y + 10_000],
            [x + 20_000, y],
            [x + 10_000, y + 10_000],
            [x + 10_000, y],
        ]
    ]
    overlap = [
        [x + 5_000, y],
        [x + 15_000, y],
        [x + 15_000, y + 5_000],
        [x + 5_000, y + 5_000],
        [x + 5_000, y],
    ]
    features.append(
        {"type": "Feature", "properties": {"PLZ": "OVER", "NAME": "Overlap", "EINWOHNER": 1},
         "geometry": {"type": "Polygon", "coordinates": [overlap]}}
    )  # fmt: skip
    features.append(
        {"type": "Feature", "properties": {"PLZ": "PT", "NAME": "Point", "EINWOHNER": 1},
         "geometry": {"type": "Point", "coordinates": [x, y]}}
    )  # fmt: skip
    features.append(
        {"type": "Feature", "properties": {"PLZ": "NONE", "NAME": "Nothing", "EINWOHNER": 1},
         "geometry": None}
    )  # fmt: skip
    path = write_geojson(tmp_path / "messy.geojson", features)
    result = load_file(path, "geo_units", mapping=MAPPING)
    report = result.report
    warnings = "\n".join(report.warnings)
    assert "row 2 (id '10100') is not a valid polygon (Self-intersection" in warnings
    assert (
        "row 1 (id '10000') and row 5 (id 'OVER') overlap (50.0% of the smaller shape)" in warnings
    )
    assert "row 2 (id '10100') and row 5 (id 'OVER') overlap" in warnings
    assert "row 7 (id 'NONE') has no geometry" in warnings
    errors = {(e.row, e.field) for e in report.errors}
    assert (6, "polygon") in errors  # the point
    assert (7, "latitude") in errors  # no geometry, so no centroid
    assert report.accepted == 5
    repaired = {r["id"]: r for r in result.frame.to_dicts()}["10100"]
    assert shape(json.loads(repaired["polygon"])).is_valid


def test_files_that_cannot_be_placed_are_refused(tmp_path: Path) -> None:
    no_crs = write_geojson(tmp_path / "no_crs.geojson", grid_features(1, 2), crs=None)
    with pytest.raises(DataError, match="not longitude/latitude degrees"):
        read_table(no_crs, "geo_units", mapping=MAPPING)
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DataError, match="not a readable GeoJSON"):
        read_table(broken, "geo_units")
    with pytest.raises(DataError, match="imported as geo_units, not accounts"):
        read_table(write_geojson(tmp_path / "a.geojson", grid_features(1, 1)), "accounts")


def test_defaults_for_files_without_id_name_or_kind(tmp_path: Path) -> None:
    features = grid_features(1, 3)
    for f in features:
        f["properties"] = {"population": 5}
    path = write_geojson(tmp_path / "plain.geojson", features)
    result = load_file(path, "geo_units")
    assert result.report.ok, result.report.to_dict()
    rows = {r["id"]: r for r in result.frame.to_dicts()}
    assert sorted(rows) == ["1", "2", "3"]
    assert rows["2"]["name"] == "2" and sorted(rows["2"]["neighbours"]) == ["1", "3"]
    assert any("no id column" in w for w in result.report.warnings)
