"""Same period last year of a period that ends on the as-of date: the period is complete, so it
compares with the whole period a year earlier (29 February 2024 included), in-process, in
DuckDB and in PostgreSQL, whatever day after its end the figures are taken on."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_periods import (
    Period,
    in_progress,
    month_map,
    parse_period,
    ytd_period,
)
from terraplan.planning.kpi_sql import compile_kpi_sql
from terraplan.planning.kpi_sql_base import COLUMNS, TABLES, KpiTables
from terraplan.planning.kpis import compute_kpis

TERRITORIES = pl.DataFrame(
    {"id": ["E", "W"], "parent_id": [None, None], "owner_id": ["rep1", "rep2"]},
    schema={"id": pl.String, "parent_id": pl.String, "owner_id": pl.String},
)


def leap_inputs() -> KpiInputs:
    """Two territories' sales, CRM-export style: a leap-day order, a credit note on the
    leap day, lines on the month's edges, an account in no territory and one nobody knows."""
    rows = [
        ("A1", date(2023, 3, 5), 50.0),
        ("A1", date(2023, 12, 15), 100.0),
        ("A1", date(2024, 2, 1), 100.0),
        ("A1", date(2024, 2, 28), 10.0),
        ("A1", date(2024, 2, 29), 1000.0),  # the leap day
        ("A2", date(2024, 2, 29), -40.0),  # a credit note on it
        ("A3", date(2024, 2, 29), 75.0),  # W's leap day
        ("A9", date(2024, 2, 29), 999.0),  # an account the CRM does not know
        ("A1", date(2024, 3, 1), 20.0),
        ("A1", date(2025, 1, 31), 60.0),
        ("A1", date(2025, 2, 10), 300.0),
        ("A2", date(2025, 2, 28), 45.0),
        ("A4", date(2025, 2, 14), 12.5),  # no territory
        ("A3", date(2025, 3, 1), 5.0),
    ]
    sales = pl.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64},
    )
    return KpiInputs(
        sales_lines=sales,
        accounts=pl.DataFrame({"id": ["A1", "A2", "A3", "A4"]}),
        alignment=pl.DataFrame(
            {"account_id": ["A1", "A2", "A3", "A4"], "territory_id": ["E", "E", "W", None]}
        ),
        territories=TERRITORIES,
    )


def test_a_period_ending_on_the_as_of_date_is_complete() -> None:
    feb = parse_period("2025-02")
    assert not in_progress(feb, date(2025, 2, 28))
    assert not in_progress(feb, date(2025, 3, 1))
    assert in_progress(feb, date(2025, 2, 27))
    # a year to date ends on the as-of date: running until its year's last day
    assert in_progress(ytd_period(date(2025, 2, 28)), date(2025, 2, 28))
    march = FiscalCalendar(3)
    assert not in_progress(ytd_period(date(2025, 2, 28), march), date(2025, 2, 28))
    assert in_progress(ytd_period(date(2025, 2, 27), march), date(2025, 2, 27))
    late = month_map([feb], date(2025, 2, 28)).filter(pl.col("prior"))
    assert late["allow_late"].to_list() == [True]


def _cells(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[float, float | None]]:
    return {
        (k, p): (r, prior)
        for k, p, r, prior in frame.select(
            "key", "period", "revenue", "revenue_prior_year"
        ).iter_rows()
    }


@pytest.mark.parametrize("as_of", [date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 31)])
def test_february_compares_with_all_of_february_a_year_earlier(as_of: date) -> None:
    """February 2025 as of its last day is complete: February 2024 whole (1,110 in E with
    the 29th, the credit note taken off; 75 in W), not cut at 28 February."""
    want = compute_kpis(leap_inputs(), as_of=as_of, periods=["2025-02"], dimensions=["territory"])
    cells = _cells(want)
    assert cells["E", "2025-02"] == (345.0, 1070.0)
    assert cells["W", "2025-02"] == (0.0, 75.0)
    growth = want.filter(pl.col("key") == "E")["revenue_growth"][0]
    assert growth == pytest.approx(345.0 / 1070.0 - 1.0)


