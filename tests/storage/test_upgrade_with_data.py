"""A database full of a team's records, made by an older terraplan, upgrades to the newest schema
and reads back the same through the current repositories and services (SQLite and PostgreSQL).

The old rows are written against the tables as they were at the old revision (reflected from
the database, not the current ORM), as that terraplan wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from terraplan.domain.plan import PlanStatus
from terraplan.errors import AuthenticationError
from terraplan.services.routing import route_record
from terraplan.services.users import authenticate
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.ownership_history import history
from terraplan.storage.unit_of_work import UnitOfWork

#: Written by a terraplan of revision 0005 (users, no ownership periods, no scopes, no currency).
OLD = "0005"
ACTIVATED = datetime(2026, 3, 2, 9, 30)
PASSWORD = "old-password-1"
RULES = {
    "version": 1,
    "name": "FY26 (generated)",
    "priority": ["named", "vertical", "segment", "geo", "catch_all"],
    "tie_breaker": "none",
    "territories": [
        {"id": "T1", "name": "West", "type": "geo"},
        {"id": "T2", "name": "East", "type": "geo"},
    ],
    "named_accounts": [],
    "rules": [
        {"id": "T1-county", "territory": "T1", "order": 0,
         "when": {"field": "county_fips", "op": "in", "value": ["06075"]}},
        {"id": "T2-county", "territory": "T2", "order": 0,
         "when": {"field": "county_fips", "op": "in", "value": ["36061"]}},
    ],
    "exclusions": [],
    "overlays": [],
}  # fmt: skip


def _account(account_id: str, name: str, county: str, state: str, owner: str) -> dict[str, Any]:
    return {
        "id": account_id, "name": name, "street": None, "city": None, "state": state,
        "postal_code": "94107" if state == "CA" else "10001", "country": "US",
        "latitude": 37.76 if state == "CA" else 40.75,
        "longitude": -122.39 if state == "CA" else -73.99, "county_fips": county,
        "industry": "Software", "customer_type": "Customer - Direct", "segment": "SMB",
        "employees": 40, "annual_revenue": 5_000_000.0, "potential": 120_000.0,
        "workload": 2.5, "parent_id": None, "owner_id": owner, "attributes": {"tier": "B"},
    }  # fmt: skip


def _rep(rep_id: str, name: str, region: str) -> dict[str, Any]:
    return {
        "id": rep_id, "name": name, "email": None, "role": "account_executive",
        "home_postal_code": None, "home_latitude": None, "home_longitude": None,
        "skills_industries": ["Software"], "skills_segments": [], "skills_products": [],
        "experience_years": 4.0, "capacity_hours": 1600.0, "capacity_accounts": None,
        "manager_id": None, "region": region, "hire_date": date(2022, 5, 1), "active": True,
    }  # fmt: skip


def _old_rows() -> dict[str, Sequence[Mapping[str, Any]]]:
    """What a team's database held at 0005: a design activated with its rule run, sales, a user."""
    county = {"attributes": {}, "neighbours": [], "polygon": None, "parent_id": None}
    return {
        "geo_units": [
            {"id": "06075", "kind": "county", "name": "San Francisco County, CA",
             "latitude": 37.76, "longitude": -122.44, "state": "CA", **county},
            {"id": "36061", "kind": "county", "name": "New York County, NY",
             "latitude": 40.78, "longitude": -73.97, "state": "NY", **county},
        ],
        "reps": [_rep("R1", "Ana West", "West"), _rep("R2", "Bo East", "East")],
        "accounts": [
            _account("A1", "Golden Gate Software", "06075", "CA", "R1"),
            _account("A2", "Hudson Labs", "36061", "NY", "R2"),
            _account("A3", "Mission Tools", "06075", "CA", "R1"),
        ],
        "sales_lines": [
            {"id": "S1", "account_id": "A1", "date": date(2025, 11, 3), "amount": 1250.5,
             "product": "Core", "quantity": 1.0},
            {"id": "S2", "account_id": "A2", "date": date(2026, 1, 15), "amount": 980.0,
             "product": "Core", "quantity": 2.0},
        ],
        "import_runs": [
            {"id": 1, "kind": "accounts", "source": "Account.csv", "rows_read": 3,
             "accepted": 3, "rejected": 0, "on_error": "fail", "finished_at": ACTIVATED},
        ],
        "plans": [
            {"id": "P001", "name": "FY26 territories", "version": 2, "status": "active",
             "effective_from": None, "effective_to": None, "description": None,
             "based_on_plan_id": None, "created_by": "ana", "created_at": datetime(2026, 3, 1),
             "updated_by": "ana", "updated_at": ACTIVATED,
             "parameters": {"units": "counties", "balance": {"potential": 0.1}}},
        ],
        "territories": [
            {"plan_id": "P001", "id": "T1", "position": 0, "name": "West", "type": "geo",
             "parent_id": None, "level": "territory"},
            {"plan_id": "P001", "id": "T2", "position": 1, "name": "East", "type": "geo",
             "parent_id": None, "level": "territory"},
        ],
        "territory_owners": [
            {"plan_id": "P001", "territory_id": "T1", "rep_id": "R1", "role": "primary",
             "share": 1.0, "position": 0},
            {"plan_id": "P001", "territory_id": "T2", "rep_id": "R2", "role": "primary",
             "share": 1.0, "position": 0},
        ],
        "alignments": [
            {"plan_id": "P001", "record_kind": "geo_unit", "record_id": "06075",
             "territory_id": "T1"},
            {"plan_id": "P001", "record_kind": "geo_unit", "record_id": "36061",
             "territory_id": "T2"},
        ],
        "rule_sets": [
            {"plan_id": "P001", "version": 1, "plan_version": 1, "document": json.dumps(RULES),
             "created_by": "design", "created_at": datetime(2026, 3, 1)},
        ],
        "assignment_runs": [
            {"id": 1, "plan_id": "P001", "plan_version": 2, "rule_set_version": 1,
             "started_at": ACTIVATED, "records": 3, "gaps": 0, "conflicts": 0,
             "owner_changes": 0},
        ],
        "assignments": [
            {"plan_id": "P001", "record_kind": "account", "record_id": account,
             "territory_id": territory, "owner_id": owner, "rule_id": f"{territory}-county",
             "status": "assigned", "plan_version": 2, "run_id": 1, "assigned_at": ACTIVATED}
            for account, territory, owner in (("A1", "T1", "R1"), ("A2", "T2", "R2"),
                                              ("A3", "T1", "R1"))
        ],
        "users": [
            {"id": 1, "username": "ana", "password_hash": PasswordHasher().hash(PASSWORD),
             "role": "planner", "rep_id": None, "region": None, "active": True,
             "created_at": datetime(2026, 3, 1), "last_login_at": None},
        ],
    }  # fmt: skip


