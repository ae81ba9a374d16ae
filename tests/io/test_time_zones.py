"""A mapping file's ``time_zone`` reads UTC date-times (Data Loader) as the local day."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io import iter_records, load_file
from terraplan.io.mapping import load_mapping

# Data Loader's Lead export: CreatedDate in UTC
LEADS = (
    "Id,Company,PostalCode,State,CreatedDate\n"
    "00Q1,Acme,02108,MA,2026-04-01T00:30:00.000Z\n"  # 31 March, 8:30 PM in Boston (EDT)
    "00Q2,Beta,02108,MA,2026-01-01T04:59:00.000+0000\n"  # New Year's Eve, 11:59 PM (EST)
    "00Q3,Gamma,02108,MA,2026-01-01T05:00:00.000+0000\n"  # New Year's Day, midnight
    "00Q4,Delta,02108,MA,2026-03-31T20:30:00.000-04:00\n"  # written with its own offset
    "00Q5,Epsilon,02108,MA,2026-03-31\n"  # a plain date stays as written
    "00Q6,Zeta,02108,MA,2026-03-31 23:30\n"  # a report's local date-time (no zone) too
)


def _created(result: Any) -> dict[str, date]:
    return {r["id"]: r["created_date"] for r in iter_records(result.frame)}


def test_without_a_time_zone_a_utc_date_time_keeps_its_utc_day(make_file: Any) -> None:
    days = _created(load_file(make_file(LEADS), "leads"))
    assert days["00Q1"] == date(2026, 4, 1) and days["00Q2"] == date(2026, 1, 1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_time_zone_new_york_puts_an_evening_lead_in_its_local_month(
    make_file: Any, tmp_path: Path, fmt: str
) -> None:
    mapping = tmp_path / "boston.yaml"
    mapping.write_text("time_zone: America/New_York\n", encoding="utf-8")
    result = load_file(make_file(LEADS, fmt), "leads", mapping=load_mapping(mapping))
    assert result.report.ok, result.report.errors
    assert _created(result) == {
        "00Q1": date(2026, 3, 31),
        "00Q2": date(2025, 12, 31),
        "00Q3": date(2026, 1, 1),
        "00Q4": date(2026, 3, 31),
        "00Q5": date(2026, 3, 31),
        "00Q6": date(2026, 3, 31),
    }
    assert (
        "date-times with a time zone (Z, +0000) are read as their day in America/New_York,"
        " as the mapping file declares (time_zone: America/New_York)"
    ) in result.report.warnings


def test_time_zone_berlin_moves_a_late_utc_evening_into_the_next_month(make_file: Any) -> None:
    text = (
        "Id,AccountId,ServiceDate,TotalPrice\n"
        "L1,0018W00000Acc000QAA,2026-03-31T22:30:00.000Z,100\n"  # 1 April, 00:30 in Berlin
        "L2,0018W00000Acc000QAA,2026-03-31T21:30:00.000Z,100\n"  # 31 March, 23:30 in Berlin
    )
    result = load_file(
        make_file(text),
        "sales_lines",
        mapping={"columns": {}, "time_zone": "Europe/Berlin"},
        known_ids={"accounts": ["0018W00000Acc000QAA"]},
    )
    days = {r["id"]: r["date"] for r in iter_records(result.frame)}
    assert days == {"L1": date(2026, 4, 1), "L2": date(2026, 3, 31)}


def test_with_a_time_zone_an_evening_deal_needs_no_reconciling(make_file: Any) -> None:
    text = (
        "Id,AccountId,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon\n"
        "O1,0018W00000Acc000QAA,Closed Won,100,2026-03-31,2026-04-01T02:00:00.000Z,true,true\n"
    )
    result = load_file(
        make_file(text),
        "opportunities",
        mapping={"time_zone": "America/Los_Angeles"},
        known_ids={"accounts": ["0018W00000Acc000QAA"]},
    )
    assert result.report.ok
    assert not any("in UTC" in w for w in result.report.warnings)
    [row] = list(iter_records(result.frame))
    assert row["created_date"] == date(2026, 3, 31)


def test_an_unknown_time_zone_is_refused_naming_the_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("columns: {}\ntime_zone: EST5\n", encoding="utf-8")
    with pytest.raises(DataError, match="'time_zone' must be a time zone of the IANA database"):
        load_mapping(mapping)


def test_a_parquet_utc_timestamp_reads_in_the_declared_time_zone(tmp_path: Path) -> None:
    # a warehouse extract: CreatedDate as a UTC timestamp column, not text
    path = tmp_path / "leads.parquet"
    pl.DataFrame(
        {
            "Id": ["00Q1", "00Q2"],
            "Company": ["Acme", "Beta"],
            "PostalCode": ["02108", "02108"],
            "CreatedDate": [datetime(2026, 4, 1, 0, 30), datetime(2026, 4, 1, 0, 0)],
        }
    ).with_columns(pl.col("CreatedDate").dt.replace_time_zone("UTC")).write_parquet(path)
    as_written = _created(load_file(path, "leads"))
    assert as_written == {"00Q1": date(2026, 4, 1), "00Q2": date(2026, 4, 1)}
    local = _created(load_file(path, "leads", mapping={"time_zone": "America/New_York"}))
    assert local == {"00Q1": date(2026, 3, 31), "00Q2": date(2026, 3, 31)}
