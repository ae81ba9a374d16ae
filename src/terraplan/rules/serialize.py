"""Rule sets to plain mappings and JSON text (the inverse of :mod:`terraplan.rules.parse`)."""

from __future__ import annotations

import json
from typing import Any

from terraplan.rules.fields import typed_values
from terraplan.rules.model import AllOf, Always, AnyOf, Condition, NotOf, Op, RuleSet


def condition_to_dict(cond: Condition) -> dict[str, Any] | None:
    """The mapping form of a condition (None for :class:`Always`)."""
    if isinstance(cond, Always):
        return None
    if isinstance(cond, AllOf | AnyOf):
        key = "all" if isinstance(cond, AllOf) else "any"
        return {key: [condition_to_dict(c) for c in cond.items]}
    if isinstance(cond, NotOf):
        return {"not": condition_to_dict(cond.item)}
    out: dict[str, Any] = {"field": cond.field, "op": cond.op.value}
    if cond.distance is not None:
        d = cond.distance
        out["value"] = {"lat": d.latitude, "lon": d.longitude, d.unit: d.radius_in_unit}
    elif cond.op is Op.IN_GEOGRAPHY:
        out["value"] = cond.geography
    elif cond.op in (Op.IN, Op.NOT_IN, Op.BETWEEN) or len(typed_values(cond)) > 1:
        out["value"] = list(typed_values(cond))
    elif cond.values:
        out["value"] = cond.values[0]
    if cond.case_sensitive:
        out["case_sensitive"] = True
    return out


def rule_set_to_dict(rule_set: RuleSet) -> dict[str, Any]:
    """A JSON-ready mapping that :func:`parse_rule_set` turns back into an equal rule set.

    Named conditions are inlined; ``in_geography`` keeps the territory reference, so the same
    ``geographies`` must be passed when loading it again.
    """
    out: dict[str, Any] = {"version": rule_set.version}
    if rule_set.name is not None:
        out["name"] = rule_set.name
    out["priority"] = [t.value for t in rule_set.priority]
    out["tie_breaker"] = rule_set.tie_breaker.value
    if rule_set.catch_all is not None:
        out["catch_all"] = rule_set.catch_all
    if rule_set.attribute_kinds:
        out["attributes"] = dict(rule_set.attribute_kinds)
    out["territories"] = [
        {"id": t.id, "name": t.name, "type": t.type.value}
        | ({"parent": t.parent_id} if t.parent_id else {})
        for t in rule_set.territories.values()
    ]
    out["named_accounts"] = [
        {"territory": tid, "accounts": list(ids)} for tid, ids in rule_set.named_accounts.items()
    ]
    rules = []
    for rule in rule_set.rules:
        if rule.pinned:
            continue
        item: dict[str, Any] = {"id": rule.id, "territory": rule.territory_id, "order": rule.order}
        when = condition_to_dict(rule.when)
        if when is not None:
            item["when"] = when
        if rule.description is not None:
            item["description"] = rule.description
        rules.append(item)
    out["rules"] = rules
    out["exclusions"] = [
        {"territory": e.territory_id, "when": condition_to_dict(e.when)}
        for e in rule_set.exclusions
    ]
    out["overlays"] = [
        {"id": o.id, "territory": o.territory_id, "role": o.role, "when": condition_to_dict(o.when)}
        for o in rule_set.overlays
    ]
    return out


def dump_rule_set(rule_set: RuleSet) -> str:
    """JSON text of a rule set (stable key order), loadable by :func:`load_rule_set`."""
    return json.dumps(rule_set_to_dict(rule_set), indent=2, ensure_ascii=False)
