"""Helpers for the rules tests: a canonical table schema and the evaluation paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import polars as pl

from terraplan.rules import RuleSet, assign_batch, compile_sql, route

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

SCHEMA: dict[str, Any] = {
    "id": pl.Utf8,
    "name": pl.Utf8,
    "city": pl.Utf8,
    "state": pl.Utf8,
    "postal_code": pl.Utf8,
    "country": pl.Utf8,
    "county_fips": pl.Utf8,
    "industry": pl.Utf8,
    "segment": pl.Utf8,
    "customer_type": pl.Utf8,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "employees": pl.Int64,
    "annual_revenue": pl.Float64,
    "potential": pl.Float64,
    "attr_tier": pl.Utf8,
    "attr_score": pl.Float64,
}

Outcome = tuple[str, str | None, str | None, bool, bool, str]


def table(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """A frame with every canonical column (missing values NULL)."""
    rows = [{k: r.get(k) for k in SCHEMA} for r in records]
    return pl.DataFrame(rows, schema=SCHEMA)


def by_route(rule_set: RuleSet, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    out = []
    for r in records:
        res = route(r, rule_set, normalize=False)  # values as given, as SQL reads a table
        overlays = ";".join(o.territory_id for o in res.overlays)
        out.append((r["id"], res.territory_id, res.rule_id, res.conflict, res.gap, overlays))
    return out


def by_batch(rule_set: RuleSet, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    result = assign_batch(table(records), rule_set, normalize=False)  # as SQL reads a table
    return [
        (
            row["id"],
            row["territory_id"],
            row["rule_id"],
            row["conflict"],
            row["gap"],
            ";".join(row["overlays"]),
        )
        for row in result.iter_rows(named=True)
    ]


def by_duckdb(rule_set: RuleSet, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    con = duckdb.connect()
    try:
        con.register("accounts", table(records).to_arrow())
        rows = con.sql(compile_sql(rule_set, "duckdb")).fetchall()
    finally:
        con.close()
    by_id = {r[0]: (r[0], r[1], r[2], bool(r[4]), bool(r[5]), r[6]) for r in rows}
    assert len(by_id) == len(rows) == len(records)
    return [by_id[r["id"]] for r in records]


def by_postgres(
    conn: Any, rule_set: RuleSet, records: Sequence[Mapping[str, Any]]
) -> list[Outcome]:
    pg_types = {pl.Utf8: "text", pl.Float64: "double precision", pl.Int64: "bigint"}
    columns = ", ".join(f'"{k}" {pg_types[v]}' for k, v in SCHEMA.items())
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS accounts")
        cur.execute(f"CREATE TEMP TABLE accounts ({columns})")
        placeholders = ", ".join(["%s"] * len(SCHEMA))
        cur.executemany(
            f"INSERT INTO accounts VALUES ({placeholders})",
            [tuple(r.get(k) for k in SCHEMA) for r in records],
        )
        cur.execute(compile_sql(rule_set, "postgres"))
        rows = cur.fetchall()
    conn.rollback()
    by_id = {r[0]: (r[0], r[1], r[2], bool(r[4]), bool(r[5]), r[6]) for r in rows}
    assert len(by_id) == len(rows) == len(records)
    return [by_id[r["id"]] for r in records]


def assert_same(rule_set: RuleSet, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    """Route, Polars batch and DuckDB SQL agree; returns the common outcome."""
    expected = by_route(rule_set, records)
    assert by_batch(rule_set, records) == expected
    assert by_duckdb(rule_set, records) == expected
    return expected
