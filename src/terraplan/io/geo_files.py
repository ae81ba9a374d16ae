"""Read polygon files (GeoJSON, GeoPackage, zipped Shapefile) as geo units.

The file is read with GDAL (bundled in the ``pyogrio`` wheel): the first layer, its
properties as text cells and its geometries. Geometries in another CRS are reprojected to
WGS84 longitude/latitude with ``pyproj``; a file without a CRS must already be in degrees.
Then, per feature (row = feature number, the first feature is row 1):

- an invalid polygon (self-intersecting ring, ...) is repaired with ``shapely.make_valid``
  and a warning names the row, its id and GEOS's reason;
- ``latitude``/``longitude`` are the area centroid when it lies inside the shape, else a
  point on the surface; ``polygon`` is the (repaired) shape as GeoJSON;
- ``neighbours`` are the units whose shapes touch or lie within
  :data:`NEIGHBOUR_TOLERANCE_M` metres of each other (queen contiguity: a shared corner
  counts), so that small digitising gaps do not break contiguity;
- two shapes sharing more than :data:`OVERLAP_SHARE` of the smaller one's area are
  reported as overlapping (a warning names both rows and ids);
- ``kind`` defaults to ``custom``, ``id`` to the row number and ``name`` to the id when the
  file has no such column (each said once as a warning).

A geometry that is not a polygon (a point, a line) is passed on as the ``polygon`` cell, so
validation rejects that row with ``polygon: not a GeoJSON Polygon or MultiPolygon``; a
feature without geometry has no centroid and is rejected for its missing latitude.

Limits: at most :data:`MAX_FEATURES` features; property cells obey the limits of
:mod:`terraplan.io.readers` (the computed polygon cell does not: shapes may be detailed).

Property columns go through the usual column mapping (:mod:`terraplan.io.mapping`): e.g.
``{"PLZ": "id", "NAME": "name"}``; numeric properties become attributes (population, ...).
"""

from __future__ import annotations

import json
import math
import re
import warnings as warnings_module
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import shapely
from shapely.geometry import mapping as to_mapping

from terraplan.errors import DataError
from terraplan.geometry import multipolygon_coordinates, overlaps, polygonal
from terraplan.io.mapping import ColumnMap, resolve_columns
from terraplan.io.readers import ROW, SourceTable, check_sizes
from terraplan.io.report import short

#: File suffixes read by :func:`read_geo_table`.
GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
#: Shapes closer than this (metres) are neighbours.
NEIGHBOUR_TOLERANCE_M = 10.0
#: Overlaps smaller than this share of the smaller shape's area are ignored.
OVERLAP_SHARE = 1e-3
#: Most features a polygon file may have.
MAX_FEATURES = 200_000

_COMPUTED = ("latitude", "longitude", "polygon", "neighbours")
_METRES_PER_DEGREE = 111_320.0


def read_geo_table(
    path: Path,
    kind: str,
    mapping: Mapping[str, Any] | None = None,
    *,
    mapping_source: str = "mapping",
) -> SourceTable:
    """Read a polygon file as a :class:`SourceTable` of ``geo_units`` (see the module docstring).

    ``mapping`` is the column mapping already loaded (``mapping_source`` names its file).
    """
    if kind != "geo_units":
        raise _fail(path, f"polygon files are imported as geo_units, not {kind}")
    frame, shapes, crs, warnings, problems = _read(path)
    check_sizes(path, frame)
    headers = [c for c in frame.columns if c != ROW]
    replaced = [h for h in headers if h.lower() in _COMPUTED]
    for header in replaced:
        warnings.append(
            f"column {short(header)!r} is replaced by the value computed from the shape"
        )
    frame = frame.drop(replaced)
    columns = resolve_columns(
        [c for c in frame.columns if c != ROW], kind, mapping, mapping_source=mapping_source
    )
    frame, columns, defaults = _defaults(frame, columns)
    warnings.extend(defaults)
    ids = frame[columns.column_of("id")].to_list()
    for row, problem in problems.items():
        warnings.append(f"row {row} (id {short(str(ids[row - 1]))!r}): {problem}")
    frame, geometry_warnings = _geometry_columns(frame, shapes, ids)
    warnings.extend(geometry_warnings)
    fields = dict(columns.fields)
    fields.update({name: name for name in _COMPUTED})
    columns = ColumnMap(
        fields=fields,
        attributes=columns.attributes,
        ignored=columns.ignored,
        warnings=columns.warnings,
        values=columns.values,
    )
    return SourceTable(
        file=str(path),
        kind=kind,
        format=path.suffix.lower().lstrip("."),
        frame=frame,
        columns=columns,
        warnings=tuple(warnings) + columns.warnings,
        details={"crs": crs, "features": frame.height},
    )


