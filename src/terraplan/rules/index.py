"""Which primary rules can hold for a record, found by look-ups instead of trying every rule.

Routing one lead with :func:`terraplan.rules.evaluate.route` tries the rules in order; most
rules of a real rule set are lists (ZIPs, counties, states, industries) or prefixes (ZIP3),
so a record can only match the few rules that list one of its values. :class:`RuleIndex` maps
each listed value to the rules that list it, once per rule set; for a record it returns those
rules plus the rules it cannot index (numeric tests, distances, negations, ``always``), in the
rule set's order. The evaluator then checks each candidate in full, so the index only has to be
a *necessary* condition: a rule it leaves out can never hold for the record.

What a condition needs for a record to have a chance (its keys):

* ``equals`` / ``in`` / ``in_geography`` on a text field: the folded value is one of the operands
  (folded as the evaluator folds them: whitespace runs squeezed, lower case unless
  ``case_sensitive``);
* ``starts_with`` on a text field: the value's first ``len(operand)`` characters are an operand;
* ``all`` of several conditions: the keys of its first indexable item;
* ``any`` of several conditions: the keys of every item, when every item has keys.

Anything else has no keys and is always a candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from terraplan.rules.fields import fold_case, squeeze, squeeze_operand
from terraplan.rules.model import AllOf, AnyOf, Condition, Op, Predicate, Rule, RuleSet

_EQUALITY = (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY)


@dataclass(frozen=True, slots=True)
class _Key:
    """One way a record may satisfy a condition: ``field`` (folded unless ``case_sensitive``)
    equals ``text`` (``prefix`` False) or starts with it (``prefix`` True)."""

    field: str
    case_sensitive: bool
    prefix: bool
    text: str


def _predicate_keys(pred: Predicate) -> list[_Key] | None:
    if pred.numeric or pred.distance is not None:
        return None
    if pred.op in _EQUALITY:
        prefix = False
    elif pred.op is Op.STARTS_WITH:
        prefix = True
    else:
        return None
    cs = pred.case_sensitive
    return [_Key(pred.field, cs, prefix, squeeze_operand(v, not prefix, cs)) for v in pred.values]


def condition_keys(cond: Condition) -> list[_Key] | None:
    """The keys of a condition (see the module's docstring), or None when it has none: then
    every record may satisfy it. An empty list means that no record can."""
    if isinstance(cond, Predicate):
        return _predicate_keys(cond)
    if isinstance(cond, AllOf):
        for item in cond.items:
            keys = condition_keys(item)
            if keys is not None:
                return keys
        return None
    if isinstance(cond, AnyOf):
        union: list[_Key] = []
        for item in cond.items:
            keys = condition_keys(item)
            if keys is None:
                return None
            union.extend(keys)
        return union
    return None  # NotOf and Always: a negation holds for almost every record


def _text(value: Any) -> str | None:
    """A field's value as the evaluator compares text (str of a number, whitespace runs
    squeezed; None for missing)."""
    if value is None:
        return None
    return squeeze(value if isinstance(value, str) else str(value))


class RuleIndex:
    """The candidate rules of a rule set for a record; build once per rule set (cost: one pass
    over the operands of its rules), then :meth:`candidates` costs a few dictionary look-ups
    per record whatever the number of rules."""

    __slots__ = ("_equal", "_exclusions", "_prefix", "_unkeyed", "rule_set")

    def __init__(self, rule_set: RuleSet) -> None:
        self.rule_set = rule_set
        # (field, case_sensitive) -> folded value -> indexes of rules in rule_set.rules
        self._equal: dict[tuple[str, bool], dict[str, set[int]]] = {}
        # (field, case_sensitive) -> prefix length -> folded prefix -> rule indexes
        self._prefix: dict[tuple[str, bool], dict[int, dict[str, set[int]]]] = {}
        self._unkeyed: list[int] = []
        for i, rule in enumerate(rule_set.rules):
            keys = condition_keys(rule.when)
            if keys is None:
                self._unkeyed.append(i)
                continue
            for key in keys:
                column = (key.field, key.case_sensitive)
                if key.prefix:
                    by_length = self._prefix.setdefault(column, {})
                    table = by_length.setdefault(len(key.text), {})
                else:
                    table = self._equal.setdefault(column, {})
                table.setdefault(key.text, set()).add(i)
        territories = {r.territory_id for r in rule_set.rules}
        territories.update(o.territory_id for o in rule_set.overlays)
        self._exclusions = {t: rule_set.exclusion_for(t) for t in territories}

    def exclusion_for(self, territory_id: str) -> Condition | None:
        """:meth:`RuleSet.exclusion_for`, computed once per territory."""
        if territory_id in self._exclusions:
            return self._exclusions[territory_id]
        return self.rule_set.exclusion_for(territory_id)

    def candidates(self, values: Mapping[str, Any]) -> list[Rule]:
        """The rules that may hold for the flattened record ``values``, in rule-set order."""
        hits = set(self._unkeyed)
        for (field, case_sensitive), table in self._equal.items():
            text = _text(values.get(field))
            if text is None:
                continue
            found = table.get(text if case_sensitive else fold_case(text))
            if found:
                hits.update(found)
        for (field, case_sensitive), by_length in self._prefix.items():
            text = _text(values.get(field))
            if text is None:
                continue
            subject = text if case_sensitive else fold_case(text)
            for length, table in by_length.items():
                if length <= len(subject):
                    found = table.get(subject[:length])
                    if found:
                        hits.update(found)
        rules = self.rule_set.rules
        return [rules[i] for i in sorted(hits)]
