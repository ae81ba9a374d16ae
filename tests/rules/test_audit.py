"""Coverage audit: gaps, conflicts, unused and shadowed rules, per-territory tallies."""

from __future__ import annotations

import json

import polars as pl

from terraplan.domain import Account, Lead
from terraplan.rules import audit_rule_set, parse_rule_set

RULES = {
    "catch_all": "pool",
    "territories": [
        {"id": "tech", "name": "Tech", "type": "vertical"},
        {"id": "west", "name": "West"},
        {"id": "east", "name": "East"},
        {"id": "spec", "type": "overlay"},
        {"id": "pool", "type": "catch_all"},
    ],
    "rules": [
        {
            "id": "tech",
            "territory": "tech",
            "when": {"field": "industry", "op": "equals", "value": "Software"},
        },
        {
            "id": "west",
            "territory": "west",
            "when": {"field": "state", "op": "in", "value": ["CA", "OR"]},
        },
        {
            "id": "east",
            "territory": "east",
            "when": {"field": "state", "op": "equals", "value": "NY"},
        },
        {
            "id": "east-10",
            "territory": "east",
            "when": {"field": "postal_code", "op": "starts_with", "value": "10"},
        },
        {
            "id": "west-10",
            "territory": "west",
            "when": {"field": "postal_code", "op": "starts_with", "value": "10"},
        },
        {
            "id": "never",
            "territory": "west",
            "when": {"field": "state", "op": "equals", "value": "HI"},
        },
        {
            "id": "shadow",
            "territory": "west",
            "order": 1,
            "when": {"field": "state", "op": "equals", "value": "OR"},
        },
    ],
    "overlays": [
        {
            "id": "o-health",
            "territory": "spec",
            "when": {"field": "industry", "op": "equals", "value": "Health"},
        },
        {
            "id": "o-none",
            "territory": "spec",
            "when": {"field": "industry", "op": "equals", "value": "Mining"},
        },
    ],
}

ACCOUNTS = [
    Account(id="a1", name="A", state="CA", industry="Software", potential=100.0),
    Account(id="a2", name="B", state="OR", potential=50.0),
    Account(id="a3", name="C", state="NY", postal_code="10001", potential=10.0),
    Account(id="a4", name="D", state="TX", industry="Health", potential=5.0),
    Account(id="a5", name="E", state="NY", postal_code="11201", potential=1.0),
]


def test_audit_counts_everything() -> None:
    report = audit_rule_set(ACCOUNTS, parse_rule_set(RULES))
    acc = report.accounts
    assert (acc.records, acc.gaps, acc.gaps_to_catch_all, acc.conflicts) == (5, 1, 1, 1)
    assert acc.gap_ids == ("a4",)
    assert acc.conflict_ids == ("a3",)
    assert acc.unused_rules == ("never",)
    assert acc.shadowed_rules == ("shadow",)
    assert acc.unused_overlays == ("o-none",)
    assert acc.rule_wins["west"] == 1 and acc.rule_matches["west"] == 2
    tallies = {t.territory_id: t for t in acc.territories}
    assert (tallies["tech"].records, tallies["tech"].potential) == (1, 100.0)
    assert (tallies["west"].records, tallies["west"].potential) == (1, 50.0)
    assert (tallies["east"].records, tallies["east"].potential) == (1, 1.0)
    assert (tallies["pool"].records, tallies["pool"].potential) == (1, 5.0)
    assert tallies["spec"].overlay_records == 1
    assert acc.coverage == 3 / 5
    assert report.ok is False


def test_audit_report_is_json_and_covers_leads() -> None:
    leads = [Lead(id="l1", company="X", state="CA"), Lead(id="l2", company="Y", state="HI")]
    report = audit_rule_set(
        pl.DataFrame({"id": ["a"], "state": ["CA"]}), parse_rule_set(RULES), leads=leads
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["accounts"]["records"] == 1 and data["ok"] is True
    assert data["leads"]["records"] == 2
    assert "never" not in data["leads"]["unused_rules"]
    assert data["leads"]["rule_wins"]["never"] == 1
