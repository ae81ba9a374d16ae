"""Property: every rule exported to Salesforce ETM without a problem comes back from the
ETM files with a condition that holds for exactly the same records.

Records hold their postal codes as the importer stores them (:func:`terraplan.rules.zip5`:
``9410`` is ZIP 09410). A postal-code range is exported as the exact set of ``startsWith``
prefixes of five-digit codes; a code stored without its leading zero is outside what a prefix
can say (``9410`` starts with 9, ZIP 09410 is below 10000), and the importer never stores one.
The records are US ones: ETM's postal-code criteria know no country, while terraplan reads no
ZIP number in a postal code abroad.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from rule_strategies import records, rule_sets

from terraplan.rules import (
    RuleSet,
    evaluate_condition,
    export_etm,
    import_etm,
    record_values,
    zip5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_set=rule_sets(), data=records())
def test_exported_rules_come_back_holding_for_the_same_records(
    rule_set: RuleSet, data: list[dict[str, Any]]
) -> None:
    out = export_etm(rule_set)
    back = import_etm(
        out.rules_csv,
        out.items_csv,
        out.associations_csv,
        territories=list(rule_set.territories.values()),
        attribute_kinds=rule_set.attribute_kinds,
    )
    assert back.problems == ()
    refused = {p.rule for p in out.problems}
    original = [
        r
        for r in [*rule_set.rules, *rule_set.overlays]
        if r.id not in refused and not getattr(r, "pinned", False)
    ]
    again = {r.id: r for r in [*back.rule_set.rules, *back.rule_set.overlays]}
    assert sorted(again) == sorted(r.id for r in original)
    for rule in original:
        copy = again[rule.id]
        assert copy.territory_id == rule.territory_id
        for record in data:
            code = record.get("postal_code")
            values = record_values({**record, "postal_code": zip5(code) or code, "country": None})
            assert evaluate_condition(copy.when, values) == evaluate_condition(rule.when, values), (
                rule.id,
                record,
            )
