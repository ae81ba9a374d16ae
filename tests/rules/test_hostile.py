"""Hostile rule sets: catastrophic regexes, alias bombs, huge values — refused or run fast."""

from __future__ import annotations

import json
import re
import time

import polars as pl
import pytest

from terraplan.errors import RuleError
from terraplan.rules import assign_batch, audit_rule_set, load_rule_set, route
from terraplan.rules.document import MAX_DEPTH, MAX_LIST_ITEMS, MAX_NODES

EVIL = "(a+)+$"
VICTIM = "a" * 5000 + "!"


def _regex_rules(pattern: str, *, case_sensitive: bool = False) -> str:
    return json.dumps(
        {
            "territories": [{"id": "w", "name": "West"}, {"id": "pool", "name": "Pool"}],
            "catch_all": "pool",
            "rules": [
                {
                    "id": "rx",
                    "territory": "w",
                    "when": {
                        "field": "industry",
                        "op": "regex",
                        "value": pattern,
                        "case_sensitive": case_sensitive,
                    },
                }
            ],
        }
    )


def test_catastrophic_regex_runs_in_linear_time_in_route_and_batch() -> None:
    rule_set = load_rule_set(_regex_rules(EVIL))
    # Python's re needs ~2^n steps here; RE2 answers at once
    assert re.compile(EVIL).search("aaaa") is not None
    start = time.perf_counter()
    result = route({"id": "x", "industry": VICTIM}, rule_set)
    batch = assign_batch(
        pl.DataFrame({"id": ["x", "y", "z"], "industry": [VICTIM, "AAA", None]}), rule_set
    )
    audit = audit_rule_set(pl.DataFrame({"id": ["x"], "industry": [VICTIM * 20]}), rule_set)
    assert time.perf_counter() - start < 2.0
    assert (result.territory_id, result.gap) == ("pool", True)
    assert batch["territory_id"].to_list() == ["pool", "w", "pool"]  # case ignored by default
    assert audit.accounts.gaps == 1


