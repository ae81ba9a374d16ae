"""Latency of a manual edit through the API, and the size of the map payload, on the demo.

Usage: ``python benchmarks/ui_edit.py [--accounts 20000] [--moves 40] [--postgres URL]``

Sets up the demo (``terraplan.services.demo.load_demo``: real US counties, a seeded CRM of
``--accounts`` accounts), designs it into one territory per seller the way ``terraplan demo``
does (counties, potential ±10 %, workload ±15 %, contiguous), copies the plan to a draft and
then, through the API in-process (``starlette.testclient``; no network), moves a border
county to its neighbouring territory and back ``--moves`` times: ``POST /plans/{id}/edits``
with the version the client saw, as the web UI does. Prints p50/p95/max of the wall time and
of the process CPU time per edit (target: p95 ≤ 200 ms), then the ``GET /plans/{id}/map``
payload as JSON and as the gzip the server sends (target: under ~1 MB over the wire).

Runs on a SQLite file in a temporary folder, and on PostgreSQL too when ``--postgres`` gives
an admin URL (a schema is made for the run and dropped after it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from terraplan.api.app import create_app
from terraplan.config import Settings
from terraplan.domain import RecordKind
from terraplan.domain.user import Role, User
from terraplan.services.demo import load_demo
from terraplan.services.design import design_plan
from terraplan.services.new_plans import copy_plan
from terraplan.services.users import hash_password
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

PASSWORD = "benchmark password"


def prepare(url: str, accounts: int) -> tuple[str, str, str, str]:
    """The demo designed and copied to a draft; returns (plan id, unit, its territory, target)."""
    db = Database(url)
    migrate.upgrade(db)
    dataset, _ = load_demo(db, n_accounts=accounts, seed=2026)
    sellers = [r for r in dataset.reps if r.role.value != "manager"]
    run = design_plan(
        db,
        units="counties",
        n_territories=len(sellers),
        balance={"potential": 0.10, "workload": 0.15},
        contiguous=True,
        seed=2026,
        time_limit=10,
    )
    draft = copy_plan(db, run.plan.id, new_id="EDITBENCH", name="Edit benchmark")
    with UnitOfWork(db) as uow:
        uow.users.add(
            User(username="bench", role=Role.PLANNER),
            hash_password(PASSWORD),
            now=datetime.now(UTC),
        )
        uow.commit()
        plan = uow.plans.get(draft.id)
        units = {u.id: u for u in uow.geo_units.list()}
    db.dispose()
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    # A county with a neighbour in another territory (moving it there is a typical edit).
    for unit_id in sorted(geo):
        unit = units.get(unit_id)
        for other in unit.neighbours if unit else ():
            if other in geo and geo[other] != geo[unit_id]:
                return draft.id, unit_id, geo[unit_id], geo[other]
    raise RuntimeError("no border county found")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, label: str, accounts: int, moves: int) -> dict[str, Any]:
    started = time.perf_counter()
    plan_id, unit, home, target = prepare(url, accounts)
    setup = time.perf_counter() - started
    app = create_app(Settings(database_url=url, session_cookie_secure=False, job_workers=0))
    walls: list[float] = []
    cpus: list[float] = []
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login = client.post("/auth/login", json={"username": "bench", "password": PASSWORD})
        login.raise_for_status()
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        version = client.get(f"/plans/{plan_id}").json()["version"]
        for i in range(moves + 2):
            to = target if i % 2 == 0 else home
            wall, cpu = time.perf_counter(), time.process_time()
            answer = client.post(
                f"/plans/{plan_id}/edits",
                json={"edit": {"op": "move_units", "units": [unit], "to": to}, "version": version},
                headers=headers,
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            answer.raise_for_status()
            version = answer.json()["version"]
            if i >= 2:  # the first two warm caches (imports, the unit facts)
                walls.append(wall)
                cpus.append(cpu)
        stale = client.post(
            f"/plans/{plan_id}/edits",
            json={"edit": {"op": "move_units", "units": [unit], "to": home}, "version": 1},
            headers=headers,
        )
        plain = client.get(f"/plans/{plan_id}/map", headers={"Accept-Encoding": "identity"})
        zipped = client.get(f"/plans/{plan_id}/map", headers={"Accept-Encoding": "gzip"})
        wire = int(zipped.headers.get("content-length") or len(zipped.content))
        etag = zipped.headers.get("etag")
        again = client.get(
            f"/plans/{plan_id}/map",
            headers={"Accept-Encoding": "gzip", "If-None-Match": etag or ""},
        )
    return {
        "label": label,
        "setup_s": setup,
        "p50_ms": 1000 * statistics.median(walls),
        "p95_ms": 1000 * _percentile(walls, 0.95),
        "max_ms": 1000 * max(walls),
        "cpu_p50_ms": 1000 * statistics.median(cpus),
        "cpu_p95_ms": 1000 * _percentile(cpus, 0.95),
        "stale_status": stale.status_code,
        "map_json_bytes": len(plain.content),
        "map_wire_bytes": wire,
        "map_encoding": zipped.headers.get("content-encoding", "none"),
        "map_etag_status": again.status_code if etag else None,
    }


def report(r: dict[str, Any]) -> None:
    print(f"\n{r['label']} (setup {r['setup_s']:.0f} s)")
    print(
        f"  edit latency wall  p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   "
        f"max {r['max_ms']:7.1f} ms   (target p95 <= 200 ms)"
    )
    print(f"  edit latency CPU   p50 {r['cpu_p50_ms']:7.1f} ms   p95 {r['cpu_p95_ms']:7.1f} ms")
    print(f"  stale version -> HTTP {r['stale_status']} (expected 409)")
    print(
        f"  /map payload: {r['map_json_bytes'] / 1e6:.2f} MB JSON, "
        f"{r['map_wire_bytes'] / 1e6:.2f} MB over the wire ({r['map_encoding']}); "
        f"If-None-Match -> HTTP {r['map_etag_status']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--moves", type=int, default=40)
    parser.add_argument(
        "--postgres", help="admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1/test"
    )
    args = parser.parse_args()
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        report(measure(f"sqlite:///{folder}/bench.db", "SQLite", args.accounts, args.moves))
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.postgres else "?"
        try:
            url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
            report(measure(url, "PostgreSQL", args.accounts, args.moves))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
