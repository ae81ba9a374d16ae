"""Small invariant checks shared by the domain dataclasses.

Each raises :class:`~terraplan.errors.DataError` naming the class and field, so that an
importer can add file and row to the same message.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from terraplan.errors import DataError

LATITUDE_RANGE = (-90.0, 90.0)
LONGITUDE_RANGE = (-180.0, 180.0)


def fail(owner: str, field: str, reason: str) -> DataError:
    return DataError(f"{owner}.{field}: {reason}", details={"field": field, "reason": reason})


def require_text(owner: str, field: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise fail(owner, field, "is required and must be non-empty text")


def require_finite(
    owner: str, field: str, value: float | None, *, minimum: float | None = None
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(owner, field, f"must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise fail(owner, field, "must be a finite number")
    if minimum is not None and value < minimum:
        raise fail(owner, field, f"must be >= {minimum:g}, got {value:g}")


def require_coordinates(owner: str, latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise fail(
            owner,
            "latitude" if latitude is None else "longitude",
            "latitude and longitude go together",
        )
    if latitude is None or longitude is None:
        return
    require_finite(owner, "latitude", latitude)
    require_finite(owner, "longitude", longitude)
    if not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        raise fail(owner, "latitude", f"{latitude:g} is outside [-90, 90]")
    if not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
        raise fail(owner, "longitude", f"{longitude:g} is outside [-180, 180]")


def require_unique(owner: str, field: str, values: Iterable[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise fail(owner, field, f"duplicate id {value!r}")
        seen.add(value)
