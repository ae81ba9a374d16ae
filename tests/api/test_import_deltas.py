"""``POST /imports/{kind}`` of nightly deltas: a header-only upload succeeds with nothing
written, a late one leaves its older rows out, and ``reload=true`` imports them again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.api.test_hardening import _wait_for

from terraplan.services.imports import import_file
from terraplan.storage.database import Database

HEAD = "Id,AccountId,StageName,Amount,CreatedDate,LastModifiedDate\n"
WED = HEAD + "006Hu00000OOOO1IAA,A1,Negotiation,1800,2026-10-01,2026-11-04T08:00:00.000Z\n"
TUE = HEAD + "006Hu00000OOOO1IAA,A1,Prospecting,1000,2026-10-01,2026-11-03T08:00:00.000Z\n"


def _amount(db: Database) -> float:
    with db.engine.connect() as connection:
        return float(connection.execute(text("SELECT amount FROM opportunities")).scalar_one())


def test_deltas_uploaded_late_twice_or_empty(
    as_user: Callable[..., TestClient], db: Database, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Id,Name\nA1,Acme\n", encoding="utf-8")
    import_file(db, accounts, "accounts")
    client = as_user("planner", job_workers=1)

    def send(body: str, **params: str) -> dict:
        sent = client.post("/imports/opportunities", params=params, content=body.encode())
        assert sent.status_code == 202, sent.text
        job = _wait_for(client, sent.json()["id"])
        assert job["status"] == "succeeded", job["error"]
        return job["result"]

    quiet = send(HEAD)
    assert quiet["written"] == 0
    assert "no data rows" in str(quiet)
    send(WED)
    late = send(TUE)
    assert late["written"] == 0
    assert "older than the opportunities stored" in str(late)
    assert _amount(db) == 1800.0
    again = send(TUE, reload="true")
    assert again["written"] == 1
    assert _amount(db) == 1000.0
