"""Territories and their owners."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from terraplan.domain._checks import fail, require_finite, require_text


class TerritoryType(StrEnum):
    """What a territory is cut by. The order of :data:`DEFAULT_PRIORITY` decides ownership."""

    NAMED = "named"
    VERTICAL = "vertical"
    SEGMENT = "segment"
    GEO = "geo"
    OVERLAY = "overlay"
    CATCH_ALL = "catch_all"


#: Default precedence of territory types when several match (first wins).
DEFAULT_PRIORITY: tuple[TerritoryType, ...] = (
    TerritoryType.NAMED,
    TerritoryType.VERTICAL,
    TerritoryType.SEGMENT,
    TerritoryType.GEO,
    TerritoryType.CATCH_ALL,
)


class OwnerRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    OVERLAY = "overlay"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class TerritoryOwner:
    """A rep owning a territory in a role; ``share`` (0..1] splits capacity-weighted routing."""

    rep_id: str
    role: OwnerRole = OwnerRole.PRIMARY
    share: float = 1.0

    def __post_init__(self) -> None:
        require_text("TerritoryOwner", "rep_id", self.rep_id)
        if not isinstance(self.role, OwnerRole):
            raise fail("TerritoryOwner", "role", f"unknown role {self.role!r}")
        require_finite("TerritoryOwner", "share", self.share, minimum=0)
        if not 0 < self.share <= 1:
            raise fail("TerritoryOwner", "share", f"must be in (0, 1], got {self.share:g}")


@dataclass(frozen=True, slots=True)
class Territory:
    """A node of a plan's hierarchy (region > district > territory, any depth).

    ``level`` names the hierarchy level ("region", "district", "territory"); leaves carry the
    alignment, inner nodes roll them up.
    """

    id: str
    name: str
    type: TerritoryType = TerritoryType.GEO
    parent_id: str | None = None
    level: str = "territory"
    owners: tuple[TerritoryOwner, ...] = ()

    def __post_init__(self) -> None:
        require_text("Territory", "id", self.id)
        require_text("Territory", "name", self.name)
        require_text("Territory", "level", self.level)
        if not isinstance(self.type, TerritoryType):
            raise fail("Territory", "type", f"unknown type {self.type!r}")
        if self.parent_id == self.id:
            raise fail("Territory", "parent_id", "a territory cannot be its own parent")
        reps = [(o.rep_id, o.role) for o in self.owners]
        if len(set(reps)) != len(reps):
            raise fail("Territory", "owners", "the same rep is listed twice in one role")

    @property
    def primary_owner_ids(self) -> tuple[str, ...]:
        return tuple(o.rep_id for o in self.owners if o.role is OwnerRole.PRIMARY)
