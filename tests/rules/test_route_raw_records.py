"""``route`` as a library reads a record typed in (a CRM row, a web form, a notebook) as an
import reads it: ZIPs as numbers, ZIP+4, padded with spaces or cut short by a spreadsheet,
state names, unpadded county FIPS. It matched none of a plan's rules before (a gap, or the
catch-all), where the CLI and the API, which read states and ZIPs first, routed it."""

from __future__ import annotations

from typing import Any

import pytest

from terraplan.domain import Lead
from terraplan.rules import parse_rule_set, route
from terraplan.rules.fields import normalize_values, record_values

RULES = parse_rule_set(
    {
        "territories": [
            {"id": "boston", "name": "Boston"},
            {"id": "west", "name": "West"},
            {"id": "sf", "name": "San Francisco"},
            {"id": "pool", "name": "Pool", "type": "catch_all"},
        ],
        "catch_all": "pool",
        "rules": [
            {"id": "sf", "territory": "sf", "when": {"field": "county_fips", "op": "in", "value": ["06075"]}},
            {"id": "zip", "territory": "boston", "when": {"field": "postal_code", "op": "in", "value": ["02134"]}},
            {"id": "ca", "territory": "west", "when": {"field": "state", "op": "equals", "value": "CA", "case_sensitive": True}},
        ],
    }
)  # fmt: skip


@pytest.mark.parametrize(
    ("record", "territory"),
    [
        ({"postal_code": 2134}, "boston"),  # a JSON number or spreadsheet cell
        ({"postal_code": 2134.0}, "boston"),
        ({"postal_code": "2134"}, "boston"),  # Excel dropped the zero, text kept
        ({"postal_code": "02134-1234"}, "boston"),  # ZIP+4
        ({"postal_code": "021341234"}, "boston"),  # ZIP+4 without its dash
        ({"postal_code": " 02134 "}, "boston"),
        ({"postal_code": "2134", "country": "United States"}, "boston"),
        ({"state": "California"}, "west"),
        ({"state": " calif. "}, "west"),
        ({"state": "ca", "country": "USA"}, "west"),
        ({"county_fips": "6075"}, "sf"),  # San Francisco, leading zero lost
        ({"county_fips": " 06075 "}, "sf"),
        ({"county_fips": 6075}, "sf"),
        # abroad: the code stays as typed, never a US ZIP; a state is not a US state
        ({"postal_code": "2134", "country": "Portugal"}, "pool"),
        ({"state": "California", "country": "Canada"}, "pool"),  # kept as typed
    ],
)
def test_a_raw_record_routes_as_the_same_record_imported(
    record: dict[str, Any], territory: str
) -> None:
    result = route({"id": "L1", **record}, RULES)
    assert result.territory_id == territory, result.explanation


def test_domain_leads_and_stored_forms_route_alike() -> None:
    lead = Lead(id="L1", company="Acme", state="California", postal_code="94107-1234")
    assert route(lead, RULES).territory_id == "west"
    values = normalize_values(record_values(lead))
    assert (values["state"], values["postal_code"]) == ("CA", "94107")
    # idempotent: stored records (already read so) route exactly as before
    assert normalize_values(values) == values
    assert route(values, RULES) == route(values, RULES, normalize=False)


def test_values_as_given_when_asked() -> None:
    # compiled SQL compares a table's values as given: route can too (the property tests)
    assert route({"id": "L1", "state": "California"}, RULES, normalize=False).gap
