"""In-process evaluation of a rule set for one record: ``route`` and its explanation.

This is the reference implementation of the semantics (a plain per-record Python evaluator,
independent of the Polars batch path and of the SQL compiler):

* Text comparisons lower-case both sides unless the condition has ``case_sensitive: true``,
  and read each run of whitespace (spaces, tabs, line breaks) as one space, none at either end
  of the record's value or of an ``equals``/``in`` operand (``"  Health   Care "`` equals
  ``"Health Care"``); ``regex`` sees the value as it is, ``is_empty`` matches only NULL and
  ``''``.
* A NULL (missing) field fails every positive operator; ``is_empty`` matches NULL and ``''``
  (numbers: NULL only). Negated operators (``not_equals``, ``not_in``, ``not_contains``,
  ``not_empty``) and ``not`` are the plain negation of their positive form, so they MATCH NULL.
* ``lt/le/gt/ge/between`` on ``postal_code``/``county_fips`` compare the number formed by the
  first five characters when they are all digits (else the field counts as NULL).
* ``within`` uses the haversine distance (Earth radius 6371.0088 km); the boundary is inside.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from terraplan.domain import Account, Lead
from terraplan.rules.fields import (
    CODE_FIELDS,
    CODE_LENGTH,
    ZipLookup,
    code_number,
    fill_location,
    fold_case,
    is_us,
    label,
    normalize_values,
    record_values,
    squeeze,
    squeeze_operand,
    typed_values,
    us_only,
)
from terraplan.rules.index import RuleIndex
from terraplan.rules.model import (
    EARTH_RADIUS_KM,
    NEGATED,
    AllOf,
    Always,
    AnyOf,
    Condition,
    NotOf,
    Op,
    Predicate,
    Rule,
    RuleSet,
    TieBreaker,
    predicates_of,
)
from terraplan.rules.regex import regex_search, shorten


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _positive(pred: Predicate, values: Mapping[str, Any]) -> bool:
    op = pred.op
    if op is Op.WITHIN:
        lat, lon = _number(values.get("latitude")), _number(values.get("longitude"))
        d = pred.distance
        if lat is None or lon is None or d is None:
            return False
        return haversine_km(d.latitude, d.longitude, lat, lon) <= d.radius_km
    raw = values.get(pred.field)
    if raw is not None and us_only(pred) and not is_us(values.get("country")):
        raw = None  # a record abroad has no US state, county or ZIP
    if op is Op.IS_EMPTY:
        return raw is None or raw == "" or (isinstance(raw, float) and math.isnan(raw))
    if raw is None:
        return False
    compare = op in (Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN)
    if pred.numeric:
        number = _number(raw)
    elif compare:
        text = _text(raw)
        number = None if text is None else code_number(text)
    else:
        return _text_positive(pred, _text(raw))
    if number is None:
        return False
    operands = [float(v) for v in pred.values]
    if op in (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY):
        return number in operands
    if op is Op.BETWEEN:
        return operands[0] <= number <= operands[1]
    bound = operands[0]
    return {
        Op.LT: number < bound,
        Op.LE: number <= bound,
        Op.GT: number > bound,
        Op.GE: number >= bound,
    }[op]


_EQUALITY = (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY)


@functools.lru_cache(maxsize=4096)
def _text_operands(
    values: tuple[Any, ...], case_sensitive: bool, equality: bool = True
) -> tuple[str, ...]:
    """The predicate's operands as compared (folded once per rule, not once per record):
    whitespace runs squeezed (see :func:`~terraplan.rules.fields.squeeze_operand`)."""
    return tuple(squeeze_operand(v, equality, case_sensitive) for v in values)


@functools.lru_cache(maxsize=4096)
def _operand_set(values: tuple[Any, ...], case_sensitive: bool) -> frozenset[str]:
    return frozenset(_text_operands(values, case_sensitive, True))


def _text_positive(pred: Predicate, text: str | None) -> bool:
    if text is None:
        return False
    if pred.op is Op.REGEX:
        return regex_search(str(pred.values[0]), pred.case_sensitive, text)
    # runs of whitespace count as one space, none at either end ("  Health   Care ")
    squeezed = squeeze(text)
    subject = squeezed if pred.case_sensitive else fold_case(squeezed)
    if pred.op in _EQUALITY:
        return subject in _operand_set(pred.values, pred.case_sensitive)
    operands = _text_operands(pred.values, pred.case_sensitive, False)
    if pred.op is Op.STARTS_WITH:
        return any(subject.startswith(v) for v in operands)
    if pred.op is Op.ENDS_WITH:
        return any(subject.endswith(v) for v in operands)
    if pred.op is Op.CONTAINS:
        return any(v in subject for v in operands)
    return False


def evaluate_condition(cond: Condition, values: Mapping[str, Any]) -> bool:
    """Whether a condition holds for a flattened record (see :func:`record_values`)."""
    if isinstance(cond, Always):
        return True
    if isinstance(cond, AllOf):
        return all(evaluate_condition(c, values) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(evaluate_condition(c, values) for c in cond.items)
    if isinstance(cond, NotOf):
        return not evaluate_condition(cond.item, values)
    positive_op = NEGATED.get(cond.op)
    if positive_op is None:
        return _positive(cond, values)
    return not _positive(_with_op(cond, positive_op), values)


def _with_op(pred: Predicate, op: Op) -> Predicate:
    return Predicate(
        pred.field,
        op,
        pred.values,
        pred.case_sensitive,
        pred.distance,
        pred.geography,
        pred.numeric,
    )


# -- explanations ---------------------------------------------------------------------------------
_WORDS: dict[Op, tuple[str, str]] = {
    Op.EQUALS: ("is", "is not"),
    Op.NOT_EQUALS: ("is not", "is"),
    Op.IN: ("is in", "is not in"),
    Op.NOT_IN: ("is not in", "is in"),
    Op.STARTS_WITH: ("starts with", "does not start with"),
    Op.ENDS_WITH: ("ends with", "does not end with"),
    Op.CONTAINS: ("contains", "does not contain"),
    Op.NOT_CONTAINS: ("does not contain", "contains"),
    Op.REGEX: ("matches", "does not match"),
    Op.LT: ("is below", "is not below"),
    Op.LE: ("is at most", "is above"),
    Op.GT: ("is above", "is at most"),
    Op.GE: ("is at least", "is below"),
    Op.BETWEEN: ("is in", "is not in"),
    Op.IS_EMPTY: ("is empty", "is not empty"),
    Op.NOT_EMPTY: ("is not empty", "is empty"),
    Op.IN_GEOGRAPHY: ("is in the geography of", "is not in the geography of"),
}


def _code(value: Any) -> str:
    """A ZIP or FIPS bound of a range, with its leading zeros (ranges compare numbers)."""
    whole = isinstance(value, int | float) and not isinstance(value, bool)
    if whole and float(value).is_integer() and 0 <= value < 10**CODE_LENGTH:
        return f"{int(value):0{CODE_LENGTH}d}"
    return _fmt(value)


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return shorten(str(value), 80)


#: Display names of field values, ``{field: {value: name}}`` (e.g. ``{"county_fips":
#: {"08031": "Denver County, CO"}}``): explanations show the name beside the value.
ValueNames = Mapping[str, Mapping[str, str]]

#: Values of a list shown in an explanation; a longer list is counted, not listed, when the
#: record's value is in it (its first codes say nothing about the record).
SHOWN_VALUES = 8


def _operand(pred: Predicate, inside: bool = False) -> str:
    """The right-hand side; ``inside``: the record's value is in the list (``in`` holds, or
    ``not_in`` fails), so a long list is counted instead of listed."""
    if pred.op is Op.BETWEEN:
        low, high = pred.values[0], pred.values[1]
        if pred.field in CODE_FIELDS:  # a ZIP range reads as typed: 07000–08999
            return f"{_code(low)}–{_code(high)}"
        return f"{_fmt(low)}–{_fmt(high)}"
    if pred.op is Op.IN_GEOGRAPHY:
        return str(pred.geography)
    if pred.op is Op.REGEX:
        return f"/{shorten(str(pred.values[0]), 80)}/"
    values = typed_values(pred)
    if pred.op in (Op.IN, Op.NOT_IN) or len(values) > 1:
        if inside and pred.op in (Op.IN, Op.NOT_IN) and len(values) > SHOWN_VALUES:
            return f"the rule's list of {len(values):,}"
        shown = ", ".join(_fmt(v) for v in values[:SHOWN_VALUES])
        extra = len(values) - SHOWN_VALUES
        more = f", … {extra} more" if extra > 0 else ""
        prefix = "one of " if pred.op not in (Op.IN, Op.NOT_IN) else ""
        return f"{prefix}[{shown}{more}]"
    return _fmt(values[0]) if values else ""


def _phrase(
    pred: Predicate, values: Mapping[str, Any], holds: bool, names: ValueNames | None = None
) -> str:
    if pred.op is Op.WITHIN and pred.distance is not None:
        d = pred.distance
        lat, lon = _number(values.get("latitude")), _number(values.get("longitude"))
        unit = d.unit
        radius = f"{_fmt(round(d.radius_in_unit, 3))} {unit}"
        centre = f"({d.latitude:g}, {d.longitude:g})"
        if lat is None or lon is None:
            return f"location is unknown, so not within {radius} of {centre}"
        km = haversine_km(d.latitude, d.longitude, lat, lon)
        dist = km if unit == "km" else km / 1.609344
        word = "within" if holds else "farther than"
        return f"location ({lat:g}, {lon:g}) is {dist:.1f} {unit} from {centre}, {word} {radius}"
    actual = values.get(pred.field)
    shown = "(empty)" if actual is None or actual == "" else _fmt(actual)
    named = (names or {}).get(pred.field, {}).get(shown)
    if named:
        shown = f"{shown} ({named})"
    word = _WORDS[pred.op][0 if holds else 1]
    if pred.op in (Op.IS_EMPTY, Op.NOT_EMPTY):
        return (
            f"{label(pred.field)} {word}"
            if shown == "(empty)"
            else (f"{label(pred.field)} {shown} {word}")
        )
    inside = holds != (pred.op in NEGATED)
    return f"{label(pred.field)} {shown} {word} {_operand(pred, inside)}".rstrip()


def explain_condition(
    cond: Condition,
    values: Mapping[str, Any],
    holds: bool = True,
    names: ValueNames | None = None,
) -> str:
    """Plain words for why ``cond`` holds (``holds=True``) or fails for a record, with the
    display ``names`` of its values where given ("county FIPS 08031 (Denver County, CO) is
    in the rule's list of 180")."""
    if isinstance(cond, Always):
        return "every record matches" if holds else "nothing"
    if isinstance(cond, NotOf):
        return explain_condition(cond.item, values, not holds, names)
    if isinstance(cond, AllOf | AnyOf):
        conjunction = isinstance(cond, AllOf) == holds
        parts = [c for c in cond.items if evaluate_condition(c, values) == holds]
        if not conjunction:
            parts = parts[:1]
        text = (" and " if conjunction else " or ").join(
            explain_condition(c, values, holds, names) for c in parts
        )
        return f"({text})" if len(parts) > 1 and not conjunction else text
    return _phrase(cond, values, holds, names)


# -- routing ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OverlayMatch:
    territory_id: str
    role: str
    rule_id: str


@dataclass(frozen=True, slots=True)
class RouteResult:
    """Where one record belongs.

    ``territory_id`` is None on a gap without catch-all and on an unresolved conflict.
    ``gap`` is True when no rule matched (even if the catch-all took the record).
    """

    territory_id: str | None
    territory_type: str | None
    rule_id: str | None
    explanation: str
    overlays: tuple[OverlayMatch, ...] = ()
    conflict: bool = False
    conflict_territories: tuple[str, ...] = ()
    gap: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "territory_id": self.territory_id,
            "territory_type": self.territory_type,
            "rule_id": self.rule_id,
            "explanation": self.explanation,
            "overlays": [
                {"territory_id": o.territory_id, "role": o.role, "rule_id": o.rule_id}
                for o in self.overlays
            ],
            "conflict": self.conflict,
            "conflict_territories": list(self.conflict_territories),
            "gap": self.gap,
        }


