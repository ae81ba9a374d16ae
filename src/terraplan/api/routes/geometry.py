"""What the web UI's map draws for one plan: the geo units (polygons) coloured by territory,
each territory's dissolved outline, label point, owners and balance, and the accounts as points.

The caller sees the territories the API lets them see (a rep: their own only); balance
figures are computed on the whole plan (the target is the mean over all territories).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from terraplan.api.auth import CurrentPrincipal
from terraplan.api.deps import DatabaseDep
from terraplan.api.routes.plans import _visible_plan
from terraplan.domain import GeoKind, GeoUnit, Plan, RecordKind
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(
    tags=["map"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The role, region or the token's scopes do not allow it"},
        404: {"description": "No such plan (or not visible to you)"},
    },
)

#: Coordinates are rounded to this many decimals (about 1 m): smaller payload, same map.
_DECIMALS = 5


def _round(coords: Any) -> Any:
    if isinstance(coords, list | tuple):
        if coords and isinstance(coords[0], int | float):
            return [round(float(c), _DECIMALS) for c in coords]
        return [_round(c) for c in coords]
    return coords


def _units(uow: UnitOfWork, plan: Plan) -> dict[str, GeoUnit]:
    """The plan's geo units with polygons: stored ones, else the bundled counties."""
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    stored = {u.id: u for u in uow.geo_units.list() if u.id in geo}
    if not any(u.polygon for u in stored.values()) and geo:
        from terraplan.data.counties import load_counties

        bundled = {u.id: u for u in load_counties(with_polygons=True) if u.id in geo}
        stored = {**bundled, **{k: v for k, v in stored.items() if v.polygon}}
    return stored


def _outline(units: list[GeoUnit]) -> dict[str, Any] | None:
    """The territory's dissolved outline (the one dissolve of planning.design_export)."""
    from terraplan.planning.design_export import dissolve

    polygons = [u.polygon for u in units if u.polygon is not None]
    if not polygons:
        return None
    return {"type": "MultiPolygon", "coordinates": _round(dissolve(polygons, precision=6))}


def _label_point(units: list[GeoUnit]) -> list[float] | None:
    """Where the territory's name goes: its member unit nearest the members' mean point."""
    points = [(u.latitude, u.longitude) for u in units if u.latitude is not None]
    if not points:
        return None
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    best = min(points, key=lambda p: (p[0] - lat) ** 2 + (p[1] - lon) ** 2)
    return [round(best[0], _DECIMALS), round(best[1], _DECIMALS)]


@router.get("/plans/{plan_id}/map", operation_id="get_plan_map")
def plan_map(principal: CurrentPrincipal, db: DatabaseDep, plan_id: str) -> dict[str, Any]:
    """Everything the map needs for one plan (polygons in WGS84 GeoJSON, [lon, lat])."""
    from terraplan.services.plan_edits import plan_balance

    with UnitOfWork(db) as uow:
        stored = uow.plans.get(plan_id)
        plan = _visible_plan(uow, principal, stored)
        shown = {t.id for t in plan.territories}
        effects = {e.territory: e.to_dict() for e in plan_balance(uow, stored)}
        geo = plan.alignment_map(RecordKind.GEO_UNIT)
        units = _units(uow, plan)
        members: dict[str, list[GeoUnit]] = {}
        for unit_id, territory in geo.items():
            if unit_id in units:
                members.setdefault(territory, []).append(units[unit_id])
        rep_names = {r.id: r.name for r in uow.reps.list()}
        accounts = []
        pinned = plan.alignment_map(RecordKind.ACCOUNT)
        # Accounts sit in the unit of their ZIP on ZIP plans, of their county otherwise.
        by_zip = any(u.kind is GeoKind.ZIP for u in units.values())
        for a in uow.accounts.list():
            key = (a.postal_code or "")[:5] if by_zip else (a.county_fips or "")
            home = pinned.get(a.id) or geo.get(key)
            if home not in shown or a.latitude is None or a.longitude is None:
                continue
            accounts.append(
                [
                    a.id,
                    a.name,
                    round(a.latitude, _DECIMALS),
                    round(a.longitude, _DECIMALS),
                    home,
                    float(a.potential or 0.0),
                    float(a.annual_revenue or 0.0),
                ]
            )
    territories = []
    for t in plan.territories:
        if t.id not in effects and t.id not in members:
            continue  # a parent (region) territory: no units of its own
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
                "outline": _outline(group),
                "balance": effects.get(t.id),
            }
        )
    features = [
        {
            "type": "Feature",
            "id": u.id,
            "properties": {"name": u.name, "state": u.state, "territory": territory},
            "geometry": {
                "type": u.polygon["type"],
                "coordinates": _round(u.polygon["coordinates"]),
            },
        }
        for territory, group in members.items()
        for u in group
        if u.polygon is not None
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
            "columns": ["id", "name", "lat", "lon", "territory", "potential", "revenue"],
            "rows": accounts,
        },
    }


@router.get("/plans/{plan_id}/outlines", operation_id="get_plan_outlines")
def plan_outlines(principal: CurrentPrincipal, db: DatabaseDep, plan_id: str) -> dict[str, Any]:
    """Each visible territory's dissolved outline and label point (the map redraws its borders
    with this after an edit, without reloading the units and accounts)."""
    with UnitOfWork(db) as uow:
        plan = _visible_plan(uow, principal, uow.plans.get(plan_id))
        units = _units(uow, plan)
    members: dict[str, list[GeoUnit]] = {}
    for unit_id, territory in plan.alignment_map(RecordKind.GEO_UNIT).items():
        if unit_id in units:
            members.setdefault(territory, []).append(units[unit_id])
    return {
        "plan_id": plan.id,
        "version": plan.version,
        "territories": [
            {"id": t, "label": _label_point(group), "outline": _outline(group)}
            for t, group in members.items()
        ],
    }
