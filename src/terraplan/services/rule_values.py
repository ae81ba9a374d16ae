"""Rule values no record can match, said in the analyst's words before the rules run.

Stored states are USPS codes (imports and routing turn "Texas" into ``TX``), so a rule testing
``state equals Texas`` or ``state in [Texs]`` can never match: the rules are valid, every
account silently falls to the catch-all, and only an "unused rules" line hints at it when the
whole rule is dead. These notes name the rule, the field and the value, and the code meant.
"""

from __future__ import annotations

from terraplan.domain.places import US_STATES, state_code
from terraplan.rules import RuleSet
from terraplan.rules.model import Condition, Op, predicates_of

#: Operators whose values are whole field values (not prefixes or patterns).
_WHOLE = frozenset({Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN})


def rule_value_notes(rule_set: RuleSet) -> list[str]:
    """One note per (rule, state value) that is no USPS code: the code it spells, or that it
    is no US state at all; and the notes of parsing (a 4-digit ZIP or FIPS code read with its
    leading zero restored)."""
    tested: list[tuple[str, Condition]] = [
        (rule.id, rule.when) for rule in rule_set.rules if not rule.pinned
    ]
    tested += [(f"overlay {o.id}", o.when) for o in rule_set.overlays]
    tested += [(f"exclusion of {e.territory_id}", e.when) for e in rule_set.exclusions]
    notes: list[str] = list(rule_set.notes)
    seen: set[tuple[str, str]] = set()
    for where, condition in tested:
        for predicate in predicates_of(condition):
            if predicate.field != "state" or predicate.op not in _WHOLE:
                continue
            for value in predicate.values:
                text = str(value).strip()
                if text.upper() in US_STATES or (where, text) in seen:
                    continue
                seen.add((where, text))
                code = state_code(text)
                if code is not None:
                    notes.append(
                        f"state {text!r} in rule {where} is not a state code and never matches "
                        f"(stored states are codes): write {code}"
                    )
                else:
                    notes.append(
                        f"state {text!r} in rule {where} is no US state or state code: no "
                        "account or lead can match it"
                    )
    return notes
