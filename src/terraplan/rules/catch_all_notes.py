"""A territory typed ``catch_all`` that is not the rule set's catch-all.

``type: catch_all`` on a territory only ranks it among the types; the territory that takes
the records no rule places is the one the top-level ``catch_all:`` key names. A rule set that
declares ``- {id: pool, name: Unassigned, type: catch_all}`` and forgets ``catch_all: pool``
is valid, and its gaps stay in no territory while the author expects them in Unassigned.
:func:`idle_catch_all_notes` says so, naming the territory and its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from terraplan.domain import TerritoryType
from terraplan.rules.model import RuleSet
from terraplan.rules.positions import element_position


def _declared_at(data: Mapping[str, Any], text: str, territory_id: str) -> str:
    entries = data.get("territories")
    if isinstance(entries, list):
        for i, entry in enumerate(entries):
            if isinstance(entry, Mapping) and entry.get("id") == territory_id:
                position = element_position(text, f"territories[{i}]")
                if position is not None:
                    return f"line {position[0]}: "
    return ""


def idle_catch_all_notes(data: Mapping[str, Any], text: str, rule_set: RuleSet) -> list[str]:
    """One note per territory of type ``catch_all`` that the ``catch_all:`` key does not name,
    with the line declaring it (none for a territory of the plan the text does not declare)."""
    notes: list[str] = []
    routed = {r.territory_id for r in rule_set.rules} | set(rule_set.named_accounts)
    for territory in rule_set.territories.values():
        if territory.type is not TerritoryType.CATCH_ALL or territory.id == rule_set.catch_all:
            continue
        who = f"territory {territory.name} ({territory.id})"
        what = (
            "only the records its rules send there go to it"
            if territory.id in routed
            else "it catches nothing"
        )
        if rule_set.catch_all is None:
            key = f"the rule set has no 'catch_all: {territory.id}' line"
            rest = f"stay in no territory; add 'catch_all: {territory.id}' at the top"
        else:
            other = rule_set.territories[rule_set.catch_all]
            key = f"the rule set's catch_all is {other.name} ({other.id})"
            rest = f"go to {other.name}; write 'catch_all: {territory.id}' if {territory.name} is meant"
        notes.append(
            f"{_declared_at(data, text, territory.id)}{who} is of type catch_all but {key}: "
            f"{what}, and the accounts and leads no rule places {rest}"
        )
    return notes
