"""The warehouse query by rep where a territory has several primary reps, as in-process: its
accounts count for the rep holding them, its leads for the rep whose turn they were (round
robin, in the plan's order of its reps) and its targets and costs split by the shares.

California is shared by Ava (share 2, second in the plan's order), Ben (1, third) and Cy
(1, first); New York is Dan's alone. Accounts: A1 Ben's (owned by Cy until the realignment of
1 February), A2 Cy's, A3 owned by a rep who is not one of California's (so Ava's, the
territory's owner), A4 Ben's and closed in February, A5 Dan's, A6 in no territory."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import duckdb
import polars as pl
import pytest

from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_sql import (
    COLUMNS,
    TABLES,
    KpiTables,
    compile_kpi_sql,
    compile_kpi_steps,
)
from terraplan.planning.kpis import compute_kpis

AS_OF = date(2025, 6, 30)
PERIODS = ["month", "quarter", "year", "YTD"]

TERRITORIES = pl.DataFrame(
    {
        "id": ["US", "T-CA", "T-NY"],
        "parent_id": [None, "US", "US"],
        "owner_id": [None, "ava", "dan"],
    }
)
SHARED = pl.DataFrame(
    {
        "territory_id": ["T-CA", "T-CA", "T-CA"],
        "rep_id": ["ava", "ben", "cy"],
        "share": [2.0, 1.0, 1.0],
        "rep_order": [1, 2, 0],
    },
    schema={
        "territory_id": pl.String,
        "rep_id": pl.String,
        "share": pl.Float64,
        "rep_order": pl.Int32,
    },
)
ACCOUNTS = pl.DataFrame(
    {
        "id": ["A1", "A2", "A3", "A4", "A5", "A6"],
        "segment": ["Enterprise", "SMB", None, "SMB", "Enterprise", "SMB"],
        "industry": ["Retail", "Tech", "Tech", None, "Retail", "Retail"],
        "potential": [1200.0, None, 2400.0, 600.0, None, 100.0],
        "owner_id": ["ben", "cy", "zed", "ben", "dan", "cy"],
        "closed_on": [None, None, None, date(2025, 2, 10), None, None],
    }
)
ALIGNMENT = pl.DataFrame(
    {"account_id": ["A1", "A2", "A3", "A4", "A5"], "territory_id": ["T-CA"] * 4 + ["T-NY"]}
)
SALES = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A5", "A6", "A1"],
        "date": [
            date(2025, 1, 15),
            date(2025, 4, 3),
            date(2025, 5, 5),
            date(2025, 2, 1),
            date(2025, 3, 1),
            date(2024, 3, 1),
        ],
        "amount": [100.0, 200.0, -50.0, 300.0, 999.0, -20.0],
    }
)
OPPS = pl.DataFrame(
    {
        "id": ["O1", "O2"],
        "account_id": ["A3", "A4"],
        "created_date": [date(2025, 3, 1), date(2025, 1, 5)],
        "close_date": [date(2025, 6, 10), None],
        "amount": [500.0, 700.0],
        "is_closed": [True, False],
        "is_won": [True, False],
    }
)
# three California leads on one day with Salesforce ids differing in case: in the order of
# their bytes 00QB2, 00Qa3, 00Qb1 (a collation ignoring case would put 00Qa3 first)
LEADS = pl.DataFrame(
    {
        "id": ["00Qb1", "00QB2", "00Qa3", "00Q004", "00Q005", "00Q006"],
        "created_date": [date(2025, 4, 1)] * 3
        + [date(2025, 4, 2), date(2025, 5, 1), date(2025, 5, 1)],
        "converted_opportunity_id": [None, None, "O1", "O-not-exported", None, None],
        "territory_id": ["T-CA", "T-CA", "T-CA", "T-CA", "T-NY", None],
        "segment": [None] * 6,
        "industry": ["Tech", None, "Retail", "Tech", None, "Retail"],
    },
    schema={
        "id": pl.String,
        "created_date": pl.Date,
        "converted_opportunity_id": pl.String,
        "territory_id": pl.String,
        "segment": pl.String,
        "industry": pl.String,
    },
)
TARGETS = pl.DataFrame(
    {
        "territory_id": ["T-CA", "T-NY"],
        "rep_id": [None, None],
        "period_start": [date(2025, 4, 1)] * 2,
        "period_end": [date(2025, 6, 30)] * 2,
        "amount": [1000.0, 400.0],
    },
    schema={
        "territory_id": pl.String,
        "rep_id": pl.String,
        "period_start": pl.Date,
        "period_end": pl.Date,
        "amount": pl.Float64,
    },
)
COSTS = pl.DataFrame(
    {
        "territory_id": ["T-CA"],
        "period_start": [date(2025, 4, 1)],
        "period_end": [date(2025, 6, 30)],
        "amount": [800.0],
    }
)
OWNERSHIP = pl.DataFrame(
    {
        "account_id": ["A1", "A1"],
        "owner_id": ["cy", "ben"],
        "valid_from": [date(2024, 1, 1), date(2025, 2, 1)],
        "valid_to": [date(2025, 1, 31), None],
    },
    schema={
        "account_id": pl.String,
        "owner_id": pl.String,
        "valid_from": pl.Date,
        "valid_to": pl.Date,
    },
)
# Ben joined on 16 May: his share of California's Q2 target counts from then
REPS = pl.DataFrame(
    {"id": ["ava", "ben", "cy", "dan"], "hire_date": [None, date(2025, 5, 16), None, None]},
    schema={"id": pl.String, "hire_date": pl.Date},
)
DATA = {
    "sales_lines": SALES,
    "opportunities": OPPS,
    "accounts": ACCOUNTS,
    "alignment": ALIGNMENT,
    "territories": TERRITORIES,
    "leads": LEADS,
    "targets": TARGETS,
    "costs": COSTS,
    "ownership": OWNERSHIP,
    "reps": REPS,
    "shared_owners": SHARED,
}


def in_process() -> pl.DataFrame:
    return compute_kpis(KpiInputs(**DATA), as_of=AS_OF, periods=PERIODS)


def query(dialect: str) -> str:
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in DATA.items()}
    tables = KpiTables({name: f"in_{name}" for name in DATA}, missing)
    return compile_kpi_sql(
        tables, as_of=AS_OF, periods=PERIODS, first=date(2024, 3, 1), dialect=dialect
    )


def on_duckdb() -> pl.DataFrame:
    with duckdb.connect() as conn:
        for name, frame in DATA.items():
            conn.register(f"in_{name}", frame.to_arrow())
        return pl.from_arrow(conn.sql(query("duckdb")).arrow())  # type: ignore[return-value]


def row(frame: pl.DataFrame, key: str, period: str) -> dict[str, Any]:
    found = frame.filter(
        (pl.col("dimension") == "rep") & (pl.col("key") == key) & (pl.col("period") == period)
    )
    assert found.height == 1, (key, period)
    return found.row(0, named=True)


def assert_same(want: pl.DataFrame, rows: list[tuple[Any, ...]]) -> None:
    assert len(rows) == want.height
    for mine, theirs in zip(want.iter_rows(), rows, strict=True):
        assert mine[:6] == tuple(theirs[:6])
        for name, a, b in zip(want.columns[6:], mine[6:], theirs[6:], strict=True):
            if a is None or b is None:
                assert a is None and b is None, (name, mine[:3], a, b)
            else:
                assert math.isclose(a, float(b), rel_tol=1e-9, abs_tol=1e-6), (name, mine[:3], a, b)


@pytest.mark.parametrize("source", ["in-process", "duckdb"])
def test_shared_territory_by_rep(source: str) -> None:
    """Figures worked out by hand from the data above, the same on both paths."""
    frame = in_process() if source == "in-process" else on_duckdb()
    q2 = {rep: row(frame, rep, "2025Q2") for rep in ("ava", "ben", "cy", "dan")}
    # leads in turn Cy, Ava, Ben: 00QB2 Cy, 00Qa3 Ava (converted, won), 00Qb1 Ben, 00Q004 Cy
    assert q2["cy"]["lead_conversion_rate"] == pytest.approx(0.5)
    assert q2["ava"]["lead_conversion_rate"] == pytest.approx(1.0)
    assert q2["ava"]["lead_win_rate"] == pytest.approx(1.0)
    assert q2["ben"]["lead_conversion_rate"] == pytest.approx(0.0)
    assert q2["dan"]["lead_conversion_rate"] == pytest.approx(0.0)
    # accounts held: A3 (owner not one of California's reps) is Ava's; A4 closed in February
    assert {r: q2[r]["account_count"] for r in q2} == {"ava": 1, "ben": 1, "cy": 1, "dan": 1}
    assert row(frame, "ben", "2025Q1")["account_count"] == 2
    # new customers: A2 (April sale) Cy's, A3 (deal won in June) Ava's; A1 Ben's in January
    assert {r: q2[r]["new_customers"] for r in q2} == {"ava": 1, "ben": 0, "cy": 1, "dan": 0}
    assert row(frame, "ben", "2025Q1")["new_customers"] == 1
    assert row(frame, "ben", "2025-01")["new_customers"] == 1
    # revenue: A1's January sale is Cy's (the owner of the day), A2's April sale Cy's too
    assert row(frame, "cy", "2025Q1")["revenue"] == pytest.approx(100.0)
    assert row(frame, "ben", "2025Q1")["revenue"] == pytest.approx(0.0)
    assert q2["cy"]["revenue"] == pytest.approx(200.0)
    assert q2["ava"]["revenue"] == pytest.approx(-50.0)
    # targets split by the shares (2:1:1), Ben's from his hire on 16 May (46 of 91 days)
    assert q2["ava"]["target"] == pytest.approx(500.0)
    assert q2["cy"]["target"] == pytest.approx(250.0)
    assert q2["ben"]["target"] == pytest.approx(250.0 * 46 / 91)
    assert q2["dan"]["target"] == pytest.approx(400.0)
    # acquisition spend split by the shares too
    assert q2["ava"]["acquisition_cost"] == pytest.approx(400.0)
    assert q2["ben"]["acquisition_cost"] == pytest.approx(200.0)


def test_duckdb_equals_in_process_cell_by_cell() -> None:
    """Every KPI of every group (territory, region, rep, segment, industry), month, quarter,
    year and YTD."""
    want = in_process()
    assert_same(want, on_duckdb().rows())


def test_steps_as_spark_runs_them_equal_in_process() -> None:
    """The query cut into steps (Spark's way) on the same data: the same rows."""
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in DATA.items()}
    steps = compile_kpi_steps(
        KpiTables({name: f"in_{name}" for name in DATA}, missing),
        as_of=AS_OF,
        periods=PERIODS,
        first=date(2024, 3, 1),
        dialect="duckdb",
        suffix="_s1",
    )
    with duckdb.connect() as conn:
        for name, frame in DATA.items():
            conn.register(f"in_{name}", frame.to_arrow())
        for name, sql in steps[:-1]:
            conn.execute(f"CREATE TABLE {name} AS {sql}")
        assert_same(in_process(), conn.sql(steps[-1][1]).fetchall())


