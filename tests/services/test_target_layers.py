"""Each day of a territory's targets counted once: the finest target covering it."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.planning.target_days import finest_target_segments
from terraplan.services.target_layers import finest_targets

SCHEMA = {
    "id": pl.String,
    "territory_id": pl.String,
    "rep_id": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "amount": pl.Float64,
}


def _frame(rows: list[tuple[str, str | None, date, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(i, t, None, s, e, a) for i, t, s, e, a in rows], schema=SCHEMA, orient="row"
    )


def _month(m: int) -> tuple[date, date]:
    start = date(2026, m, 1)
    end = (date(2026, m + 1, 1) if m < 12 else date(2027, 1, 1)) - timedelta(days=1)
    return start, end


def test_a_year_and_its_twelve_months_count_the_months() -> None:
    rows = [("Y", "T1", date(2026, 1, 1), date(2026, 12, 31), 120.0)]
    rows += [(f"M{m}", "T1", *_month(m), 10.0) for m in range(1, 13)]
    kept = finest_targets(_frame(rows))
    assert sorted(kept["id"].to_list()) == sorted(f"M{m}" for m in range(1, 13))
    assert kept["amount"].sum() == pytest.approx(120.0)


def test_a_year_partly_covered_by_months_keeps_the_rest_prorated() -> None:
    """A yearly quota imported from the CRM, then monthly targets for January and February
    and a Q1 target: January and February count their own, March the Q1 target's share of
    its days, April-December the year's share of its days (before, the whole year and Q1
    were dropped: a 2026 target of 2 instead of about 11)."""
    rows = [
        ("Y", "T1", date(2026, 1, 1), date(2026, 12, 31), 12.0),
        ("Q1", "T1", date(2026, 1, 1), date(2026, 3, 31), 3.0),
        ("JAN", "T1", *_month(1), 1.0),
        ("FEB", "T1", *_month(2), 1.0),
    ]
    kept = finest_targets(_frame(rows)).sort("period_start")
    assert kept.select("id", "period_start", "period_end").rows() == [
        ("JAN", date(2026, 1, 1), date(2026, 1, 31)),
        ("FEB", date(2026, 2, 1), date(2026, 2, 28)),
        ("Q1", date(2026, 3, 1), date(2026, 3, 31)),
        ("Y", date(2026, 4, 1), date(2026, 12, 31)),
    ]
    assert kept["amount"].to_list() == pytest.approx([1.0, 1.0, 3.0 * 31 / 90, 12.0 * 275 / 365])


def test_other_periods_and_other_territories_stay_whole() -> None:
    rows = [
        ("Q4-25", "T1", date(2025, 10, 1), date(2025, 12, 31), 5.0),
        ("JAN", "T1", *_month(1), 1.0),
        ("Y-T2", "T2", date(2026, 1, 1), date(2026, 12, 31), 7.0),
    ]
    kept = finest_targets(_frame(rows))
    assert sorted(kept.select("id", "amount").rows()) == [
        ("JAN", 1.0),
        ("Q4-25", 5.0),
        ("Y-T2", 7.0),
    ]


spans = st.tuples(st.integers(0, 400), st.integers(0, 120), st.floats(0, 1e6))


@settings(max_examples=60, deadline=None)
@given(st.lists(spans, min_size=1, max_size=8))
def test_every_day_is_counted_by_one_target(specs: list[tuple[int, int, float]]) -> None:
    """Whatever the periods: the pieces of one territory never overlap, they cover exactly
    the days the targets covered, and a piece never carries more per day than its target."""
    base = date(2026, 1, 1)
    rows = [
        (f"t{i}", "T1", base + timedelta(days=s), base + timedelta(days=s + n), a)
        for i, (s, n, a) in enumerate(specs)
    ]
    kept = finest_targets(_frame(rows))
    days: list[int] = []
    per_day = {r[0]: r[4] / ((r[3] - r[2]).days + 1) for r in rows}
    for row in kept.iter_rows(named=True):
        length = (row["period_end"] - row["period_start"]).days + 1
        days += range(row["period_start"].toordinal(), row["period_end"].toordinal() + 1)
        assert row["amount"] / length == pytest.approx(per_day[row["id"]], rel=1e-9, abs=1e-9)
    assert len(days) == len(set(days))
    wanted = {d for r in rows for d in range(r[2].toordinal(), r[3].toordinal() + 1)}
    assert set(days) == wanted


tied = st.tuples(
    st.sampled_from(["T1", "T2"]),
    st.integers(0, 60),
    st.sampled_from([0, 6, 29, 30, 89]),
    st.sampled_from([1.0, 2.0, 10.0]),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(tied, min_size=1, max_size=8))
def test_scenario_totals_equal_the_kpi_segments(specs: list[tuple[str, int, int, float]]) -> None:
    """The scenario comparison (this function) and the KPIs
    (:func:`~terraplan.planning.target_days.finest_target_segments`) take the same layer per
    day, ties included (equal lengths: the earlier start, then the larger amount), so a
    territory's target total is the same figure in both."""
    base = date(2026, 1, 1)
    rows = [
        (f"t{i}", t, base + timedelta(days=s), base + timedelta(days=s + n), a)
        for i, (t, s, n, a) in enumerate(specs)
    ]
    frame = _frame(rows)
    ours = finest_targets(frame).group_by("territory_id").agg(pl.col("amount").sum())
    theirs = (
        finest_target_segments(frame.lazy())
        .collect()
        .group_by("territory_id")
        .agg(pl.col("amount").sum())
    )
    assert dict(ours.sort("territory_id").rows()) == pytest.approx(
        dict(theirs.sort("territory_id").rows()), rel=1e-9
    )
