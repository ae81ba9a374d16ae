"""One reading of a record in every channel (route, the Polars batch, DuckDB and PostgreSQL
SQL): a record abroad has no US ZIP, county or state; every Unicode whitespace reads as
whitespace; case folds one character at a time (``İ`` is ``i``), also on a PostgreSQL column
in the "C" collation."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_helpers import SCHEMA, by_batch, by_duckdb, by_postgres, by_route

from terraplan.rules import assign_batch, compile_sql, parse_rule_set, route
from terraplan.rules.fields import WHITESPACE, fold_case, squeeze

GEO = parse_rule_set(
    {
        "territories": [
            {"id": "nyc", "name": "New York City", "type": "geo"},
            {"id": "ne", "name": "Northeast", "type": "geo"},
            {"id": "west", "name": "West", "type": "geo"},
            {"id": "denver", "name": "Denver", "type": "geo"},
            {"id": "key", "name": "Key Accounts", "type": "named"},
            {"id": "tech", "name": "Tech", "type": "vertical"},
            {"id": "berlin", "name": "Berlin area", "type": "geo"},
            {"id": "pool", "name": "Unassigned", "type": "catch_all"},
        ],
        "catch_all": "pool",
        "rules": [
            {"id": "nyc", "territory": "nyc", "when": {"field": "postal_code", "op": "between", "value": ["10001", "10299"]}},
            {"id": "ne", "territory": "ne", "order": 1, "when": {"field": "postal_code", "op": "between", "value": ["01000", "08999"]}},
            {"id": "west", "territory": "west", "order": 1, "when": {"field": "state", "op": "in", "value": ["CA", "OR", "WA"]}},
            {"id": "denver", "territory": "denver", "when": {"field": "county_fips", "op": "in", "value": ["08031"]}},
            {"id": "key", "territory": "key", "when": {"field": "name", "op": "in", "value": ["Société Générale Énergie", "Acme Corporation"]}},
            {"id": "tech", "territory": "tech", "when": {"field": "industry", "op": "in", "value": ["internet", "Software"]}},
            {"id": "area", "territory": "berlin", "order": 2, "when": {"field": "postal_code", "op": "in", "value": ["10115"]}},
        ],
    }
)  # fmt: skip

ABROAD = [
    {"id": "berlin", "name": "Berlin GmbH", "postal_code": "10117", "country": "Germany"},
    {"id": "bcn", "name": "Barcelona SL", "postal_code": "08001", "country": "ES"},
    {"id": "mx", "name": "Mexico SA", "postal_code": "06600", "country": "Mexico"},
    {"id": "perth", "name": "Perth Pty", "state": "WA", "country": "AU"},
    {"id": "typed", "name": "Typo Ltd", "county_fips": "08031", "country": "DE"},
]


def _table_outcome(rows: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(r[0], r[1]) for r in by_duckdb(GEO, rows)]


@pytest.mark.parametrize("record", ABROAD, ids=[r["id"] for r in ABROAD])
def test_a_record_abroad_is_placed_by_no_zip_county_or_state_rule(record: dict[str, Any]) -> None:
    result = route(record, GEO)
    assert (result.territory_id, result.gap) == ("pool", True)
    assert "outside the US" in result.explanation
    assert "ZIP ranges, county and state rules place US records only" in result.explanation
    # the table channels read it the same
    batch = assign_batch(pl.DataFrame([record]), GEO)
    assert batch["territory_id"].to_list() == ["pool"]
    assert by_duckdb(GEO, [record]) == by_route(GEO, [record])


def test_the_same_codes_in_the_us_are_placed() -> None:
    for record, territory in (
        ({"id": "a", "postal_code": "10117"}, "nyc"),
        ({"id": "b", "postal_code": "08001", "country": "US"}, "ne"),
        ({"id": "c", "state": "WA", "country": "USA"}, "west"),
        ({"id": "d", "county_fips": "08031", "country": "United States"}, "denver"),
    ):
        assert route(record, GEO).territory_id == territory
        assert by_duckdb(GEO, [record])[0][1] == territory


def test_a_postal_code_list_still_names_a_code_abroad() -> None:
    # a custom area is named by its postal code as written, whatever the country
    record = {"id": "x", "postal_code": "10115", "country": "DE"}
    assert route(record, GEO).territory_id == "berlin"
    assert by_duckdb(GEO, [record])[0][1] == "berlin"


def test_postgres_reads_a_record_abroad_as_route_does(pg_conn: Any) -> None:
    rows = [*ABROAD, {"id": "us", "postal_code": "10117", "country": "us"}]
    assert by_postgres(pg_conn, GEO, rows) == by_route(GEO, rows)


# -- whitespace ---------------------------------------------------------------------------------
def test_every_unicode_whitespace_squeezes() -> None:
    assert squeeze(f"{WHITESPACE}Health{WHITESPACE}Care{WHITESPACE}") == "Health Care"
    # what an import trims (Polars' strip_chars: Unicode White_Space) is what rules squeeze
    trimmed = pl.Series([f"{WHITESPACE}x{WHITESPACE}"]).str.strip_chars().to_list()
    assert trimmed == ["x"]
    assert "\x1c" not in WHITESPACE  # Python's str.strip() trims it; an import does not


@pytest.mark.parametrize(
    ("record", "territory"),
    [
        ({"name": "Acme Corporation\u00a0", "postal_code": "60601"}, "key"),
        ({"name": "X", "industry": "Software\u00a0", "postal_code": "94107"}, "tech"),
        ({"name": "X", "industry": "\u2007Software\u3000"}, "tech"),
        ({"name": "Acme\u00a0Corporation", "country": "US\u00a0"}, "key"),
    ],
)
def test_a_no_break_space_at_an_edge_does_not_lose_a_match(
    record: dict[str, Any], territory: str
) -> None:
    row = {"id": "x", **record}
    assert route(row, GEO).territory_id == territory
    assert route(row, GEO, normalize=False).territory_id == territory
    assert assign_batch(pl.DataFrame([row]), GEO)["territory_id"].to_list() == [territory]
    assert by_duckdb(GEO, [row])[0][1] == territory


_SPACES = st.text(alphabet=WHITESPACE, max_size=3)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["Acme Corporation", "Société Générale Énergie", "Other"]),
    industry=st.sampled_from(["Software", "internet", "Retail", None]),
    code=st.sampled_from(["10117", "08001", "94107", None]),
    country=st.sampled_from([None, "US", "Germany"]),
    pads=st.tuples(_SPACES, _SPACES, _SPACES, _SPACES),
)
def test_routing_a_lead_equals_routing_it_with_outer_whitespace(
    name: str,
    industry: str | None,
    code: str | None,
    country: str | None,
    pads: tuple[str, str, str, str],
) -> None:
    clean = {"id": "x", "name": name, "industry": industry, "postal_code": code}
    if country is not None:
        clean["country"] = country
    padded = {
        **clean,
        "name": pads[0] + name + pads[1],
        "industry": None if industry is None else pads[2] + industry + pads[3],
    }
    expected = route(clean, GEO)
    got = route(padded, GEO)
    assert (got.territory_id, got.rule_id, got.gap) == (
        expected.territory_id,
        expected.rule_id,
        expected.gap,
    )
    batch = assign_batch(pl.DataFrame([padded, clean]), GEO)
    assert batch["territory_id"].to_list() == [expected.territory_id] * 2


# -- case folding --------------------------------------------------------------------------------
def test_case_folds_one_character_at_a_time() -> None:
    assert fold_case("İnternet") == "internet"
    assert fold_case("ΟΔΟΣ") == fold_case("οδος") == "οδοσ"
    assert fold_case("SOCIÉTÉ") == "société"


@pytest.mark.parametrize(
    ("record", "territory"),
    [
        ({"name": "X", "industry": "İnternet"}, "tech"),
        ({"name": "SOCIÉTÉ GÉNÉRALE ÉNERGIE"}, "key"),
        ({"name": "Société Générale Énergie"}, "key"),
    ],
)
def test_case_folding_agrees_in_every_channel(
    pg_conn: Any, record: dict[str, Any], territory: str
) -> None:
    row = {"id": "x", "postal_code": "60601", **record}
    assert route(row, GEO).territory_id == territory
    assert by_batch(GEO, [row]) == by_route(GEO, [row])
    assert by_duckdb(GEO, [row])[0][1] == territory
    assert by_postgres(pg_conn, GEO, [row])[0][1] == territory


def _by_postgres_c_collation(conn: Any, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The compiled query on a table whose text columns are in the "C" collation (a
    warehouse created with LC_CTYPE=C), where LOWER('É') is 'É'."""
    kinds = {pl.Utf8: 'text COLLATE "C"', pl.Float64: "double precision", pl.Int64: "bigint"}
    columns = ", ".join(f'"{k}" {kinds[v]}' for k, v in SCHEMA.items())
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS accounts")
        cur.execute(f"CREATE TEMP TABLE accounts ({columns})")
        cur.execute("SELECT LOWER('É' COLLATE \"C\")")
        assert cur.fetchone() == ("É",)  # the trap the query must not fall into
        cur.executemany(
            f"INSERT INTO accounts VALUES ({', '.join(['%s'] * len(SCHEMA))})",
            [tuple(r.get(k) for k in SCHEMA) for r in rows],
        )
        cur.execute(compile_sql(GEO, "postgres"))
        found = {r[0]: r[1] for r in cur.fetchall()}
    conn.rollback()
    return [(r["id"], found[r["id"]]) for r in rows]


