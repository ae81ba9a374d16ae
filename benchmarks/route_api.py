"""Load test of ``POST /route`` on loopback: p50/p99 latency and errors at a fixed request rate.

Usage: ``python benchmarks/route_api.py [--rate 500] [--seconds 60] [--workers 1]
[--database sqlite|postgresql|both]``

Sets up a SQLite database in a temporary folder, then a fresh schema of the local PostgreSQL
(``TERRAPLAN_TEST_POSTGRES_URL``): real ZIP geo units of a few states are
designed into territories (``terraplan.services.design``), which produces the rule set;
the plan is activated, every territory gets three reps (so each request also takes a stored
routing turn, a database write), and a planner gets an API token that every request sends.
Then a uvicorn server runs in a child process on
127.0.0.1 and an open-loop asyncio client (plain HTTP/1.1 over keep-alive connections, so
that the client's own cost stays small) sends leads with real ZIP codes at the given rate. Latency is measured per request from its scheduled send time, so a server that
falls behind shows it (no coordinated omission). The measured run follows a 5 s warm-up at
the same rate. Target: p99 <= 10 ms, 0 errors at 500/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx2
from sqlalchemy import create_engine, text

from terraplan.domain import PlanStatus, Rep, TerritoryOwner
from terraplan.domain.user import Role, Scope
from terraplan.io.zip_units import zip_geo_units
from terraplan.services.design import design_plan
from terraplan.services.users import create_token, create_user
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

sys.path.insert(0, os.path.dirname(__file__))
from api_load import _process_tree_cpu

STATES = {"CA", "NV", "OR", "WA"}
WARM_UP_SECONDS = 5.0
POSTGRES = os.environ.get(
    "TERRAPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def prepare(url: str) -> tuple[list[str], str]:
    """A designed, active plan with three reps per territory; returns ZIPs to send and a
    planner's API token."""
    db = Database(url)
    migrate.upgrade(db)
    run = design_plan(
        db, units="zips", states=STATES, n_territories=20, seed=1, time_limit=10, method="heuristic"
    )
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(run.plan.id)
        reps = [Rep(id=f"R{i:03d}", name=f"Rep {i}") for i in range(3 * len(plan.leaves()))]
        uow.reps.add_many(reps)
        leaves = {t.id for t in plan.leaves()}
        territories = []
        position = 0
        for territory in plan.territories:
            if territory.id in leaves:
                owners = tuple(TerritoryOwner(reps[position + j].id) for j in range(3))
                territories.append(replace(territory, owners=owners))
                position += 3
            else:
                territories.append(territory)
        plan = replace(plan, territories=tuple(territories))
        for status in (PlanStatus.IN_REVIEW, PlanStatus.APPROVED, PlanStatus.ACTIVE):
            plan = uow.plans.save(plan.transition(status, by="bench"))
        uow.commit()
    create_user(db, "bench", Role.PLANNER, "bench password 123")
    _, token = create_token(db, "bench", frozenset({Scope.ROUTE}))
    db.dispose()
    return [u.id for u in zip_geo_units(states=STATES)], token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(host: str, port: int, token: str, body: bytes) -> bytes:
    return (
        f"POST /route HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def load(
    host: str,
    port: int,
    token: str,
    zips: list[str],
    rate: float,
    seconds: float,
    connections: int = 32,
) -> tuple[list[float], int, int]:
    """Open-loop load: request i is due at start + i/rate on keep-alive connection i % connections.

    A plain asyncio HTTP/1.1 client (pre-built request bytes) so that the client's own cost
    stays small beside the server's on the same two cores. Latency counts from the due time.
    """
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.2

    async def worker(c: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in range(c, total, connections):
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = json.dumps(
                    {"id": f"L{i}", "postal_code": zips[i % len(zips)], "industry": "Software"}
                )
                try:
                    writer.write(_request(host, port, token, body.encode()))
                    status, payload = await _read_response(reader)
                    ok = status == 200 and json.loads(payload).get("territory_id") is not None
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                latencies.append(time.perf_counter() - due)
                if not ok:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(c) for c in range(connections)))
    return latencies, errors, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        with tempfile.TemporaryDirectory() as tmp, _database_url(database, tmp) as url:
            _run(database, url, args.rate, args.seconds, args.workers)
    return 0


@contextmanager
def _database_url(database: str, folder: str) -> Iterator[str]:
    """A SQLite file in ``folder``, or a fresh schema of the local PostgreSQL test database
    (``TERRAPLAN_TEST_POSTGRES_URL``), dropped afterwards."""
    if database == "sqlite":
        yield f"sqlite:///{folder}/route.db"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES else "?"
    try:
        # The application name tells this run's server connections apart (their CPU is printed).
        yield f"{POSTGRES}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL server process serving ``url``'s application name (none
    for SQLite, which runs inside the server's own processes)."""
    if not url.startswith("postgresql"):
        return {}
    name = url.rsplit("application_name=", 1)[1]
    engine = create_engine(POSTGRES)
    try:
        with engine.connect() as connection:
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": name},
            ).scalars()
            return {pid: _process_tree_cpu(pid) for pid in pids}
    finally:
        engine.dispose()


def _run(database: str, url: str, rate: float, seconds: float, workers: int) -> None:
    zips, token = prepare(url)
    port = free_port()
    env = {**os.environ, "TERRAPLAN_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "terraplan.api.app:app_from_environment",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx2.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.2)
        # Warm-up at the measured rate for 5 s, as api_load.py does: the rules, the plan and
        # the connections are loaded, and the garbage collector's first full passes over them
        # (tens of ms each, in the first seconds of a new process) are behind us.
        asyncio.run(load("127.0.0.1", port, token, zips, rate, WARM_UP_SECONDS))
        load_before = os.getloadavg()[0]
        cpu_before = _process_tree_cpu(server.pid)
        backends_before = _backend_cpu(url)
        client_before = time.process_time()
        latencies, errors, total = asyncio.run(load("127.0.0.1", port, token, zips, rate, seconds))
        client_cpu = time.process_time() - client_before
        server_cpu = _process_tree_cpu(server.pid) - cpu_before
        backends = _backend_cpu(url)
        backend_cpu = sum(cpu - backends_before.get(pid, 0.0) for pid, cpu in backends.items())
        load_after = os.getloadavg()[0]
    finally:
        server.terminate()
        server.wait(timeout=30)
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    print(
        f"{database}: POST /route at {rate:.0f}/s for {seconds:.0f} s on loopback, "
        f"{workers} server process(es): {total:,} requests"
    )
    print(f"  p50 {p50:.2f} ms   p99 {p99:.2f} ms   max {ms[-1]:.2f} ms   errors {errors}")
    print(
        f"  targets: p99 <= 10 ms -> {'met' if p99 <= 10 else 'NOT met'}; "
        f"0 errors -> {'met' if errors == 0 else 'NOT met'}"
    )
    print(
        f"  server CPU {server_cpu:.1f} s ({server_cpu / max(total, 1) * 1000:.2f} ms per "
        f"request); load average {load_before:.1f} before, {load_after:.1f} after (1 min)"
    )
    per = 1000 / max(total, 1)
    database_cpu = f"PostgreSQL {backend_cpu * per:.2f} ms, " if database == "postgresql" else ""
    print(f"  CPU per request elsewhere: {database_cpu}load client {client_cpu * per:.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
