"""Currencies through the import services: all-or-nothing writes, batches judged together,
DataFrames read by the same rules."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from terraplan.errors import DataError
from terraplan.frames import records, validate_frame
from terraplan.io.currency import Currencies
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database

RATES = Currencies.of("USD", {"EUR": 1.1, "GBP": 1.3}, source="rates.csv")

#: (id, account, date, amount, currency) of an order-line table.
LINES = [
    ("L1", "A1", "2025-01-05", 100.0, "EUR"),
    ("L2", "A1", "2025-01-06", 200.0, "EUR"),
    ("L3", "A2", "2025-02-05", 300.0, "eur"),
    ("L4", "A2", "2025-02-06", 400.0, "EUR"),
    ("L5", "A1", "2025-03-05", 500.0, "USD"),  # a third batch of two lines
    ("L6", "A2", "2025-03-06", 600.0, "GBP"),
]
CONVERTED = 100 * 1.1 + 200 * 1.1 + 300 * 1.1 + 400 * 1.1 + 500 + 600 * 1.3


def _stored_sum(db: Database) -> tuple[int, float | None]:
    with db.engine.connect() as connection:
        count, total = connection.execute(
            text("SELECT COUNT(*), SUM(amount) FROM sales_lines")
        ).one()
    return int(count), None if total is None else float(total)


def _with_accounts(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("Id,Name\nA1,Acme\nA2,Globex\n", encoding="utf-8")
    import_file(db, path, "accounts")


def _lines_csv(tmp_path: Path) -> Path:
    path = tmp_path / "lines.csv"
    body = "".join(f"{i},{a},{d},{m},{c}\n" for i, a, d, m, c in LINES)
    path.write_text("Line ID,AccountId,Date,Amount,CurrencyIsoCode\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("on_error", ["abort", "skip"])
def test_a_mixed_file_writes_nothing(db: Database, tmp_path: Path, on_error: str) -> None:
    _with_accounts(db, tmp_path)
    path = _lines_csv(tmp_path)
    with pytest.raises(DataError) as refused:
        import_file(db, path, "sales_lines", on_error=on_error)  # type: ignore[arg-type]
    message = refused.value.message
    assert message.startswith(f"{path}: amounts in 3 currencies (column 'CurrencyIsoCode':")
    assert "EUR: 4 rows, first at row 2; GBP: 1 row, first at row 7; USD: 1 row" in message
    assert message.endswith("; nothing was imported")
    assert _stored_sum(db) == (0, None)
    imported = import_file(db, path, "sales_lines", currencies=RATES)
    assert imported.written == 6
    count, total = _stored_sum(db)
    assert count == 6 and total == pytest.approx(CONVERTED)


def _sqlite_lines(tmp_path: Path, lines: list[tuple[str, str, str, float, str]]) -> str:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE lines (pk INTEGER PRIMARY KEY, Id TEXT, AccountId TEXT, Date TEXT,"
            " Amount REAL, CurrencyIsoCode TEXT)"
        )
        connection.executemany(
            "INSERT INTO lines VALUES (?, ?, ?, ?, ?, ?)",
            [(10 * (n + 1), *line) for n, line in enumerate(lines)],
        )
    return f"sqlite:///{path}?table=lines"


def test_a_currency_in_a_later_batch_counts(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/terraplan.db")
    from terraplan.storage import migrate

    migrate.upgrade(db)
    _with_accounts(db, tmp_path)
    source = parse_source(_sqlite_lines(tmp_path, LINES))
    assert source is not None
    with pytest.raises(DataError) as refused:
        import_source(db, source, "sales_lines", batch_rows=2)  # EUR, EUR, then USD and GBP
    message = refused.value.message
    assert "lines: amounts in 3 currencies (column 'CurrencyIsoCode': EUR: 4 rows, first at" in (
        message
    )
    assert "GBP: 1 row, first at row 60; USD: 1 row, first at row 50" in message
    report = refused.value.details["report"]
    assert (report["accepted"], report["rejected"]) == (0, 6)
    assert _stored_sum(db) == (0, None)  # the earlier batches were rolled back

    imported = import_source(db, source, "sales_lines", batch_rows=2, currencies=RATES)
    count, total = _stored_sum(db)
    assert count == 6 and total == pytest.approx(CONVERTED)
    notes = [w for w in imported.report.warnings if "currenc" in w or "converted" in w]
    assert notes == [
        "amounts converted to USD with rates.csv: EUR at 1.1 (4 rows), GBP at 1.3 (1 row)"
    ]

    # One currency in every batch is fine, unless it is not the reporting currency.
    euros = [(i, a, d, m, "EUR") for i, a, d, m, _ in LINES]
    (tmp_path / "crm.db").unlink()
    one = parse_source(_sqlite_lines(tmp_path, euros))
    assert one is not None
    # ... but the lines stored are in USD now: EUR ones are refused unless named on purpose
    with pytest.raises(
        DataError,
        match=r"amounts are in EUR \(column 'CurrencyIsoCode', first at row 10\), but the sales lines",
    ):
        import_source(db, one, "sales_lines", batch_rows=4)
    plain = import_source(db, one, "sales_lines", batch_rows=4, currencies=Currencies.of("EUR"))
    assert "amounts are in EUR (column 'CurrencyIsoCode')" in plain.report.warnings
    with pytest.raises(DataError, match="not in the reporting currency USD"):
        import_source(db, one, "sales_lines", batch_rows=4, currencies=Currencies.of("USD"))
    db.dispose()


def test_a_parquet_folder_names_the_file_of_a_currency(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/terraplan.db")
    from terraplan.storage import migrate

    migrate.upgrade(db)
    _with_accounts(db, tmp_path)
    folder = tmp_path / "lines"
    folder.mkdir()
    for name, part in (("a", LINES[:4]), ("b", LINES[4:])):
        frame = pl.DataFrame(
            part, schema=["Id", "AccountId", "Date", "Amount", "Currency"], orient="row"
        )
        frame.write_parquet(folder / f"{name}.parquet")
    source = parse_source(str(folder))
    assert source is not None
    with pytest.raises(DataError) as refused:
        import_source(db, source, "sales_lines")
    assert f"GBP: 1 row, first at {folder / 'b.parquet'} row 2" in refused.value.message
    db.dispose()


def test_dataframes_follow_the_same_rules() -> None:
    frame = pl.DataFrame(
        LINES, schema=["id", "account_id", "date", "amount", "currency"], orient="row"
    )
    refused = validate_frame(frame, "sales_lines", geocode=False)
    assert not refused.ok and refused.frame.height == 0
    assert refused.report.file_errors[0].reason.startswith(
        "amounts in 3 currencies (column 'currency': EUR: 4 rows, first at row 0;"
    )
    with pytest.raises(DataError, match="sales_lines DataFrame: amounts in 3 currencies"):
        records(frame, "sales_lines", geocode=False)
    lines = records(frame, "sales_lines", geocode=False, currencies=RATES)
    assert sum(line.amount for line in lines) == pytest.approx(CONVERTED)
    assert {line.id: line.amount for line in lines}["L6"] == pytest.approx(780.0)
