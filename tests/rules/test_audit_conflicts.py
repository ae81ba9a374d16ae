"""The coverage audit names the territories each listed conflict is claimed by, for leads as
for accounts, as ``route`` names them."""

from __future__ import annotations

from terraplan.rules import audit_rule_set, parse_rule_set, route

RULES = parse_rule_set(
    {
        "territories": [{"id": "west"}, {"id": "mountain"}, {"id": "south"}],
        "rules": [
            {"id": "w", "territory": "west", "when": {"field": "state", "op": "in", "value": ["CA", "CO"]}},
            {"id": "m", "territory": "mountain", "when": {"field": "state", "op": "in", "value": ["CO", "UT"]}},
            {"id": "s", "territory": "south", "when": {"field": "state", "op": "in", "value": ["TX"]}},
        ],
    }
)  # fmt: skip


def test_conflicts_name_their_territories_for_leads_and_accounts() -> None:
    accounts = [{"id": "A1", "name": "Denver Co", "state": "CO"}, {"id": "A2", "state": "TX"}]
    leads = [
        {"id": "L1", "company": "Boulder Inc", "state": "co"},
        {"id": "L2", "company": "Austin", "state": "TX"},
        {"id": "L3", "company": "Nowhere", "state": "ME"},
    ]
    report = audit_rule_set(accounts, RULES, leads=leads)
    assert report.accounts.conflict_territories == {"A1": ("west", "mountain")}
    assert report.leads is not None
    assert (report.leads.conflicts, report.leads.gaps) == (1, 1)
    assert report.leads.conflict_territories == {"L1": ("west", "mountain")}
    assert route(leads[0], RULES).conflict_territories == ("west", "mountain")
    as_json = report.to_dict()["leads"]
    assert as_json["conflict_territories"] == {"L1": ["west", "mountain"]}
