"""Priorities, order, conflicts, gaps, catch-all, overlays, exclusions, named accounts, route."""

from __future__ import annotations

import json
from typing import Any

from rules_helpers import assert_same

from terraplan.domain import Account, Lead
from terraplan.rules import dump_rule_set, load_rule_set, parse_rule_set, route, rule_set_to_dict

YAML = """
name: FY27 West
catch_all: pool
territories:
  - {id: key, name: Key Accounts, type: named}
  - {id: west-tech, name: West Tech, type: vertical}
  - {id: smb, name: SMB, type: segment}
  - {id: west, name: West, type: geo}
  - {id: north, name: North, type: geo}
  - {id: east, name: East, type: geo}
  - {id: spec, name: Health Specialists, type: overlay}
  - {id: pool, name: Pool, type: catch_all}
named_accounts:
  - {territory: key, accounts: [A-KEY]}
rules:
  - id: tech
    territory: west-tech
    when:
      all:
        - {field: postal_code, op: between, value: [94000, 94999]}
        - {field: industry, op: in, value: [Software, SaaS]}
  - {id: smb, territory: smb, when: {field: employees, op: lt, value: 50}}
  - {id: west-ca, territory: west, when: {field: state, op: equals, value: CA}}
  - {id: north-ca, territory: north, order: 1, when: {field: state, op: equals, value: CA}}
  - {id: east-ny, territory: east, when: {field: state, op: equals, value: NY}}
  - {id: west-10, territory: west, when: {field: postal_code, op: starts_with, value: "10"}}
exclusions:
  - {territory: west-tech, accounts: [A-EXCL]}
  - {territory: spec, when: {field: state, op: equals, value: TX}}
overlays:
  - {id: health, territory: spec, role: specialist, when: {field: industry, op: contains, value: health}}
"""

RECORDS: list[dict[str, Any]] = [
    {
        "id": "A-TECH",
        "postal_code": "94107",
        "industry": "Software",
        "state": "CA",
        "employees": 10,
    },
    {"id": "A-KEY", "postal_code": "94107", "industry": "Software", "state": "CA"},
    {"id": "A-SMB", "state": "CA", "employees": 10},
    {"id": "A-CA", "state": "CA", "employees": 500},
    {"id": "A-CONFLICT", "state": "NY", "postal_code": "10001", "employees": 500},
    {"id": "A-GAP", "state": "TX", "employees": 500, "industry": "Healthcare"},
    {"id": "A-EXCL", "postal_code": "94107", "industry": "SaaS", "state": "CA", "employees": 900},
    {"id": "A-HEALTH", "state": "CA", "employees": 900, "industry": "Health Care"},
]


def rule_set() -> Any:
    return load_rule_set(YAML)


def outcome(rid: str) -> tuple[Any, ...]:
    results = {o[0]: o for o in assert_same(rule_set(), RECORDS)}
    return results[rid]


def test_named_account_beats_everything() -> None:
    assert outcome("A-KEY")[1:5] == ("key", "named:key", False, False)


def test_vertical_beats_segment_and_geo() -> None:
    assert outcome("A-TECH")[1:3] == ("west-tech", "tech")


def test_segment_beats_geo() -> None:
    assert outcome("A-SMB")[1:3] == ("smb", "smb")


def test_lower_order_wins_inside_a_type() -> None:
    assert outcome("A-CA")[1:4] == ("west", "west-ca", False)


def test_same_type_and_order_is_a_conflict() -> None:
    assert outcome("A-CONFLICT")[1:5] == (None, None, True, False)
    result = route(next(r for r in RECORDS if r["id"] == "A-CONFLICT"), rule_set())
    assert result.conflict_territories == ("east", "west")
    assert "east-ny" in result.explanation and "west-10" in result.explanation


def test_gap_goes_to_catch_all_and_is_still_reported() -> None:
    assert outcome("A-GAP")[1:5] == ("pool", None, False, True)
    data = rule_set_to_dict(rule_set())
    del data["catch_all"]
    no_catch = parse_rule_set(data)
    gap = {o[0]: o for o in assert_same(no_catch, RECORDS)}["A-GAP"]
    assert gap[1:5] == (None, None, False, True)


def test_exclusion_skips_the_excluded_territory() -> None:
    # A-EXCL would be West Tech but is excluded there; next in line is geo West.
    assert outcome("A-EXCL")[1:3] == ("west", "west-ca")


def test_overlays_never_conflict_and_respect_exclusions() -> None:
    assert outcome("A-HEALTH")[1:3] == ("west", "west-ca")
    assert outcome("A-HEALTH")[5] == "spec"
    assert outcome("A-GAP")[5] == ""  # TX is excluded from the specialists
    res = route(next(r for r in RECORDS if r["id"] == "A-HEALTH"), rule_set())
    assert [(o.territory_id, o.role, o.rule_id) for o in res.overlays] == [
        ("spec", "specialist", "health")
    ]


def test_tie_breaker_resolves_conflicts_by_rule_position() -> None:
    data = rule_set_to_dict(rule_set())
    data["tie_breaker"] = "rule_position"
    tied = parse_rule_set(data)
    got = {o[0]: o for o in assert_same(tied, RECORDS)}["A-CONFLICT"]
    assert got[1:4] == ("east", "east-ny", False)
    # the why says which rules lost and that the file's order decided
    why = route(next(r for r in RECORDS if r["id"] == "A-CONFLICT"), tied).explanation
    assert why.endswith("; the first in the file wins)")
    assert "(also matched at the same priority: rule " in why
    unique = route(next(r for r in RECORDS if r["id"] == "A-TECH"), tied).explanation
    assert "also matched" not in unique


