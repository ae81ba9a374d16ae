"""Migration 0017: segments, industries and customer types stored in several spellings before
imports wrote one (KPIs grouped ENTERPRISE and Enterprise as two segments) get one each."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _account(account_id: str, segment: str | None, industry: str, kind: str) -> dict[str, Any]:
    return {
        "id": account_id,
        "name": f"Account {account_id}",
        "segment": segment,
        "industry": industry,
        "customer_type": kind,
    }


def test_split_spellings_stored_before_get_the_most_common_one(database_url: str) -> None:
    db = Database(database_url)
    try:
        migrate.upgrade(db, "0016")
        old = sa.MetaData()
        old.reflect(db.engine)
        accounts = [
            _account("A1", "Enterprise", "Health Care", "Partner"),
            _account("A2", "Enterprise", "health  care", "Partner"),
            _account("A3", "ENTERPRISE", "Retail", "partner"),
            _account("A4", " enterprise", "Retail", "PARTNER"),
            _account("A5", "SMB", "HEALTH CARE", "Customer"),
            _account("A6", None, "retail", "Customer"),
        ]
        leads = [{"id": f"L{i}", "company": f"Co {i}", "industry": "health care"} for i in range(4)]
        with db.engine.begin() as connection:
            connection.execute(sa.insert(old.tables["accounts"]), accounts)
            connection.execute(sa.insert(old.tables["leads"]), leads)
        migrate.upgrade(db)
        with UnitOfWork(db) as uow:
            stored = {a.id: a for a in uow.accounts.list()}
            industries = {lead.industry for lead in uow.leads.list()}
    finally:
        db.dispose()
    assert {a.segment for a in stored.values()} == {"Enterprise", "SMB", None}
    # four leads spell it "health care": with the accounts' three spellings, theirs is the most
    assert {stored[a].industry for a in ("A1", "A2", "A5")} == {"health care"}
    assert industries == {"health care"}
    assert {stored[a].industry for a in ("A3", "A4", "A6")} == {"Retail"}
    # a tie (Partner 2, partner 1, PARTNER 1): the most common
    assert {stored[a].customer_type for a in ("A1", "A2", "A3", "A4")} == {"Partner"}
