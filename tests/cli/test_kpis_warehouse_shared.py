"""``terraplan kpis`` by rep on a plan with a territory several primary reps share: the
warehouse (``--write-tables`` then ``--engine duckdb``) gives the in-process table."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

import polars as pl

from terraplan.storage import migrate
from terraplan.storage.database import Database


def _demo_module() -> Any:
    """tests/services/warehouse_demo.py (the warehouse tests' demo plan)."""
    path = Path(__file__).parents[1] / "services" / "warehouse_demo.py"
    if "warehouse_demo" not in sys.modules:
        spec = importlib.util.spec_from_file_location("warehouse_demo", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["warehouse_demo"] = module
        spec.loader.exec_module(module)
    return sys.modules["warehouse_demo"]


def test_by_rep_a_shared_territory_counts_the_same_in_the_warehouse(
    run_cli: Any, tmp_path: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    _demo_module().demo_plan(db, n_accounts=300, seed=5, shared=True)
    db.dispose()
    folder = tmp_path / "warehouse"
    wrote = run_cli("kpis", "--plan", "PW", "--write-tables", str(folder))
    assert wrote.returncode == 0, wrote.stderr
    shared = pl.read_parquet(folder / "shared_owners.parquet")
    assert shared.height == 3 and shared["rep_order"].to_list() == [0, 1, 2]

    for period in ("quarter", "year"):
        args = ("kpis", "--plan", "PW", "--by", "rep", "--period", period, "-f", "json")
        local = run_cli(*args)
        remote = run_cli(*args, "--engine", "duckdb", "--source", str(folder))
        assert local.returncode == 0, local.stderr
        assert remote.returncode == 0, remote.stderr
        want, got = json.loads(local.stdout), json.loads(remote.stdout)
        assert len(want) == len(got) > 4
        for a, b in zip(want, got, strict=True):
            for name, value in a.items():
                other = b[name]
                if isinstance(value, float) and isinstance(other, float):
                    assert math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-6), (
                        name, a["key"], a["period"], value, other,
                    )  # fmt: skip
                else:
                    assert value == other, (name, a["key"], a["period"], value, other)
        # the two reps added to the shared territory hold accounts of it
        held = {r["key"] for r in want if r["account_count"]}
        assert set(shared["rep_id"]) <= held

    # the table said what the warehouse knows: no note that the territory counts for one rep
    table = run_cli(
        "kpis", "--plan", "PW", "--by", "rep", "--engine", "duckdb", "--source", str(folder)
    )
    assert table.returncode == 0, table.stderr
    assert "shared_owners" not in " ".join(table.stdout.split())
    # a warehouse loaded before the table existed: said, with how to write it
    (folder / "shared_owners.parquet").unlink()
    older = run_cli(
        "kpis", "--plan", "PW", "--by", "rep", "--engine", "duckdb", "--source", str(folder)
    )
    assert older.returncode == 0, older.stderr
    said = " ".join(older.stdout.split())
    assert (
        "the warehouse has no shared_owners table, so by rep West 1 counts wholly for its first primary rep"
        in said
    )
    assert "`terraplan kpis --write-tables` writes it" in said
