"""Every operator, with NULL, case and boundary cases, on all three evaluation paths."""

from __future__ import annotations

from typing import Any

import pytest
from rules_helpers import assert_same

from terraplan.rules import parse_rule_set

GEO = {"west": ["94107", "94108"]}
SF = {"lat": 37.77, "lon": -122.42, "km": 10}


def eq(field: str, value: Any, **kw: Any) -> dict[str, Any]:
    return {"field": field, "op": "equals", "value": value, **kw}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("equals ignores case", eq("industry", "Software"), {"industry": "software"}, True),
    (
        "equals case_sensitive",
        eq("industry", "Software", case_sensitive=True),
        {"industry": "software"},
        False,
    ),
    (
        "equals case_sensitive same",
        eq("industry", "Software", case_sensitive=True),
        {"industry": "Software"},
        True,
    ),
    ("equals NULL", eq("industry", "Software"), {}, False),
    ("equals empty string", eq("industry", "Software"), {"industry": ""}, False),
    (
        "not_equals NULL matches",
        {"field": "industry", "op": "not_equals", "value": "Software"},
        {},
        True,
    ),
    (
        "not_equals other",
        {"field": "industry", "op": "not_equals", "value": "Software"},
        {"industry": "Retail"},
        True,
    ),
    (
        "not_equals same other case",
        {"field": "industry", "op": "not_equals", "value": "Software"},
        {"industry": "SOFTWARE"},
        False,
    ),
    (
        "in ignores case",
        {"field": "industry", "op": "in", "value": ["Software", "SaaS"]},
        {"industry": "saas"},
        True,
    ),
    ("in NULL", {"field": "industry", "op": "in", "value": ["Software", "SaaS"]}, {}, False),
    (
        "in miss",
        {"field": "industry", "op": "in", "value": ["Software", "SaaS"]},
        {"industry": "Soft"},
        False,
    ),
    ("not_in NULL matches", {"field": "industry", "op": "not_in", "value": ["Software"]}, {}, True),
    (
        "not_in member",
        {"field": "industry", "op": "not_in", "value": ["Software"]},
        {"industry": "software"},
        False,
    ),
    (
        "starts_with",
        {"field": "postal_code", "op": "starts_with", "value": "94"},
        {"postal_code": "94107"},
        True,
    ),
    (
        # outer whitespace is not part of a compared value (as an import trims it)
        "starts_with leading space",
        {"field": "postal_code", "op": "starts_with", "value": "94"},
        {"postal_code": " 94107"},
        True,
    ),
    (
        "starts_with keeps the operand's space",
        {"field": "name", "op": "starts_with", "value": "acme "},
        {"name": "Acmeco"},
        False,
    ),
    (
        "equals squeezes inner whitespace",
        {"field": "industry", "op": "equals", "value": "Health Care"},
        {"industry": "  Health \t  Care "},
        True,
    ),
    ("starts_with NULL", {"field": "postal_code", "op": "starts_with", "value": "94"}, {}, False),
    (
        "starts_with list",
        {"field": "postal_code", "op": "starts_with", "value": ["940", "941"]},
        {"postal_code": "94107"},
        True,
    ),
    (
        "starts_with list miss",
        {"field": "postal_code", "op": "starts_with", "value": ["940", "941"]},
        {"postal_code": "94207"},
        False,
    ),
    (
        "starts_with longer than value",
        {"field": "name", "op": "starts_with", "value": "Acme Corp"},
        {"name": "Acme"},
        False,
    ),
    ("ends_with", {"field": "name", "op": "ends_with", "value": "inc"}, {"name": "Acme Inc"}, True),
    (
        "ends_with short subject",
        {"field": "name", "op": "ends_with", "value": "inc"},
        {"name": "c"},
        False,
    ),
    (
        "contains",
        {"field": "name", "op": "contains", "value": "corp"},
        {"name": "MegaCorp Ltd"},
        True,
    ),
    ("contains NULL", {"field": "name", "op": "contains", "value": "corp"}, {}, False),
    (
        "contains literal dot",
        {"field": "name", "op": "contains", "value": "a.b"},
        {"name": "axb"},
        False,
    ),
    (
        "not_contains NULL matches",
        {"field": "name", "op": "not_contains", "value": "corp"},
        {},
        True,
    ),
    (
        "not_contains hit",
        {"field": "name", "op": "not_contains", "value": "corp"},
        {"name": "MegaCORP"},
        False,
    ),
    (
        "regex ignores case",
        {"field": "name", "op": "regex", "value": "^a.*c$"},
        {"name": "ABC"},
        True,
    ),
    (
        "regex case_sensitive",
        {"field": "name", "op": "regex", "value": "^a.*c$", "case_sensitive": True},
        {"name": "ABC"},
        False,
    ),
    (
        "regex searches",
        {"field": "name", "op": "regex", "value": "[0-9]{3}"},
        {"name": "x123y"},
        True,
    ),
    ("regex NULL", {"field": "name", "op": "regex", "value": "a"}, {}, False),
    ("lt below", {"field": "employees", "op": "lt", "value": 100}, {"employees": 99}, True),
    ("lt boundary", {"field": "employees", "op": "lt", "value": 100}, {"employees": 100}, False),
    ("le boundary", {"field": "employees", "op": "le", "value": 100}, {"employees": 100}, True),
    ("gt boundary", {"field": "employees", "op": "gt", "value": 100}, {"employees": 100}, False),
    ("ge boundary", {"field": "employees", "op": "ge", "value": 100}, {"employees": 100}, True),
    ("gt NULL", {"field": "employees", "op": "gt", "value": 0}, {}, False),
    ("lt NULL", {"field": "employees", "op": "lt", "value": 10**9}, {}, False),
    (
        "between low",
        {"field": "employees", "op": "between", "value": [10, 100]},
        {"employees": 10},
        True,
    ),
    (
        "between high",
        {"field": "employees", "op": "between", "value": [10, 100]},
        {"employees": 100},
        True,
    ),
    (
        "between above",
        {"field": "employees", "op": "between", "value": [10, 100]},
        {"employees": 101},
        False,
    ),
    (
        "between float",
        {"field": "annual_revenue", "op": "between", "value": [0.5, 1.5]},
        {"annual_revenue": 1.5},
        True,
    ),
    ("number equals", eq("employees", 100), {"employees": 100}, True),
    (
        "number in",
        {"field": "annual_revenue", "op": "in", "value": [1e6, 2e6]},
        {"annual_revenue": 2000000.0},
        True,
    ),
    ("number not_in NULL", {"field": "annual_revenue", "op": "not_in", "value": [1e6]}, {}, True),
    (
        "postal range low",
        {"field": "postal_code", "op": "between", "value": [94000, 94999]},
        {"postal_code": "94000"},
        True,
    ),
    (
        "postal range high",
        {"field": "postal_code", "op": "between", "value": [94000, 94999]},
        {"postal_code": "94999"},
        True,
    ),
    (
        "postal range out",
        {"field": "postal_code", "op": "between", "value": [94000, 94999]},
        {"postal_code": "95000"},
        False,
    ),
    (
        "postal range zip+4",
        {"field": "postal_code", "op": "between", "value": [94000, 94999]},
        {"postal_code": "94107-1234"},
        True,
    ),
    (
        "postal range short",
        {"field": "postal_code", "op": "between", "value": [94000, 94999]},
        {"postal_code": "9410"},
        False,
    ),
    (
        "postal range letters",
        {"field": "postal_code", "op": "between", "value": [0, 99999]},
        {"postal_code": "AB123"},
        False,
    ),
    (
        "postal range NULL",
        {"field": "postal_code", "op": "between", "value": [0, 99999]},
        {},
        False,
    ),
    (
        "postal lt leading zero",
        {"field": "postal_code", "op": "lt", "value": 10000},
        {"postal_code": "09999"},
        True,
    ),
    (
        "county ge",
        {"field": "county_fips", "op": "ge", "value": 6000},
        {"county_fips": "06075"},
        True,
    ),
    ("is_empty NULL", {"field": "industry", "op": "is_empty"}, {}, True),
    ("is_empty blank", {"field": "industry", "op": "is_empty"}, {"industry": ""}, True),
    ("is_empty space", {"field": "industry", "op": "is_empty"}, {"industry": " "}, False),
    ("is_empty number NULL", {"field": "employees", "op": "is_empty"}, {}, True),
    ("is_empty number zero", {"field": "employees", "op": "is_empty"}, {"employees": 0}, False),
    ("not_empty blank", {"field": "industry", "op": "not_empty"}, {"industry": ""}, False),
    ("not_empty value", {"field": "industry", "op": "not_empty"}, {"industry": "x"}, True),
    ("within km", {"op": "within", "value": SF}, {"latitude": 37.8, "longitude": -122.4}, True),
    ("within far", {"op": "within", "value": SF}, {"latitude": 34.05, "longitude": -118.24}, False),
    ("within NULL", {"op": "within", "value": SF}, {}, False),
    (
        "within miles",
        {"op": "within", "value": {"lat": 37.77, "lon": -122.42, "mi": 400}},
        {"latitude": 34.05, "longitude": -118.24},
        True,
    ),
    (
        "within miles short",
        {"op": "within", "value": {"lat": 37.77, "lon": -122.42, "mi": 300}},
        {"latitude": 34.05, "longitude": -118.24},
        False,
    ),
    (
        "in_geography",
        {"field": "postal_code", "op": "in_geography", "value": "west"},
        {"postal_code": "94107"},
        True,
    ),
    (
        "in_geography miss",
        {"field": "postal_code", "op": "in_geography", "value": "west"},
        {"postal_code": "94109"},
        False,
    ),
    (
        "attribute number",
        {"field": "attributes.score", "op": "gt", "value": 5},
        {"attr_score": 6.5},
        True,
    ),
    ("attribute number NULL", {"field": "attributes.score", "op": "gt", "value": 5}, {}, False),
    ("attribute text", eq("attributes.tier", "gold"), {"attr_tier": "GOLD"}, True),
    ("not of NULL", {"not": {"field": "industry", "op": "in", "value": ["Gov"]}}, {}, True),
    (
        "all",
        {"all": [eq("state", "CA"), {"field": "employees", "op": "ge", "value": 10}]},
        {"state": "ca", "employees": 10},
        True,
    ),
    (
        "all one fails",
        {"all": [eq("state", "CA"), {"field": "employees", "op": "ge", "value": 10}]},
        {"state": "ca"},
        False,
    ),
    ("any", {"any": [eq("state", "CA"), eq("state", "OR")]}, {"state": "OR"}, True),
    (
        "nested",
        {"any": [{"all": [eq("state", "NY"), {"not": eq("city", "Buffalo")}]}, eq("state", "NJ")]},
        {"state": "NY"},
        True,
    ),
    (
        "nested not",
        {"any": [{"all": [eq("state", "NY"), {"not": eq("city", "Buffalo")}]}, eq("state", "NJ")]},
        {"state": "NY", "city": "buffalo"},
        False,
    ),
]