@pytest.fixture
def upgraded(database_url: str) -> Iterator[Database]:
    """A database an old terraplan filled at revision OLD, then brought to the newest."""
    db = Database(database_url)
    try:
        migrate.upgrade(db, OLD)
        old_tables = sa.MetaData()
        old_tables.reflect(db.engine)
        with db.engine.begin() as connection:
            for name, rows in _old_rows().items():
                connection.execute(sa.insert(old_tables.tables[name]), list(rows))
        migrate.upgrade(db)
        yield db
    finally:
        db.dispose()


def test_records_read_back_the_same_after_the_upgrade(upgraded: Database) -> None:
    assert migrate.current_revision(upgraded) == migrate.head_revision()
    assert migrate.schema_drift(upgraded) == []
    with UnitOfWork(upgraded) as uow:
        accounts = {a.id: a for a in uow.accounts.list()}
        reps = {r.id: r.name for r in uow.reps.list()}
        sales = {s.id: (s.account_id, s.date, s.amount) for s in uow.sales_lines.list()}
        plan = uow.plans.get("P001")
        assigned = {
            a.record_id: (a.territory_id, a.owner_id) for a in uow.assignments.current("P001")
        }
        rules = uow.rule_sets.latest("P001")
    assert sorted(accounts) == ["A1", "A2", "A3"]
    assert (accounts["A2"].name, accounts["A2"].owner_id, accounts["A2"].county_fips) == (
        "Hudson Labs", "R2", "36061",
    )  # fmt: skip
    assert accounts["A1"].potential == 120_000.0
    assert accounts["A1"].attributes == {"tier": "B"}
    assert reps == {"R1": "Ana West", "R2": "Bo East"}
    assert sales == {
        "S1": ("A1", date(2025, 11, 3), 1250.5),
        "S2": ("A2", date(2026, 1, 15), 980.0),
    }
    assert (plan.status, plan.version, plan.scope) == (PlanStatus.ACTIVE, 2, None)
    assert [(t.id, t.name, [o.rep_id for o in t.owners]) for t in plan.territories] == [
        ("T1", "West", ["R1"]),
        ("T2", "East", ["R2"]),
    ]
    assert {(e.record_id, e.territory_id) for e in plan.alignment} == {
        ("06075", "T1"),
        ("36061", "T2"),
    }
    assert assigned == {"A1": ("T1", "R1"), "A2": ("T2", "R2"), "A3": ("T1", "R1")}
    assert json.loads(rules.document) == RULES
    # users sign in with the passwords they had
    assert authenticate(upgraded, "ana", PASSWORD).username == "ana"
    with pytest.raises(AuthenticationError):
        authenticate(upgraded, "ana", "not-her-password")


