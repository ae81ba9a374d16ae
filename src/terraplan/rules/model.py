"""The rule model: conditions, rules, exclusions, overlays and the rule set that holds them.

Everything here is a frozen dataclass built by :func:`terraplan.rules.parse.parse_rule_set`,
which validates the whole set first. Evaluators (in-process, Polars batch, SQL) only read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from terraplan.domain import DEFAULT_PRIORITY, TerritoryType

#: SQL dialects :func:`terraplan.rules.compile_sql` targets (SQLGlot names).
DIALECTS: tuple[str, ...] = ("postgres", "duckdb", "spark", "snowflake", "bigquery")


class Op(StrEnum):
    """Condition operators. See the README of ``terraplan.rules`` for NULL and case rules."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    NOT_IN = "not_in"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    REGEX = "regex"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    BETWEEN = "between"
    IS_EMPTY = "is_empty"
    NOT_EMPTY = "not_empty"
    WITHIN = "within"
    IN_GEOGRAPHY = "in_geography"


#: Operators that are the negation of a positive operator (and therefore match NULL).
NEGATED: dict[Op, Op] = {
    Op.NOT_EQUALS: Op.EQUALS,
    Op.NOT_IN: Op.IN,
    Op.NOT_CONTAINS: Op.CONTAINS,
    Op.NOT_EMPTY: Op.IS_EMPTY,
}

Scalar: TypeAlias = str | float | int


@dataclass(frozen=True, slots=True)
class Distance:
    """Centre point (WGS84 degrees) and radius (kilometres) of a ``within`` condition."""

    latitude: float
    longitude: float
    radius_km: float
    unit: str = "km"  # as written by the author ("km" or "mi"), for explanations only

    @property
    def radius_in_unit(self) -> float:
        return self.radius_km / KM_PER_MILE if self.unit == "mi" else self.radius_km


KM_PER_MILE = 1.609344
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Predicate:
    """One test on one field.

    ``values`` holds the operand(s): one item for equals/lt/... , several for in/starts_with
    (any of them)/..., two (low, high) for between, none for is_empty. ``distance`` is set for
    ``within``; ``geography`` names the territory for ``in_geography`` and ``values`` then holds
    the resolved geo unit ids. Text operands are stored as written; comparisons lower-case both
    sides unless ``case_sensitive``.
    """

    field: str
    op: Op
    values: tuple[Scalar, ...] = ()
    case_sensitive: bool = False
    distance: Distance | None = None
    geography: str | None = None
    numeric: bool = False  # the field holds numbers (else text)


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class NotOf:
    item: Condition


@dataclass(frozen=True, slots=True)
class Always:
    """The condition that always holds (a rule with no ``when``)."""


Condition: TypeAlias = Predicate | AllOf | AnyOf | NotOf | Always


def predicates_of(condition: Condition) -> Iterator[Predicate]:
    """Every test inside ``condition`` (all/any/not walked, iteratively)."""
    stack: list[Condition] = [condition]
    while stack:
        item = stack.pop()
        if isinstance(item, Predicate):
            yield item
        elif isinstance(item, AllOf | AnyOf):
            stack.extend(item.items)
        elif isinstance(item, NotOf):
            stack.append(item.item)


@dataclass(frozen=True, slots=True)
class RuleTerritory:
    """A territory as the rule set knows it: id, display name, type and, when the rule set
    declares one, its parent (a region: saved into the plan's hierarchy)."""

    id: str
    name: str
    type: TerritoryType = TerritoryType.GEO
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """When ``when`` holds, the record belongs to ``territory_id``.

    ``order`` ranks rules inside one territory type (lower first); two matching rules with the
    same type and order that point at different territories are a conflict. ``position`` is
    the rule's index in the rule set's list (named-account pins come first).
    """

    id: str
    territory_id: str
    when: Condition
    order: int = 0
    position: int = 0
    description: str | None = None
    pinned: bool = False  # a named-account pin: wins over every typed rule


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Records matching ``when`` must never be given ``territory_id`` (primary or overlay)."""

    territory_id: str
    when: Condition


@dataclass(frozen=True, slots=True)
class Overlay:
    """A second owner: records matching ``when`` also get ``territory_id`` in ``role``."""

    id: str
    territory_id: str
    when: Condition
    role: str = "overlay"


class TieBreaker(StrEnum):
    NONE = "none"
    RULE_POSITION = "rule_position"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A validated rule set. Build it with :func:`terraplan.rules.parse_rule_set`.

    ``rules`` are the primary rules in list order (named-account pins synthesised first, with
    ids ``named:<territory>``); ``priority`` orders territory types (first wins).
    """

    territories: dict[str, RuleTerritory]
    rules: tuple[Rule, ...]
    exclusions: tuple[Exclusion, ...] = ()
    overlays: tuple[Overlay, ...] = ()
    priority: tuple[TerritoryType, ...] = DEFAULT_PRIORITY
    catch_all: str | None = None
    tie_breaker: TieBreaker = TieBreaker.NONE
    named_accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    attribute_kinds: dict[str, str] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    geographies: dict[str, frozenset[str]] = field(default_factory=dict)
    name: str | None = None
    version: int = 1
    #: What parsing read in a way worth telling the author (``postal_code 2134`` read as the
    #: ZIP 02134); not part of the rules (two sets that route alike are equal).
    notes: tuple[str, ...] = field(default=(), compare=False)

    def territory_type(self, territory_id: str) -> TerritoryType:
        return self.territories[territory_id].type

    def level_key(self, rule: Rule) -> tuple[int, int]:
        """(type rank, order): rules with a smaller key win; equal keys can conflict.

        Named-account pins rank before every type: ``(-1, 0)``.
        """
        if rule.pinned:
            return (-1, 0)
        return (self.priority.index(self.territory_type(rule.territory_id)), rule.order)

    def ranked_rules(self) -> list[Rule]:
        """Primary rules sorted by (type rank, order, position): the order of resolution."""
        return sorted(self.rules, key=lambda r: (*self.level_key(r), r.position))

    def exclusion_for(self, territory_id: str) -> Condition | None:
        """The union of the exclusions of one territory, or None."""
        items = tuple(e.when for e in self.exclusions if e.territory_id == territory_id)
        if not items:
            return None
        return items[0] if len(items) == 1 else AnyOf(items)