def matching_rules(
    rule_set: RuleSet, values: Mapping[str, Any], index: RuleIndex | None = None
) -> list[Rule]:
    """Primary rules whose condition holds and whose territory does not exclude the record.

    With ``index`` (built for this rule set), only the rules it names as candidates are tried:
    the same answer, at the cost of a few look-ups instead of one test per rule.
    """
    if index is None:
        rules: Iterable[Rule] = rule_set.rules
        exclusion_for = rule_set.exclusion_for
    else:
        rules = index.candidates(values)
        exclusion_for = index.exclusion_for
    excluded: dict[str, bool] = {}
    found = []
    for rule in rules:
        if rule.territory_id not in excluded:
            exclusion = exclusion_for(rule.territory_id)
            excluded[rule.territory_id] = exclusion is not None and evaluate_condition(
                exclusion, values
            )
        if not excluded[rule.territory_id] and evaluate_condition(rule.when, values):
            found.append(rule)
    return found


def route(
    record: Account | Lead | Mapping[str, Any],
    rule_set: RuleSet,
    *,
    locate: ZipLookup | None = None,
    index: RuleIndex | None = None,
    value_names: ValueNames | None = None,
    normalize: bool = True,
) -> RouteResult:
    """Assign one record: the primary territory, the deciding rule, overlays and why.

    The record is read as an import reads it (:func:`~terraplan.rules.fields.normalize_values`:
    ``"California"`` is ``CA``, ZIP ``02134-1234`` or ``2134`` is ``02134``, county ``6075``
    is ``06075``), so that it routes as the same record imported does; ``normalize=False``
    compares its values as given, as compiled SQL does on a table. With ``locate``, a US
    record's missing county FIPS, state and coordinates are filled from its ZIP first (as
    :func:`terraplan.rules.assign_batch` does with the same look-up).
    ``index``: a :class:`~terraplan.rules.index.RuleIndex` of ``rule_set``, for routing many
    records with one rule set (same result, fewer rules tried). ``value_names``: display names of
    field values for the explanation (see :data:`ValueNames`). Pure apart from ``locate``.
    """
    values = record_values(record)
    if normalize:
        values = normalize_values(values)
    if locate is not None:
        fill_location(values, locate)
    names = rule_set.territories
    exclusion_for = rule_set.exclusion_for if index is None else index.exclusion_for
    hits: dict[str, OverlayMatch] = {}
    for overlay in rule_set.overlays:
        if overlay.territory_id not in hits and evaluate_condition(overlay.when, values):
            exclusion = exclusion_for(overlay.territory_id)
            if exclusion is None or not evaluate_condition(exclusion, values):
                hits[overlay.territory_id] = OverlayMatch(
                    overlay.territory_id, overlay.role, overlay.id
                )
    # overlays are listed in the order their territories first appear in the rule set
    first = list(dict.fromkeys(o.territory_id for o in rule_set.overlays))
    overlays = [hits[t] for t in first if t in hits]
    found = matching_rules(rule_set, values, index)
    if not found:
        abroad = _abroad(rule_set, values)
        if rule_set.catch_all is not None:
            target = names[rule_set.catch_all]
            why = f"no rule matched{abroad} → catch-all {target.name}"
            return RouteResult(target.id, target.type.value, None, why, tuple(overlays), gap=True)
        why = f"no rule matched{abroad} (gap)"
        return RouteResult(None, None, None, why, tuple(overlays), gap=True)
    best_key = min(rule_set.level_key(r) for r in found)
    best = sorted((r for r in found if rule_set.level_key(r) == best_key), key=lambda r: r.position)
    winner = best[0]
    contenders = tuple(dict.fromkeys(r.territory_id for r in best))
    if len(contenders) > 1 and rule_set.tie_breaker is TieBreaker.NONE:
        parts = "; ".join(
            f"rule {r.id} → {names[r.territory_id].name}: {explain_condition(r.when, values, names=value_names)}"
            for r in best
        )
        why = f"conflict at the same priority: {parts}"
        return RouteResult(None, None, None, why, tuple(overlays), True, contenders)
    target = names[winner.territory_id]
    reason = explain_condition(winner.when, values, names=value_names)
    if winner.pinned:
        reason = f"account {values.get('id')} is a named account of {target.name}"
    why = f"{reason} → {target.name}"
    if len(contenders) > 1:
        # the tie breaker decided: the rules that lost are part of the why
        lost = ", ".join(
            f"rule {r.id} → {names[r.territory_id].name}"
            for r in best
            if r.territory_id != winner.territory_id
        )
        why += f" (also matched at the same priority: {lost}; the first in the file wins)"
    return RouteResult(target.id, target.type.value, winner.id, why, tuple(overlays))


def _abroad(rule_set: RuleSet, values: Mapping[str, Any]) -> str:
    """Why a record of another country matched no ZIP range, county or state rule of the
    rule set (``""`` for a US record, or rules that have none)."""
    country = values.get("country")
    if is_us(country) or not _has_us_places(rule_set):
        return ""
    return (
        f" (the record is outside the US, country {squeeze(str(country))}: ZIP ranges, county "
        "and state rules place US records only)"
    )


def _has_us_places(rule_set: RuleSet) -> bool:
    conditions = [r.when for r in rule_set.rules] + [o.when for o in rule_set.overlays]
    return any(us_only(test) for when in conditions for test in predicates_of(when))


def route_many(
    records: Iterable[Account | Lead | Mapping[str, Any]],
    rule_set: RuleSet,
    *,
    locate: ZipLookup | None = None,
) -> list[RouteResult]:
    """:func:`route` for each record: the per-record loop (reference, baseline), with one
    :class:`~terraplan.rules.index.RuleIndex` for all of them."""
    index = RuleIndex(rule_set)
    return [route(record, rule_set, locate=locate, index=index) for record in records]
