"""Helpers of the hostile-input corpus: a seeded database per module, a fingerprint of
every table (to prove a refused input wrote nothing), and an in-process CLI runner.

The corpus shares one migrated, seeded SQLite database per test module: every case asserts
that the database is unchanged, so sharing it is both cheap and a stronger check (a case that
wrote something would also be caught by the next one's baseline drifting from the seed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from sqlalchemy import select

from terraplan.domain import Plan, PlanStatus, Territory, TerritoryOwner
from terraplan.domain.user import Role, User
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services.imports import import_file
from terraplan.services.users import hash_password
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.orm import Base
from terraplan.storage.unit_of_work import UnitOfWork

#: Tables whose rows change by merely signing in (or failing to) or using a token, not by the inputs tested.
VOLATILE_TABLES = frozenset({"browser_sessions", "api_tokens", "sign_in_failures"})


def _load_api_conftest() -> ModuleType:
    """The API tests' users, reps and login helper (tests/api/conftest.py), reused as is."""
    name = "api_fixtures_for_security"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parents[1] / "api" / "conftest.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


api_fixtures = _load_api_conftest()

RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
rules:
  - {id: west, territory: W, when: {field: postal_code, op: between, value: [90000, 96199]}}
  - {id: east, territory: E, when: {field: state, op: in, value: [NY, NJ]}}
  - {id: rx, territory: E, when: {field: industry, op: regex, value: '(a+)+$'}}
"""

ACCOUNTS = (
    "id,name,postal_code,industry,potential,workload,owner_id\n"
    "A1,Acme West,94107,Software,1000,100,R1\n"
    "A2,Beta West,94110,Retail,2000,200,R2\n"
    "A3,Gamma East,10001,Health,3000,300,R3\n"
)


def fingerprint(db: Database) -> dict[str, tuple[int, str]]:
    """Row count and a digest of the sorted rows of every table (volatile session tables aside)."""
    result: dict[str, tuple[int, str]] = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            result[table.name] = (len(rows), digest)
    return result


def seed(db: Database, folder: Path) -> None:
    """Reps and users of the API tests, three accounts, an active plan with a rule set."""
    migrate.upgrade(db)
    now = datetime.now(UTC)
    password = hash_password(api_fixtures.PASSWORD)
    with UnitOfWork(db) as uow:
        uow.reps.add_many(api_fixtures.TEST_REPS)
        for username, (role, rep_id, region) in api_fixtures.TEST_USERS.items():
            user = User(username=username, role=Role(role), rep_id=rep_id, region=region)
            uow.users.add(user, password, now=now)
        plan = Plan(
            id="P",
            name="Live",
            status=PlanStatus.ACTIVE,
            territories=(
                Territory(id="W", name="West", owners=(TerritoryOwner("R1"),)),
                Territory(id="E", name="East", owners=(TerritoryOwner("R3"),)),
            ),
        )
        stored = uow.plans.add(plan)
        uow.rule_sets.add(
            "P",
            dump_rule_set(load_rule_set(RULES, territories=plan.territories)),
            plan_version=stored.version,
        )
        uow.commit()
    accounts = folder / "seed_accounts.csv"
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    import_file(db, accounts, "accounts")


@dataclass
class Seeded:
    db: Database
    folder: Path

    @property
    def url(self) -> str:
        return self.db.url


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def assert_clean_refusal(text: str, *names: str, limit: int = 600) -> None:
    """A short message naming each of ``names`` and no traceback."""
    assert "Traceback" not in text
    assert not re.search(r"unexpected \w*(Error|Exception)", text)
    for name in names:
        assert name in text, f"{name!r} not named in {text[:400]!r}"
    assert len(text) < limit, f"message of {len(text)} characters: {text[:200]!r}..."
