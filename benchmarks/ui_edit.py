"""Latency of a manual edit through the API, and the size of the map payload, on the demo.

Usage: ``python benchmarks/ui_edit.py [--accounts 20000] [--moves 40] [--postgres URL]
[--units zips [--states CA] [--territories 20]]``

Sets up the demo (``terraplan.services.demo.load_demo``: real US counties, a seeded CRM of
``--accounts`` accounts), designs it into one territory per seller the way ``terraplan demo``
does (counties, potential ±10 %, workload ±15 %, contiguous), copies the plan to a draft and
then, through the API in-process (``starlette.testclient``; no network), moves a border
county to its neighbouring territory and back ``--moves`` times: ``POST /plans/{id}/edits``
with the version the client saw, as the web UI does. Prints p50/p95/max of the wall time and
of the process CPU time per edit (target: p95 ≤ 200 ms), then the ``GET /plans/{id}/map``
payload as JSON and as the gzip the server sends (target: under ~1 MB over the wire).

With ``--units zips`` the plan is a ZIP design instead (``terraplan design --units zips``:
``--states`` or the whole lower 48, ``--territories`` of them balanced on population ±10 %,
contiguous) and a border ZIP is moved; the map is then timed too (the first ``GET /map`` of
the process computes the ZIP cells) with its number of units, and ``GET /outlines`` after
each edit: whole (every territory's outline, what the web UI asked for before) and for the
two territories the edit changed (``?territories=``, what it asks for now), with their sizes.

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
from dataclasses import dataclass
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


def prepare(url: str, accounts: int, zips: Zips | None = None) -> tuple[str, str, str, str]:
    """The demo designed and copied to a draft; returns (plan id, unit, its territory, target)."""
    db = Database(url)
    migrate.upgrade(db)
    dataset, _ = load_demo(db, n_accounts=accounts, seed=2026)
    sellers = [r for r in dataset.reps if r.role.value != "manager"]
    if zips is None:
        run = design_plan(
            db,
            units="counties",
            n_territories=len(sellers),
            balance={"potential": 0.10, "workload": 0.15},
            contiguous=True,
            seed=2026,
            time_limit=10,
        )
    else:
        run = design_plan(
            db,
            units="zips",
            states=zips.states,
            n_territories=zips.territories,
            balance={"population": 0.10},
            contiguous=True,
            seed=2026,
            time_limit=30,
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
    if zips is not None:  # ZIPs are not stored: the design's own units have the neighbours
        units = {u.id: u for u in run.units}
    db.dispose()
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    # A county with a neighbour in another territory (moving it there is a typical edit).
    for unit_id in sorted(geo):
        unit = units.get(unit_id)
        for other in unit.neighbours if unit else ():
            if other in geo and geo[other] != geo[unit_id]:
                return draft.id, unit_id, geo[unit_id], geo[other]
    raise RuntimeError("no border unit found")


@dataclass(frozen=True)
class Zips:
    """A ZIP design: the states (None: the lower 48 and DC) and the number of territories."""

    states: set[str] | None
    territories: int


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(
    url: str, label: str, accounts: int, moves: int, zips: Zips | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    plan_id, unit, home, target = prepare(url, accounts, zips)
    setup = time.perf_counter() - started
    app = create_app(Settings(database_url=url, session_cookie_secure=False, job_workers=0))
    walls: list[float] = []
    cpus: list[float] = []
    outlines: list[float] = []
    changed: list[float] = []
    outline_bytes: list[int] = []
    changed_bytes: list[int] = []
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login = client.post("/auth/login", json={"username": "bench", "password": PASSWORD})
        login.raise_for_status()
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        version = client.get(f"/plans/{plan_id}").json()["version"]
        first = time.perf_counter()
        opened = client.get(f"/plans/{plan_id}/map", headers={"Accept-Encoding": "gzip"})
        first = time.perf_counter() - first
        opened.raise_for_status()
        drawn = len(opened.json()["units"]["features"])
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
            if zips is not None:
                borders = time.perf_counter()
                whole = client.get(f"/plans/{plan_id}/outlines")
                whole.raise_for_status()
                if i >= 2:
                    outlines.append(time.perf_counter() - borders)
                    outline_bytes.append(len(whole.content))
                borders = time.perf_counter()
                delta = client.get(
                    f"/plans/{plan_id}/outlines", params={"territories": [home, target]}
                )
                delta.raise_for_status()
                if i >= 2:
                    changed.append(time.perf_counter() - borders)
                    changed_bytes.append(len(delta.content))
        stale = client.post(
            f"/plans/{plan_id}/edits",
            json={"edit": {"op": "move_units", "units": [unit], "to": home}, "version": 1},
            headers=headers,
        )
        rebuilt = time.perf_counter()
        plain = client.get(f"/plans/{plan_id}/map", headers={"Accept-Encoding": "identity"})
        rebuilt = time.perf_counter() - rebuilt
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
        "map_first_s": first,
        "map_rebuilt_s": rebuilt,
        "map_units": drawn,
        "outlines_p50_ms": 1000 * statistics.median(outlines) if outlines else None,
        "outlines_p95_ms": 1000 * _percentile(outlines, 0.95) if outlines else None,
        "outlines_bytes": statistics.median(outline_bytes) if outline_bytes else None,
        "changed_p50_ms": 1000 * statistics.median(changed) if changed else None,
        "changed_p95_ms": 1000 * _percentile(changed, 0.95) if changed else None,
        "changed_bytes": statistics.median(changed_bytes) if changed_bytes else None,
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
    print(
        f"  /map: {r['map_units']} units drawn; first open {r['map_first_s']:.2f} s, "
        f"after the edits {r['map_rebuilt_s']:.2f} s"
    )
    if r["outlines_p50_ms"] is not None:
        print(
            f"  /outlines after an edit, all territories  p50 {r['outlines_p50_ms']:7.1f} ms   "
            f"p95 {r['outlines_p95_ms']:7.1f} ms   {r['outlines_bytes'] / 1e3:8.1f} kB JSON"
        )
        print(
            f"  /outlines after an edit, the 2 it changed p50 {r['changed_p50_ms']:7.1f} ms   "
            f"p95 {r['changed_p95_ms']:7.1f} ms   {r['changed_bytes'] / 1e3:8.1f} kB JSON"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--moves", type=int, default=40)
    parser.add_argument(
        "--postgres", help="admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1/test"
    )
    parser.add_argument("--units", choices=["counties", "zips"], default="counties")
    parser.add_argument("--states", help="with --units zips: e.g. CA or CA,NV (default: all)")
    parser.add_argument("--territories", type=int, help="with --units zips (default 20)")
    args = parser.parse_args()
    zips = (
        Zips(
            states={s.strip().upper() for s in args.states.split(",")} if args.states else None,
            territories=args.territories or 20,
        )
        if args.units == "zips"
        else None
    )
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        report(measure(f"sqlite:///{folder}/bench.db", "SQLite", args.accounts, args.moves, zips))
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.postgres else "?"
        try:
            url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
            report(measure(url, "PostgreSQL", args.accounts, args.moves, zips))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