def test_a_plan_active_before_ownership_history_has_its_owners_and_still_routes(
    upgraded: Database,
) -> None:
    """A plan activated by a terraplan older than 0007 recorded no ownership periods: after
    the upgrade `terraplan owners A1` answered nothing, and KPIs by rep said no plan was
    activated. 0016 records the periods its activation records today, from the day it was
    activated (its last save: the old code logged nothing else)."""
    with upgraded.engine.connect() as connection:
        periods = {
            account: [
                (p.territory_id, p.territory_name, p.owner_id, p.plan_id, p.valid_from, p.valid_to)
                for p in history(connection, account)
            ]
            for account in ("A1", "A2", "A3")
        }
    day = ACTIVATED.date()
    assert periods == {
        "A1": [("T1", "West", "R1", "P001", day, None)],
        "A2": [("T2", "East", "R2", "P001", day, None)],
        "A3": [("T1", "West", "R1", "P001", day, None)],
    }
    with UnitOfWork(upgraded) as uow:
        assert uow.plans.get("P001").effective_from == day
    routed = route_record(upgraded, {"id": "lead", "county_fips": "36061", "country": "US"})
    assert (routed.plan_id, routed.territory_name, routed.owner_name) == ("P001", "East", "Bo East")


def test_a_database_migrated_while_0009_followed_0007_gets_the_plan_scope_column(
    database_url: str,
) -> None:
    """For three commits main chained 0009 (territory notes) after 0007, skipping 0008 (plan
    scope). A database migrated then was upgraded past 0008 without the column, and every
    plan read failed ("no such column: plans.scope", then "run terraplan db upgrade", which
    found nothing to do)."""
    db = Database(database_url)
    try:
        migrate.upgrade(db, "0009")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE plans DROP COLUMN scope")
        old_tables = sa.MetaData()
        old_tables.reflect(db.engine)
        rows = _old_rows()
        with db.engine.begin() as connection:
            for name in ("reps", "plans", "territories", "territory_owners"):
                connection.execute(sa.insert(old_tables.tables[name]), list(rows[name]))
        migrate.upgrade(db)
        assert migrate.schema_drift(db) == []
        with UnitOfWork(db) as uow:
            plan = uow.plans.get("P001")
        assert (plan.status, plan.scope, [t.name for t in plan.territories]) == (
            PlanStatus.ACTIVE, None, ["West", "East"],
        )  # fmt: skip
    finally:
        db.dispose()
