"""Property: a rule set saved as text and loaded again is the same rule set and routes every
record to the same owner (saving a plan's rules must never change who owns what)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from rule_strategies import records, rule_sets
from rules_helpers import by_route

from terraplan.rules import RuleSet, dump_rule_set, load_rule_set, rule_set_to_dict

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rule_set=rule_sets(), data=records())
def test_dump_then_load_is_the_same_rule_set_and_the_same_owners(
    rule_set: RuleSet, data: list[dict[str, Any]]
) -> None:
    again = load_rule_set(dump_rule_set(rule_set))
    assert again == rule_set
    assert by_route(again, data) == by_route(rule_set, data)
    assert dump_rule_set(again) == dump_rule_set(rule_set)


@SETTINGS
@given(rule_set=rule_sets(), data=records())
def test_the_mapping_written_as_yaml_loads_as_the_same_rule_set(
    rule_set: RuleSet, data: list[dict[str, Any]]
) -> None:
    text = yaml.safe_dump(rule_set_to_dict(rule_set), sort_keys=False)
    again = load_rule_set(text)
    assert again == rule_set
    assert by_route(again, data) == by_route(rule_set, data)
