"""The rule index names every rule that can hold for a record, and routing with it gives the
same answer as trying every rule."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_strategies import records, rule_sets

from terraplan.rules import RuleSet, parse_rule_set
from terraplan.rules.evaluate import matching_rules, route
from terraplan.rules.fields import record_values
from terraplan.rules.index import RuleIndex, condition_keys

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rule_set=rule_sets(), data=records(), numbers_as_numbers=st.booleans())
def test_routing_with_the_index_equals_trying_every_rule(
    rule_set: RuleSet, data: list[dict[str, Any]], numbers_as_numbers: bool
) -> None:
    index = RuleIndex(rule_set)
    for given_record in data:
        record = given_record
        if numbers_as_numbers and (record.get("postal_code") or "").isdigit():
            record = {**record, "postal_code": int(record["postal_code"])}  # a CRM's number
        values = record_values(record)
        every = matching_rules(rule_set, values)
        candidates = index.candidates(values)
        assert {r.id for r in every} <= {r.id for r in candidates}
        assert [r.position for r in candidates] == sorted(r.position for r in candidates)
        assert matching_rules(rule_set, values, index) == every
        assert route(record, rule_set, index=index) == route(record, rule_set)


def _zip_rule_set(n_territories: int, zips_per_territory: int) -> RuleSet:
    territories = [{"id": f"T{t}", "name": f"Territory {t}"} for t in range(n_territories)]
    rules = [
        {
            "id": f"r{t}",
            "territory": f"T{t}",
            "when": {
                "field": "postal_code",
                "op": "in",
                "value": [
                    f"{10000 + t * zips_per_territory + z:05d}" for z in range(zips_per_territory)
                ],
            },
        }
        for t in range(n_territories)
    ]
    rules.append(
        {
            "id": "enterprise",
            "territory": "T0",
            "when": {"field": "employees", "op": "ge", "value": 5000},
        }
    )
    rules.append(
        {
            "id": "norcal",
            "territory": "T1",
            "when": {"field": "postal_code", "op": "starts_with", "value": ["940", "941"]},
        }
    )
    return parse_rule_set({"territories": territories, "rules": rules})


def test_a_record_is_tried_only_against_the_rules_that_list_its_values() -> None:
    rule_set = _zip_rule_set(500, 40)
    index = RuleIndex(rule_set)
    values = record_values({"id": "L1", "postal_code": "10085"})  # listed by T2 only
    assert [r.id for r in index.candidates(values)] == ["r2", "enterprise"]
    assert route({"id": "L1", "postal_code": "10085"}, rule_set, index=index).territory_id == "T2"
    prefixed = record_values({"id": "L2", "postal_code": "94107"})
    assert [r.id for r in index.candidates(prefixed)] == ["enterprise", "norcal"]
    # a numeric ZIP from a spreadsheet is compared as its text, as the evaluator does
    assert [r.id for r in index.candidates(record_values({"id": "L3", "postal_code": 10085}))] == [
        "r2",
        "enterprise",
    ]


def test_negations_and_numbers_have_no_keys_and_stay_candidates() -> None:
    rule_set = parse_rule_set(
        {
            "territories": [{"id": "A"}, {"id": "B"}],
            "rules": [
                {
                    "id": "not-ca",
                    "territory": "A",
                    "when": {"not": {"field": "state", "op": "equals", "value": "CA"}},
                },
                {
                    "id": "ca-or-big",
                    "territory": "B",
                    "when": {
                        "any": [
                            {"field": "state", "op": "equals", "value": "CA"},
                            {"field": "employees", "op": "gt", "value": 100},
                        ]
                    },
                },
                {
                    "id": "ca-software",
                    "territory": "B",
                    "when": {
                        "all": [
                            {"field": "employees", "op": "gt", "value": 100},
                            {"field": "industry", "op": "in", "value": ["Software", "SaaS"]},
                        ]
                    },
                },
            ],
        }
    )
    assert [condition_keys(r.when) is None for r in rule_set.rules] == [True, True, False]
    index = RuleIndex(rule_set)
    ids = [r.id for r in index.candidates(record_values({"id": "x", "industry": "saas"}))]
    assert ids == ["not-ca", "ca-or-big", "ca-software"]
    ids = [r.id for r in index.candidates(record_values({"id": "y", "industry": "Retail"}))]
    assert ids == ["not-ca", "ca-or-big"]
