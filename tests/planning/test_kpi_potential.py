"""Potential, penetration and whitespace of a group none of whose accounts has a potential are
unknown (null), not 0 (a whitespace of 0 reads "nothing left to sell"), in-process and in the
warehouse query; a group where some accounts have one counts those."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_sql import compile_kpi_sql
from terraplan.planning.kpi_sql_base import COLUMNS, TABLES, KpiTables
from terraplan.planning.kpis import compute_kpis

TERRITORIES = pl.DataFrame(
    {
        "id": ["ALL", "N", "S", "W"],
        "parent_id": [None, "ALL", "ALL", "ALL"],
        "owner_id": [None, "rep1", "rep2", "rep2"],
    },
    schema={"id": pl.String, "parent_id": pl.String, "owner_id": pl.String},
)
AS_OF = date(2026, 6, 30)
PERIODS = ["2026Q2", "2026-06", "YTD", "2025"]


def crm_inputs() -> KpiInputs:
    """A CRM export: N's accounts carry no potential (a HubSpot file has none), S has one
    with and one without, W only an account closed in March 2026 that had one."""
    accounts = pl.DataFrame(
        {
            "id": ["A1", "A2", "A3", "A4", "A5", "A6"],
            "segment": ["smb", None, "ent", "ent", "smb", None],
            "industry": ["retail", "retail", None, "health", "health", None],
            "potential": [None, None, 1200.0, None, 2400.0, None],
            "closed_on": [None, None, None, None, date(2026, 3, 15), None],
        },
        schema={
            "id": pl.String,
            "segment": pl.String,
            "industry": pl.String,
            "potential": pl.Float64,
            "closed_on": pl.Date,
        },
    )
    alignment = pl.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4", "A5", "A6"],
            "territory_id": ["N", "N", "S", "S", "W", None],
        }
    )
    sales = pl.DataFrame(
        {
            "account_id": ["A1", "A1", "A3", "A4", "A5", "A5", "A6"],
            "date": [
                date(2026, 4, 2), date(2026, 6, 30), date(2026, 5, 1), date(2026, 6, 3),
                date(2025, 11, 10), date(2026, 2, 1), date(2026, 6, 1),
            ],
            "amount": [500.0, -120.0, 100.0, 80.0, 300.0, 50.0, 70.0],
        },
        schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64},
    )  # fmt: skip
    return KpiInputs(
        sales_lines=sales, accounts=accounts, alignment=alignment, territories=TERRITORIES
    )


def _row(frame: pl.DataFrame, dimension: str, key: str, period: str) -> dict[str, Any]:
    found = frame.filter(
        (pl.col("dimension") == dimension) & (pl.col("key") == key) & (pl.col("period") == period)
    )
    assert found.height == 1, (dimension, key, period)
    return found.row(0, named=True)


def test_no_potential_is_empty_not_zero() -> None:
    got = compute_kpis(crm_inputs(), as_of=AS_OF, periods=PERIODS)
    for period in PERIODS:
        north = _row(got, "territory", "N", period)
        assert (north["potential"], north["penetration"], north["whitespace"]) == (
            None,
            None,
            None,
        )
        assert north["account_count"] == 2
    # S: A3's potential alone (A4 has none); a quarter is a quarter of a year's
    south = _row(got, "territory", "S", "2026Q2")
    assert south["potential"] == pytest.approx(300.0)
    assert south["whitespace"] == pytest.approx(200.0)  # A3 bought 100 of its 300
    assert south["penetration"] == pytest.approx(180.0 / 300.0)
    # W's only account closed in March: in the book of 2025 and YTD, not of Q2
    assert _row(got, "territory", "W", "2026Q2")["potential"] is None
    assert _row(got, "territory", "W", "2025")["potential"] == pytest.approx(2400.0)
    # rep1 holds only N; rep2 holds S and W; the region all
    assert _row(got, "rep", "rep1", "2026Q2")["whitespace"] is None
    assert _row(got, "rep", "rep2", "2026Q2")["potential"] == pytest.approx(300.0)
    assert _row(got, "region", "ALL", "2026Q2")["potential"] == pytest.approx(300.0)
    # by segment: (no segment) holds A2 and A6, neither with a potential
    assert _row(got, "segment", "(no segment)", "2026Q2")["potential"] is None
    assert _row(got, "industry", "retail", "YTD")["whitespace"] is None


def test_an_explicit_zero_potential_is_zero() -> None:
    """A potential of 0 is known (a company that will buy nothing more): 0, not empty."""
    inputs = crm_inputs()
    accounts = inputs.frame("accounts")
    assert accounts is not None
    zeroed = accounts.with_columns(
        pl.when(pl.col("id") == "A2").then(0.0).otherwise(pl.col("potential")).alias("potential")
    ).collect()
    got = compute_kpis(
        KpiInputs(
            sales_lines=inputs.frame("sales_lines"),
            accounts=zeroed,
            alignment=inputs.frame("alignment"),
            territories=TERRITORIES,
        ),
        as_of=AS_OF,
        periods=["2026Q2"],
        dimensions=["territory"],
    )
    north = _row(got, "territory", "N", "2026Q2")
    assert (north["potential"], north["whitespace"], north["penetration"]) == (0.0, 0.0, None)


def _tables(inputs: KpiInputs) -> tuple[dict[str, pl.DataFrame], KpiTables]:
    data = {n: f.collect() for n in TABLES if (f := inputs.frame(n)) is not None}
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in data.items()}
    return data, KpiTables({n: f"in_{n}" for n in data}, missing)


def _same(
    want: pl.DataFrame,
    inputs: KpiInputs,
    periods: list[str],
    dimensions: list[str] | None = None,
) -> None:
    data, tables = _tables(inputs)
    with duckdb.connect() as conn:
        for name, frame in data.items():
            conn.register(f"in_{name}", frame.to_arrow())
        dims = {"dimensions": dimensions} if dimensions else {}
        sql = compile_kpi_sql(tables, as_of=AS_OF, periods=periods, **dims)
        rows = conn.sql(sql).fetchall()
    assert len(rows) == want.height
    for mine, theirs in zip(want.iter_rows(), rows, strict=True):
        assert mine[:6] == tuple(theirs[:6])
        for name, a, b in zip(want.columns[6:], mine[6:], theirs[6:], strict=True):
            if a is None or b is None:
                assert a is None and b is None, (name, mine[:3], a, b)
            else:
                assert math.isclose(a, float(b), rel_tol=1e-9, abs_tol=1e-6), (name, mine[:3])


def test_duckdb_leaves_it_empty_too() -> None:
    inputs = crm_inputs()
    _same(compute_kpis(inputs, as_of=AS_OF, periods=PERIODS), inputs, PERIODS)


def test_no_potential_column_at_all() -> None:
    """Accounts imported without a potential column: every group's potential is empty, in
    both paths."""
    inputs = crm_inputs()
    accounts = inputs.frame("accounts")
    assert accounts is not None
    bare = KpiInputs(
        sales_lines=inputs.frame("sales_lines"),
        accounts=accounts.drop("potential").collect(),
        alignment=inputs.frame("alignment"),
        territories=TERRITORIES,
    )
    want = compute_kpis(bare, as_of=AS_OF, periods=["2026Q2"])
    assert want["potential"].null_count() == want.height
    assert want["whitespace"].null_count() == want.height
    _same(want, bare, ["2026Q2"])


@st.composite
def accounts_and_sales(draw: st.DrawFn) -> KpiInputs:
    n = draw(st.integers(1, 7))
    ids = [f"A{i}" for i in range(n)]
    accounts = pl.DataFrame(
        {
            "id": ids,
            "segment": [draw(st.sampled_from(["smb", "ent", None])) for _ in ids],
            "potential": [draw(st.sampled_from([None, None, 0.0, 800.0])) for _ in ids],
            "closed_on": [
                draw(st.sampled_from([None, None, date(2026, 2, 10), date(2025, 5, 1)]))
                for _ in ids
            ],
        },
        schema={
            "id": pl.String,
            "segment": pl.String,
            "potential": pl.Float64,
            "closed_on": pl.Date,
        },
    )
    alignment = pl.DataFrame(
        {"account_id": ids, "territory_id": [draw(st.sampled_from(["N", "S", None])) for _ in ids]},
        schema={"account_id": pl.String, "territory_id": pl.String},
    )
    lines = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.sampled_from([date(2025, 3, 3), date(2026, 1, 20), date(2026, 6, 30)]),
                st.sampled_from([-40.0, 100.0, 900.0]),
            ),
            min_size=1,
            max_size=10,
        )
    )
    sales = pl.DataFrame(
        {"account_id": [r[0] for r in lines], "date": [r[1] for r in lines],
         "amount": [r[2] for r in lines]},
        schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64},
    )  # fmt: skip
    return KpiInputs(
        sales_lines=sales, accounts=accounts, alignment=alignment, territories=TERRITORIES
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts_and_sales())
def test_potential_is_empty_exactly_where_no_account_in_the_book_has_one(
    inputs: KpiInputs,
) -> None:
    got = compute_kpis(inputs, as_of=AS_OF, periods=PERIODS, dimensions=["territory", "segment"])
    accounts = inputs.frame("accounts")
    alignment = inputs.frame("alignment")
    assert accounts is not None and alignment is not None
    book = accounts.join(alignment, left_on="id", right_on="account_id", how="left").collect()
    starts = dict(got.select("period", "period_start").unique().iter_rows())
    for row in got.iter_rows(named=True):
        start = starts[row["period"]]
        column = "territory_id" if row["dimension"] == "territory" else "segment"
        key = None if row["key"] == "(no segment)" else row["key"]
        group = book.filter(
            (pl.col(column).is_null() if key is None else pl.col(column) == key)
            & (pl.col("closed_on").is_null() | (pl.col("closed_on") >= start.replace(day=1)))
        )
        known = group["potential"].drop_nulls()
        if known.is_empty():
            assert row["potential"] is None and row["whitespace"] is None, row
            assert row["penetration"] is None
        else:
            assert row["potential"] is not None and row["whitespace"] is not None, row
            assert row["whitespace"] >= -1e-9
    _same(got, inputs, PERIODS, dimensions=["territory", "segment"])
