"""Geo units: the building blocks of geographic territories."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from terraplan.domain._checks import fail, require_coordinates, require_finite, require_text


class GeoKind(StrEnum):
    ZIP = "zip"
    COUNTY = "county"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class GeoUnit:
    """A ZIP code, county or custom area.

    ``latitude``/``longitude`` are the centroid (WGS84 degrees). ``polygon`` is an optional
    GeoJSON geometry mapping (Polygon or MultiPolygon) for display. ``attributes`` hold
    numeric facts such as population, households and median_income (currency per year).
    ``neighbours`` are the ids of units sharing a border (queen contiguity).
    """

    id: str
    kind: GeoKind
    name: str
    latitude: float
    longitude: float
    state: str | None = None
    parent_id: str | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    neighbours: tuple[str, ...] = ()
    polygon: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        require_text("GeoUnit", "id", self.id)
        require_text("GeoUnit", "name", self.name)
        if not isinstance(self.kind, GeoKind):
            raise fail("GeoUnit", "kind", f"unknown kind {self.kind!r}")
        require_coordinates("GeoUnit", self.latitude, self.longitude)
        for key, value in self.attributes.items():
            require_finite("GeoUnit", f"attributes.{key}", value)
        if self.id in self.neighbours:
            raise fail("GeoUnit", "neighbours", "a unit cannot be its own neighbour")
        if self.polygon is not None and self.polygon.get("type") not in ("Polygon", "MultiPolygon"):
            raise fail("GeoUnit", "polygon", "must be a GeoJSON Polygon or MultiPolygon")
