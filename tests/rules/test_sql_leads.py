"""Compiled SQL on a leads table as ``terraplan export leads`` writes it: the company is the
column ``company`` (``--records leads``), and the query gives each lead the territory
``route`` gives it, on DuckDB and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.conftest import TerraplanCli

from terraplan.rules import compile_sql, parse_rule_set, route

RULES = {
    "catch_all": "pool",
    "territories": [
        {"id": "key", "name": "Key", "type": "named"},
        {"id": "ent", "name": "Enterprise", "type": "segment"},
        {"id": "tech", "name": "Tech", "type": "vertical"},
        {"id": "nyc", "name": "NYC", "type": "geo"},
        {"id": "west", "name": "West", "type": "geo"},
        {"id": "pool", "name": "Pool", "type": "catch_all"},
    ],
    "rules": [
        {"id": "key", "territory": "key", "when": {"any": [
            {"field": "company", "op": "in", "value": ["Acme Corporation", "Société Générale"]},
            {"field": "email", "op": "ends_with", "value": "@initech.com"}]}},
        {"id": "ent", "territory": "ent", "when": {"field": "employees", "op": "ge", "value": 1000}},
        {"id": "tech", "territory": "tech", "when": {"field": "industry", "op": "in", "value": ["Software"]}},
        {"id": "nyc", "territory": "nyc", "when": {"field": "postal_code", "op": "between", "value": ["10001", "10299"]}},
        {"id": "west", "territory": "west", "when": {"field": "state", "op": "in", "value": ["CA", "WA"]}},
    ],
}  # fmt: skip
#: The columns of ``terraplan export leads``, in its order.
LEAD_COLUMNS = (
    "id", "company", "postal_code", "country", "state", "city", "latitude", "longitude",
    "industry", "employees", "annual_revenue", "source", "email", "created_date",
    "converted_opportunity_id",
)  # fmt: skip
LEADS: list[dict[str, Any]] = [
    {"id": "L1", "company": "ACME CORPORATION", "postal_code": "60601", "country": "US", "state": "IL"},
    {"id": "L2", "company": "Société Générale", "postal_code": "10117", "country": "DE"},
    {"id": "L3", "company": "X", "email": "bob@initech.com", "postal_code": "94107", "country": "US", "state": "CA"},
    {"id": "L4", "company": "Y", "employees": 5000, "postal_code": "10001", "country": "US", "state": "NY"},
    {"id": "L5", "company": "Z", "industry": "software", "postal_code": "98101", "country": "US", "state": "WA"},
    {"id": "L6", "company": "W", "postal_code": "10117", "country": "Germany", "state": "BE"},
    {"id": "L7", "company": "V", "postal_code": "10117", "country": "US", "state": "NY"},
]  # fmt: skip
EXPECTED = ["key", "key", "key", "ent", "tech", "pool", "nyc"]


def _routed() -> list[str | None]:
    rule_set = parse_rule_set(RULES)
    return [route(lead, rule_set, normalize=False).territory_id for lead in LEADS]


def test_duckdb_reads_the_leads_export_columns() -> None:
    rule_set = parse_rule_set(RULES)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE leads ("
        + ", ".join(
            f"{c} {'DOUBLE' if c in ('latitude', 'longitude', 'annual_revenue') else 'BIGINT' if c == 'employees' else 'VARCHAR'}"
            for c in LEAD_COLUMNS
        )
        + ")"
    )
    for lead in LEADS:
        con.execute(
            f"INSERT INTO leads VALUES ({', '.join('?' * len(LEAD_COLUMNS))})",
            [lead.get(c) for c in LEAD_COLUMNS],
        )
    sql = compile_sql(rule_set, "duckdb", "leads", records="leads")
    rows = {r[0]: r[1] for r in con.execute(sql).fetchall()}
    assert [rows[lead["id"]] for lead in LEADS] == _routed() == EXPECTED
    # an accounts query on it names the column it misses, loudly
    with pytest.raises(duckdb.BinderException, match='"name"'):
        con.execute(compile_sql(rule_set, "duckdb", "leads"))


def test_postgres_reads_the_leads_export_columns(pg_conn: Any) -> None:
    rule_set = parse_rule_set(RULES)
    kinds = {"latitude": "float8", "longitude": "float8", "annual_revenue": "float8"}
    kinds["employees"] = "bigint"
    with pg_conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS leads")
        cur.execute(
            "CREATE TEMP TABLE leads ("
            + ", ".join(f"{c} {kinds.get(c, 'text')}" for c in LEAD_COLUMNS)
            + ")"
        )
        cur.executemany(
            f"INSERT INTO leads VALUES ({', '.join(['%s'] * len(LEAD_COLUMNS))})",
            [tuple(lead.get(c) for c in LEAD_COLUMNS) for lead in LEADS],
        )
        cur.execute(compile_sql(rule_set, "postgres", "leads", records="leads"))
        rows = {r[0]: r[1] for r in cur.fetchall()}
    pg_conn.rollback()
    assert [rows[lead["id"]] for lead in LEADS] == EXPECTED


def test_the_readme_path_runs(terraplan_cli: TerraplanCli, tmp_path: Path) -> None:
    """import leads -> export leads -> rules compile --records leads -> DuckDB."""
    run_cli = terraplan_cli
    (tmp_path / "rules.json").write_text(json.dumps(RULES), encoding="utf-8")
    with (tmp_path / "in.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["id", "company", "postal_code", "country", "state", "industry", "employees", "email"])  # fmt: skip
        writer.writeheader()
        for lead in LEADS:
            writer.writerow({k: v for k, v in lead.items() if k in writer.fieldnames})
    assert run_cli("init").returncode == 0
    imported = run_cli("import", "leads", "in.csv")
    assert imported.returncode == 0, imported.stderr
    assert run_cli("export", "leads", "leads.csv").returncode == 0
    compiled = run_cli(
        "rules", "compile", "--file", "rules.json", "--dialect", "duckdb", "--records", "leads"
    )
    assert compiled.returncode == 0, compiled.stderr
    con = duckdb.connect()
    # the README's statement: the postal code read as text (06600 keeps its zero)
    csv_file = tmp_path / "leads.csv"
    con.execute(
        f"CREATE TABLE leads AS SELECT * FROM read_csv('{csv_file}', "
        "types = {'postal_code': 'VARCHAR'})"
    )
    rows = {r[0]: r[1] for r in con.execute(compiled.stdout).fetchall()}
    assert [rows[lead["id"]] for lead in LEADS] == EXPECTED