@pytest.mark.parametrize("as_of", [date(2025, 2, 28), date(2025, 3, 1)])
def test_a_fiscal_year_ending_in_a_leap_february(as_of: date) -> None:
    """With years from March, FY2025 (March 2024 to February 2025) on its last day and the
    day after compares with all of FY2024, and so does its year to date on the last day; its
    Q4 (December to February) too."""
    fiscal = FiscalCalendar(3)
    periods = ["FY2025", "FY2025Q4", *(["YTD"] if as_of == date(2025, 2, 28) else [])]
    want = compute_kpis(
        leap_inputs(), as_of=as_of, periods=periods, dimensions=["territory"], fiscal=fiscal
    )
    cells = _cells(want)
    # FY2024: 2023-03-05 .. 2024-02-29, E: 50 + 100 + 100 + 10 + 1000 - 40
    assert cells["E", "FY2025"] == (20.0 + 60.0 + 300.0 + 45.0, 1220.0)
    assert cells["E", "FY2025Q4"] == (60.0 + 300.0 + 45.0, 100.0 + 100.0 + 10.0 + 1000.0 - 40.0)
    if "YTD" in periods:
        assert cells["E", "YTD"] == cells["E", "FY2025"]


def test_a_period_in_progress_still_compares_to_the_day() -> None:
    """February 2025 as of the 27th stops a year earlier on the 27th (the 28th and the 29th
    are out); a calendar YTD as of 28 February 2025, a month's last day, compares with last
    year to the last day of February 2024, the 29th included, as February 2025 alone does."""
    want = compute_kpis(
        leap_inputs(),
        as_of=date(2025, 2, 27),
        periods=["2025-02"],
        dimensions=["territory"],
    )
    assert _cells(want)["E", "2025-02"] == (300.0, 100.0)
    ytd = compute_kpis(
        leap_inputs(), as_of=date(2025, 2, 28), periods=["YTD"], dimensions=["territory"]
    )
    # 2024: 100 on 1 February, 10 on the 28th, 1000 - 40 on the 29th (see leap_inputs)
    assert _cells(ytd)["E", "YTD"] == (405.0, 1070.0)
    february = compute_kpis(
        leap_inputs(), as_of=date(2025, 2, 28), periods=["2025-02"], dimensions=["territory"]
    )
    assert _cells(february)["E", "2025-02"][1] == 1070.0  # all of February 2024: the same


# -- the warehouse query agrees ----------------------------------------------------------------


def _tables(inputs: KpiInputs) -> tuple[dict[str, pl.DataFrame], KpiTables]:
    data = {n: f.collect() for n in TABLES if (f := inputs.frame(n)) is not None}
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in data.items()}
    return data, KpiTables({n: f"in_{n}" for n in data}, missing)


def _assert_rows(want: pl.DataFrame, rows: list[tuple[Any, ...]]) -> None:
    assert len(rows) == want.height
    for mine, theirs in zip(want.iter_rows(), rows, strict=True):
        assert mine[:6] == tuple(theirs[:6])
        for name, a, b in zip(want.columns[6:], mine[6:], theirs[6:], strict=True):
            if a is None or b is None:
                assert a is None and b is None, (name, mine[:3], a, b)
            else:
                assert math.isclose(a, float(b), rel_tol=1e-9, abs_tol=1e-6), (name, mine[:3])


CASES = [
    (date(2025, 2, 28), None, ["2025-02", "2025Q1", "YTD", "2024-02"]),
    (date(2025, 2, 28), FiscalCalendar(3), ["FY2025", "FY2025Q4", "YTD", "2025-02"]),
    (date(2025, 2, 27), FiscalCalendar(3), ["FY2025", "FY2025Q4", "YTD", "2025-02"]),
]


