"""``terraplan kpis`` with a warehouse: write the inputs, run in place, print the SQL."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from terraplan.storage import migrate
from terraplan.storage.database import Database


def _demo_module() -> Any:
    path = Path(__file__).parents[1] / "services" / "warehouse_demo.py"
    if "warehouse_demo" not in sys.modules:
        spec = importlib.util.spec_from_file_location("warehouse_demo", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["warehouse_demo"] = module
        spec.loader.exec_module(module)
    return sys.modules["warehouse_demo"]


def _demo_database(tmp_path: Path) -> None:
    """The warehouse demo's plan PW (300 accounts) in ``tmp_path/cli.db``, the CLI's database."""
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    _demo_module().demo_plan(db, n_accounts=300, seed=5)
    db.dispose()


def test_write_tables_then_duckdb_gives_the_in_process_table(run_cli: Any, tmp_path: Path) -> None:
    _demo_database(tmp_path)
    folder = tmp_path / "warehouse"

    wrote = run_cli("kpis", "--plan", "PW", "--write-tables", str(folder))
    assert wrote.returncode == 0, wrote.stderr
    assert (folder / "sales_lines.parquet").is_file()
    assert (folder / "alignment.parquet").is_file()

    args = ("kpis", "--plan", "PW", "--by", "region", "--period", "quarter", "-f", "json")
    local = run_cli(*args)
    remote = run_cli(*args, "--engine", "duckdb", "--source", str(folder))
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stderr
    want, got = json.loads(local.stdout), json.loads(remote.stdout)
    assert len(want) == len(got) > 4
    for a, b in zip(want, got, strict=True):
        assert a.keys() == b.keys()
        for name, value in a.items():
            other = b[name]
            if isinstance(value, float) and isinstance(other, float):
                assert math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-6), name
            else:
                assert value == other, name
    # counts are integers on both paths (12 accounts, not 12.0)
    COUNT_KPIS = ("new_customers", "account_count", "inactive_accounts")  # unit "count"
    for rows in (want, got):
        assert all(type(row[name]) is int for row in rows for name in COUNT_KPIS)

    table = run_cli(
        "kpis", "--plan", "PW", "--by", "region", "--engine", "duckdb", "--source", str(folder)
    )
    assert table.returncode == 0, table.stderr
    assert "duckdb, as of" in table.stdout
    assert "R-" not in table.stdout  # names, not ids
    # growth left empty before the sales history is explained as in-process, with its first day
    years = ("kpis", "--plan", "PW", "--by", "region", "--period", "year")
    local_years = run_cli(*years)
    remote_years = run_cli(*years, "--engine", "duckdb", "--source", str(folder))
    said = " ".join(local_years.stdout.split())
    assert "the sales history starts on 2" in said
    note = said[said.index("growth is empty") :].split(" is unknown.")[0]
    assert note in " ".join(remote_years.stdout.split())
    # by rep as a table too (it stopped on a missing crediting note), the same figures
    by_rep = ("kpis", "--plan", "PW", "--by", "rep", "--period", "quarter")
    shown = run_cli(*by_rep, "--engine", "duckdb", "--source", str(folder))
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr and "duckdb, as of" in shown.stdout
    local_rep = json.loads(run_cli(*by_rep, "-f", "json").stdout)
    remote_rep = json.loads(
        run_cli(*by_rep, "-f", "json", "--engine", "duckdb", "--source", str(folder)).stdout
    )
    assert {r["key"]: r["revenue"] for r in local_rep} == pytest.approx(
        {r["key"]: r["revenue"] for r in remote_rep}
    )
    # reps by name in both (the engine's rows had no name column)
    assert [(r["key"], r["name"]) for r in remote_rep] == [(r["key"], r["name"]) for r in local_rep]

    # The printed query covers every quarter `kpis` shows (it printed the as-of one only).
    import duckdb

    day = "2025-12-31"
    quarters = ("kpis", "--plan", "PW", "--by", "region", "--period", "quarter", "--as-of", day)
    listed = {r["period"] for r in json.loads(run_cli(*quarters, "-f", "json").stdout)}
    printed = run_cli(*quarters, "--sql", "duckdb")
    assert printed.returncode == 0, printed.stderr
    connection = duckdb.connect()
    for path in folder.glob("*.parquet"):
        connection.execute(f"CREATE VIEW {path.stem} AS SELECT * FROM read_parquet('{path}')")
    rows = connection.execute(printed.stdout.strip().rstrip(";")).fetchall()
    assert {row[2] for row in rows} == listed and len(listed) > 1
    since = run_cli(*quarters, "--sql", "duckdb", "--since", day)
    assert len(connection.execute(since.stdout.strip().rstrip(";")).fetchall()) < len(rows)


def test_sql_for_scheduling_and_errors(run_cli: Any, tmp_path: Path) -> None:
    printed = run_cli(
        "kpis", "--plan", "P", "--sql", "snowflake", "--as-of", "2026-06-30",
        "--table", "sales_lines=ANALYTICS.SALES",
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    query = sqlglot.parse_one(printed.stdout.strip().rstrip(";"), read="snowflake")
    assert "ANALYTICS.SALES" in query.sql(dialect="snowflake")

    missing = run_cli("kpis", "--plan", "P", "--engine", "duckdb")
    assert missing.returncode != 0
    assert "Error: --engine needs --source" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = run_cli("kpis", "--plan", "P", "--sql", "duckdb", "--table", "sales_lines")
    assert bad.returncode != 0 and "INPUT=TABLE" in bad.stderr


def test_sql_and_tables_replace_a_link_never_its_target(run_cli: Any, tmp_path: Path) -> None:
    """``--out`` and ``--write-tables`` with ``--force`` replace a symbolic link at the path
    with their file; the file the link pointed to stays as it was."""
    _demo_database(tmp_path)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me", encoding="utf-8")
    out = tmp_path / "kpis.sql"
    out.symlink_to(precious)
    wrote = run_cli("kpis", "--plan", "PW", "--sql", "duckdb", "--out", str(out), "--force")
    assert wrote.returncode == 0, wrote.stderr
    assert not out.is_symlink() and out.read_text(encoding="utf-8").rstrip().endswith(";")
    folder = tmp_path / "warehouse"
    folder.mkdir()
    (folder / "sales_lines.parquet").symlink_to(precious)
    tables = run_cli("kpis", "--plan", "PW", "--write-tables", str(folder), "--force")
    assert tables.returncode == 0, tables.stderr
    assert not (folder / "sales_lines.parquet").is_symlink()
    assert precious.read_text(encoding="utf-8") == "keep me"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left
