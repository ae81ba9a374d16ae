"""The order of a date column carried over the batches of one import (a table or a Parquet
folder read in parts), when the order is guessed from the decimal comma."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from terraplan.io import iter_records
from terraplan.io.batch_readings import BatchReadings
from terraplan.io.readers import read_table
from terraplan.io.validation import validate


def _batch(tmp_path: Path, name: str, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / f"{name}.csv"
    body = "".join(f"{name}{i};A1;{day};{amount}\n" for i, (day, amount) in enumerate(rows))
    path.write_text("id;account_id;date;amount\n" + body)
    return path


def _read(paths: list[Path]) -> tuple[dict[str, date], list[str], BatchReadings]:
    readings = BatchReadings()
    dates: dict[str, date] = {}
    warnings: list[str] = []
    for path in paths:
        result = validate(read_table(path, "sales_lines"), known_ids={}, readings=readings)
        assert result.report.ok, result.report.summary()
        dates.update({r["id"]: r["date"] for r in iter_records(result.frame)})
        warnings.extend(result.report.warnings)
    return dates, warnings, readings


def test_a_later_batch_without_a_decimal_comma_stays_day_first(tmp_path: Path) -> None:
    first = _batch(tmp_path, "a", [("01/02/2025", "1.000,00")])
    second = _batch(tmp_path, "b", [("01/03/2025", "100")])  # nothing tells in this batch
    dates, warnings, readings = _read([first, second])
    assert dates == {"a0": date(2025, 2, 1), "b0": date(2025, 3, 1)}
    assert readings.orders == {"date": "comma"}
    assert len({w for w in warnings if "day/month/year" in w}) == 1


def test_a_later_batch_with_a_decimal_comma_stays_month_first(tmp_path: Path) -> None:
    # the first batch was read month first by default: the second may not swap
    first = _batch(tmp_path, "a", [("01/02/2025", "100")])
    second = _batch(tmp_path, "b", [("01/03/2025", "1.000,00")])
    dates, warnings, readings = _read([first, second])
    assert dates == {"a0": date(2025, 1, 2), "b0": date(2025, 1, 3)}
    assert readings.orders == {"date": "default"}
    assert {w for w in warnings if "date order" in w} == {
        "column 'date' does not show the date order (every day and month is 12 or less):"
        " slashed dates are read as month/day/year; if they are day/month/year, write them"
        " as YYYY-MM-DD"
    }


def test_day_first_dates_after_a_decimal_comma_guess_agree(tmp_path: Path) -> None:
    first = _batch(tmp_path, "a", [("01/02/2025", "12,50")])
    second = _batch(tmp_path, "b", [("25/03/2025", "12,50"), ("04/05/2025", "1")])
    dates, _, readings = _read([first, second])
    assert dates == {"a0": date(2025, 2, 1), "b0": date(2025, 3, 25), "b1": date(2025, 5, 4)}
    assert readings.orders == {"date": "comma"}
