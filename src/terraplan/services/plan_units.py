"""The geo units a plan's map and report draw, with their polygons, read in the plan's own
code space (:func:`terraplan.planning.alignment.geo_code_space`).

- County plans: the stored units, else the bundled US counties (as before).
- ZIP plans (``terraplan design --units zips``): the ZIPs are not stored as geo units, so
  each ZIP gets its cell from the bundled ZIP table (:func:`terraplan.io.zip_units.zip_cells`:
  the Voronoi cell of its centroid among its county's ZIPs, clipped to the county), the same
  cells as the design's GeoJSON export; stored ZIP units with polygons of their own win.
  A ZIP code is never looked up among the counties: ZIP 01001 (Agawam, MA) is also the FIPS
  code of Autauga County, AL.

The ZIP cells are bundled data that never change, so they are computed once per process
and state (the 1,765 ZIPs of California: about 1.5 s; the 32,700 of the lower 48: 5-8 s)
and kept (with the map's simplified copies, a server that has drawn a whole-country ZIP plan
holds about 0.2 GB more than one that has drawn the county demo).
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from terraplan.domain import GeoKind, GeoUnit, Plan, RecordKind
from terraplan.storage.unit_of_work import UnitOfWork

#: Bundled ZIP units with their cells, by state (filled on first use of a state).
_ZIP_UNITS: dict[str, dict[str, GeoUnit]] = {}
#: ZIP -> state of the bundled ZIP table (filled on first use).
_ZIP_STATES: dict[str, str] = {}
_LOCK = threading.Lock()


def drawn_units(uow: UnitOfWork, plan: Plan) -> dict[str, GeoUnit]:
    """The plan's geo units (id -> unit) as the map draws them: see the module docstring.

    The stored units are read whole (a few thousand counties or imported areas), not by an
    ``IN`` list of the plan's ids: a whole-country ZIP plan has 32,700 of them, as many as
    SQLite takes bound parameters.
    """
    from terraplan.planning.alignment import geo_code_space

    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    if not geo:
        return {}
    if geo_code_space(plan) == "zip":  # a ZIP design says so in its parameters
        # stored counties (the demo stores them) share codes with ZIPs: ZIP units only
        # (and their polygons are not read: 0.5 s for the bundled counties)
        own = {
            u.id: u
            for u in uow.geo_units.list(where={"kind": GeoKind.ZIP.value})
            if u.id in geo and u.polygon
        }
        return {**bundled_zip_units(set(geo) - set(own)), **own}
    stored = {u.id: u for u in uow.geo_units.list() if u.id in geo}
    with_polygon = {k: v for k, v in stored.items() if v.polygon}
    if geo_code_space(plan, {k: v.kind.value for k, v in stored.items()}) == "zip":
        own = {k: v for k, v in with_polygon.items() if v.kind is GeoKind.ZIP}
        return {**bundled_zip_units(set(geo) - set(own)), **own}
    if not with_polygon:
        from terraplan.data.counties import load_counties

        bundled = {u.id: u for u in load_counties(with_polygons=True) if u.id in geo}
        return {**bundled, **with_polygon}
    return stored


def bundled_zip_units(zips: Collection[str]) -> dict[str, GeoUnit]:
    """ZIP -> its unit from the bundled ZIP table, with its cell as polygon, for the populated
    ZIPs among ``zips`` (the units ``terraplan design --units zips`` designs)."""
    from terraplan.io.geocoding import ZipDirectory
    from terraplan.io.zip_units import zip_geo_units

    with _LOCK:
        if not _ZIP_STATES:
            table = ZipDirectory().table
            _ZIP_STATES.update(
                (z, s)
                for z, s in zip(table["zip"].to_pylist(), table["state"].to_pylist(), strict=True)
                if s
            )
        states = {_ZIP_STATES[z] for z in zips if z in _ZIP_STATES}
        missing = states - set(_ZIP_UNITS)
        if missing:
            found: dict[str, dict[str, GeoUnit]] = {s: {} for s in missing}
            for unit in zip_geo_units(states=missing, with_polygons=True, with_neighbours=False):
                found.setdefault(unit.state or "", {})[unit.id] = unit
            _ZIP_UNITS.update(found)
        units: dict[str, GeoUnit] = {}
        for z in zips:
            found_unit = _ZIP_UNITS.get(_ZIP_STATES.get(z, ""), {}).get(z)
            if found_unit is not None:
                units[z] = found_unit
    return units
