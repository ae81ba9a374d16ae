"""What the web UI's map draws for one plan: the geo units (polygons) coloured by territory,
each territory's dissolved outline, label point, owners and balance, the accounts as points,
the reps' home bases and the locked units.

The caller sees the territories the API lets them see (a rep: their own only); balance
figures are computed on the whole plan (the target is the mean over all territories).

Size: polygons are simplified (shapely, topology kept, :data:`_SIMPLIFY` degrees) and their
coordinates rounded to :data:`_POLYGON_DECIMALS`; the JSON is sent gzip-compressed with an
ETag, and the compressed bytes are kept for a few (plan version, data) keys, so reopening a
plan that did not change costs a 304 or a cache hit. The 20,000-account demo: about 1 MB
over the wire (4.5 MB of JSON before).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Query, Request, Response
from shapely.geometry import mapping, shape
from sqlalchemy import text

from terraplan.api.auth import CurrentPrincipal, visible_plan
from terraplan.api.deps import DatabaseDep
from terraplan.api.response_cache import etag_matches
from terraplan.api.schemas_map import PlanMapPublic, PlanOutlinesPublic
from terraplan.domain import AlignmentEntry, GeoKind, GeoUnit, Plan, RecordKind
from terraplan.errors import InvalidParameterError
from terraplan.storage import bulk
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(
    tags=["map"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The role, region or the token's scopes do not allow it"},
        404: {"description": "No such plan (or not visible to you)"},
    },
)

#: Point coordinates (accounts, labels, home bases) are rounded to this many decimals (~10 m).
_DECIMALS = 4
#: Polygon coordinates: rounded to this many decimals (about 100 m) after simplification.
_POLYGON_DECIMALS = 3
#: Simplification tolerance in degrees (about 500 m): invisible at the zoom levels of a
#: territory map, a third of the bytes of the bundled county polygons.
_SIMPLIFY = 0.005

#: gzip-compressed map payloads by cache key (plan, version, caller's view, data); newest last.
_PAYLOADS: OrderedDict[str, bytes] = OrderedDict()
_PAYLOADS_LOCK = threading.Lock()
_PAYLOADS_KEEP = 8

#: Changes whenever something the map shows besides the plan itself changes.
_UNITS_FINGERPRINT = text(
    "SELECT (SELECT COUNT(*) FROM geo_units), (SELECT MAX(id) FROM import_runs)"
)
_DATA_FINGERPRINT = text(
    "SELECT (SELECT COUNT(*) FROM accounts), (SELECT SUM(potential) FROM accounts), "
    "(SELECT SUM(workload) FROM accounts), (SELECT MAX(id) FROM accounts), "
    "(SELECT COUNT(*) FROM geo_units), (SELECT MAX(id) FROM import_runs), "
    "(SELECT COUNT(*) FROM reps), (SELECT MAX(name) FROM reps), "
    "(SELECT MAX(id) FROM assignment_runs)"
)


def _round(coords: Any, decimals: int = _DECIMALS) -> Any:
    if isinstance(coords, list | tuple):
        if coords and isinstance(coords[0], int | float):
            return [round(float(c), decimals) for c in coords]
        return [_round(c, decimals) for c in coords]
    return coords


def _number(value: float | None) -> float | int:
    """A figure as the shortest JSON number (26800, not 26800.0)."""
    number = float(value or 0.0)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _simplified(
    geometries: list[dict[str, Any]], shapes: list[shapely.Geometry] | None = None
) -> list[dict[str, Any]]:
    """GeoJSON polygons simplified (topology kept per shape) with rounded coordinates
    (``shapes``: the same polygons as shapely reads them, when the caller has them)."""
    if not geometries:
        return []
    array = np.empty(len(geometries), dtype=object)
    array[:] = shapes if shapes is not None else [shape(g) for g in geometries]
    simple = shapely.simplify(array, _SIMPLIFY, preserve_topology=True)
    rounded = shapely.transform(simple, lambda xy: np.round(xy, _POLYGON_DECIMALS))
    result = []
    for original, geom in zip(geometries, rounded.tolist(), strict=True):
        if geom is None or geom.is_empty:
            result.append({"type": original["type"], "coordinates": []})
        else:
            result.append(dict(mapping(geom)))
    return result


#: Simplified unit polygons by what the polygons were read from (the ``salt``), then by
#: (kind, unit id): a whole-country ZIP plan's 32,722 cells took 3 s to simplify at every
#: rebuild of its map. Newest salt last.
_UNIT_SHAPES: OrderedDict[str, dict[tuple[str, str], dict[str, Any]]] = OrderedDict()
_UNIT_SHAPES_KEEP = 2
#: The unit polygons as shapely reads them, by salt then (kind, unit id): each territory's
#: dissolve and each unit's simplification start from them instead of reading the GeoJSON
#: again (the first map of a whole-country ZIP plan read its 32,722 cells twice).
_UNIT_GEOMETRIES: OrderedDict[str, dict[tuple[str, str], shapely.Geometry]] = OrderedDict()


def _geometries(units: list[GeoUnit], salt: str) -> list[shapely.Geometry]:
    """``shape(unit.polygon)`` of ``units`` (each has one), kept for the next map."""
    with _PAYLOADS_LOCK:
        kept = _UNIT_GEOMETRIES.setdefault(salt, {})
        _UNIT_GEOMETRIES.move_to_end(salt)
        while len(_UNIT_GEOMETRIES) > _UNIT_SHAPES_KEEP:
            _UNIT_GEOMETRIES.popitem(last=False)
        missing = {(u.kind.value, u.id): u for u in units if (u.kind.value, u.id) not in kept}
    made = {key: shape(u.polygon) for key, u in missing.items() if u.polygon is not None}
    with _PAYLOADS_LOCK:
        kept.update(made)
        return [kept[(u.kind.value, u.id)] for u in units]


def _unit_shapes(units: list[GeoUnit], salt: str) -> list[dict[str, Any]]:
    """:func:`_simplified` polygons of ``units`` (each has one), kept for the next map."""
    with _PAYLOADS_LOCK:
        kept = _UNIT_SHAPES.setdefault(salt, {})
        _UNIT_SHAPES.move_to_end(salt)
        while len(_UNIT_SHAPES) > _UNIT_SHAPES_KEEP:
            _UNIT_SHAPES.popitem(last=False)
        missing = [u for u in units if (u.kind.value, u.id) not in kept]
    drawn = [u for u in missing if u.polygon is not None]
    made = _simplified(
        [u.polygon for u in drawn if u.polygon is not None], _geometries(drawn, salt)
    )
    with _PAYLOADS_LOCK:
        for unit, geometry in zip(missing, made, strict=True):
            kept[(unit.kind.value, unit.id)] = geometry
        return [kept[(u.kind.value, u.id)] for u in units]


#: Simplified dissolved outlines by their member units (an edit changes two territories:
#: the others are not dissolved again). Newest last. Enough for two whole-country ZIP plans
#: of 500 territories (Compare opens both) and their edits.
_OUTLINES: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
_OUTLINES_KEEP = 2048


def _send(request: Request, key: str, build: Any) -> Response:
    """The JSON of ``build()`` gzip-compressed, with an ETag; 304 when the client has it."""
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    # one reading of If-None-Match for every cached answer (a list, weak tags, "*")
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    with _PAYLOADS_LOCK:
        body = _PAYLOADS.get(key)
        if body is not None:
            _PAYLOADS.move_to_end(key)
    if body is None:
        raw = json.dumps(build(), separators=(",", ":"), allow_nan=False).encode()
        body = gzip.compress(raw, compresslevel=6, mtime=0)
        with _PAYLOADS_LOCK:
            _PAYLOADS[key] = body
            while len(_PAYLOADS) > _PAYLOADS_KEEP:
                _PAYLOADS.popitem(last=False)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="application/json", headers=headers)
    return Response(gzip.decompress(body), media_type="application/json", headers=headers)


def _units(uow: UnitOfWork, plan: Plan) -> dict[str, GeoUnit]:
    """The plan's geo units with polygons: stored ones, else the bundled counties (county
    plans) or the bundled ZIP cells (ZIP plans)."""
    from terraplan.services.plan_units import drawn_units

    return drawn_units(uow, plan)


def _outline(units: list[GeoUnit], salt: str = "") -> dict[str, Any] | None:
    """The territory's dissolved outline (the one dissolve of planning.design_export),
    simplified like the units; kept by member set (and ``salt``, what the unit polygons
    were read from), so only changed territories are dissolved again."""
    from terraplan.geometry import dissolve_shapes

    drawn = [u for u in units if u.polygon is not None]
    if not drawn:
        return None
    key = hashlib.sha256(
        json.dumps([salt, sorted(f"{u.kind.value}:{u.id}" for u in units if u.polygon)]).encode()
    ).hexdigest()
    with _PAYLOADS_LOCK:
        if key in _OUTLINES:
            _OUTLINES.move_to_end(key)
            return _OUTLINES[key]
    # the one dissolve of planning.design_export (terraplan.geometry.dissolve), on the
    # polygons as read once for every map
    coordinates = dissolve_shapes(_geometries(drawn, salt), precision=6)
    outline = _simplified([{"type": "MultiPolygon", "coordinates": coordinates}])[0]
    with _PAYLOADS_LOCK:
        _OUTLINES[key] = outline
        while len(_OUTLINES) > _OUTLINES_KEEP:
            _OUTLINES.popitem(last=False)
    return outline


def _label_point(units: list[GeoUnit]) -> list[float] | None:
    """Where the territory's name goes: its member unit nearest the members' mean point."""
    points = [(u.latitude, u.longitude) for u in units if u.latitude is not None]
    if not points:
        return None
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    best = min(points, key=lambda p: (p[0] - lat) ** 2 + (p[1] - lon) ** 2)
    return [round(best[0], _DECIMALS), round(best[1], _DECIMALS)]


_JSON_BODY: dict[int | str, dict[str, Any]] = {
    # documents the body only: the JSON is built and sent as is (no validation per request)
    200: {"model": PlanMapPublic, "description": "JSON, gzip when accepted"},
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
}


@router.get("/plans/{plan_id}/map", operation_id="get_plan_map", responses=_JSON_BODY)
def plan_map(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, request: Request
) -> Response:
    """Everything the map needs for one plan (polygons in WGS84 GeoJSON, [lon, lat]).

    Shape: ``plan`` (id, name, version, status, based_on_plan_id), ``territories`` (id, name,
    owners, label [lat, lon], outline, balance), ``units`` (a FeatureCollection), ``accounts``
    (``columns`` and ``rows``: id, name, lat, lon, territory, potential, revenue, pinned 0/1),
    ``reps`` (home bases: id, name, lat, lon, territories as names), ``locked`` (unit ids),
    ``neighbours`` (for a caller who sees part of the plan: each territory beyond their
    borders, id, name and its bordering units, which are in ``units`` with ``neighbour``).
    """
    with UnitOfWork(db) as uow:
        stored = uow.plans.get(plan_id)
        plan = visible_plan(uow, principal, stored)
        fingerprint = tuple(uow.connection.execute(_DATA_FINGERPRINT).one())
    shown = sorted(t.id for t in plan.territories)
    key = repr(
        (
            "map-v2",
            db.display_url,
            plan.id,
            stored.version,
            str(stored.updated_at),
            shown,
            *fingerprint,
        )
    )
    return _send(request, key, lambda: _map_payload(db, stored, plan))


def _map_payload(db: Any, stored: Plan, plan: Plan) -> dict[str, Any]:
    from terraplan.planning.alignment import geo_code_space
    from terraplan.planning.plan_edits import locked_units
    from terraplan.services.neighbour_ring import border_ring
    from terraplan.services.plan_edits import edit_history, plan_balance

    with UnitOfWork(db) as uow:
        shown = {t.id for t in plan.territories}
        effects = {e.territory: e.to_dict() for e in plan_balance(uow, stored)}
        can_undo, can_redo = edit_history(uow, stored.id)
        geo = plan.alignment_map(RecordKind.GEO_UNIT)
        # A caller who sees part of the plan also gets the units just across their borders
        # (name and territory only): what they may ask to take in or give away.
        partial = len(plan.territories) < len(stored.territories)
        ring = border_ring(uow, stored, shown) if partial else {}
        units = _units(uow, stored if ring else plan)
        members: dict[str, list[GeoUnit]] = {}
        for unit_id, territory in geo.items():
            if unit_id in units:
                members.setdefault(territory, []).append(units[unit_id])
        reps = {r.id: r for r in uow.reps.list()}
        salt = repr(tuple(uow.connection.execute(_UNITS_FINGERPRINT).one()))
        accounts = []
        pinned = plan.alignment_map(RecordKind.ACCOUNT)
        # Accounts sit in the unit of their ZIP on ZIP plans, of their county otherwise.
        by_zip = any(u.kind is GeoKind.ZIP for u in units.values()) or (
            geo_code_space(stored) == "zip"
        )
        columns = ["id", "name", "latitude", "longitude", "postal_code", "county_fips"]
        table = bulk.read_open_accounts(uow.connection, [*columns, "potential", "annual_revenue"])
        rows = list(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))

        def key_of(postal: str | None, county: str | None) -> str:
            return (postal or "")[:5] if by_zip else (county or "")

        # accounts outside the plan's units sit where its rules put them (a catch-all), as
        # the territory balance and KPIs count them
        ruled = uow.assignments.account_territories(
            stored.id,
            [r[0] for r in rows if r[0] not in pinned and key_of(r[4], r[5]) not in geo],
        )
        for account_id, name, lat, lon, postal, county, potential, revenue in rows:
            key = key_of(postal, county)
            home = pinned.get(account_id) or geo.get(key) or ruled.get(account_id)
            if home not in shown or lat is None or lon is None:
                continue
            accounts.append(
                [
                    account_id,
                    name,
                    round(lat, _DECIMALS),
                    round(lon, _DECIMALS),
                    home,
                    _number(potential),
                    _number(revenue),
                    1 if account_id in pinned else 0,
                ]
            )
    rep_names = {rep_id: rep.name for rep_id, rep in reps.items()}
    territories = []
    owned: dict[str, list[str]] = {}
    for t in plan.territories:
        if t.id not in effects and t.id not in members:
            continue  # a parent (region) territory: no units of its own
        for o in t.owners:
            owned.setdefault(o.rep_id, []).append(t.name)
        group = members.get(t.id, [])
        territories.append(
            {
                "id": t.id,
                "name": t.name,
                "owners": [
                    {
                        "rep_id": o.rep_id,
                        "name": rep_names.get(o.rep_id, o.rep_id),
                        "role": o.role.value,
                    }
                    for o in t.owners
                ],
                "label": _label_point(group),
                "outline": _outline(group, salt),
                "balance": effects.get(t.id),
            }
        )
    drawn = [(territory, u) for territory, group in members.items() for u in group if u.polygon]
    drawn += [(t, units[u]) for u, t in sorted(ring.items()) if u in units and units[u].polygon]
    shapes = _unit_shapes([u for _, u in drawn], salt)
    features = [
        {
            "type": "Feature",
            "id": u.id,
            "properties": {
                "name": u.name,
                "state": u.state,
                "territory": territory,
                **({"neighbour": True} if u.id in ring else {}),
            },
            "geometry": geometry,
        }
        for (territory, u), geometry in zip(drawn, shapes, strict=True)
    ]
    across = {t.id: t.name for t in stored.territories if t.id in set(ring.values())}
    neighbours = [
        {"id": tid, "name": name, "units": sorted(u for u, t in ring.items() if t == tid)}
        for tid, name in sorted(across.items(), key=lambda item: item[1])
    ]
    homes = [
        {
            "id": rep.id,
            "name": rep.name,
            "lat": round(rep.home_latitude, _DECIMALS),
            "lon": round(rep.home_longitude, _DECIMALS),
            "territories": owned[rep.id],
        }
        for rep in reps.values()
        if rep.id in owned and rep.home_latitude is not None and rep.home_longitude is not None
    ]
    return {
        "plan": {
            "id": plan.id,
            "name": plan.name,
            "version": plan.version,
            "status": plan.status.value,
            "based_on_plan_id": plan.based_on_plan_id,
        },
        "territories": territories,
        "units": {"type": "FeatureCollection", "features": features},
        "accounts": {
            "columns": ["id", "name", "lat", "lon", "territory", "potential", "revenue", "pinned"],
            "rows": accounts,
        },
        "reps": homes,
        # territories beyond the caller's borders: names and bordering units only
        "neighbours": neighbours,
        "locked": sorted(u for u in locked_units(stored) if u in geo),
        # the map's Undo and Redo buttons start as the plan's edit history allows
        "can_undo": can_undo,
        "can_redo": can_redo,
    }


_OnlyTerritories = Annotated[
    list[str] | None,
    Query(
        description="Only these territories (repeat it: `?territories=T1&territories=T2`), "
        "e.g. the ones an edit changed, so that a client redraws those borders alone; a "
        "territory the plan now gives no unit answers with outline and label null. Default: "
        "every territory the caller sees that holds units.",
        max_length=1_000,
    ),
]


@router.get("/plans/{plan_id}/outlines", operation_id="get_plan_outlines")
def plan_outlines(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    plan_id: str,
    territories: _OnlyTerritories = None,
) -> PlanOutlinesPublic:
    """Each visible territory's dissolved outline and label point (the map redraws its borders
    with this after an edit, without reloading the units and accounts); with ``territories``,
    only those (422 naming any the caller does not see in the plan)."""
    asked = None if territories is None else list(dict.fromkeys(territories))
    with UnitOfWork(db) as uow:
        if asked is None:
            plan = visible_plan(uow, principal, uow.plans.get(plan_id))
        else:
            # what the caller sees depends on the territories alone: the header, then the
            # asked territories' rows only (not the 32,700 of a whole-country ZIP plan)
            plan = visible_plan(uow, principal, uow.plans.header(plan_id))
            known = {t.id for t in plan.territories}
            unknown = [t for t in asked if t not in known]
            if unknown:
                raise InvalidParameterError(
                    f"plan {plan.id} has no territory {', '.join(map(repr, unknown))} "
                    "that you can see",
                    details={"field": "territories", "value": unknown},
                )
            rows = uow.plans.alignment_around(
                plan_id, RecordKind.GEO_UNIT, territories=asked, records=()
            )
            plan = plan.with_alignment(
                AlignmentEntry(RecordKind.GEO_UNIT, unit, territory)
                for unit, territory in rows.items()
            )
        units = _units(uow, plan)
        salt = repr(tuple(uow.connection.execute(_UNITS_FINGERPRINT).one()))
    members: dict[str, list[GeoUnit]] = {t: [] for t in asked or ()}
    for unit_id, territory in plan.alignment_map(RecordKind.GEO_UNIT).items():
        if unit_id in units:
            members.setdefault(territory, []).append(units[unit_id])
    return PlanOutlinesPublic.model_validate(
        {
            "plan_id": plan.id,
            "version": plan.version,
            "territories": [
                {"id": t, "label": _label_point(group), "outline": _outline(group, salt)}
                for t, group in members.items()
            ],
        }
    )