def test_postgres_folds_accents_on_a_c_collation_column(pg_conn: Any) -> None:
    rows = [
        {"id": "upper", "name": "SOCIÉTÉ GÉNÉRALE ÉNERGIE", "postal_code": "60601"},
        {"id": "exact", "name": "Société Générale Énergie", "postal_code": "60601"},
        {"id": "dotted", "name": "X", "industry": "İNTERNET", "postal_code": "60601"},
        {"id": "berlin", "name": "X", "postal_code": "10117", "country": "DE"},
    ]
    assert _by_postgres_c_collation(pg_conn, rows) == [(r[0], r[1]) for r in by_route(GEO, rows)]
    assert [t for _, t in _by_postgres_c_collation(pg_conn, rows)] == [
        "key",
        "key",
        "tech",
        "pool",
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    state=st.sampled_from(["WA", "CA", "ny", None]),
    code=st.sampled_from(["10117", "08001", "06600", "94107", "10115", None]),
    county=st.sampled_from(["08031", None]),
    country=st.sampled_from(["DE", "Germany", "ES", "MX", "AU", "Canada"]),
)
def test_a_lead_abroad_never_matches_a_zip_county_or_state_rule(
    pg_conn: Any, state: str | None, code: str | None, county: str | None, country: str
) -> None:
    row = {"id": "x", "name": "Nobody", "state": state, "postal_code": code}
    row |= {"county_fips": county, "country": country}
    expected = "berlin" if code == "10115" else "pool"
    assert route(row, GEO).territory_id == expected
    assert by_route(GEO, [row]) == by_batch(GEO, [row]) == by_duckdb(GEO, [row])
    assert by_postgres(pg_conn, GEO, [row]) == by_route(GEO, [row])


