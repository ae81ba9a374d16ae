"""The units just across a caller's borders: the units of territories they do not see that
share a border with a unit of one they see.

A rep (or a manager of one region) sees only their own territories, yet the change they most
often ask for is a border one: "give me that county", "this county belongs with my
neighbour". The ring is what they may name in such a request, and what their map shows of
their neighbours: each unit's name and its territory's name, nothing of its accounts or
figures.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cache

from sqlalchemy import select

from terraplan.domain import Plan, RecordKind
from terraplan.storage.orm import GeoUnitRow
from terraplan.storage.unit_of_work import UnitOfWork


def unit_neighbours(uow: UnitOfWork, units: Collection[str]) -> dict[str, tuple[str, ...]]:
    """``unit id -> ids of the units sharing a border`` for ``units``: as stored, else (no
    stored unit has neighbours, as when a plan's counties were never imported) from the
    bundled county adjacency."""
    wanted = sorted(set(units))
    found: dict[str, tuple[str, ...]] = {}
    for start in range(0, len(wanted), 5_000):  # the caller's units only, in bounded batches
        chunk = wanted[start : start + 5_000]
        rows = uow.connection.execute(
            select(GeoUnitRow.id, GeoUnitRow.neighbours).where(GeoUnitRow.id.in_(chunk))
        ).all()
        found |= {r.id: tuple(r.neighbours or ()) for r in rows}
    if any(found.values()):
        return found
    bundled = _bundled_adjacency()
    return {unit: bundled[unit] for unit in wanted if unit in bundled}


@cache
def _bundled_adjacency() -> dict[str, tuple[str, ...]]:
    """The bundled county adjacency, read once per process."""
    from terraplan.data.counties import load_county_adjacency

    links: dict[str, list[str]] = {}
    for link in load_county_adjacency():
        links.setdefault(link.fips, []).append(link.neighbour_fips)
    return {fips: tuple(ids) for fips, ids in links.items()}


def bordering_units(
    plan: Plan, shown: Collection[str], neighbours: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """``unit id -> territory id`` of the units aligned to a territory not in ``shown`` that
    border a unit aligned to one in ``shown`` (``neighbours``: :func:`unit_neighbours`)."""
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    inside = set(shown)
    ring: dict[str, str] = {}
    for unit, territory in geo.items():
        if territory not in inside:
            continue
        for other in neighbours.get(unit, ()):
            across = geo.get(other)
            if across is not None and across not in inside:
                ring[other] = across
    return ring


def border_ring(uow: UnitOfWork, plan: Plan, shown: Collection[str]) -> dict[str, str]:
    """:func:`bordering_units` of the stored plan ``plan`` around the territories ``shown``."""
    inside = set(shown)
    own = [u for u, t in plan.alignment_map(RecordKind.GEO_UNIT).items() if t in inside]
    return bordering_units(plan, inside, unit_neighbours(uow, own))
