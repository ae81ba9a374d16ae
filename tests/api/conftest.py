from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from terraplan.api.app import create_app
from terraplan.config import Settings
from terraplan.domain import Rep, RepRole
from terraplan.domain.user import Role, User
from terraplan.services.users import hash_password
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: The users every API test can sign in as: (username, role, rep id, region).
TEST_USERS = {
    "admin": ("admin", None, None),
    "planner": ("planner", None, None),
    "manager": ("manager", "M1", "West"),
    "rep": ("rep", "R1", None),
}
PASSWORD = "correct horse battery"

#: Reps the users above are linked to: the West manager M1 leads R1 and R2; R3 is in East.
TEST_REPS = (
    Rep(id="M1", name="Mia Manager", role=RepRole.MANAGER, region="West"),
    Rep(id="R1", name="Rae West", region="West", manager_id="M1"),
    Rep(id="R2", name="Ray West", region="West", manager_id="M1"),
    Rep(id="R3", name="Eve East", region="East"),
)


def _app(db: Database, *, job_workers: int = 0) -> TestClient:
    # No job worker unless a test runs jobs (tests/api/test_workbench_api.py starts one).
    settings = Settings(database_url=db.url, session_cookie_secure=True, job_workers=job_workers)
    # https base URL: the session cookie is Secure, as in production.
    return TestClient(create_app(settings), base_url="https://testserver")


@pytest.fixture(scope="session")
def password_hash() -> str:
    """argon2 is slow on purpose: hash the test password once per run."""
    return hash_password(PASSWORD)


@pytest.fixture
def users(db: Database, password_hash: str) -> dict[str, str]:
    """One user per role (the reps they link to included); returns username -> role."""
    with UnitOfWork(db) as uow:
        uow.reps.add_many(TEST_REPS)
        for username, (role, rep_id, region) in TEST_USERS.items():
            user = User(username=username, role=Role(role), rep_id=rep_id, region=region)
            uow.users.add(user, password_hash, now=datetime.now(UTC))
        uow.commit()
    return {name: spec[0] for name, spec in TEST_USERS.items()}


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign ``client`` in with a session cookie and send its CSRF token on every request."""
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


@pytest.fixture
def anonymous(db: Database) -> Iterator[TestClient]:
    """The real app on the real (migrated) test database, not signed in."""
    with _app(db) as test_client:
        yield test_client


@pytest.fixture
def as_user(db: Database, users: dict[str, str]) -> Iterator[Callable[[str], TestClient]]:
    """``as_user("rep")``: a client signed in as that user (each call: its own cookie jar)."""
    clients: list[TestClient] = []

    def make(username: str, *, job_workers: int = 0) -> TestClient:
        test_client = _app(db, job_workers=job_workers)
        test_client.__enter__()
        clients.append(test_client)
        return login(test_client, username)

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


@pytest.fixture
def client(as_user: Callable[[str], TestClient]) -> TestClient:
    """A client signed in as a planner (sees and may do everything but user admin)."""
    return as_user("planner")


@pytest.fixture
def active_p1(db: Database) -> Database:
    """The demo's regions as plan P1, active."""
    from tests.conftest import seed_region_plan

    from terraplan.services.plan_lifecycle import activate_plan, change_status

    seed_region_plan(db, n_accounts=300, seed=4)
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1")
    return db
