"""Text comparisons read each run of whitespace as one space, none at either end: in the
per-record evaluator, the Polars batch path, the rule index and the compiled SQL alike."""

from __future__ import annotations

from typing import Any

import pytest
from rules_helpers import by_batch, by_duckdb, by_postgres, by_route

from terraplan.rules import parse_rule_set, route
from terraplan.rules.index import RuleIndex

RULES = parse_rule_set(
    {
        "territories": [
            {"id": "hc", "name": "Healthcare"},
            {"id": "inc", "name": "Incorporated"},
            {"id": "acme", "name": "Acme"},
            {"id": "west", "name": "West"},
            {"id": "pool", "name": "Pool", "type": "catch_all"},
        ],
        "catch_all": "pool",
        "rules": [
            {
                "id": "health",
                "territory": "hc",
                "when": {"field": "industry", "op": "in", "value": ["Healthcare", "Health Care"]},
            },
            {
                "id": "acme",
                "territory": "acme",
                "when": {
                    "field": "name",
                    "op": "equals",
                    "value": "Acme  Corp",
                    "case_sensitive": True,
                },
            },
            {
                "id": "inc",
                "territory": "inc",
                "when": {"field": "name", "op": "ends_with", "value": " inc"},
            },
            {
                "id": "west",
                "territory": "west",
                "when": {"field": "state", "op": "equals", "value": "CA"},
            },
        ],
    }
)

RECORDS: list[dict[str, Any]] = [
    {"id": "a", "industry": "  Health   Care "},
    {"id": "b", "industry": "health\tcare"},
    {"id": "c", "industry": "Health\n Care"},
    {"id": "d", "name": "Acme Corp "},
    {"id": "e", "name": "acme corp"},  # case-sensitive rule: no
    {"id": "f", "name": "Widgets  Inc  "},
    {"id": "g", "name": "Widgetsinc"},  # " inc" keeps its space: a word's edge
    {"id": "h", "industry": "Health  Careers"},
    {"id": "i", "state": " ca "},
]

EXPECTED = {
    "a": "hc",
    "b": "hc",
    "c": "hc",
    "d": "acme",
    "e": "pool",
    "f": "inc",
    "g": "pool",
    "h": "pool",
    "i": "west",
}


def test_squeeze() -> None:
    from terraplan.rules.fields import squeeze

    assert squeeze("  Health \t\n  Care ") == "Health Care"
    assert squeeze("") == ""


def test_route_squeezes_whitespace() -> None:
    got = {r["id"]: route(r, RULES).territory_id for r in RECORDS}
    assert got == EXPECTED
    index = RuleIndex(RULES)
    assert {r["id"]: route(r, RULES, index=index).territory_id for r in RECORDS} == EXPECTED


def test_batch_and_duckdb_agree() -> None:
    expected = by_route(RULES, RECORDS)
    assert {row[0]: row[1] for row in expected} == EXPECTED
    assert by_batch(RULES, RECORDS) == expected
    assert by_duckdb(RULES, RECORDS) == expected


@pytest.mark.usefixtures("pg_conn")
def test_postgres_agrees(pg_conn: Any) -> None:
    assert by_postgres(pg_conn, RULES, RECORDS) == by_route(RULES, RECORDS)
