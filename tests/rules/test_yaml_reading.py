"""What an analyst types in a YAML rule file is what the rules test: ZIP codes with a leading
zero stay codes (YAML 1.1 would read 07000 as the octal number 3584), and a key given twice is
refused with both lines (YAML and JSON would silently keep the last one)."""

from __future__ import annotations

import pytest
from rules_helpers import assert_same

from terraplan.errors import RuleError
from terraplan.rules import load_rule_set

NORTH_JERSEY = """
catch_all: pool
territories:
  - {id: nj, name: North Jersey}
  - {id: ne, name: New England}
  - {id: pool, name: Unassigned, type: catch_all}
rules:
  - id: north-jersey-zips
    territory: nj
    when: {field: postal_code, op: between, value: [07000, 07677]}
  - id: new-england
    territory: ne
    when: {field: postal_code, op: in, value: [02134, "03601"]}
"""


def test_zip_codes_with_a_leading_zero_are_read_as_typed() -> None:
    rule_set = load_rule_set(NORTH_JERSEY)
    outcomes = assert_same(
        rule_set,
        [
            {"id": "newark", "postal_code": "07102"},
            {"id": "concord", "postal_code": "03601"},  # 03601 is octal 1921: in no range
            {"id": "boston", "postal_code": "02134"},
            {"id": "nyc", "postal_code": "10001"},
        ],
    )
    assert [o[1] for o in outcomes] == ["nj", "ne", "ne", "pool"]


def test_a_zip_range_may_be_quoted() -> None:
    quoted = NORTH_JERSEY.replace("[07000, 07677]", '["07000", "07677"]')
    outcome = assert_same(load_rule_set(quoted), [{"id": "newark", "postal_code": "07102"}])
    assert outcome[0][1] == "nj"


def test_a_time_like_value_stays_text() -> None:
    text = NORTH_JERSEY + (
        "  - {id: shift, territory: ne, when: {field: segment, op: equals, value: 1:30}}\n"
    )
    (outcome,) = assert_same(load_rule_set(text), [{"id": "a", "segment": "1:30"}])
    assert outcome[1] == "ne"  # 1:30 as typed, not the sexagesimal number 90


@pytest.mark.parametrize(
    ("text", "line", "first", "key"),
    [
        (
            NORTH_JERSEY + "rules:\n  - {id: west, territory: nj, when: {always: true}}\n",
            14,
            7,
            "rules",
        ),
        (
            NORTH_JERSEY.replace(
                "    when: {field: postal_code, op: in",
                "    when: {field: state, op: equals, value: MA}\n"
                "    when: {field: postal_code, op: in",
            ),
            14,
            13,
            "when",
        ),
    ],
    ids=["a second rules block", "a second when"],
)
def test_a_key_given_twice_is_refused_with_both_lines(
    text: str, line: int, first: int, key: str
) -> None:
    with pytest.raises(RuleError) as refused:
        load_rule_set(text)
    assert str(refused.value) == (
        f"rule set: line {line}: the key {key!r} is given twice (first at line {first})"
    )


def test_a_json_key_given_twice_is_refused() -> None:
    text = '{"rules": [], "territories": [], "rules": [{"id": "x"}]}'
    with pytest.raises(RuleError, match="the key 'rules' is given twice"):
        load_rule_set(text)


def test_a_named_account_pinned_in_either_salesforce_form_is_pinned() -> None:
    """A report gives 001Dn00000AbCdE, the API 001Dn00000AbCdEIAV: a pin written in one
    form holds the account stored in the other, on every evaluation path; the saved rule set
    keeps the form that was written."""
    from terraplan.rules import rule_set_to_dict

    text = """
catch_all: pool
territories:
  - {id: key, name: Strategic, type: named}
  - {id: pool, name: Unassigned, type: catch_all}
named_accounts:
  - {territory: key, accounts: ["001Dn00000AbCdEIAV", "001Dn00000XyZzZ"]}
"""
    rule_set = load_rule_set(text)
    outcomes = assert_same(
        rule_set,
        [
            {"id": "001Dn00000AbCdE"},  # stored short, pinned long
            {"id": "001Dn00000XyZzZIAV"},  # stored long, pinned short
            {"id": "001Dn00000AbCdEAAA"},  # 18 characters with a wrong suffix: another id
            {"id": "001dn00000abcde"},  # case matters in a 15-character id
        ],
    )
    assert [o[1] for o in outcomes] == ["key", "key", "pool", "pool"]
    saved = rule_set_to_dict(rule_set)["named_accounts"]
    assert saved == [{"territory": "key", "accounts": ["001Dn00000AbCdEIAV", "001Dn00000XyZzZ"]}]
