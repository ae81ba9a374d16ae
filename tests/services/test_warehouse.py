"""The compiled KPI query run in place (DuckDB, PostgreSQL, Spark) equals the in-process KPIs."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.services.warehouse import warehouse_kpis, write_kpi_tables
from terraplan.storage import migrate
from terraplan.storage.database import Database


def _helpers() -> Any:
    """``warehouse_demo`` (next to this file), importable under --import-mode=importlib."""
    if "warehouse_demo" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "warehouse_demo", Path(__file__).with_name("warehouse_demo.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["warehouse_demo"] = module
        spec.loader.exec_module(module)
    return sys.modules["warehouse_demo"]


wd = _helpers()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KpiInputs, date, Path]]:
    """The demo plan's KPI inputs (with targets and costs), its as-of date, and the inputs
    written as a folder of Parquet files."""
    folder = tmp_path_factory.mktemp("warehouse")
    db = Database(f"sqlite:///{folder}/terraplan.db")
    migrate.upgrade(db)
    wd.demo_plan(db)
    inputs, as_of = wd.demo_inputs(db)
    db.dispose()
    write_kpi_tables(inputs, folder / "tables")
    yield inputs, as_of, folder / "tables"


@pytest.fixture(scope="module")
def expected(demo: tuple[KpiInputs, date, Path]) -> pl.DataFrame:
    inputs, as_of, _ = demo
    return compute_kpis(inputs, as_of=as_of)


def test_duckdb_on_parquet_equals_in_process(
    demo: tuple[KpiInputs, date, Path], expected: pl.DataFrame
) -> None:
    _, as_of, folder = demo
    run = warehouse_kpis("duckdb", str(folder))
    assert run.as_of == as_of  # the latest sales line, as in-process
    assert {"territory", "region", "rep", "segment", "industry"} == set(run.frame["dimension"])
    assert run.frame.filter(pl.col("target").is_not_null()).height > 0
    assert run.frame.filter(pl.col("acquisition_cost").is_not_null()).height > 0
    assert run.frame.filter(pl.col("lead_conversion_rate").is_not_null()).height > 0
    wd.assert_same_kpis(expected, run.frame)


def test_duckdb_with_a_fiscal_year_equals_in_process(demo: tuple[KpiInputs, date, Path]) -> None:
    """Fiscal quarters, years and YTD (a July start) run in place as in-process."""
    from terraplan.planning.fiscal import FiscalCalendar

    inputs, as_of, folder = demo
    fiscal = FiscalCalendar(7)
    periods = ["quarter", "year", "YTD"]
    run = warehouse_kpis("duckdb", str(folder), periods=periods, fiscal=fiscal)
    want = compute_kpis(inputs, as_of=as_of, periods=periods, fiscal=fiscal)
    assert set(run.frame["period"]) >= {"YTD"} and any(
        p.startswith("FY") for p in run.frame["period"]
    )
    wd.assert_same_kpis(want, run.frame)


def test_duckdb_database_file_found_by_plain_table_names(
    demo: tuple[KpiInputs, date, Path], tmp_path: Path
) -> None:
    """Tables named as terraplan names them, in the file's main schema, are found without
    --table (the listing's first column, the database name, was taken for the table's)."""
    inputs, as_of, folder = demo
    path = tmp_path / "plain.duckdb"
    names = ("sales_lines", "accounts", "alignment", "territories")
    with duckdb.connect(str(path)) as conn:
        for name in names:
            conn.read_parquet(str(folder / f"{name}.parquet")).create(name)
    run = warehouse_kpis("duckdb", str(path), periods=["quarter"], dimensions=["territory"])
    only = KpiInputs(**{name: getattr(inputs, name) for name in names})
    want = compute_kpis(only, as_of=as_of, periods=["quarter"], dimensions=["territory"])
    assert run.frame.height == want.height > 0
    wd.assert_same_kpis(want, run.frame)


def test_duckdb_database_file_with_named_tables(
    demo: tuple[KpiInputs, date, Path], tmp_path: Path
) -> None:
    inputs, as_of, folder = demo
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA crm")
        for name in ("sales_lines", "accounts", "alignment", "territories"):
            relation = conn.read_parquet(str(folder / f"{name}.parquet"))
            relation.create(f"crm.{name}_v2")
    tables = {n: f"crm.{n}_v2" for n in ("sales_lines", "accounts", "alignment", "territories")}
    run = warehouse_kpis(
        "duckdb", str(path), tables=tables, periods=["quarter"], dimensions=["region", "rep"]
    )
    only = KpiInputs(
        sales_lines=inputs.sales_lines,
        accounts=inputs.accounts,
        alignment=inputs.alignment,
        territories=inputs.territories,
    )
    want = compute_kpis(only, as_of=as_of, periods=["quarter"], dimensions=["region", "rep"])
    assert run.frame.height == want.height > 0
    wd.assert_same_kpis(want, run.frame)
    assert "crm" in run.sql


def test_missing_required_column_names_table_and_column(tmp_path: Path) -> None:
    pl.DataFrame({"account_id": ["a"], "amount": [1.0]}).write_parquet(
        tmp_path / "sales_lines.parquet"
    )
    pl.DataFrame({"id": ["a"]}).write_parquet(tmp_path / "accounts.parquet")
    with pytest.raises(DataError, match=r"sales_lines .*missing column 'date'"):
        warehouse_kpis("duckdb", str(tmp_path))


def test_bad_engine_and_source() -> None:
    with pytest.raises(InvalidParameterError, match="unknown engine"):
        warehouse_kpis("oracle", ".")
    with pytest.raises(InvalidParameterError, match="no such folder"):
        warehouse_kpis("duckdb", "/nonexistent/place")
    with pytest.raises(InvalidParameterError, match="postgresql"):
        warehouse_kpis("postgres", "/tmp")


def load_postgres(url: str, folder: Path, schema: str) -> None:
    """Create ``schema`` and copy every Parquet file of ``folder`` into a table of it."""
    import psycopg

    types = {
        pl.String: "TEXT",
        pl.Date: "DATE",
        pl.Float64: "DOUBLE PRECISION",
        pl.Boolean: "BOOLEAN",
        pl.Int64: "BIGINT",
        pl.Int32: "INTEGER",
    }
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        for path in sorted(folder.glob("*.parquet")):
            frame = pl.read_parquet(path)
            columns = ", ".join(f'"{c}" {types[frame.schema[c]]}' for c in frame.columns)
            conn.execute(f'CREATE TABLE "{schema}"."{path.stem}" ({columns})')
            names = ", ".join(f'"{c}"' for c in frame.columns)
            with conn.cursor().copy(f'COPY "{schema}"."{path.stem}" ({names}) FROM STDIN') as copy:
                for row in frame.iter_rows():
                    copy.write_row(row)


@pytest.mark.postgres
def test_postgres_equals_in_process(
    demo: tuple[KpiInputs, date, Path], expected: pl.DataFrame, postgres_admin_url: str
) -> None:
    import uuid

    import psycopg

    _, _, folder = demo
    url = postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")
    schema = f"wh_{uuid.uuid4().hex[:10]}"
    load_postgres(url, folder, schema)
    try:
        tables = {p.stem: f"{schema}.{p.stem}" for p in folder.glob("*.parquet")}
        run = warehouse_kpis("postgres", url, tables=tables)
        wd.assert_same_kpis(expected, run.frame)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def owned(
    demo: tuple[KpiInputs, date, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[KpiInputs, date, Path]:
    """The demo with an ownership history: every third account had another rep (the owner of
    the next territory) until 200 days before the as-of date, then today's owner."""
    inputs, as_of, _ = demo
    alignment = inputs.frame("alignment")
    territories = inputs.frame("territories")
    assert alignment is not None and territories is not None
    owners = territories.collect().filter(pl.col("owner_id").is_not_null())
    leaf_owner = dict(zip(owners["id"], owners["owner_id"], strict=True))
    reps = sorted(set(leaf_owner.values()))
    switch = as_of - timedelta(days=200)
    rows = []
    for i, (account, territory) in enumerate(
        alignment.collect().select("account_id", "territory_id").rows()
    ):
        today = leaf_owner.get(territory)
        if i % 3 or today is None:
            continue
        before = reps[(reps.index(today) + 1) % len(reps)]
        rows.append((account, before, date(2000, 1, 1), switch - timedelta(days=1)))
        rows.append((account, today, switch, None))
    ownership = pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "owner_id": pl.String,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
        },
        orient="row",
    )
    with_history = replace(inputs, ownership=ownership)
    folder = tmp_path_factory.mktemp("owned")
    write_kpi_tables(with_history, folder)
    assert (folder / "ownership.parquet").is_file()
    return with_history, as_of, folder


