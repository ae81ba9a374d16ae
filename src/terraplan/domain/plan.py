"""Plans (scenarios): a hierarchy of territories, an alignment, a status and effective dates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from terraplan.domain._checks import fail, require_text, require_unique
from terraplan.domain.territory import Territory
from terraplan.errors import ConflictError


class PlanStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACTIVE = "active"
    ARCHIVED = "archived"


#: Allowed status transitions; anything else is a :class:`ConflictError`.
STATUS_TRANSITIONS: Mapping[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.IN_REVIEW, PlanStatus.ARCHIVED}),
    PlanStatus.IN_REVIEW: frozenset({PlanStatus.DRAFT, PlanStatus.APPROVED, PlanStatus.ARCHIVED}),
    PlanStatus.APPROVED: frozenset({PlanStatus.ACTIVE, PlanStatus.DRAFT, PlanStatus.ARCHIVED}),
    PlanStatus.ACTIVE: frozenset({PlanStatus.ARCHIVED}),
    PlanStatus.ARCHIVED: frozenset(),
}


class RecordKind(StrEnum):
    """What an alignment entry assigns to a territory."""

    GEO_UNIT = "geo_unit"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class AlignmentEntry:
    """One geo unit or account assigned to one (leaf) territory."""

    record_kind: RecordKind
    record_id: str
    territory_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.record_kind, RecordKind):
            raise fail("AlignmentEntry", "record_kind", f"unknown kind {self.record_kind!r}")
        require_text("AlignmentEntry", "record_id", self.record_id)
        require_text("AlignmentEntry", "territory_id", self.territory_id)


@dataclass(frozen=True, slots=True)
class Plan:
    """A territory plan (scenario).

    Invariants: territory ids unique; parents exist and the hierarchy has no cycle; every
    alignment entry points at an existing territory; a record is aligned at most once;
    ``effective_from <= effective_to``.
    """

    id: str
    name: str
    version: int = 1
    status: PlanStatus = PlanStatus.DRAFT
    effective_from: date | None = None
    effective_to: date | None = None
    territories: tuple[Territory, ...] = ()
    alignment: tuple[AlignmentEntry, ...] = ()
    description: str | None = None
    based_on_plan_id: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None
    parameters: dict[str, object] = field(default_factory=dict)
    #: The part of the market the plan covers (e.g. "West", "Enterprise"); None = the whole
    #: market. One plan per scope is active at a time.
    scope: str | None = None

    def __post_init__(self) -> None:
        require_text("Plan", "id", self.id)
        require_text("Plan", "name", self.name)
        if not isinstance(self.status, PlanStatus):
            raise fail("Plan", "status", f"unknown status {self.status!r}")
        if self.version < 1:
            raise fail("Plan", "version", "must be >= 1")
        if (
            self.effective_from is not None
            and self.effective_to is not None
            and self.effective_from > self.effective_to
        ):
            raise fail("Plan", "effective_to", "ends before it starts")
        require_unique("Plan", "territories", (t.id for t in self.territories))
        by_id = {t.id: t for t in self.territories}
        for territory in self.territories:
            if territory.parent_id is not None and territory.parent_id not in by_id:
                raise fail(
                    "Plan",
                    "territories",
                    f"territory {territory.id!r} has unknown parent {territory.parent_id!r}",
                )
        _check_acyclic(by_id)
        seen: set[tuple[RecordKind, str]] = set()
        for entry in self.alignment:
            if entry.territory_id not in by_id:
                raise fail(
                    "Plan",
                    "alignment",
                    f"{entry.record_kind} {entry.record_id!r} points at unknown territory "
                    f"{entry.territory_id!r}",
                )
            key = (entry.record_kind, entry.record_id)
            if key in seen:
                raise fail(
                    "Plan",
                    "alignment",
                    f"{entry.record_kind} {entry.record_id!r} is aligned to more than one territory",
                )
            seen.add(key)

    def territory(self, territory_id: str) -> Territory:
        for territory in self.territories:
            if territory.id == territory_id:
                return territory
        raise fail("Plan", "territories", f"no territory {territory_id!r}")

    def children(self, territory_id: str | None) -> tuple[Territory, ...]:
        return tuple(t for t in self.territories if t.parent_id == territory_id)

    def leaves(self) -> tuple[Territory, ...]:
        parents = {t.parent_id for t in self.territories}
        return tuple(t for t in self.territories if t.id not in parents)

    def alignment_map(self, kind: RecordKind) -> dict[str, str]:
        """``record_id -> territory_id`` for one record kind."""
        return {e.record_id: e.territory_id for e in self.alignment if e.record_kind is kind}

    def ancestors(self, territory_id: str) -> tuple[str, ...]:
        """Ids from the territory's parent up to the root."""
        by_id = {t.id: t for t in self.territories}
        chain: list[str] = []
        current = by_id[territory_id].parent_id
        while current is not None:
            chain.append(current)
            current = by_id[current].parent_id
        return tuple(chain)

    def transition(
        self, status: PlanStatus, *, by: str | None = None, at: datetime | None = None
    ) -> Plan:
        """Return this plan in a new status, or raise :class:`ConflictError` if not allowed."""
        if status not in STATUS_TRANSITIONS[self.status]:
            raise ConflictError(
                f"plan {self.id!r} cannot go from {self.status} to {status}",
                details={"plan_id": self.id, "from": str(self.status), "to": str(status)},
            )
        return replace(self, status=status, updated_by=by, updated_at=at)

    def require_writable(self, action: str) -> None:
        """Raise :class:`ConflictError` when the plan is archived (archived plans are read-only)."""
        if self.status is PlanStatus.ARCHIVED:
            raise ConflictError(
                f"plan {self.id} is archived and read-only: cannot {action} (copy it instead)",
                details={"plan_id": self.id, "status": self.status.value},
            )

    def with_alignment(self, entries: Iterable[AlignmentEntry]) -> Plan:
        return replace(self, alignment=tuple(entries))


def _check_acyclic(by_id: Mapping[str, Territory]) -> None:
    state: dict[str, int] = {}
    for start in by_id:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = by_id[node].parent_id
        if node is not None and state.get(node) == 1:
            raise fail("Plan", "territories", f"the hierarchy has a cycle through {node!r}")
        for visited in path:
            state[visited] = 2
