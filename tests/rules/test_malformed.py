"""Malformed rule sets are rejected as a whole with the exact path of the offending element."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from terraplan.domain import Territory, TerritoryType
from terraplan.errors import RuleError
from terraplan.rules import load_rule_set, parse_rule_set, rules_from_alignment

BASE: dict[str, Any] = {
    "territories": [
        {"id": "west", "name": "West", "type": "geo"},
        {"id": "east", "name": "East", "type": "geo"},
        {"id": "tech", "name": "Tech", "type": "vertical"},
        {"id": "spec", "name": "Specialists", "type": "overlay"},
    ],
    "rules": [
        {"id": "r0", "territory": "west", "when": {"field": "state", "op": "in", "value": ["CA"]}},
        {
            "id": "r1",
            "territory": "east",
            "when": {"field": "state", "op": "equals", "value": "NY"},
        },
        {
            "id": "r2",
            "territory": "tech",
            "when": {"field": "industry", "op": "equals", "value": "Software"},
        },
        {
            "id": "r3",
            "territory": "west",
            "when": {
                "any": [
                    {"field": "postal_code", "op": "starts_with", "value": "97"},
                    {"field": "postal_code", "op": "between", "value": [98000, 98999]},
                ]
            },
        },
    ],
    "overlays": [
        {
            "id": "o1",
            "territory": "spec",
            "when": {"field": "industry", "op": "equals", "value": "Health"},
        }
    ],
}


def mutate(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def setp(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def delp(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


ANY1 = ["rules", 3, "when", "any", 1]
MALFORMED: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    (
        "unknown field",
        setp(["rules", 0, "when", "field"], "colour"),
        "rules[0].when.field",
        "unknown field",
    ),
    (
        "unknown operator",
        setp(["rules", 0, "when", "op"], "like"),
        "rules[0].when.op",
        "unknown operator",
    ),
    ("missing operator", delp(["rules", 0, "when", "op"]), "rules[0].when.op", "required"),
    ("missing field", delp(["rules", 1, "when", "field"]), "rules[1].when.field", "required"),
    ("empty in list", setp(["rules", 0, "when", "value"], []), "rules[0].when.value", "empty list"),
    (
        "in not a list",
        setp(["rules", 0, "when", "value"], "CA"),
        "rules[0].when.value",
        "must be a list",
    ),
    (
        "number in text list",
        setp(["rules", 0, "when", "value"], ["CA", 5]),
        "rules[0].when.value[1]",
        "expected text",
    ),
    (
        # an unquoted code is read as its digits (README "Codes as typed"); a boolean is not
        "boolean postal code",
        setp([*ANY1[:-1], 0, "value"], True),
        "rules[3].when.any[0].value",
        "expected a code for 'postal_code', got the boolean true",
    ),
    (
        "between min > max",
        setp([*ANY1, "value"], [98999, 98000]),
        "rules[3].when.any[1].value",
        "min",
    ),
    ("between one bound", setp([*ANY1, "value"], [98000]), "rules[3].when.any[1].value", "exactly"),
    (
        "between text bound",
        setp([*ANY1, "value"], ["98 thousand", 98999]),
        "rules[3].when.any[1].value[0]",
        "number",
    ),
    (
        "postal range bound too big",
        setp([*ANY1, "value"], [98000, 100000]),
        "rules[3].when.any[1].value[1]",
        "0..99999",
    ),
    (
        "bad regex",
        setp(["rules", 2, "when"], {"field": "industry", "op": "regex", "value": "(soft"}),
        "rules[2].when.value",
        "bad regular expression",
    ),
    (
        "non-portable regex",
        setp(["rules", 2, "when"], {"field": "industry", "op": "regex", "value": "(a)\\1"}),
        "rules[2].when.value",
        "portable",
    ),
    (
        "negative radius",
        setp(["rules", 2, "when"], {"op": "within", "value": {"lat": 1, "lon": 2, "km": -5}}),
        "rules[2].when.value.km",
        "positive",
    ),
    (
        "latitude out of range",
        setp(["rules", 2, "when"], {"op": "within", "value": {"lat": 91, "lon": 2, "km": 5}}),
        "rules[2].when.value.lat",
        "latitude",
    ),
    (
        "two radius units",
        setp(
            ["rules", 2, "when"], {"op": "within", "value": {"lat": 1, "lon": 2, "km": 5, "mi": 3}}
        ),
        "rules[2].when.value",
        "exactly one",
    ),
    (
        "unknown territory",
        setp(["rules", 1, "territory"], "north"),
        "rules[1].territory",
        "unknown territory",
    ),
    ("duplicate rule id", setp(["rules", 2, "id"], "r0"), "rules[2].id", "duplicate rule id"),
    (
        "overlay id clashes with rule",
        setp(["overlays", 0, "id"], "r1"),
        "overlays[0].id",
        "duplicate rule id",
    ),
    (
        "duplicate territory id",
        setp(["territories", 1, "id"], "west"),
        "territories[1].id",
        "duplicate territory id",
    ),
    (
        "unknown territory type",
        setp(["territories", 2, "type"], "vertical-ish"),
        "territories[2].type",
        "unknown territory type",
    ),
    (
        "cyclic territory parents",
        lambda d: (
            d["territories"][0].update(parent="east"),
            d["territories"][1].update(parent="west"),
        ),
        "territories[0].parent",
        "cycle",
    ),
    (
        "unknown parent",
        lambda d: d["territories"][0].update(parent="nowhere"),
        "territories[0].parent",
        "unknown parent",
    ),
    ("empty any", setp(["rules", 3, "when", "any"], []), "rules[3].when.any", "empty list"),
    (
        "all not a list",
        setp(["rules", 3, "when"], {"all": {"field": "state"}}),
        "rules[3].when.all",
        "must be a list",
    ),
    (
        "extra key beside any",
        lambda d: d["rules"][3]["when"].update(field="state"),
        "rules[3].when.field",
        "no other key",
    ),
    (
        "unknown key in predicate",
        lambda d: d["rules"][0]["when"].update(values=["x"]),
        "rules[0].when.values",
        "unknown key",
    ),
    (
        "unknown key in rule",
        lambda d: d["rules"][1].update(priority=3),
        "rules[1].priority",
        "unknown key",
    ),
    ("unknown top-level key", lambda d: d.update(rule=[]), "rule", "unknown key"),
    (
        "text operator on number",
        setp(["rules", 0, "when"], {"field": "employees", "op": "starts_with", "value": "1"}),
        "rules[0].when.op",
        "text field",
    ),
    (
        "range on plain text",
        setp(["rules", 0, "when"], {"field": "industry", "op": "gt", "value": 3}),
        "rules[0].when.op",
        "number field",
    ),
    (
        "text value for number",
        setp(["rules", 0, "when"], {"field": "employees", "op": "equals", "value": "100"}),
        "rules[0].when.value",
        "expected a number",
    ),
    (
        "boolean for number",
        setp(["rules", 0, "when"], {"field": "employees", "op": "gt", "value": True}),
        "rules[0].when.value",
        "expected a number",
    ),
    (
        "is_empty with value",
        setp(["rules", 0, "when"], {"field": "state", "op": "is_empty", "value": ""}),
        "rules[0].when.value",
        "takes no value",
    ),
    (
        "empty starts_with",
        setp(["rules", 0, "when"], {"field": "state", "op": "starts_with", "value": ""}),
        "rules[0].when.value",
        "non-empty",
    ),
    (
        "case_sensitive not bool",
        lambda d: d["rules"][0]["when"].update(case_sensitive="yes"),
        "rules[0].when.case_sensitive",
        "true or false",
    ),
    ("negative order", lambda d: d["rules"][0].update(order=-1), "rules[0].order", "order"),
    (
        "rule on overlay territory",
        setp(["rules", 0, "territory"], "spec"),
        "rules[0].territory",
        "overlay",
    ),
    (
        "overlay on primary territory",
        setp(["overlays", 0, "territory"], "west"),
        "overlays[0].territory",
        "not an overlay",
    ),
    (
        "unknown priority type",
        setp(["priority"], ["named", "geo", "regional"]),
        "priority[2]",
        "unknown territory type",
    ),
    (
        "duplicate priority type",
        setp(["priority"], ["geo", "vertical", "geo"]),
        "priority[2]",
        "twice",
    ),
    (
        "type missing from priority",
        setp(["priority"], ["geo"]),
        "rules[2].territory",
        "not in 'priority'",
    ),
    ("unknown catch-all", setp(["catch_all"], "nowhere"), "catch_all", "unknown territory"),
    (
        "unknown tie breaker",
        setp(["tie_breaker"], "coin_flip"),
        "tie_breaker",
        "unknown tie breaker",
    ),
    (
        "account pinned twice",
        setp(
            ["named_accounts"],
            [
                {"territory": "west", "accounts": ["A1"]},
                {"territory": "east", "accounts": ["A2", "A1"]},
            ],
        ),
        "named_accounts[1].accounts[1]",
        "already pinned",
    ),
    (
        "empty named list",
        setp(["named_accounts"], [{"territory": "west", "accounts": []}]),
        "named_accounts[0].accounts",
        "empty list",
    ),
    (
        "exclusion with both",
        setp(
            ["exclusions"],
            [
                {
                    "territory": "west",
                    "accounts": ["A1"],
                    "when": {"field": "state", "op": "is_empty"},
                }
            ],
        ),
        "exclusions[0]",
        "exactly one",
    ),
    (
        "exclusion bad nested value",
        setp(
            ["exclusions"],
            [{"territory": "west", "when": {"not": {"field": "state", "op": "in", "value": [1]}}}],
        ),
        "exclusions[0].when.not.value[0]",
        "expected text",
    ),
    (
        "unknown named condition",
        setp(["rules", 0, "when"], {"use": "big"}),
        "rules[0].when.use",
        "unknown named condition",
    ),
    (
        "cyclic named conditions",
        lambda d: d.update(conditions={"a": {"use": "b"}, "b": {"any": [{"use": "a"}]}}),
        "conditions.b.any[0].use",
        "cyclic",
    ),
    ("bad attribute kind", setp(["attributes"], {"score": "integer"}), "attributes.score", "kind"),
    (
        "bad attribute name",
        setp(["rules", 0, "when"], {"field": "attributes.bad-name", "op": "is_empty"}),
        "rules[0].when.field",
        "unknown field",
    ),
    (
        "geography not supplied",
        setp(["rules", 0, "when"], {"field": "postal_code", "op": "in_geography", "value": "east"}),
        "rules[0].when.value",
        "no geography",
    ),
    (
        "condition not a mapping",
        setp(["rules", 3, "when", "any", 0], "state = CA"),
        "rules[3].when.any[0]",
        "mapping",
    ),
    ("rules not a list", setp(["rules"], {"r0": {}}), "rules", "must be a list"),
    ("version zero", setp(["version"], 0), "version", "version"),
]


@pytest.mark.parametrize(
    ("name", "change", "path", "why"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_malformed_rule_set_names_the_path(
    name: str, change: Callable[[dict[str, Any]], object], path: str, why: str
) -> None:
    data = mutate(change)
    with pytest.raises(RuleError) as info:
        parse_rule_set(data, geographies={"west": ["94107"]})
    assert info.value.details["path"] == path
    assert why in info.value.message
    assert info.value.message.startswith(path)


def test_base_rule_set_is_valid() -> None:
    assert len(parse_rule_set(BASE).rules) == 4


def test_there_are_at_least_thirty_distinct_cases() -> None:
    assert len({m[0] for m in MALFORMED}) >= 30
    assert len({m[2] for m in MALFORMED}) >= 30


def test_unknown_caller_territory_is_rejected() -> None:
    data = {"rules": [{"id": "r", "territory": "t9", "when": {"field": "state", "op": "is_empty"}}]}
    known = [Territory("t1", "One", TerritoryType.GEO)]
    with pytest.raises(RuleError) as info:
        parse_rule_set(data, territories=known)
    assert info.value.details["path"] == "rules[0].territory"
    data["rules"][0]["territory"] = "t1"
    assert parse_rule_set(data, territories=known).rules[0].territory_id == "t1"


def test_file_territory_type_must_agree_with_plan() -> None:
    known = [Territory("t1", "One", TerritoryType.GEO)]
    with pytest.raises(RuleError) as info:
        parse_rule_set({"territories": [{"id": "t1", "type": "named"}]}, territories=known)
    assert info.value.details["path"] == "territories[0].type"


def test_bad_text_is_rejected_with_root_path() -> None:
    with pytest.raises(RuleError) as info:
        load_rule_set("rules: [unclosed")
    assert info.value.details["path"] == ""
    with pytest.raises(RuleError) as info:
        load_rule_set('{"rules": ]')
    assert "JSON" in info.value.message
    with pytest.raises(RuleError) as info:
        load_rule_set("- just\n- a list\n")
    assert "mapping" in info.value.message


def test_alignment_with_unknown_territory_names_the_unit() -> None:
    with pytest.raises(RuleError) as info:
        rules_from_alignment([Territory("t1", "One")], "zip", {"94107": "t1", "10001": "t2"})
    assert info.value.details["path"] == "unit_to_territory[10001]"