def test_custom_priority_puts_geo_first() -> None:
    data = rule_set_to_dict(rule_set())
    data["priority"] = ["named", "geo", "vertical", "segment", "catch_all"]
    geo_first = parse_rule_set(data)
    got = {o[0]: o for o in assert_same(geo_first, RECORDS)}
    assert got["A-TECH"][1:3] == ("west", "west-ca")


def test_explanation_names_values_and_territory() -> None:
    res = route(RECORDS[0], rule_set())
    assert res.explanation == (
        "postal code 94107 is in 94000–94999 and industry Software is in [Software, SaaS] → West Tech"
    )
    assert route(RECORDS[1], rule_set()).explanation.endswith(
        "named account of Key Accounts → Key Accounts"
    )
    assert route(RECORDS[5], rule_set()).explanation == "no rule matched → catch-all Pool"


def test_explanation_counts_a_long_list_and_names_the_value() -> None:
    """A county list of 40 is counted, not listed by its first eight codes (which say nothing
    about the record); the record's own code gets its display name; a short list and a list
    the value is not in are still shown."""
    codes = [f"08{i:03d}" for i in range(1, 80, 2)]
    rs = parse_rule_set(
        {
            "territories": [{"id": "t", "name": "Front Range"}, {"id": "u", "name": "Rest"}],
            "rules": [
                {"id": "r", "territory": "t",
                 "when": {"field": "county_fips", "op": "in", "value": codes}},
                {"id": "s", "territory": "u",
                 "when": {"field": "county_fips", "op": "not_in", "value": codes}},
            ],
        }
    )  # fmt: skip
    names = {"county_fips": {"08031": "Denver County, CO"}}
    denver = route({"id": "x", "county_fips": "08031"}, rs, value_names=names)
    assert denver.explanation == (
        "county FIPS 08031 (Denver County, CO) is in the rule's list of 40 → Front Range"
    )
    assert route({"id": "x", "county_fips": "08031"}, rs).explanation == (
        "county FIPS 08031 is in the rule's list of 40 → Front Range"
    )
    outside = route({"id": "y", "county_fips": "06075"}, rs, value_names=names)
    assert outside.explanation == (
        "county FIPS 06075 is not in [08001, 08003, 08005, 08007, 08009, 08011, 08013, 08015,"
        " … 32 more] → Rest"
    )


def test_explanation_of_negations_and_distance() -> None:
    rs = parse_rule_set(
        {
            "territories": [{"id": "t", "name": "Bay"}],
            "rules": [
                {
                    "id": "r",
                    "territory": "t",
                    "when": {
                        "all": [
                            {"not": {"field": "industry", "op": "in", "value": ["Gov"]}},
                            {"op": "within", "value": {"lat": 37.77, "lon": -122.42, "mi": 20}},
                        ]
                    },
                }
            ],
        }
    )
    res = route({"id": "x", "industry": "Retail", "latitude": 37.8, "longitude": -122.4}, rs)
    assert res.explanation.startswith(
        "industry Retail is not in [Gov] and location (37.8, -122.4) is "
    )
    assert "mi from (37.77, -122.42), within 20 mi → Bay" in res.explanation


def test_route_accepts_accounts_and_leads() -> None:
    account = Account(id="A1", name="Acme", postal_code="94107", industry="SaaS", state="CA")
    lead = Lead(
        id="L1", company="Acme", state="NY", postal_code="10001", attributes={"tier": "gold"}
    )
    assert route(account, rule_set()).territory_id == "west-tech"
    assert route(lead, rule_set()).conflict is True
    tiered = parse_rule_set(
        {
            "territories": [{"id": "g"}],
            "rules": [
                {
                    "id": "r",
                    "territory": "g",
                    "when": {"field": "attributes.tier", "op": "equals", "value": "Gold"},
                }
            ],
        }
    )
    assert route(lead, tiered).territory_id == "g"
    assert route(lead, tiered).to_dict()["rule_id"] == "r"


def test_dump_and_load_round_trip_is_equal() -> None:
    original = rule_set()
    text = dump_rule_set(original)
    json.loads(text)
    again = load_rule_set(text)
    assert again == original
    assert load_rule_set(dump_rule_set(again)) == again


def test_named_conditions_are_reused() -> None:
    rs = parse_rule_set(
        {
            "territories": [{"id": "a"}, {"id": "b"}],
            "conditions": {
                "bay": {"field": "postal_code", "op": "starts_with", "value": ["940", "941"]}
            },
            "rules": [
                {
                    "id": "r1",
                    "territory": "a",
                    "when": {
                        "all": [{"use": "bay"}, {"field": "employees", "op": "ge", "value": 100}]
                    },
                },
                {"id": "r2", "territory": "b", "order": 1, "when": {"use": "bay"}},
            ],
        }
    )
    got = assert_same(
        rs,
        [
            {"id": "1", "postal_code": "94107", "employees": 5},
            {"id": "2", "postal_code": "94107", "employees": 500},
        ],
    )
    assert [g[1] for g in got] == ["b", "a"]


def test_batch_input_errors_are_data_errors() -> None:
    import pytest

    from terraplan.errors import DataError
    from terraplan.rules import assign_batch

    with pytest.raises(DataError):
        assign_batch(12345, rule_set())


def test_batch_accepts_arrow_domain_records_and_missing_columns() -> None:
    import pyarrow as pa

    from terraplan.rules import assign_batch

    arrow = pa.table({"id": ["x", "y"], "state": ["ca", None]})
    got = assign_batch(arrow, rule_set())
    assert got.get_column("territory_id").to_list() == ["west", "pool"]
    accounts = [Account(id="a", name="A", state="NY", postal_code="10001")]
    assert assign_batch(accounts, rule_set()).get_column("conflict").to_list() == [True]
