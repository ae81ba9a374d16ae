"""Property: compiled SQL (DuckDB, PostgreSQL) == Polars batch == in-process route."""

from __future__ import annotations

from typing import Any

import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_strategies import NUMBERS, POINTS, TEXT_VOCAB, records, rule_sets
from rules_helpers import by_batch, by_duckdb, by_postgres, by_route

from terraplan.errors import InvalidParameterError
from terraplan.rules import DIALECTS, RuleSet, compile_sql, parse_rule_set

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rule_set=rule_sets(), data=records())
def test_duckdb_sql_and_batch_equal_route(rule_set: RuleSet, data: list[dict[str, Any]]) -> None:
    expected = by_route(rule_set, data)
    assert by_batch(rule_set, data) == expected
    assert by_duckdb(rule_set, data) == expected


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rule_set=rule_sets(), data=records())
def test_postgres_sql_equals_route(
    pg_conn: Any, rule_set: RuleSet, data: list[dict[str, Any]]
) -> None:
    assert by_postgres(pg_conn, rule_set, data) == by_route(rule_set, data)


@settings(max_examples=15, deadline=None)
@given(rule_set=rule_sets())
def test_every_dialect_parses_back(rule_set: RuleSet) -> None:
    for dialect in DIALECTS:
        sql = compile_sql(rule_set, dialect, table="crm.accounts")
        parsed = sqlglot.parse_one(sql, read=dialect)
        assert parsed.find(sqlglot.exp.Select) is not None
        assert "crm" in sql


def test_unknown_dialect_is_rejected() -> None:
    rs = parse_rule_set({"territories": [{"id": "t"}], "rules": [{"id": "r", "territory": "t"}]})
    try:
        compile_sql(rs, "oracle")
    except InvalidParameterError as exc:
        assert exc.details["parameter"] == "dialect"
    else:
        raise AssertionError("oracle should be rejected")


def test_rule_set_without_rules_compiles_to_all_gaps() -> None:
    rs = parse_rule_set({"territories": [{"id": "pool", "type": "catch_all"}], "catch_all": "pool"})
    got = by_duckdb(rs, [{"id": "a"}])
    assert got == by_route(rs, [{"id": "a"}]) == [("a", "pool", None, False, True, "")]


def _table_from_seed(seed: int, n: int) -> list[dict[str, Any]]:
    """``n`` records with many repeated values (exercises the dictionary/inverted-index path)."""
    import numpy as np

    rng = np.random.default_rng(seed)

    def pick(values: list[Any]) -> Any:
        options = [None, *values]
        return options[int(rng.integers(0, len(options)))]

    out = []
    for i in range(n):
        point = pick(POINTS)
        out.append(
            {
                "id": f"id{i}",
                **{f: pick(v) for f, v in TEXT_VOCAB.items()},
                "employees": pick(NUMBERS),
                "annual_revenue": pick([float(x) for x in NUMBERS]),
                "attr_score": pick([0.0, 50.0, 99.9]),
                "latitude": point[0] if point else None,
                "longitude": point[1] if point else None,
            }
        )
    return out


@settings(max_examples=25, deadline=None)
@given(rule_set=rule_sets(), seed=st.integers(0, 2**32 - 1))
def test_batch_equals_route_on_larger_tables(rule_set: RuleSet, seed: int) -> None:
    data = _table_from_seed(seed, 150)
    assert by_batch(rule_set, data) == by_route(rule_set, data)
