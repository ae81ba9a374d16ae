"""Rules on record ids written as a Salesforce report gives them (15 characters) while the
accounts were imported from the API's export (18), as named-account pins already allow."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
import pytest
import yaml

from terraplan.errors import RuleError
from terraplan.rules import (
    RuleSet,
    assign_batch,
    compile_sql,
    load_rule_set,
    parse_rule_set,
    route,
    rule_set_to_dict,
)

HQ_18 = "001Hs00000005GqIAI"  # CommonSpirit Health, as the API exports it
HQ_15 = HQ_18[:15]  # as a report lists it
REP_18 = "005Hs0000000000IAA"

TERRITORIES = [
    {"id": "S1", "name": "Strategic 1", "type": "named"},
    {"id": "T01", "name": "Territory 01", "type": "geo"},
]


def _rules(when: dict[str, Any]) -> dict[str, Any]:
    return {
        "territories": TERRITORIES,
        "catch_all": "T01",
        "rules": [{"id": "family", "territory": "S1", "when": when}],
    }


def _records() -> list[dict[str, Any]]:
    return [
        {"id": "001Hs00000007KZIAY", "name": "CO Region", "parent_id": HQ_18, "owner_id": REP_18},
        {"id": "001Hs0000000TzYIAU", "name": "St. Francis", "parent_id": "001Hs00000009OIIAY"},
    ]


@pytest.mark.parametrize(
    "when",
    [
        {"field": "parent_id", "op": "in", "value": [HQ_15]},
        {"field": "parent_id", "op": "equals", "value": HQ_15},
        {"field": "owner_id", "op": "equals", "value": REP_18[:15]},
        {"field": "id", "op": "in", "value": ["001Hs00000007KZ"]},
    ],
)
def test_a_15_character_id_in_a_rule_names_the_stored_18_character_record(
    when: dict[str, Any],
) -> None:
    rule_set = parse_rule_set(_rules(when))
    records = _records()
    expected = ["S1", "T01"]
    assert [route(r, rule_set, normalize=False).territory_id for r in records] == expected
    # the table evaluator (rules apply) and the warehouse SQL place them the same way
    assert _by_batch(rule_set, records) == expected
    assert _by_duckdb(rule_set, records) == expected


def _frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    columns = ("id", "name", "parent_id", "owner_id")
    return pl.DataFrame(
        [{c: r.get(c) for c in columns} for r in records], schema=dict.fromkeys(columns, pl.String)
    )


def _by_batch(rule_set: RuleSet, records: list[dict[str, Any]]) -> list[str]:
    result = assign_batch(_frame(records), rule_set, normalize=False)
    return [str(t) for t in result["territory_id"].to_list()]


def _by_duckdb(rule_set: RuleSet, records: list[dict[str, Any]]) -> list[str]:
    con = duckdb.connect()
    try:
        con.register("accounts", _frame(records).to_arrow())
        rows = con.sql(compile_sql(rule_set, "duckdb")).fetchall()
    finally:
        con.close()
    placed = {row[0]: row[1] for row in rows}
    return [str(placed[r["id"]]) for r in records]


def test_not_in_leaves_out_the_record_in_either_form() -> None:
    rule_set = parse_rule_set(_rules({"field": "parent_id", "op": "not_in", "value": [HQ_15]}))
    assert [route(r, rule_set, normalize=False).rule_id for r in _records()] == [None, "family"]


def test_the_rule_reads_back_and_explains_as_written() -> None:
    rule_set = parse_rule_set(_rules({"field": "parent_id", "op": "in", "value": [HQ_15]}))
    written = rule_set_to_dict(rule_set)["rules"][0]["when"]
    assert written == {"field": "parent_id", "op": "in", "value": [HQ_15]}
    assert load_rule_set(yaml.safe_dump(rule_set_to_dict(rule_set))) == rule_set
    why = route(_records()[0], rule_set, normalize=False).explanation
    assert f"[{HQ_15}]" in why and "IAI]" not in why


def test_an_account_pinned_twice_in_its_two_forms_is_refused() -> None:
    document = {
        "territories": TERRITORIES,
        "named_accounts": [
            {"territory": "S1", "accounts": [HQ_15]},
            {"territory": "T01", "accounts": [HQ_18]},
        ],
    }
    with pytest.raises(RuleError, match="already pinned to 'S1'"):
        parse_rule_set(document)
