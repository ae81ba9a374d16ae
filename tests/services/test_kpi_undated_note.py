"""The KPI note counting closed opportunities stored without a close date."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import polars as pl

from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.services.kpi_notes import undated_closed_note


def _data(opportunities: pl.DataFrame | None) -> Any:
    inputs = KpiInputs(
        sales_lines=pl.DataFrame(
            {"account_id": ["A0"], "date": [date(2025, 3, 1)], "amount": [1.0]},
            schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64},
        ),
        accounts=pl.DataFrame({"id": ["A0"]}),
        opportunities=opportunities,
    )
    return SimpleNamespace(inputs=inputs)


def test_closed_opportunities_without_a_close_date_are_counted_once() -> None:
    opps = pl.DataFrame(
        {
            "id": ["W", "L", "OK", "OPEN"],
            "account_id": ["A0"] * 4,
            "created_date": [date(2025, 1, 10)] * 4,
            "close_date": [None, None, date(2025, 3, 1), None],
            "amount": [5000.0, 7000.0, 10.0, 1.0],
            "is_closed": [True, True, True, False],
            "is_won": [True, False, True, False],
        },
        schema={"id": pl.String, "account_id": pl.String, "created_date": pl.Date,
                "close_date": pl.Date, "amount": pl.Float64, "is_closed": pl.Boolean,
                "is_won": pl.Boolean},
    )  # fmt: skip
    assert undated_closed_note(_data(opps)) == [
        "2 closed opportunities are stored without a close date (1 won): left out of revenue,"
        " win rate, deal size, sales cycle and pipeline, which are dated by it; import them"
        " again with their close dates"
    ]
    dated = opps.filter(pl.col("close_date").is_not_null() | ~pl.col("is_closed"))
    assert undated_closed_note(_data(dated)) == []
    assert undated_closed_note(_data(None)) == []
