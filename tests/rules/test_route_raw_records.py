"""``route`` as a library reads a record typed in (a CRM row, a web form, a notebook) as an
import reads it: ZIPs as numbers, ZIP+4, padded with spaces or cut short by a spreadsheet,
state names, unpadded county FIPS. It matched none of a plan's rules before (a gap, or the
catch-all), where the CLI and the API, which read states and ZIPs first, routed it."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.domain import Lead
from terraplan.rules import assign_batch, parse_rule_set, route
from terraplan.rules.fields import normalize_values, record_values
from terraplan.rules.place_columns import read_places

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


# (a row as a CRM export, a notebook or a web form gives it, the same row as an import stores it)
RAW_AND_CLEAN: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"postal_code": "2134"}, {"postal_code": "02134"}),
    ({"postal_code": "02134-1234"}, {"postal_code": "02134"}),
    ({"postal_code": "021341234"}, {"postal_code": "02134"}),
    ({"postal_code": " 02134 "}, {"postal_code": "02134"}),
    (
        {"postal_code": "2134", "country": "United States"},
        {"postal_code": "02134", "country": "US"},
    ),
    ({"postal_code": "2134-1234", "country": "u.s."}, {"postal_code": "02134", "country": "US"}),
    ({"state": "California"}, {"state": "CA"}),
    ({"state": " calif. "}, {"state": "CA"}),
    ({"state": "ca", "country": "USA"}, {"state": "CA", "country": "US"}),
    ({"county_fips": "6075"}, {"county_fips": "06075"}),
    ({"county_fips": " 06075 ", "state": "  "}, {"county_fips": "06075", "state": ""}),
    # abroad: the code and the state stay as typed
    ({"postal_code": " 2134 ", "country": "Portugal"}, {"postal_code": "2134", "country": "PT"}),
    ({"state": "California", "country": "canada"}, {"state": "California", "country": "CA"}),
]
TEXT_COLUMNS = ("postal_code", "state", "country", "county_fips")


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"id": f"L{i}", **{c: row.get(c) for c in TEXT_COLUMNS}} for i, row in enumerate(rows)],
        schema={"id": pl.String, **dict.fromkeys(TEXT_COLUMNS, pl.String)},
    )


def _routed(rows: list[dict[str, Any]], **options: Any) -> list[str | None]:
    return [route({"id": f"L{i}", **r}, RULES, **options).territory_id for i, r in enumerate(rows)]


def test_a_raw_table_assigns_as_route_routes_each_row_and_as_its_clean_rows() -> None:
    raw = [r for r, _ in RAW_AND_CLEAN]
    clean = [c for _, c in RAW_AND_CLEAN]
    expected = _routed(raw)
    assert expected == _routed(clean) == [
        *["boston"] * 6, "west", "west", "west", "sf", "sf", "pool", "pool"
    ]  # fmt: skip
    assert assign_batch(_frame(raw), RULES)["territory_id"].to_list() == expected
    assert assign_batch(_frame(clean), RULES)["territory_id"].to_list() == expected
    # records (not a frame) too
    records = [{"id": f"L{i}", **r} for i, r in enumerate(raw)]
    assert assign_batch(records, RULES)["territory_id"].to_list() == expected


def test_codes_sent_as_numbers_assign_as_route_routes_them() -> None:
    # a spreadsheet's or a JSON client's numeric columns: a lost zero, a ZIP+4 without its dash
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "postal_code": [2134, 941071234, None],
            "county_fips": [None, None, 6075],
            "country": [None, "USA", None],
        }
    )
    expected = _routed(frame.drop("id").to_dicts())
    assert expected == ["boston", "pool", "sf"]  # 94107: no rule
    assert assign_batch(frame, RULES)["territory_id"].to_list() == expected
    floats = frame.with_columns(pl.col("postal_code", "county_fips").cast(pl.Float64))
    assert assign_batch(floats, RULES)["territory_id"].to_list() == expected


def test_a_table_compared_as_given_when_asked() -> None:
    # as compiled SQL reads a warehouse table: the raw spellings miss the state and ZIP rules
    raw = [r for r, _ in RAW_AND_CLEAN]
    given = _routed(raw, normalize=False)
    assert given.count("pool") > 2
    assert assign_batch(_frame(raw), RULES, normalize=False)["territory_id"].to_list() == given


def _spelling(examples: list[str]) -> st.SearchStrategy[str | None]:
    """A value as typed: a known spelling with stray case and spaces, or any short text."""
    typed = st.builds(
        lambda text, upper, left, right: left + (text.upper() if upper else text) + right,
        st.sampled_from(examples),
        st.booleans(),
        st.sampled_from(["", " ", "\t"]),
        st.sampled_from(["", " ", "  "]),
    )
    return st.none() | typed | st.text(alphabet=" .,-_0123456789abcusUSA", max_size=11)


RAW_ROWS = st.fixed_dictionaries(
    {
        "country": _spelling(["US", "usa", "U.S.", "United States", "Puerto Rico", "Canada", "PT", ""]),
        "state": _spelling(["CA", "California", "calif.", "N.Y.", "new  york", "Ontario", ""]),
        "postal_code": _spelling(["02134", "2134", "02134-1234", "021341234", "2134.0", "M5V 2T6", "21341234"]),
        "county_fips": _spelling(["06075", "6075", "123", "ABCDE", ""]),
    }
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(RAW_ROWS, min_size=1, max_size=8))
def test_a_table_reads_each_row_as_route_reads_a_record(rows: list[dict[str, Any]]) -> None:
    # the column expressions (imports, assign_batch) and the one-record reading (route) agree
    frame = pl.DataFrame(rows, schema=dict.fromkeys(TEXT_COLUMNS, pl.String))
    read = read_places(frame).to_dicts()
    assert read == [{c: normalize_values(row).get(c) for c in TEXT_COLUMNS} for row in rows]


#: Portuguese 4-digit postal codes beside a US ZIP rule: a code sent as a number abroad is its
#: digits (2134), not the US ZIP 02134 it was padded to.
ABROAD = parse_rule_set(
    {
        "territories": [
            {"id": "lisbon", "name": "Lisbon"},
            {"id": "boston", "name": "Boston"},
            {"id": "pool", "name": "Pool", "type": "catch_all"},
        ],
        "catch_all": "pool",
        "rules": [
            {"id": "pt", "territory": "lisbon", "when": {"field": "postal_code", "op": "in", "value": ["2134"]}},
            {"id": "us", "territory": "boston", "when": {"field": "postal_code", "op": "in", "value": ["02134"]}},
        ],
    }
)  # fmt: skip


@pytest.mark.parametrize(
    ("record", "territory"),
    [
        ({"postal_code": 2134, "country": "PT"}, "lisbon"),
        ({"postal_code": 2134.0, "country": "Portugal"}, "lisbon"),
        ({"postal_code": "2134", "country": "PT"}, "lisbon"),
        ({"postal_code": 2134, "country": "US"}, "boston"),
        ({"postal_code": 2134}, "boston"),  # no country: a US ZIP, as imports read it
    ],
)
def test_a_postal_code_abroad_sent_as_a_number_is_not_padded_as_a_zip(
    record: dict[str, Any], territory: str
) -> None:
    assert route({"id": "L", **record}, ABROAD).territory_id == territory
    frame = pl.DataFrame([{"id": "L", "country": None, **record}])
    (assigned,) = assign_batch(frame, ABROAD)["territory_id"].to_list()
    assert assigned == territory