def test_duckdb_credits_the_owner_of_the_day(owned: tuple[KpiInputs, date, Path]) -> None:
    inputs, as_of, folder = owned
    options: dict[str, Any] = {"periods": ["quarter", "YTD"], "dimensions": ["rep"]}
    want = compute_kpis(inputs, as_of=as_of, **options)
    today_only = compute_kpis(replace(inputs, ownership=None), as_of=as_of, **options)
    assert not want["revenue"].equals(today_only["revenue"])  # the history changes reps' figures
    run = warehouse_kpis("duckdb", str(folder), **options)
    wd.assert_same_kpis(want, run.frame)


@pytest.mark.postgres
def test_postgres_credits_the_owner_of_the_day(
    owned: tuple[KpiInputs, date, Path], postgres_admin_url: str
) -> None:
    import uuid

    import psycopg

    inputs, as_of, folder = owned
    url = postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")
    schema = f"wh_{uuid.uuid4().hex[:10]}"
    load_postgres(url, folder, schema)
    try:
        tables = {p.stem: f"{schema}.{p.stem}" for p in folder.glob("*.parquet")}
        options: dict[str, Any] = {"periods": ["quarter", "YTD"], "dimensions": ["rep"]}
        run = warehouse_kpis("postgres", url, tables=tables, **options)
        wd.assert_same_kpis(compute_kpis(inputs, as_of=as_of, **options), run.frame)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)  # py4j leaves its gateway sockets to the garbage collector
