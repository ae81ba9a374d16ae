"""``POST /imports/{kind}`` with ``currency`` and ``rates``: the job converts, or fails whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.api.test_hardening import _wait_for

from terraplan.services.imports import import_file
from terraplan.storage.database import Database

LINES = (
    "Line ID,AccountId,Date,Amount,CurrencyIsoCode\n"
    "L1,A1,2025-01-05,100,EUR\nL2,A1,2025-01-06,200,gbp\nL3,A1,2025-01-07,300,USD\n"
)


def _sum(db: Database) -> float | None:
    with db.engine.connect() as connection:
        total = connection.execute(text("SELECT SUM(amount) FROM sales_lines")).scalar()
    return None if total is None else float(total)


def test_an_upload_in_several_currencies_needs_rates(
    as_user: Callable[..., TestClient], db: Database, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Id,Name\nA1,Acme\n", encoding="utf-8")
    import_file(db, accounts, "accounts")
    client = as_user("planner", job_workers=1)
    body = LINES.encode()
    refused = client.post("/imports/sales_lines", content=body)
    assert refused.status_code == 202
    failed = _wait_for(client, refused.json()["id"])
    assert failed["status"] == "failed"
    assert "amounts in 3 currencies" in str(failed["error"])
    assert _sum(db) is None

    bad = client.post("/imports/sales_lines", params={"rates": "EUR:-1"}, content=body)
    assert bad.status_code == 422
    assert "rate of EUR" in bad.text
    wrong_kind = client.post("/imports/reps", params={"currency": "USD"}, content=body)
    assert wrong_kind.status_code == 422

    sent = client.post(
        "/imports/sales_lines",
        params={"currency": "usd", "rates": "EUR:1.1,GBP:1.3"},
        content=body,
    )
    job = _wait_for(client, sent.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert _sum(db) == pytest.approx(100 * 1.1 + 200 * 1.3 + 300)