def test_without_the_order_of_the_reps_they_take_turns_by_id() -> None:
    """A shared_owners table without ``rep_order``: the query takes the reps in the order of
    their ids (ava, ben, cy), as in-process does for a frame in that order."""
    data = {**DATA, "shared_owners": SHARED.drop("rep_order")}
    want = compute_kpis(KpiInputs(**data), as_of=AS_OF, periods=["2025Q2"], dimensions=["rep"])
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in data.items()}
    sql = compile_kpi_sql(
        KpiTables({name: f"in_{name}" for name in data}, missing),
        as_of=AS_OF,
        periods=["2025Q2"],
        dimensions=["rep"],
    )
    with duckdb.connect() as conn:
        for name, frame in data.items():
            conn.register(f"in_{name}", frame.to_arrow())
        got = conn.sql(sql).fetchall()
    assert_same(want, got)
    # 00QB2 Ava, 00Qa3 Ben (converted), 00Qb1 Cy, 00Q004 Ava (converted)
    assert row(want, "ben", "2025Q2")["lead_conversion_rate"] == pytest.approx(1.0)


def test_every_table_is_read() -> None:
    assert set(DATA) == set(TABLES)


PG_TYPES = {
    pl.String: "TEXT",
    pl.Date: "DATE",
    pl.Float64: "DOUBLE PRECISION",
    pl.Boolean: "BOOLEAN",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
}