def _read(
    path: Path,
) -> tuple[pl.DataFrame, list[shapely.Geometry | None], str, list[str], dict[int, str]]:
    """Properties as text cells, shapes in WGS84, the source CRS, warnings and the rows
    whose geometry had to be mended (row -> what was done)."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    warnings: list[str] = []
    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        layers = pyogrio.list_layers(source)
        if len(layers) == 0:
            raise _fail(path, "the file holds no layer")
        if len(layers) > 1:
            warnings.append(
                f"the file holds {len(layers)} layers; only the first, {str(layers[0][0])!r}, is read"
            )
        info = pyogrio.read_info(source, layer=0)
        if int(info.get("features") or 0) > MAX_FEATURES:
            raise _fail(path, f"{info['features']:,} features; the limit is {MAX_FEATURES:,}")
        with warnings_module.catch_warnings():
            # GDAL's note on an unclosed ring: each such row gets a warning of ours instead
            warnings_module.filterwarnings("ignore", "Non closed ring", RuntimeWarning)
            meta, _, wkb, field_data = pyogrio.raw.read(source, layer=0, force_2d=True)
    except DataError:
        raise
    except (DataSourceError, DataLayerError, OSError) as exc:
        reason = _json_problem(path) or short(str(exc).split(";")[0].strip())
        raise _fail(
            path, f"not a readable GeoJSON, GeoPackage or zipped Shapefile ({reason})"
        ) from None
    count = 0 if wkb is None else len(wkb)
    if count == 0:
        raise _fail(path, "the file holds no feature")
    shapes: list[shapely.Geometry | None] = []
    problems: dict[int, str] = {}  # row -> what was wrong with its geometry
    for row, data in enumerate(wkb.tolist(), start=1):
        shape, problem = _shape(data)
        shapes.append(shape)
        if problem:
            problems[row] = problem
    crs = str(meta.get("crs") or "")
    declared = _declared_crs(path)
    if declared is not None:
        _check_declared(path, declared)
    shapes = _to_wgs84(path, shapes, crs, warnings)
    cells: dict[str, list[str | None]] = {}
    for name, values in zip(meta["fields"].tolist(), field_data, strict=True):
        cells[str(name)] = [_text(v) for v in values.tolist()]
    frame = (
        pl.DataFrame(cells, schema={name: pl.String for name in cells}).with_columns(
            pl.int_range(1, count + 1, dtype=pl.Int64).alias(ROW)
        )
        if cells
        else pl.DataFrame({ROW: list(range(1, count + 1))}, schema={ROW: pl.Int64})
    )
    return frame, shapes, crs or "EPSG:4326 (assumed)", warnings, problems


#: Largest GeoJSON file parsed again to say where its JSON breaks (GDAL does not say).
_JSON_PROBLEM_BYTES = 50_000_000


def _json_problem(path: Path) -> str | None:
    """Where a GeoJSON file that GDAL cannot read is not JSON (line and column), if so."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return None
    try:
        if path.stat().st_size > _JSON_PROBLEM_BYTES:
            return None
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else None

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not a JSON number")

    try:
        value = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    except ValueError as exc:
        return f"not valid JSON: {exc}"
    except RecursionError:
        return "not usable JSON: nested too deeply"
    if not isinstance(value, dict):
        what = (
            "a text"
            if isinstance(value, str)
            else "a list"
            if isinstance(value, list)
            else "a single value"
        )
        return f"the JSON is {what}, not a GeoJSON object (a FeatureCollection)"
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return text or None


def _shape(data: bytes | None) -> tuple[shapely.Geometry | None, str | None]:
    """A feature's geometry and what was wrong with it: a ring that does not end where it
    starts (GDAL passes it on; GEOS refuses it) is closed, and said so."""
    if data is None:
        return None, None
    try:
        return shapely.from_wkb(data), None
    except shapely.errors.GEOSException:
        pass
    try:
        fixed = shapely.from_wkb(data, on_invalid="fix")
    except shapely.errors.GEOSException as exc:
        return None, f"its geometry cannot be read ({short(str(exc))})"
    if fixed is None or fixed.is_empty:
        return None, "a ring is not closed and too short to close (fewer than 3 points)"
    return fixed, "a ring is not closed (its last point is not its first); closed"