# -- composed accents ------------------------------------------------------------------------------
def test_a_name_typed_with_decomposed_accents_routes_as_the_stored_one() -> None:
    """A web form or a Mac's clipboard sends "Société" as "Socie\u0301te\u0301" (NFD): typed in, it
    reads as the composed name an import stores (NFC), so it keeps its named account."""
    import unicodedata

    typed = unicodedata.normalize("NFD", "Société Générale Énergie")
    assert typed != "Société Générale Énergie"
    assert route({"id": "x", "name": typed}, GEO).territory_id == "key"


def test_a_rule_file_saved_with_decomposed_accents_names_the_stored_account() -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Société Générale Énergie")
    rules = parse_rule_set(
        {
            "territories": [
                {"id": "key", "name": "Key Accounts", "type": "named"},
                {"id": "pool", "name": "Unassigned", "type": "catch_all"},
            ],
            "catch_all": "pool",
            "rules": [
                {"id": "k", "territory": "key",
                 "when": {"field": "name", "op": "equals", "value": decomposed}},
            ],
        }
    )  # fmt: skip
    row = {"id": "x", "name": "Société Générale Énergie"}  # as an import stores it
    assert route(row, rules).territory_id == "key"
    assert assign_batch(pl.DataFrame([row]), rules)["territory_id"].to_list() == ["key"]
    assert by_duckdb(rules, [row])[0][1] == "key"


def test_an_import_stores_text_with_composed_accents(tmp_path: Any) -> None:
    import unicodedata

    from terraplan.io import iter_records, load_file

    name = unicodedata.normalize("NFD", "Société Générale Énergie")
    path = tmp_path / "Account.csv"
    path.write_text(f"Id,Name,BillingState\nA1,{name},NY\n", encoding="utf-8")
    (record,) = iter_records(load_file(path, "accounts", known_ids={}).frame)
    assert record["name"] == "Société Générale Énergie"
