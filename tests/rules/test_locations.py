"""County/state from the ZIP: route() and assign_batch() fill the same fields the same way."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from terraplan.rules import ZipPlace, assign_batch, audit_rule_set, load_rule_set, route, zip5

PLACES = {
    "04040": ZipPlace("23017", "ME", 43.9, -70.6),
    "02134": ZipPlace("25025", "MA", 42.35, -71.13),
    "94107": ZipPlace("06075", "CA", 37.76, -122.4),
}
CALLS: list[str] = []


def locate(code: str) -> ZipPlace | None:
    CALLS.append(code)
    return PLACES.get(code)


RULES = load_rule_set(
    """
territories:
  - {id: oxford, name: Oxford County}
  - {id: suffolk, name: Suffolk County}
  - {id: west, name: West}
  - {id: near, name: Near SF, type: vertical}
  - {id: pool, name: Pool, type: catch_all}
catch_all: pool
rules:
  - {id: near, territory: near, when: {field: location, op: within, value: {lat: 37.76, lon: -122.4, km: 5}}}
  - {id: ox, territory: oxford, when: {field: county_fips, op: equals, value: '23017'}}
  - {id: su, territory: suffolk, when: {field: county_fips, op: in, value: ['25025']}}
  - {id: w, territory: west, when: {field: state, op: equals, value: CA}}
"""
)


@pytest.mark.parametrize(
    ("record", "territory"),
    [
        ({"postal_code": "04040"}, "oxford"),
        # coordinates sent: the county is still looked up (the bug of issue 10 item 7)
        ({"postal_code": "04040", "latitude": 43.9, "longitude": -70.6}, "oxford"),
        ({"postal_code": "04040-1234"}, "oxford"),
        ({"postal_code": 4040}, "oxford"),
        ({"postal_code": 4040.0}, "oxford"),
        ({"postal_code": " 2134 "}, "suffolk"),
        ({"postal_code": "02134", "country": "USA"}, "suffolk"),
        # any spelling of the US an import reads (the batch path knew six of them)
        ({"postal_code": "02134", "country": "U.S"}, "suffolk"),
        ({"postal_code": "02134-1234", "country": "America"}, "suffolk"),
        (
            {"postal_code": "94107", "state": "calif.", "latitude": 40.0, "longitude": -100.0},
            "west",
        ),
        ({"postal_code": "02134", "country": "DE"}, "pool"),  # not a US ZIP
        ({"postal_code": "02134", "county_fips": "25017"}, "pool"),  # given county is kept
        ({"postal_code": "99999"}, "pool"),  # unknown ZIP
        ({"postal_code": "94107"}, "near"),  # centroid filled for 'within'
        ({"postal_code": "94107", "latitude": 40.0, "longitude": -100.0}, "west"),
    ],
)
def test_route_and_batch_fill_county_state_and_location_alike(
    record: dict[str, Any], territory: str
) -> None:
    single = route({"id": "x", **record}, RULES, locate=locate)
    frame = pl.DataFrame([{"id": "x", **record}])
    batch = assign_batch(frame, RULES, locate=locate)
    assert single.territory_id == territory
    assert batch["territory_id"].to_list() == [territory]


def test_mixed_postal_code_types_in_one_table() -> None:
    records = [
        {"id": "a", "postal_code": "04040", "latitude": 1.0, "longitude": 2.0},
        {"id": "b", "postal_code": "02134-0001"},
        {"id": "c", "postal_code": None},
        {"id": "d", "postal_code": "M5V 3L9", "country": "Canada"},
    ]
    batch = assign_batch(records, RULES, locate=locate)
    assert batch["territory_id"].to_list() == ["oxford", "suffolk", "pool", "pool"]
    assert [route(r, RULES, locate=locate).territory_id for r in records] == [
        "oxford",
        "suffolk",
        "pool",
        "pool",
    ]
    numbers = pl.DataFrame({"id": ["a", "b"], "postal_code": [4040, 2134]})
    assert assign_batch(numbers, RULES, locate=locate)["territory_id"].to_list() == [
        "oxford",
        "suffolk",
    ]


def test_batch_looks_each_distinct_zip_up_once_and_the_audit_uses_it() -> None:
    CALLS.clear()
    leads = pl.DataFrame({"id": [f"L{i}" for i in range(300)], "postal_code": ["04040"] * 300})
    audit = audit_rule_set(pl.DataFrame({"id": [], "postal_code": []}), RULES, leads, locate=locate)
    assert CALLS == ["04040"]
    assert audit.leads is not None
    assert (audit.leads.gaps, audit.leads.assigned) == (0, 300)
    without = audit_rule_set(pl.DataFrame({"id": [], "postal_code": []}), RULES, leads)
    assert without.leads is not None and without.leads.gaps == 300


def test_without_a_lookup_nothing_is_invented() -> None:
    assert route({"id": "x", "postal_code": "04040"}, RULES).territory_id == "pool"
    assert zip5("94107-1234") == "94107"
    assert zip5("941071234") == "94107" and zip5(941071234) == "94107"
    assert zip5("21341234") is None  # 8 digits: a ZIP+4 missing a digit, not guessed
    assert zip5(2134) == "02134"
    assert zip5("ABCDE") is None


ZIP_RANGES = load_rule_set(
    """
territories:
  - {id: ne, name: New England}
  - {id: pool, name: Pool, type: catch_all}
catch_all: pool
rules:
  - {id: ne, territory: ne, when: {field: postal_code, op: between, value: ['02000', '04999']}}
"""
)


@pytest.mark.parametrize("code", ["2134", 2134, "2134-0001", "021340001", " 02134 "])
def test_a_zip_range_holds_for_a_zip_that_lost_its_zero_as_rules_apply_reads_it(
    code: object,
) -> None:
    """The importer stores 02134 for each of these: a lead routed with the code as the CRM
    sent it lands where `rules apply` puts the stored account (it fell to the catch-all)."""
    single = route({"id": "x", "postal_code": code}, ZIP_RANGES, locate=locate)
    batch = assign_batch(
        pl.DataFrame([{"id": "x", "postal_code": code}]), ZIP_RANGES, locate=locate
    )
    assert single.territory_id == "ne"
    assert batch["territory_id"].to_list() == ["ne"]
    assert "02000–04999" in single.explanation  # the range as typed, its zeros kept


def test_a_foreign_postal_code_is_not_rewritten_as_a_zip() -> None:
    record = {"id": "x", "postal_code": "2134", "country": "Australia"}
    assert route(record, ZIP_RANGES, locate=locate).territory_id == "pool"
    assert assign_batch([record], ZIP_RANGES, locate=locate)["territory_id"].to_list() == ["pool"]