#: Columns the PostgreSQL tests give a collation that ignores case at first (as en_US does).
ICU_COLUMNS = {("leads", "id"), ("ownership", "owner_id")}


def load_pg(pg: Any, data: dict[str, pl.DataFrame]) -> None:
    for name, frame in data.items():
        columns = ", ".join(
            f"{c} {PG_TYPES[frame.schema[c]]}"
            + (' COLLATE "und-x-icu"' if (name, c) in ICU_COLUMNS else "")
            for c in frame.columns
        )
        pg.execute(f"CREATE TEMPORARY TABLE in_{name} ({columns}) ON COMMIT DROP")
        marks = ", ".join(["%s"] * frame.width)
        pg.cursor().executemany(f"INSERT INTO in_{name} VALUES ({marks})", frame.rows())


@pytest.mark.postgres
def test_postgres_equals_in_process_whatever_the_collation(pg: Any) -> None:
    """The leads' ids in a column of a collation that ignores case at first (as en_US
    databases do): the query still takes them in the order of their bytes, as in-process."""
    want = in_process()
    with pg.transaction(force_rollback=True):
        load_pg(pg, DATA)
        assert_same(want, pg.execute(query("postgres")).fetchall())


@pytest.mark.postgres
def test_postgres_owner_of_the_day_ties_in_byte_order(pg: Any) -> None:
    """Two ownership periods of A2 starting the same day: the smaller owner id in byte order
    (``Bz`` before ``ba``) is the owner of the day, in-process and on PostgreSQL whatever the
    column's collation (``und-x-icu`` puts ``ba`` first)."""
    ownership = pl.concat(
        [
            OWNERSHIP,
            pl.DataFrame(
                {
                    "account_id": ["A2", "A2"],
                    "owner_id": ["ba", "Bz"],
                    "valid_from": [date(2025, 3, 1)] * 2,
                    "valid_to": [None, None],
                },
                schema=OWNERSHIP.schema,
            ),
        ]
    )
    data = {**DATA, "ownership": ownership}
    want = compute_kpis(KpiInputs(**data), as_of=AS_OF, periods=PERIODS)
    assert row(want, "Bz", "2025Q2")["revenue"] == pytest.approx(200.0)
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in data.items()}
    sql = compile_kpi_sql(
        KpiTables({name: f"in_{name}" for name in data}, missing),
        as_of=AS_OF,
        periods=PERIODS,
        first=date(2024, 3, 1),
        dialect="postgres",
    )
    with pg.transaction(force_rollback=True):
        load_pg(pg, data)
        got = pg.execute(sql).fetchall()
    # the rows come in the order of the keys' collation there ("ava" before "Bz"): the
    # figures are compared row by row in one order
    order = lambda r: tuple(str(v) for v in r[:6])  # noqa: E731
    ordered = pl.DataFrame(sorted(want.rows(), key=order), schema=want.schema, orient="row")
    assert_same(ordered, sorted(got, key=order))