@pytest.mark.parametrize(("as_of", "fiscal", "periods"), CASES)
def test_duckdb_gives_the_same_prior_year(
    as_of: date, fiscal: FiscalCalendar | None, periods: list[str]
) -> None:
    inputs = leap_inputs()
    want = compute_kpis(inputs, as_of=as_of, periods=periods, fiscal=fiscal)
    data, tables = _tables(inputs)
    with duckdb.connect() as conn:
        for name, frame in data.items():
            conn.register(f"in_{name}", frame.to_arrow())
        sql = compile_kpi_sql(tables, as_of=as_of, periods=periods, fiscal=fiscal)
        _assert_rows(want, conn.sql(sql).fetchall())
    if as_of == date(2025, 2, 28) and fiscal is not None:
        east = want.filter((pl.col("key") == "E") & (pl.col("dimension") == "territory"))
        assert dict(east.select("period", "revenue_prior_year").iter_rows())["FY2025"] == 1220.0


PG_TYPES = {pl.String: "TEXT", pl.Date: "DATE", pl.Float64: "DOUBLE PRECISION"}


@pytest.mark.postgres
def test_postgres_gives_the_same_prior_year(pg: Any) -> None:
    as_of, fiscal, periods = CASES[1]
    inputs = leap_inputs()
    want = compute_kpis(inputs, as_of=as_of, periods=periods, fiscal=fiscal)
    data, tables = _tables(inputs)
    with pg.transaction(force_rollback=True):
        for name, frame in data.items():
            columns = ", ".join(f"{c} {PG_TYPES[frame.schema[c]]}" for c in frame.columns)
            pg.execute(f"CREATE TEMPORARY TABLE in_{name} ({columns}) ON COMMIT DROP")
            marks = ", ".join(["%s"] * frame.width)
            pg.cursor().executemany(f"INSERT INTO in_{name} VALUES ({marks})", frame.rows())
        sql = compile_kpi_sql(
            tables, as_of=as_of, periods=periods, fiscal=fiscal, dialect="postgres"
        )
        _assert_rows(want, pg.execute(sql).fetchall())


# -- property: a complete period's figures do not depend on the day they are taken on ------

DAY0 = date(2023, 1, 1)


@st.composite
def sales_and_period(draw: st.DrawFn) -> tuple[KpiInputs, Period, FiscalCalendar]:
    """Sales over 2023-2025 thick around the end of February, and a month, quarter or
    fiscal year (any start month) that has ended."""
    leap_days = st.sampled_from([date(2024, 2, 29), date(2024, 2, 28), date(2024, 3, 1)])
    any_day = st.integers(0, 1000).map(lambda n: DAY0 + timedelta(days=n))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["A1", "A2"]),
                st.one_of(leap_days, any_day),
                st.sampled_from([-25.0, 10.0, 100.0, 1000.0]),
            ),
            min_size=1,
            max_size=20,
        )
    )
    sales = pl.DataFrame(
        {"account_id": [r[0] for r in rows], "date": [r[1] for r in rows],
         "amount": [r[2] for r in rows]},
        schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64},
    )  # fmt: skip
    inputs = KpiInputs(
        sales_lines=sales,
        accounts=pl.DataFrame({"id": ["A1", "A2"]}),
        alignment=pl.DataFrame({"account_id": ["A1", "A2"], "territory_id": ["E", "W"]}),
        territories=TERRITORIES,
    )
    fiscal = FiscalCalendar(draw(st.integers(1, 12)))
    kind = draw(st.sampled_from(["month", "quarter", "year"]))
    year = 2025
    if kind == "month":
        label = f"2025-{draw(st.integers(1, 6)):02d}"
    elif kind == "quarter":
        label = f"FY{year}Q{draw(st.integers(1, 4))}"
    else:
        label = f"FY{year}"
    return inputs, parse_period(label, fiscal=fiscal), fiscal


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sales_and_period(), st.integers(1, 40))
def test_a_complete_period_reads_the_same_on_its_last_day_and_later(
    case: tuple[KpiInputs, Period, FiscalCalendar], later: int
) -> None:
    inputs, period, fiscal = case
    columns = ["key", "revenue", "revenue_prior_year", "revenue_growth", "elapsed_share"]
    on_end, after = (
        compute_kpis(
            inputs, as_of=day, periods=[period], dimensions=["territory"], fiscal=fiscal
        ).select(columns)
        for day in (period.end, period.end + timedelta(days=later))
    )
    assert on_end.equals(after)
    assert on_end["elapsed_share"].to_list() == [1.0] * on_end.height
