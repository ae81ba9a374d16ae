"""Routing with custom areas (postal codes that are no US ZIPs): a postal code is read as an
import stores it (trimmed) for every country, a country is read in any case, and a 4-digit
code sent with no country, read as a US ZIP, says why it was not placed."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import route_postal_code, store_plan_with_rules

from terraplan.domain import Plan, Territory, TerritoryOwner, TerritoryType
from terraplan.services.routing import Routed
from terraplan.storage.database import Database

#: Portuguese custom areas, as a `--units custom` design's rules test them, and a catch-all.
AREA_RULES = """
territories:
  - {id: T06, name: Territory 06, type: geo}
  - {id: POOL, name: Pool, type: catch_all}
catch_all: POOL
rules:
  - {id: t06, territory: T06, when: {field: postal_code, op: in, value: ['6494', '0042']}}
"""


def _plan(db: Database) -> None:
    plan = Plan(
        id="P",
        name="Portugal",
        territories=(
            Territory(id="T06", name="Territory 06", owners=(TerritoryOwner("R1"),)),
            Territory(
                id="POOL",
                name="Pool",
                type=TerritoryType.CATCH_ALL,
                owners=(TerritoryOwner("R1"),),
            ),
        ),
    )
    store_plan_with_rules(db, plan, AREA_RULES)


def _route(db: Database, postal_code: Any, **more: Any) -> Routed:
    routed = route_postal_code(db, postal_code, **more)
    assert isinstance(routed, Routed)
    return routed


@pytest.mark.parametrize("sent", ["6494", " 6494 ", "6494 ", "\t0042"])
@pytest.mark.parametrize("country", ["Portugal", "portugal", "PT", " pt "])
def test_a_foreign_postal_code_is_trimmed_as_an_import_trims_it(
    db: Database, sent: str, country: str
) -> None:
    _plan(db)
    routed = _route(db, sent, country=country)
    assert routed.result.territory_id == "T06", routed.result.explanation
    assert routed.notes == ()


@pytest.mark.parametrize("country", ["Portugal", "portugal"])
def test_a_foreign_code_no_rule_names_is_not_read_as_a_zip(db: Database, country: str) -> None:
    _plan(db)
    routed = _route(db, "4700", country=country)
    assert routed.result.territory_id == "POOL"
    assert not any("ZIP" in note for note in routed.notes), routed.notes
    assert routed.notes == (
        "postal code '4700' (PT) is none of the postal codes the rules of plan P name",
    )


def test_a_code_with_no_country_read_as_a_zip_says_to_give_the_country(db: Database) -> None:
    _plan(db)
    routed = _route(db, "6494")  # no country: the US ZIP 06494 (Connecticut)
    assert routed.result.territory_id == "POOL"
    assert len(routed.notes) == 1
    assert "read as the US ZIP 06494" in routed.notes[0]
    assert "name the postal code 6494 as written" in routed.notes[0]
    assert "give the lead's country" in routed.notes[0]


def test_a_us_zip_no_postal_code_rule_names_is_said(db: Database) -> None:
    _plan(db)
    routed = _route(db, "10001")
    assert routed.result.territory_id == "POOL"
    assert routed.notes == ("ZIP 10001 is in New York (NY), a postal code no rule of plan P names",)
