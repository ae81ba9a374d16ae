"""On a real server: slow work runs in the threadpool, so /health answers meanwhile."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest

from terraplan.domain import AlignmentEntry, GeoKind, Plan, RecordKind, Territory
from terraplan.domain.user import Role, Scope
from terraplan.services.demo import load_demo
from terraplan.services.users import create_token, create_user
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .live import LiveServer


def test_no_route_works_on_the_event_loop() -> None:
    """A route doing database or CPU work must be a plain ``def`` (FastAPI runs it in the
    threadpool), or an ``async def`` that hands all of its work to the threadpool in one trip
    (the hot reads and routing); an ``async def`` doing the work itself would stop every other
    request while it works."""
    import importlib
    import pkgutil

    from terraplan.api import routes

    modules = [
        importlib.import_module(f"terraplan.api.routes.{info.name}")
        for info in pkgutil.iter_modules(routes.__path__)
    ]
    routers = [m.router for m in modules if hasattr(m, "router")]
    assert len(routers) >= 15
    endpoints = [route.endpoint for r in routers for route in r.routes]
    assert len(endpoints) >= 30
    coroutines = [e for e in endpoints if inspect.iscoroutinefunction(e)]
    offloading = [
        e for e in coroutines if "return await run_in_threadpool(" in inspect.getsource(e)
    ]
    # Three routes wait on the event loop by design and hand every piece of work to the
    # threadpool: a sign-in waits for a free password check (without holding a thread), an
    # upload reads its body as it arrives, after the caller is checked, and so does a stored
    # import mapping's text (bounded by the app's body limit).
    waiting = {e.__name__: inspect.getsource(e) for e in coroutines if e not in offloading}
    assert set(waiting) == {"login", "submit_import", "save_route"}
    for name, source in waiting.items():
        assert "await run_in_threadpool(" in source and "UnitOfWork(" not in source, name
    assert {e.__name__ for e in offloading} == {
        "get_plan",
        "plan_kpis_route",
        "plan_alerts_route",
        "active_plan_kpis_route",
        "active_plan_alerts_route",
        "route_lead",
        "route_leads",
    }


def seed_demo_plan(db: Database, n_accounts: int) -> None:
    """The demo's records and a plan ``P`` of its regions (not active: nothing warms it)."""
    dataset, _ = load_demo(db, n_accounts=n_accounts, seed=5)
    region_of = {state: region.id for region in dataset.regions for state in region.states}
    plan = Plan(
        id="P",
        name="Regions",
        territories=tuple(Territory(id=r.id, name=r.name) for r in dataset.regions),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, region_of[u.state])
            for u in dataset.geo_units
            if u.kind is GeoKind.COUNTY and u.state in region_of
        ),
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()


def planner_token(db: Database) -> str:
    create_user(db, "planner", Role.PLANNER, "correct horse battery")
    _, secret = create_token(
        db, "planner", frozenset({Scope.READ, Scope.PLAN_WRITE}), expires_in=timedelta(hours=1)
    )
    return secret


@pytest.fixture
def server(db: Database, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    seed_demo_plan(db, n_accounts=3_000)
    token = planner_token(db)
    live = LiveServer(db.url, tmp_path / "server.log").start()
    yield live, token
    live.stop()


@pytest.mark.slow
def test_health_answers_while_a_slow_request_works(server: tuple[LiveServer, str]) -> None:
    live, token = server
    headers = {"Authorization": f"Bearer {token}"}
    slow: dict[str, float | int] = {}

    def kpis() -> None:
        start = time.perf_counter()
        response = httpx.get(
            f"{live.url}/plans/P/kpis",
            params={"by": "territory", "period": "2025"},
            headers=headers,
            timeout=120,
        )
        slow["status"] = response.status_code
        slow["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=kpis)
    worker.start()
    time.sleep(0.05)
    health: list[float] = []
    with httpx.Client(base_url=live.url, timeout=30) as client:
        while worker.is_alive():
            start = time.perf_counter()
            assert client.get("/health").status_code == 200
            health.append(time.perf_counter() - start)
            time.sleep(0.02)
    worker.join()
    assert slow["status"] == 200
    # The KPI request took long (a cold load of the plan's data) and /health kept answering
    # in a fraction of that time, many times over.
    assert slow["seconds"] > 0.3, slow
    assert len(health) >= 3, (slow, health)
    # (A blocked event loop would make a /health call wait as long as the KPI request.)
    assert sorted(health)[len(health) // 2] < float(slow["seconds"]) / 3, (slow, health)
    assert max(health) < float(slow["seconds"]) * 0.8, (slow, health)