@pytest.mark.parametrize(("name", "when", "record", "expected"), CASES, ids=[c[0] for c in CASES])
def test_operator(name: str, when: dict[str, Any], record: dict[str, Any], expected: bool) -> None:
    rule_set = parse_rule_set(
        {
            "attributes": {"score": "number", "tier": "text"},
            "territories": [{"id": "t", "name": "T"}, {"id": "west", "name": "West"}],
            "rules": [{"id": "r", "territory": "t", "when": when}],
        },
        geographies=GEO,
    )
    records = [{"id": "a1", "name": "n", **record}]
    if "name" in record:
        records[0]["name"] = record["name"]
    elif "name" not in record and when.get("field") == "name":
        records[0]["name"] = None
    outcome = assert_same(rule_set, records)
    assert (outcome[0][1] == "t") is expected
    assert outcome[0][4] is (not expected)  # gap when nothing matched


def test_every_operator_case_on_postgres(pg_conn: Any) -> None:
    from rules_helpers import by_postgres, by_route

    for name, when, record, expected in CASES:
        rule_set = parse_rule_set(
            {
                "attributes": {"score": "number", "tier": "text"},
                "territories": [{"id": "t", "name": "T"}, {"id": "west", "name": "West"}],
                "rules": [{"id": "r", "territory": "t", "when": when}],
            },
            geographies=GEO,
        )
        records = [{"id": "a1", "name": None, **record}]
        got = by_postgres(pg_conn, rule_set, records)
        assert got == by_route(rule_set, records), name
        assert (got[0][1] == "t") is expected, name