def test_spark_equals_in_process(
    owned: tuple[KpiInputs, date, Path], spark: Any, tmp_path: Path
) -> None:
    """The same query on a local Spark, reduced to one period, territories and reps and the
    tables that exercise its date functions, windows and the owner-of-the-day credit (sales,
    opportunities, targets, ownership): each step of the query is a Spark job, a second or
    more on a small machine, so one run covers both dimensions."""
    inputs, as_of, folder = owned
    names = (
        "sales_lines",
        "accounts",
        "alignment",
        "territories",
        "opportunities",
        "targets",
        "ownership",
    )
    for name in names:
        (tmp_path / f"{name}.parquet").symlink_to(folder / f"{name}.parquet")
    options: dict[str, Any] = {"periods": ["YTD"], "dimensions": ["territory", "rep"]}
    only = KpiInputs(**{name: getattr(inputs, name) for name in names})
    want = compute_kpis(only, as_of=as_of, **options)
    assert want.filter(pl.col("dimension") == "territory").height > 5
    assert want.filter(pl.col("target").is_not_null()).height > 0
    assert want.filter(pl.col("win_rate").is_not_null()).height > 0
    today_only = compute_kpis(replace(only, ownership=None), as_of=as_of, **options)
    reps = pl.col("dimension") == "rep"
    for kpi in ("revenue", "win_rate"):  # the history changes reps' sales and opportunities
        assert not want.filter(reps)[kpi].equals(today_only.filter(reps)[kpi])
    run = warehouse_kpis("spark", str(tmp_path), spark=spark, **options)
    wd.assert_same_kpis(want, run.frame)
    views = {v.name for v in spark.catalog.listTables()}
    assert not {v for v in views if v.startswith("tp_") and not v.startswith("tp_in_")}
    # nothing left in the folder the user ran it from (Spark's default warehouse folder)
    warehouse = spark.conf.get("spark.sql.warehouse.dir")
    assert "terraplan-spark" in warehouse and str(Path.cwd()) not in warehouse
    assert not (Path.cwd() / "spark-warehouse").exists()


def test_a_rep_with_targets_of_their_own_is_not_given_their_territories_elsewhere(
    demo: tuple[KpiInputs, date, Path], tmp_path: Path
) -> None:
    """The demo's owner of its first territory has a rep target for April-September only
    (a rep hired mid-year, whose predecessor kept the first quarter as their own): in the
    first quarter they have no target, not the territory's; a rep with no target of their
    own still sums their territories'. In place (DuckDB) as in-process."""
    inputs, as_of, _ = demo
    year = as_of.year
    targets, territories = inputs.frame("targets"), inputs.frame("territories")
    assert targets is not None and territories is not None
    owner = targets.collect().filter(pl.col("rep_id").is_not_null())["rep_id"][0]
    other = (
        territories.collect()
        .filter(pl.col("id").str.starts_with("T-") & (pl.col("owner_id") != owner))
        .row(0, named=True)
    )
    extra = pl.DataFrame(
        {
            "territory_id": [other["id"]],
            "rep_id": [None],
            "period_start": [date(year, 1, 1)],
            "period_end": [date(year, 12, 31)],
            "amount": [3.65e5],
            "metric": ["revenue"],
        },
        schema=targets.collect_schema(),
    )
    inputs = replace(inputs, targets=pl.concat([targets.collect(), extra]))
    options: dict[str, Any] = {"periods": [f"{year}Q1", f"{year}Q2"], "dimensions": ["rep"]}
    got = compute_kpis(inputs, as_of=as_of, **options)
    target = {(r["key"], r["period"]): r["target"] for r in got.iter_rows(named=True)}
    assert target[(owner, f"{year}Q1")] is None
    assert target[(owner, f"{year}Q2")] == pytest.approx(4e5 * 91 / 183)  # 91 of its 183 days
    days_q1 = (date(year, 4, 1) - date(year, 1, 1)).days
    assert target[(other["owner_id"], f"{year}Q1")] == pytest.approx(
        3.65e5 * days_q1 / (366 if days_q1 == 91 else 365)
    )
    write_kpi_tables(inputs, tmp_path / "tables")
    run = warehouse_kpis("duckdb", str(tmp_path / "tables"), **options)
    wd.assert_same_kpis(got, run.frame)