#: The ``crs`` member of a GeoJSON file (the 2008 form GDAL reads): its name.
_CRS_MEMBER = re.compile(
    rb'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"name"\s*:\s*"([^"]{1,200})"'
)
#: Bytes read at each end of a GeoJSON file to find its ``crs`` member.
_CRS_WINDOW = 1 << 16


def _declared_crs(path: Path) -> str | None:
    """The CRS a GeoJSON file's ``crs`` member names (at either end of the file), if any.
    GDAL falls back to WGS84 for a name it does not know, without a word."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(_CRS_WINDOW)
            handle.seek(max(0, path.stat().st_size - _CRS_WINDOW))
            tail = handle.read(_CRS_WINDOW)
    except OSError:
        return None
    match = _CRS_MEMBER.search(head) or _CRS_MEMBER.search(tail)
    return None if match is None else match.group(1).decode("utf-8", "replace")


def _check_declared(path: Path, name: str) -> None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(name)
    except CRSError:
        raise _fail(
            path,
            f"unknown coordinate reference system {short(name)!r} (the file's crs member);"
            " name a known one (e.g. EPSG:25832), or drop the member if the coordinates"
            " are longitude/latitude degrees",
        ) from None


def _to_wgs84(
    path: Path, shapes: list[shapely.Geometry | None], crs: str, warnings: list[str]
) -> list[shapely.Geometry | None]:
    """Shapes reprojected from ``crs`` to WGS84 longitude/latitude."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    if not crs:
        _check_degrees(path, shapes, "names no coordinate reference system")
        return shapes
    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        raise _fail(path, f"unknown coordinate reference system {short(crs)!r}") from None
    target = CRS.from_epsg(4326)
    if source.equals(target, ignore_axis_order=True):
        _check_degrees(path, shapes, "is in WGS84 (the GeoJSON default)")
        return shapes
    if source.is_projected and _within_degrees(shapes):
        warnings.append(
            f"the file's coordinate reference system is {short(source.name)!r}, in metres, yet"
            " every coordinate lies within ±180/±90: if they are longitude/latitude degrees,"
            " drop the file's crs member (the shapes would land near 0,0, a few metres wide)"
        )
    transformer = Transformer.from_crs(source, target, always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    result: list[shapely.Geometry | None] = []
    for shape in shapes:
        result.append(None if shape is None else shapely.transform(shape, project))
    if any(s is not None and not np.isfinite(shapely.get_coordinates(s)).all() for s in result):
        raise _fail(path, f"coordinates fall outside the area of {source.name!r}")
    return result


def _within_degrees(shapes: list[shapely.Geometry | None]) -> bool:
    """Whether every coordinate of ``shapes`` lies within longitude/latitude range."""
    shown = [s for s in shapes if s is not None and not s.is_empty]
    present = np.empty(len(shown), dtype=object)
    present[:] = shown
    if present.size == 0:
        return False
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(present).tolist())
    return -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90


def _check_degrees(path: Path, shapes: list[shapely.Geometry | None], said: str) -> None:
    """Refuse coordinates outside longitude/latitude range in a file read as degrees."""
    shown = [s for s in shapes if s is not None and not s.is_empty]  # empty: no bounds
    present = np.empty(len(shown), dtype=object)
    present[:] = shown
    if present.size == 0:
        return
    x0, y0, x1, y1 = shapely.total_bounds(present).tolist()
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise _fail(
            path,
            f"the file {said} but its coordinates are not longitude/latitude degrees; "
            "save it with its coordinate reference system (e.g. as GeoPackage, or GeoJSON "
            "with a crs member)",
        )


def _defaults(frame: pl.DataFrame, columns: ColumnMap) -> tuple[pl.DataFrame, ColumnMap, list[str]]:
    """``id`` (row number), ``name`` (the id) and ``kind`` (custom) when the file lacks them."""
    warnings: list[str] = []
    fields = dict(columns.fields)
    if "id" not in fields:
        frame = frame.with_columns(pl.col(ROW).cast(pl.String).alias("id"))
        fields["id"] = "id"
        warnings.append(
            "no id column: each feature's id is its row number (map one with a mapping)"
        )
    if "name" not in fields:
        frame = frame.with_columns(pl.col(fields["id"]).alias("name"))
        fields["name"] = "name"
        warnings.append("no name column: each feature is named by its id")
    if "kind" not in fields:
        frame = frame.with_columns(pl.lit("custom", pl.String).alias("kind"))
        fields["kind"] = "kind"
    return (
        frame,
        ColumnMap(
            fields=fields,
            attributes=columns.attributes,
            ignored=columns.ignored,
            warnings=columns.warnings,
            values=columns.values,
        ),
        warnings,
    )


