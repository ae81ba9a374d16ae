"""plans compare, targets: a plan whose targets cover several years (this year's kept beside
next year's) compared with one that sets none shows its latest year, not the years summed."""

from __future__ import annotations

from datetime import date

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
