"""plans compare, targets: a plan whose targets cover several years (this year's kept beside
next year's) compared with one that sets none shows its latest year, not the years summed."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from terraplan.services.plan_comparison import _comparable_targets


def test_one_plans_targets_over_two_years_show_its_latest_year() -> None:
    """A copy that kept this year's targets beside next year's, compared with a plan that sets
    none: the audit's 'none -> 98.9M' summed 2026 (47.2M) and 2027 (51.8M) as one quota."""

    def rows(years: list[tuple[int, float]]) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "territory_id": ["east"] * len(years),
                "period_start": [date(y, 1, 1) for y, _ in years],
                "period_end": [date(y, 12, 31) for y, _ in years],
                "amount": [a for _, a in years],
            },
            schema={
                "territory_id": pl.String,
                "period_start": pl.Date,
                "period_end": pl.Date,
                "amount": pl.Float64,
            },
        )

    totals, notes, period = _comparable_targets(
        ("P001", "P002"), [rows([]), rows([(2026, 8_998_000.0), (2027, 9_770_000.0)])]
    )
    assert totals == [{}, {"east": 9_770_000.0}] and period == "2027"
    assert notes == [
        "targets are shown over 2027, the latest year P002 sets (its other targets are left out)"
    ]
    # one year only: shown as it is, no note
    totals, notes, period = _comparable_targets(
        ("P001", "P002"), [rows([(2027, 9_770_000.0)]), rows([])]
    )
    assert totals == [{"east": 9_770_000.0}, {}] and period == "2027" and notes == []


def _spans(spans: list[tuple[date, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "territory_id": ["east"] * len(spans),
            "period_start": [a for a, _, _ in spans],
            "period_end": [b for _, b, _ in spans],
            "amount": [v for _, _, v in spans],
        },
        schema={
            "territory_id": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "amount": pl.Float64,
        },
    )


def test_this_years_plan_against_next_years_compares_year_over_year() -> None:
    """The realignment audit compared FY26 (2026 targets, 30.9M) with FY27 (2027, 35.2M):
    'targets: no targets stored' and '-' in every territory's row, as the plans shared no
    period. Each plan's year is now shown, monthly targets (July to June fiscal years) too;
    a quarter is not set against a year."""
    months_26 = [(date(2025 + (m > 6), (m + 6 - 1) % 12 + 1, 1), 1_000.0) for m in range(1, 13)]
    rows = [
        _spans([(a, (a.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1), v)
                for a, v in months_26]),
        _spans([(date(2026, 7, 1), date(2027, 6, 30), 15_000.0)]),
    ]  # fmt: skip
    totals, notes, period = _comparable_targets(("FY26", "FY27"), rows)
    assert totals == [{"east": 12_000.0}, {"east": 15_000.0}]
    assert period == "2025-07-01 to 2026-06-30 -> 2026-07-01 to 2027-06-30"
    assert notes[0].endswith("the change is year over year")
    quarter = _spans([(date(2027, 1, 1), date(2027, 3, 31), 4_000.0)])
    totals, notes, period = _comparable_targets(("FY26", "Q1"), [rows[0], quarter])
    assert totals == [{}, {}] and period is None
    assert notes[0].endswith("so no target change is shown")