@pytest.mark.parametrize(
    ("pattern", "case_sensitive", "text", "expected"),
    [
        (r"^\d{3}", False, "123x", True),
        (r"^\d{3}", False, "١٢٣", False),  # Arabic-Indic digits: \d is ASCII in RE2
        ("^soft", False, "SOFTWARE", True),
        ("^soft", True, "SOFTWARE", False),
        ("straße", False, "STRASSE", False),
        ("é", False, "CAFÉ", True),  # Unicode case folding
        ("a|b", False, "xbx", True),
        ("^$", False, "", True),
    ],
)
def test_route_and_batch_agree_on_regex_semantics(
    pattern: str, case_sensitive: bool, text: str, expected: bool
) -> None:
    rule_set = load_rule_set(_regex_rules(pattern, case_sensitive=case_sensitive))
    # values as given (an import stores a blank value as NULL, which no regex matches)
    record = {"id": "x", "industry": text}
    single = route(record, rule_set, normalize=False).rule_id == "rx"
    frame = pl.DataFrame({"id": ["x"], "industry": [text]})
    batch = assign_batch(frame, rule_set, normalize=False)
    assert single is expected
    assert (batch["rule_id"][0] == "rx") is expected
    read_as_imported = route(record, rule_set).rule_id == "rx"
    assert (assign_batch(frame, rule_set)["rule_id"][0] == "rx") is read_as_imported


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a)\\1", "back-references"),
        ("(?=a)b", "look-arounds"),
        ("(?<!a)b", "look-arounds"),
        ("a{1000}{1000}", "bad regular expression"),
        ("(unclosed", "bad regular expression"),
        ("a" * 1001, "at most 1,000"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_at_load_with_the_path(pattern: str, why: str) -> None:
    with pytest.raises(RuleError) as info:
        load_rule_set(_regex_rules(pattern))
    assert info.value.details["path"] == "rules[0].when.value"
    assert why in info.value.message
    assert len(info.value.message) < 400


def _alias_bomb(levels: int) -> str:
    lines = [
        "territories: [{id: w, name: West}]",
        "conditions:",
        "  c0: &a0 {field: industry, op: equals, value: x}",
    ]
    lines += [f"  c{i}: &a{i} {{any: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, levels + 1)]
    lines.append(f"rules: [{{id: r, territory: w, when: *a{levels}}}]")
    return "\n".join(lines)


def test_yaml_alias_bomb_is_refused_before_expansion() -> None:
    start = time.perf_counter()
    with pytest.raises(RuleError) as info:
        load_rule_set(_alias_bomb(24))  # 2^24 leaves once expanded
    assert time.perf_counter() - start < 2.0
    assert info.value.details["limit"] == "nodes"
    assert f"{MAX_NODES:,} elements" in info.value.message
    # a few honest aliases are fine
    assert len(load_rule_set(_alias_bomb(4)).rules) == 1


def test_named_condition_chain_cannot_explode_either() -> None:
    lines = [
        "territories: [{id: w, name: West}]",
        "conditions:",
        "  c0: {field: industry, op: equals, value: x}",
    ]
    lines += [f"  c{i}: {{all: [{{use: c{i - 1}}}, {{use: c{i - 1}}}]}}" for i in range(1, 25)]
    lines.append("rules: [{id: r, territory: w, when: {use: c24}}]")
    start = time.perf_counter()
    with pytest.raises(RuleError) as info:
        load_rule_set("\n".join(lines))
    assert time.perf_counter() - start < 2.0
    assert info.value.details["path"] == "rules[0]"
    assert "200,000 tests" in info.value.message


def test_deep_nesting_and_long_lists_are_refused_with_the_limit() -> None:
    deep = "rules: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(RuleError) as info:
        load_rule_set(deep)
    assert info.value.details["limit"] == "depth"
    deep_json = '{"rules": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(RuleError) as info:
        load_rule_set(deep_json)
    assert info.value.details["limit"] == "depth"
    long_list = "rules: [" + ",".join(["1"] * (MAX_LIST_ITEMS + 1)) + "]"
    with pytest.raises(RuleError) as info:
        load_rule_set(long_list)
    assert info.value.details["limit"] == "list_items"
    long_json = '{"rules": [' + ",".join(["1"] * (MAX_LIST_ITEMS + 1)) + "]}"
    with pytest.raises(RuleError) as info:
        load_rule_set(long_json)
    assert info.value.details["limit"] == "list_items"
    inner = "[" + ",".join(["1"] * 50_000) + "]"
    many_json = '{"rules": [' + ",".join([inner] * (MAX_NODES // 50_000 + 1)) + "]}"
    with pytest.raises(RuleError) as info:
        load_rule_set(many_json)
    assert info.value.details["limit"] == "nodes"


def test_huge_values_are_cut_in_messages() -> None:
    huge = "x" * 1_000_000
    text = json.dumps(
        {
            "territories": [{"id": "w", "name": "West"}],
            "rules": [{"id": "r", "territory": "w", "when": {"field": huge, "op": "equals"}}],
        }
    )
    with pytest.raises(RuleError) as info:
        load_rule_set(text)
    assert len(str(info.value)) < 600
    assert "characters)" in str(info.value)
    # a 1 MB 'contains' value is refused at load, with a short message
    contains = json.dumps(
        {
            "territories": [{"id": "w", "name": "West"}],
            "rules": [
                {
                    "id": "r",
                    "territory": "w",
                    "when": {"field": "name", "op": "contains", "value": huge},
                }
            ],
        }
    )
    with pytest.raises(RuleError) as info:
        load_rule_set(contains)
    assert info.value.details["path"] == "rules[0].when.value"
    assert "at most 10,000" in info.value.message
    assert len(str(info.value)) < 300


def test_long_values_are_shortened_in_explanations() -> None:
    long = "x" * 9_000
    rule_set = load_rule_set(
        json.dumps(
            {
                "territories": [{"id": "w", "name": "West"}],
                "rules": [
                    {
                        "id": "r",
                        "territory": "w",
                        "when": {"field": "name", "op": "contains", "value": long},
                    }
                ],
            }
        )
    )
    frame = pl.DataFrame({"id": ["1", "2"], "name": ["acme", "y" + long]})
    assert assign_batch(frame, rule_set)["territory_id"].to_list() == [None, "w"]
    explanation = route({"id": "2", "name": "y" + long}, rule_set).explanation
    assert explanation.endswith("→ West")
    assert len(explanation) < 400