def _geometry_columns(
    frame: pl.DataFrame, shapes: list[shapely.Geometry | None], ids: list[str | None]
) -> tuple[pl.DataFrame, list[str]]:
    """Centroid, polygon and neighbour columns, with warnings for repaired and overlapping shapes."""
    warnings: list[str] = []
    rows = frame[ROW].to_list()

    def label(i: int) -> str:
        return f"row {rows[i]} (id {short(str(ids[i]))!r})"

    latitude: list[str | None] = []
    longitude: list[str | None] = []
    polygon: list[str | None] = []
    polygons: list[shapely.Geometry | None] = []
    for i, given in enumerate(shapes):
        shape = given
        if shape is None:
            warnings.append(f"{label(i)} has no geometry")
            latitude.append(None)
            longitude.append(None)
            polygon.append(None)
            polygons.append(None)
            continue
        if shape.is_empty:  # validation refuses it, saying so
            latitude.append(None)
            longitude.append(None)
            polygon.append(json.dumps({"type": shape.geom_type, "coordinates": []}))
            polygons.append(None)
            continue
        if not isinstance(shape, shapely.Polygon | shapely.MultiPolygon):
            latitude.append(None)
            longitude.append(None)
            polygon.append(json.dumps(to_mapping(shape)))
            polygons.append(None)
            continue
        if not shape.is_valid:
            warnings.append(
                f"{label(i)} is not a valid polygon ({shapely.is_valid_reason(shape)}); repaired"
            )
            shape = polygonal(shapely.make_valid(shape))
        centre = shapely.centroid(shape)
        if not shapely.contains(shape, centre):
            centre = shapely.point_on_surface(shape)
        latitude.append(repr(float(centre.y)))
        longitude.append(repr(float(centre.x)))
        polygon.append(
            json.dumps({"type": "MultiPolygon", "coordinates": multipolygon_coordinates(shape)})
        )
        polygons.append(shape)
    neighbours = _neighbours(polygons, ids)
    geojson = [
        None if p is None else json.loads(polygon[i] or "null") for i, p in enumerate(polygons)
    ]
    for i, j, share in overlaps(geojson, min_share=OVERLAP_SHARE):
        warnings.append(f"{label(i)} and {label(j)} overlap ({share:.1%} of the smaller shape)")
    frame = frame.with_columns(
        pl.Series("latitude", latitude, dtype=pl.String),
        pl.Series("longitude", longitude, dtype=pl.String),
        pl.Series("polygon", polygon, dtype=pl.String),
        pl.Series("neighbours", neighbours, dtype=pl.String),
    )
    return frame, warnings


def _neighbours(polygons: list[shapely.Geometry | None], ids: list[str | None]) -> list[str | None]:
    """``;``-separated ids of the shapes within :data:`NEIGHBOUR_TOLERANCE_M` of each shape."""
    index = [i for i, p in enumerate(polygons) if p is not None]
    lists: list[set[str]] = [set() for _ in polygons]
    if len(index) > 1:
        array = np.empty(len(index), dtype=object)
        array[:] = [polygons[i] for i in index]
        mean_lat = float(np.mean([polygons[i].centroid.y for i in index]))  # type: ignore[union-attr]
        scale = max(math.cos(math.radians(mean_lat)), 0.05)
        tolerance = NEIGHBOUR_TOLERANCE_M / (_METRES_PER_DEGREE * scale)
        left, right = shapely.STRtree(array).query(array, predicate="dwithin", distance=tolerance)
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            i, j = index[a], index[b]
            if i != j and ids[i] is not None and ids[j] is not None and ids[i] != ids[j]:
                lists[i].add(str(ids[j]))
    return [";".join(sorted(s)) if s else None for s in lists]


def _fail(path: Path, reason: str) -> DataError:
    return DataError(f"{path}: {reason}", details={"file": str(path), "reason": reason})
