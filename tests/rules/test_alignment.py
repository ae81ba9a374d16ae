"""Design -> rules -> assignment, end to end."""

from __future__ import annotations

import pytest

from terraplan.domain import Account, Territory
from terraplan.errors import InvalidParameterError
from terraplan.rules import assign_batch, compile_sql, route, rules_from_alignment

TERRITORIES = [Territory("north", "North"), Territory("south", "South"), Territory("pool", "Pool")]


def test_zip_alignment_routes_accounts() -> None:
    rs = rules_from_alignment(
        TERRITORIES, "zip", {"94107": "north", "94108": "north", "90001": "south"}
    )
    assert [r.id for r in rs.rules] == ["north-zip", "south-zip"]
    accounts = [
        Account(id="a", name="A", postal_code="94108"),
        Account(id="b", name="B", postal_code="90001"),
        Account(id="c", name="C", postal_code="10001"),
    ]
    assert [route(a, rs).territory_id for a in accounts] == ["north", "south", None]
    batch = assign_batch(accounts, rs)
    assert batch.get_column("territory_id").to_list() == ["north", "south", None]
    assert "north-zip" in compile_sql(rs, "postgres")


def test_county_alignment_with_postal_fallback() -> None:
    rs = rules_from_alignment(
        TERRITORIES,
        "county",
        {"06075": "north", "06037": "south"},
        {"06075": ["94107", "94108"], "06037": ["90001"]},
        catch_all="pool",
    )
    accounts = [
        Account(id="a", name="A", county_fips="06075", postal_code="90001"),  # county decides
        Account(id="b", name="B", postal_code="90001"),  # no county: postal fallback
        Account(id="c", name="C", postal_code="10001"),  # gap -> catch-all
    ]
    results = [route(a, rs) for a in accounts]
    assert [(r.territory_id, r.rule_id, r.gap) for r in results] == [
        ("north", "north-county", False),
        ("south", "south-zip", False),
        ("pool", None, True),
    ]


def test_bad_unit_kind() -> None:
    with pytest.raises(InvalidParameterError):
        rules_from_alignment(TERRITORIES, "state", {})  # type: ignore[arg-type]
