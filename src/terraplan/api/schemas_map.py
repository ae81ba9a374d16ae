"""What ``GET /plans/{id}/map`` and ``/outlines`` answer, for the OpenAPI document.

The map is built as plain JSON and sent gzip-compressed from a cache (:mod:`terraplan.api.
routes.geometry`): these models only document it (``responses=``), nothing validates the
megabytes of GeoJSON at run time (on the 20,000-account demo that took 0.8 s, three times the
JSON encoding itself); the outlines' polygons likewise. The tests check real answers against
them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from terraplan.api.documented import Documented
from terraplan.api.schemas import TerritoryEffectPublic

#: A GeoJSON position: [longitude, latitude] in WGS84 degrees.
Position = Annotated[
    list[float], Field(min_length=2, max_length=2, description="[longitude, latitude], degrees")
]
#: A point as the map's own fields give it: [latitude, longitude] in WGS84 degrees.
LatLon = Annotated[
    list[float], Field(min_length=2, max_length=2, description="[latitude, longitude], degrees")
]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolygonGeometry(_Closed):
    """A GeoJSON Polygon (rings of positions; ``[]`` when simplification left nothing)."""

    type: Literal["Polygon"]
    coordinates: list[list[Position]]


class MultiPolygonGeometry(_Closed):
    """A GeoJSON MultiPolygon (polygons of rings of positions; ``[]`` when empty)."""

    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


#: A unit's polygon or a territory's outline: simplified (about 500 m) and rounded to 3
#: decimals (about 100 m).
Geometry = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class MapPlanPublic(_Closed):
    id: str
    name: str
    version: int
    status: str = Field(description="draft, in_review, approved, active or archived")
    based_on_plan_id: str | None = Field(description="The plan it was copied from, if any")


class MapOwnerPublic(_Closed):
    rep_id: str
    name: str = Field(description="The rep's name (their id when the rep is unknown)")
    role: str = Field(description="primary, overlay, ...")


class MapTerritoryPublic(_Closed):
    id: str
    name: str
    owners: list[MapOwnerPublic]
    label: LatLon | None = Field(description="Where its name goes; null without units")
    outline: Geometry | None = Field(description="Dissolved outline; null without polygons")
    balance: TerritoryEffectPublic | None = Field(
        description="Its balance; null when the plan's balance leaves it out"
    )


class UnitPropertiesPublic(_Closed):
    name: str | None
    state: str | None = Field(description="Two-letter state code")
    territory: str = Field(description="Territory id")
    neighbour: bool = Field(
        default=False,
        description="Present, and true, only on a unit across the caller's borders (see "
        "neighbours)",
    )


class UnitFeaturePublic(_Closed):
    type: Literal["Feature"]
    id: str = Field(description="Geo unit id (county FIPS, ZIP, custom id)")
    properties: UnitPropertiesPublic
    geometry: Geometry


class UnitCollectionPublic(_Closed):
    type: Literal["FeatureCollection"]
    features: list[UnitFeaturePublic]


#: One account: id, name, lat, lon (degrees), territory id, potential and revenue (plan
#: currency), pinned (1: a named-account pin, 0: placed by its unit).
AccountRow = tuple[str, str, float, float, str, float, float, Literal[0, 1]]


class MapAccountsPublic(_Closed):
    columns: list[str] = Field(
        description='Always ["id", "name", "lat", "lon", "territory", "potential", '
        '"revenue", "pinned"]'
    )
    rows: list[AccountRow] = Field(
        description="One array per open account with a location, in the order of columns"
    )


class MapRepPublic(_Closed):
    id: str
    name: str
    lat: float = Field(description="Home base latitude, degrees")
    lon: float = Field(description="Home base longitude, degrees")
    territories: list[str] = Field(description="Names of the territories the rep owns")


class MapNeighbourPublic(_Closed):
    id: str = Field(description="A territory beyond the caller's borders")
    name: str
    units: list[str] = Field(description="Its units on the border (in units, as neighbour)")


class PlanMapPublic(_Closed):
    """Everything the web UI's map draws for one plan."""

    plan: MapPlanPublic
    territories: list[MapTerritoryPublic] = Field(description="Territories holding units")
    units: UnitCollectionPublic = Field(description="The geo units as GeoJSON, [lon, lat]")
    accounts: MapAccountsPublic
    reps: list[MapRepPublic] = Field(description="Home bases of the reps who own territories")
    neighbours: list[MapNeighbourPublic] = Field(
        description="For a caller who sees part of the plan: the territories across their "
        "borders (empty otherwise)"
    )
    locked: list[str] = Field(description="Ids of locked units")
    can_undo: bool
    can_redo: bool


class OutlinePublic(_Closed):
    id: str = Field(description="Territory id")
    label: LatLon | None
    outline: Geometry | None


class PlanOutlinesPublic(_Closed):
    """Each visible territory's dissolved outline and label point."""

    plan_id: str
    version: int
    # the outlines' coordinates are not checked per request (they cost more than the
    # answer's own JSON): documented only, as the map is
    territories: Annotated[list[dict[str, Any]], Documented(list[OutlinePublic])]
