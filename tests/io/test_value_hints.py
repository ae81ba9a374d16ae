"""Why a date cell was refused, in the words of the cell: Unix times (HubSpot's API form)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from terraplan.io import load_file
from terraplan.io.value_hints import date_hint

GENERIC = "not a date (use YYYY-MM-DD)"
KNOWN = {"accounts": ["A1"]}


def test_epoch_milliseconds_are_named_with_their_utc_day(make_file: Any) -> None:
    # dates pulled from HubSpot's API: epoch milliseconds, 31 March 2026 23:30 UTC
    text = "id,account_id,date,amount\nS1,A1,1774999800000,10\nS2,A1,1774999800,10\n"
    result = load_file(make_file(text), "sales_lines", known_ids=KNOWN)
    assert [(i.row, i.reason) for i in result.report.errors] == [
        (
            2,
            "not a date: looks like a Unix time in milliseconds (1774999800000 ="
            " 2026-03-31 23:30 UTC); write the day as YYYY-MM-DD",
        ),
        (
            3,
            "not a date: looks like a Unix time in seconds (1774999800 ="
            " 2026-03-31 23:30 UTC); write the day as YYYY-MM-DD",
        ),
    ]


def test_a_parquet_column_of_epoch_milliseconds_is_named_too(tmp_path: Path) -> None:
    path = tmp_path / "deals.parquet"
    pl.DataFrame(
        {"id": ["S1"], "account_id": ["A1"], "date": [1_775_020_500_000], "amount": [1.0]}
    ).write_parquet(path)
    [error] = load_file(path, "sales_lines", known_ids=KNOWN).report.errors
    assert "Unix time in milliseconds (1775020500000 = 2026-04-01 05:15 UTC)" in error.reason


def test_other_long_numbers_keep_the_generic_reason() -> None:
    # a phone number or an order number is no time of a record
    assert date_hint("0123456789", GENERIC) == GENERIC
    assert date_hint("9999999999999", GENERIC) == GENERIC
    assert date_hint("12345678", GENERIC) == GENERIC


def test_a_date_in_the_other_order_than_its_column_says_so(make_file: Any) -> None:
    # a US report with one row typed by a European colleague: the column reads month first
    text = (
        "id,account_id,date,amount\n"
        "S1,A1,3/31/2026,10\n"
        "S2,A1,31/3/2026 9:15,10\n"
        "S3,A1,31/02/2026,10\n"
    )
    result = load_file(make_file(text), "sales_lines", known_ids=KNOWN)
    assert [(i.row, i.reason) for i in result.report.errors] == [
        (
            3,
            "not a date in this column's order: written day first (31 is no month), while"
            " the column reads slashed dates month first; write YYYY-MM-DD",
        ),
        (4, "not a date: no such day (February 2026 has 28 days)"),
    ]
