"""Browser tests of the web UI: a live ``terraplan`` server (uvicorn in a thread) on a small
demo database, driven by Playwright with Debian's Chromium (no browser download).

Without a Chromium the tests skip and say why; under ``CI=true`` they fail instead.
Screenshots go to each test's ``tmp_path`` (pytest keeps the last runs' directories).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from terraplan.api.app import create_app
from terraplan.config import Settings
from terraplan.domain import AlignmentEntry, GeoKind, Plan, RecordKind, RepRole, Territory
from terraplan.domain.territory import TerritoryOwner
from terraplan.domain.user import Role, User
from terraplan.rules import dump_rule_set
from terraplan.services.demo import load_demo
from terraplan.services.ownership import rules_for_design
from terraplan.services.users import hash_password
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

PASSWORD = "correct horse battery"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    explicit = os.environ.get("TERRAPLAN_TEST_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        reason = "no Chromium found (apt-get install chromium, or set TERRAPLAN_TEST_CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true: the browser tests must run")
        pytest.skip(reason)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    return path


def _first_rep(dataset: object, region: str) -> str:
    return next(
        r.id
        for r in dataset.reps  # type: ignore[attr-defined]
        if r.region == region and r.role is not RepRole.MANAGER
    )


def _demo_database(url: str) -> Database:
    """The demo (300 accounts) with plan P1: one territory per demo region (West, Central,
    East), each owned by the region's first rep (West: REP-001, Paula Flores)."""
    db = Database(url)
    migrate.upgrade(db)
    dataset, _ = load_demo(db, n_accounts=300, seed=4)
    region_of = {state: region for region in dataset.regions for state in region.states}
    plan = Plan(
        id="P1",
        name="Regions",
        territories=tuple(
            Territory(f"T-{r.id}", r.name, owners=(TerritoryOwner(_first_rep(dataset, r.name)),))
            for r in dataset.regions
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, f"T-{region_of[u.state].id}")
            for u in dataset.geo_units
            if u.kind is GeoKind.COUNTY and u.state in region_of
        ),
        parameters={"units": "counties"},
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        uow.rule_sets.add(
            "P1", dump_rule_set(rules_for_design(stored, list(dataset.geo_units))), plan_version=1
        )
        uow.commit()
    return db


WEB_USERS = {  # username: (role, rep id, region)
    "planner": ("planner", None, None),
    "admin": ("admin", None, None),
    "manager": ("manager", "MGR-01", "West"),
    "rep": ("rep", "REP-001", None),
}


@pytest.fixture(scope="session")
def web_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a fresh demo database with the :data:`WEB_USERS` (one per test session)."""
    folder = tmp_path_factory.mktemp("web-db")
    url = f"sqlite:///{folder}/terraplan.db"
    db = _demo_database(url)
    password_hash = hash_password(PASSWORD)
    with UnitOfWork(db) as uow:
        for username, (role, rep_id, region) in WEB_USERS.items():
            uow.users.add(
                User(username=username, role=Role(role), rep_id=rep_id, region=region),
                password_hash,
                now=datetime.now(UTC),
            )
        uow.commit()
    db.dispose()
    return url


@contextmanager
def _serve(settings: Settings) -> Iterator[str]:
    """Run the app of ``settings`` in a thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", ws="none"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(web_database: str, chromium: str) -> Iterator[str]:
    """Base URL of a running server on the demo database."""
    settings = Settings(database_url=web_database, session_cookie_secure=False, job_workers=1)
    with _serve(settings) as base:
        yield base


@pytest.fixture(scope="session")
def fiscal_server(web_database: str, chromium: str) -> Iterator[str]:
    """A second server on the same database whose fiscal year starts in February."""
    settings = Settings(
        database_url=web_database, session_cookie_secure=False, job_workers=0, fiscal_year_start=2
    )
    with _serve(settings) as base:
        yield base


class Api:
    """The JSON API as a signed-in user, through the browser context's request client."""

    def __init__(self, context: object, base: str, username: str) -> None:
        self.request = context.request  # type: ignore[attr-defined]
        self.base = base
        answer = self.request.post(
            base + "/auth/login", data={"username": username, "password": PASSWORD}
        )
        assert answer.ok, answer.text()
        self.csrf = answer.json()["csrf_token"]

    def get(self, path: str) -> object:
        return self.request.get(self.base + path)

    def post(self, path: str, body: object) -> object:
        return self.request.post(self.base + path, data=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def api(browser: object, live_server: str) -> Iterator[Callable[..., Api]]:
    """``api("planner")``: the API signed in as that user (its own cookie jar; on ``server``
    when given, else the live server)."""
    contexts = []

    def make(username: str, server: str | None = None) -> Api:
        context = browser.new_context()  # type: ignore[attr-defined]
        contexts.append(context)
        return Api(context, server or live_server, username)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page_as(browser: object, live_server: str, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """``page_as("planner")``: a fresh browser page signed in through the login form (on
    ``server`` when given, else the live server)."""
    contexts = []

    def make(username: str, server: str | None = None) -> object:
        context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.errors = errors
        page.goto((server or live_server) + "/")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        try:
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        except Exception:
            shot(page, tmp_path, f"{username}-not-ready")
            state = page.evaluate(
                "() => [document.getElementById('message').textContent,"
                " document.getElementById('message').className, String(window.TP && TP.plan)]"
            )
            raise AssertionError(f"the app did not start: {errors} {state}") from None
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page: object, tmp_path: Path, name: str) -> Path:
    """Save a screenshot as a test artifact (under the test's tmp_path)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
