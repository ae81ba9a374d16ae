from __future__ import annotations

import json
from datetime import date

import pytest

from terraplan.errors import DataError, InvalidParameterError
from terraplan.storage import bulk
from terraplan.storage.database import Database


def _accounts(n: int, *, prefix: str = "A") -> list[dict[str, object]]:
    return [
        {
            "id": f"{prefix}{i:04d}",
            "name": f"Company {i}",
            "postal_code": f"{94000 + i:05d}",
            "potential": float(i * 10),
            "attributes": {"tier": i % 3, "tag": "x"},
        }
        for i in range(n)
    ]


def test_upsert_inserts_then_updates_without_duplicates(db: Database) -> None:
    with db.connect() as connection:
        assert bulk.upsert_records(connection, "accounts", _accounts(50)) == 50
    changed = [{"id": "A0003", "name": "Renamed", "potential": 1.5}]
    with db.connect() as connection:
        bulk.upsert_records(connection, "accounts", changed)
    with db.connect() as connection:
        assert bulk.count_rows(connection, "accounts") == 50
        rows = {r["id"]: r for r in bulk.read_arrow(connection, "accounts").to_pylist()}
    assert rows["A0003"]["name"] == "Renamed"
    assert rows["A0003"]["potential"] == 1.5
    # Columns the update did not carry keep their values.
    assert rows["A0003"]["postal_code"] == "94003"
    assert json.loads(rows["A0003"]["attributes"]) == {"tier": 0, "tag": "x"}
    assert rows["A0004"]["potential"] == 40.0


def test_read_arrow_keeps_types_and_column_selection(db: Database) -> None:
    with db.connect() as connection:
        bulk.upsert_records(connection, "accounts", _accounts(1))
        bulk.upsert_records(
            connection,
            "sales_lines",
            [{"id": "S1", "account_id": "A0000", "date": date(2025, 2, 28), "amount": -12.5}],
        )
    with db.connect() as connection:
        table = bulk.read_arrow(connection, "sales_lines", ["id", "date", "amount"])
    assert table.schema.names == ["id", "date", "amount"]
    assert table.to_pylist() == [{"id": "S1", "date": date(2025, 2, 28), "amount": -12.5}]


def test_a_failure_inside_the_transaction_writes_nothing(db: Database) -> None:
    with pytest.raises(DataError, match="sales_lines"), db.connect() as connection:
        bulk.upsert_records(connection, "accounts", _accounts(30))
        # A sales line of an unknown account violates the foreign key in the same transaction.
        bulk.upsert_records(
            connection,
            "sales_lines",
            [{"id": "S1", "account_id": "NOPE", "date": date(2025, 1, 1), "amount": 1.0}],
        )
    with db.connect() as connection:
        assert bulk.count_rows(connection, "accounts") == 0


def test_unknown_kind_and_columns_are_rejected(db: Database) -> None:
    with db.connect() as connection:
        with pytest.raises(InvalidParameterError, match="unknown record kind 'planets'"):
            bulk.upsert_records(connection, "planets", [{"id": "x"}])
        with pytest.raises(InvalidParameterError, match="colour"):
            bulk.upsert_records(connection, "accounts", [{"id": "x", "colour": "red"}])


def test_large_upsert_spans_several_chunks(db: Database) -> None:
    n = bulk.CHUNK_ROWS + 123
    with db.connect() as connection:
        assert bulk.upsert_records(connection, "accounts", _accounts(n, prefix="B")) == n
    with db.connect() as connection:
        assert bulk.count_rows(connection, "accounts") == n


def test_an_update_without_a_required_column_keeps_the_stored_value(db: Database) -> None:
    """Rows leaving out ``name`` (NOT NULL) can only update: SQLite would refuse an upsert."""
    with db.connect() as connection:
        bulk.upsert_records(connection, "accounts", _accounts(3))
    with db.connect() as connection:
        written = bulk.upsert_records(
            connection,
            "accounts",
            [{"id": "A0001", "potential": 7.0}, {"id": "A0002", "potential": None}],
        )
        rows = {r["id"]: r for r in bulk.read_arrow(connection, "accounts").to_pylist()}
    assert written == 2
    assert (rows["A0001"]["name"], rows["A0001"]["potential"]) == ("Company 1", 7.0)
    assert (rows["A0002"]["name"], rows["A0002"]["potential"]) == ("Company 2", None)
    # a new id has no name to keep: refused (SQLite names the rows, PostgreSQL the column)
    with db.connect() as connection, pytest.raises(DataError, match=r"rows name no stored|name"):
        bulk.upsert_records(
            connection,
            "accounts",
            [{"id": "A0001", "potential": 8.0}, {"id": "NEW", "potential": 1.0}],
        )


def test_read_arrow_keeps_its_row_order_when_rows_are_updated(db: Database) -> None:
    """On PostgreSQL an update moves a row to the end of the table: after `terraplan db upgrade`
    had rewritten every account (0012), `rules check` listed another sample of gap ids than
    the same terraplan before. Rows now come in the order they had (by id on PostgreSQL)."""
    with db.connect() as connection:
        bulk.upsert_records(connection, "accounts", _accounts(5))
    with db.connect() as connection:
        before = bulk.read_arrow(connection, "accounts", ["id"]).column("id").to_pylist()
        bulk.upsert_records(connection, "accounts", [{"id": "A0001", "name": "Renamed"}])
    with db.connect() as connection:
        after = bulk.read_arrow(connection, "accounts", ["id"]).column("id").to_pylist()
    assert before == after == ["A0000", "A0001", "A0002", "A0003", "A0004"]
