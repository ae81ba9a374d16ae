"""Fit a rule set to what Salesforce ETM can load: standard fields, ETM's limits, no ties.

* County conditions (``county_fips``, which no org has as an Account field) become
  ``BillingPostalCode startsWith`` criteria: the ZIPs of each county (from a ``zip -> county``
  table), written as the shortest prefixes that hold only that county set's ZIPs.
* A value list longer than 255 characters is cut into several rule items joined by OR (by
  AND for negative operators); a rule needing more than 10 items is split into several rules
  for the same territory (``<rule>~1``, ``<rule>~2``…), each a part of the original list.
* :func:`etm_ties` finds the records that rules of two different territories both match:
  ETM gives such a record to neither at the same level, silently, so they are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from terraplan.rules.etm import MAX_ITEMS, MAX_VALUE, EtmProblem
from terraplan.rules.model import (
    AllOf,
    Always,
    AnyOf,
    Condition,
    NotOf,
    Op,
    Predicate,
    Rule,
    RuleSet,
)

_POSITIVE = (Op.EQUALS, Op.IN, Op.STARTS_WITH, Op.CONTAINS)
_NEGATIVE = (Op.NOT_EQUALS, Op.NOT_IN, Op.NOT_CONTAINS)


def _prefix_counts(zips: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for z in zips:
        counts.update(z[:k] for k in range(1, 6))
    return counts


def zip_prefixes(
    zips: Iterable[str], universe: Iterable[str], *, universe_counts: Counter[str] | None = None
) -> list[str]:
    """The fewest prefixes covering ``zips`` and no other ZIP of ``universe``.

    A prefix is used only when every known ZIP starting with it is in ``zips``; ZIPs unknown
    to ``universe`` then follow their prefix (a new ZIP of the same area). ``universe_counts``
    (:func:`_prefix_counts` of the universe) saves recounting it on every call.
    """
    chosen = {z for z in zips if len(z) == 5 and z.isdigit()}
    known = universe_counts
    if known is None:
        known = _prefix_counts({z for z in universe if len(z) == 5 and z.isdigit()} | chosen)
    mine = _prefix_counts(chosen)
    out: set[str] = set()
    for z in chosen:
        for k in range(1, 6):
            if mine[z[:k]] >= known[z[:k]]:
                out.add(z[:k])
                break
    # drop prefixes covered by a shorter chosen prefix
    return sorted(p for p in out if not any(p[:k] in out for k in range(1, len(p))))


class _CountyCodes:
    def __init__(self, zip_counties: Mapping[str, str], other_zips: Iterable[str] = ()) -> None:
        self.zip_counties = zip_counties
        self.by_county: dict[str, set[str]] = {}
        for z, county in zip_counties.items():
            self.by_county.setdefault(county, set()).add(z)
        self.missing: set[str] = set()
        # a prefix may cover no ZIP outside the chosen counties, those of no county table
        # (Puerto Rico's 006-009, Alaska, Hawaii, military) included
        known = {z for z in (*zip_counties, *other_zips) if len(z) == 5 and z.isdigit()}
        self.counts = _prefix_counts(known)

    def prefixes(self, counties: Iterable[object]) -> list[str]:
        zips: set[str] = set()
        for county in counties:
            found = self.by_county.get(str(county).zfill(5))
            if found is None:
                self.missing.add(str(county))
            else:
                zips |= found
        return zip_prefixes(zips, self.zip_counties, universe_counts=self.counts)


def _to_postal(
    cond: Condition, counties: _CountyCodes, geographies: Mapping[str, Any]
) -> Condition:
    if isinstance(cond, AllOf | AnyOf):
        return type(cond)(tuple(_to_postal(c, counties, geographies) for c in cond.items))
    if isinstance(cond, NotOf):
        return NotOf(_to_postal(cond.item, counties, geographies))
    if not isinstance(cond, Predicate):
        return cond
    if cond.op is Op.IN_GEOGRAPHY and cond.geography is not None and cond.geography in geographies:
        codes = sorted(str(c) for c in geographies[cond.geography])
        county_codes = [c for c in codes if c.zfill(5) in counties.by_county]
        zips = [c for c in codes if c not in county_codes]
        values = counties.prefixes(county_codes) + zips
        return Predicate("postal_code", Op.STARTS_WITH, tuple(values))
    if cond.field != "county_fips":
        return cond
    if cond.op in (Op.EQUALS, Op.IN):
        return Predicate("postal_code", Op.STARTS_WITH, tuple(counties.prefixes(cond.values)))
    if cond.op in (Op.NOT_EQUALS, Op.NOT_IN):
        inner = Predicate("postal_code", Op.STARTS_WITH, tuple(counties.prefixes(cond.values)))
        return NotOf(inner)
    return cond


def _has_empty(cond: Condition) -> bool:
    if isinstance(cond, AllOf | AnyOf):
        return any(_has_empty(c) for c in cond.items)
    if isinstance(cond, NotOf):
        return _has_empty(cond.item)
    return isinstance(cond, Predicate) and cond.op is Op.STARTS_WITH and not cond.values


def _chunks(values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    current: list[Any] = []
    size = -1
    for value in values:
        width = len(str(value)) + 1
        if current and size + width > MAX_VALUE:
            out.append(tuple(current))
            current, size = [], -1
        current.append(value)
        size += width
    if current:
        out.append(tuple(current))
    return out


def _cut_values(cond: Condition) -> Condition:
    """Predicates whose value list exceeds 255 characters become OR (or AND) of shorter ones."""
    if isinstance(cond, AllOf | AnyOf):
        return type(cond)(tuple(_cut_values(c) for c in cond.items))
    if isinstance(cond, NotOf):
        return NotOf(_cut_values(cond.item))
    if not isinstance(cond, Predicate) or cond.op not in (*_POSITIVE, *_NEGATIVE):
        return cond
    parts = _chunks(cond.values)
    if len(parts) <= 1:
        return cond
    op = cond.op
    if op is Op.EQUALS:
        op = Op.IN
    if op is Op.NOT_EQUALS:
        op = Op.NOT_IN
    pieces = tuple(replace(cond, op=op, values=p) for p in parts)
    return AnyOf(pieces) if cond.op in _POSITIVE else AllOf(pieces)


def _count(cond: Condition) -> int:
    if isinstance(cond, AllOf | AnyOf):
        return sum(_count(c) for c in cond.items)
    if isinstance(cond, NotOf):
        return _count(cond.item)
    if isinstance(cond, Always):
        return 0
    if isinstance(cond, Predicate) and cond.op is Op.BETWEEN and cond.field != "postal_code":
        return 2
    return 1


def _largest_list(cond: Condition, negated: bool = False) -> Predicate | None:
    """The longest positive value list not under a NOT (splitting it splits the rule)."""
    if isinstance(cond, AllOf | AnyOf):
        found = [p for c in cond.items if (p := _largest_list(c, negated)) is not None]
        return max(found, key=lambda p: len(p.values), default=None)
    if isinstance(cond, NotOf):
        return None
    if isinstance(cond, Predicate) and cond.op in _POSITIVE and len(cond.values) > 1:
        return cond
    return None


def _swap(cond: Condition, old: Predicate, new: Predicate) -> Condition:
    if cond is old:
        return new
    if isinstance(cond, AllOf | AnyOf):
        return type(cond)(tuple(_swap(c, old, new) for c in cond.items))
    return cond


def _split(cond: Condition, limit: int = MAX_ITEMS) -> list[Condition] | None:
    """Conditions whose OR equals ``cond``, each needing at most ``limit`` ETM items."""
    cut = _cut_values(cond)
    if _count(cut) <= limit:
        return [cut]
    big = _largest_list(cond)
    if big is None:
        return None
    half = len(big.values) // 2
    out: list[Condition] = []
    for part in (big.values[:half], big.values[half:]):
        pieces = _split(_swap(cond, big, replace(big, values=part)), limit)
        if pieces is None:
            return None
        out.extend(pieces)
    return out


@dataclass(frozen=True, slots=True)
class FittedRules:
    rule_set: RuleSet
    problems: tuple[EtmProblem, ...]
    split: dict[str, int]  # original rule id -> number of ETM rules it became (only when > 1)


def fit_for_etm(
    rule_set: RuleSet,
    zip_counties: Mapping[str, str],
    *,
    other_zips: Iterable[str] = (),
    county_names: Mapping[str, str] | None = None,
) -> FittedRules:
    """``rule_set`` rewritten on standard Account fields and within ETM's limits.

    County conditions become ZIP prefixes (``BillingPostalCode`` starts with) that hold only
    the counties' ZIPs of ``zip_counties`` and none of ``other_zips`` (every other US ZIP:
    a prefix ``00`` would otherwise send Puerto Rico to a Long Island territory).
    ``county_names`` (FIPS -> ``"Colonial Heights city, VA"``) name the counties a problem
    lists; the rules layer holds no geography of its own."""
    counties = _CountyCodes(zip_counties, other_zips)
    problems: list[EtmProblem] = []
    split: dict[str, int] = {}
    rules: list[Rule] = []
    for rule in rule_set.rules:
        if rule.pinned:
            rules.append(rule)
            continue
        when = _to_postal(rule.when, counties, rule_set.geographies)
        if _has_empty(when):
            problems.append(
                EtmProblem(
                    rule.id, "its counties have no ZIP in the ZIP-county table; not exported"
                )
            )
            continue
        parts = _split(when)
        if parts is None:
            problems.append(
                EtmProblem(
                    rule.id, f"needs {_count(_cut_values(when))} rule items and cannot be split"
                )
            )
            rules.append(replace(rule, when=when))
            continue
        if len(parts) > 1:
            split[rule.id] = len(parts)
        for i, part in enumerate(parts, start=1):
            rid = rule.id if len(parts) == 1 else f"{rule.id}~{i}"
            rules.append(replace(rule, id=rid, when=part))
    overlays = []
    for overlay in rule_set.overlays:
        when = _to_postal(overlay.when, counties, rule_set.geographies)
        parts = _split(when) or [when]
        for i, part in enumerate(parts, start=1):
            oid = overlay.id if len(parts) == 1 else f"{overlay.id}~{i}"
            overlays.append(replace(overlay, id=oid, when=part))
    if counties.missing:
        problems.append(_missing_counties(sorted(counties.missing), county_names or {}))
    fitted = replace(rule_set, rules=tuple(rules), overlays=tuple(overlays))
    return FittedRules(fitted, tuple(problems), split)


#: Counties a problem names before it counts the rest.
MISSING_SHOWN = 5


def _missing_counties(missing: list[str], names: Mapping[str, str]) -> EtmProblem:
    """The counties no postal-code criterion covers, by name (``Colonial Heights city, VA
    (51570)``) where the name is known, then how many more."""

    def shown(code: str) -> str:
        name = names.get(code.zfill(5)) or names.get(code)
        return f"{name} ({code})" if name else f"county FIPS {code}"

    listed = "; ".join(shown(code) for code in missing[:MISSING_SHOWN])
    more = len(missing) - MISSING_SHOWN
    if more > 0:
        listed += f"; and {more:,} more"
    count = len(missing)
    counties = "county has" if count == 1 else "counties have"
    return EtmProblem(
        None,
        f"{count:,} {counties} no ZIP in the ZIP-county table ({listed}); no postal-code "
        f"criterion covers {'it' if count == 1 else 'them'}",
    )


@dataclass(frozen=True, slots=True)
class EtmTie:
    record_id: str
    territory_ids: tuple[str, ...]


def etm_ties(rule_set: RuleSet, records: Iterable[Any]) -> list[EtmTie]:
    """Records matched by rules of more than one primary territory, or pinned to one and
    matched by a rule of another: ETM puts them in all of those territories (where terraplan
    gives each one owner), and its opportunity assignment by type priority finds a tie.

    Column-wise (the batch evaluator): each rule's matching rows once, not each record
    through every rule.
    """
    import numpy as np

    from terraplan.rules.batch import prepare_frame
    from terraplan.rules.vector import MaskEvaluator

    active = [r for r in rule_set.rules if not r.pinned]
    frame = prepare_frame(list(records), rule_set)
    if frame.height == 0 or not active:
        return []
    evaluator = MaskEvaluator(frame, [r.when for r in active])
    by_territory: dict[str, np.ndarray] = {}
    for rule in active:
        hit = by_territory.setdefault(rule.territory_id, np.zeros(frame.height, dtype=bool))
        hit[evaluator.rows(rule.when)] = True
    territories = sorted(by_territory)
    counts = np.zeros(frame.height, dtype=np.int64)
    for tid in territories:
        counts += by_territory[tid]
    ids = frame["id"].to_list()
    found: dict[str, tuple[str, ...]] = {
        str(ids[i]): tuple(t for t in territories if by_territory[t][i])
        for i in np.flatnonzero(counts > 1)
    }
    # A pinned account a rule of another territory also matches: ETM keeps the manual
    # assignment and adds the rule's, so the account is in both territories there.
    row_of = {str(account): i for i, account in enumerate(ids)}
    for pinned_to, accounts in rule_set.named_accounts.items():
        for account in accounts:
            i = row_of.get(str(account))
            if i is None:
                continue
            also = tuple(t for t in territories if t != pinned_to and by_territory[t][i])
            if also:
                found[str(account)] = (pinned_to, *also)  # one entry per account
    return [EtmTie(account, tids) for account, tids in found.items()]
