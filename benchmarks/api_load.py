"""Load test of the API: 200 concurrent clients reading plans, KPIs, alerts and routing leads.

Usage: ``python benchmarks/api_load.py [--clients 200] [--seconds 60] [--database sqlite|postgresql]``

Sets up the demo (``terraplan demo``: 20,000 accounts, a designed, active plan P001 with rules)
in a SQLite file or a fresh PostgreSQL schema (``TERRAPLAN_TEST_POSTGRES_URL``, default the
local test database), adds a planner with an API token, and starts ``terraplan serve`` on a
free loopback port. Each client is a closed loop on its own keep-alive connection (plain
HTTP/1.1, so the client's own cost stays small beside the server's on the same cores): it
sends the next request when the last one answered, cycling through ``GET /plans/P001``,
``GET /plans/P001/kpis``, ``GET /plans/P001/alerts`` and three ``POST /route``; the loop stops
by itself after ``--seconds``. Prints p50/p99 per kind (reads, routing), requests per second
and errors. Targets: reads p99 <= 100 ms, routing p99 <= 10 ms, 0 errors.

Also prints how long the first KPI and alert requests took after start-up (the monitoring
cache is warmed for the active plan by the server; target under 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, text

from terraplan.domain.user import Role, Scope
from terraplan.services.users import create_token, create_user
from terraplan.storage.database import Database

POSTGRES = os.environ.get(
    "TERRAPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ZIPS = ["94105", "90012", "98101", "97205", "89101", "10001", "60601", "77002", "33101", "02108"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, folder: Path) -> str:
    """The demo in ``url`` and a planner's token (returned)."""
    terraplan = Path(sys.executable).with_name("terraplan")
    subprocess.run(
        [str(terraplan), "--database-url", url, "demo", "--out", str(folder / "demo")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    db = Database(url)
    create_user(db, "bench", Role.PLANNER, "bench password 123")
    _, secret = create_token(db, "bench", frozenset(Scope), expires_in=timedelta(hours=2))
    db.dispose()
    return secret


def _request(method: str, path: str, port: int, token: str, body: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
    )
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def load(
    port: int, token: str, clients: int, seconds: float
) -> tuple[dict[str, list[float]], dict[str, int]]:
    reads = [
        _request("GET", "/plans/P001", port, token),
        _request("GET", "/plans/P001/kpis", port, token),
        _request("GET", "/plans/P001/alerts", port, token),
    ]
    latencies: dict[str, list[float]] = {"read": [], "route": []}
    errors: dict[str, int] = {"read": 0, "route": 0}
    statuses.clear()
    stop_at = time.perf_counter() + seconds

    async def client(c: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = c
        try:
            while time.perf_counter() < stop_at:
                i += 1
                if i % 6 < 3:
                    kind, request = "read", reads[i % 3]
                else:
                    body = json.dumps(
                        {
                            "id": f"L{c}-{i}",
                            "postal_code": ZIPS[i % len(ZIPS)],
                            "industry": "Software",
                        }
                    ).encode()
                    kind, request = "route", _request("POST", "/route", port, token, body)
                start = time.perf_counter()
                try:
                    writer.write(request)
                    status = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status = 0
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                latencies[kind].append(time.perf_counter() - start)
                if status != 200:
                    errors[kind] += 1
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(client(c) for c in range(clients)))
    return latencies, errors


#: Status of each failed request -> count (0: connection error), printed with the figures.
statuses: dict[int, int] = {}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def run(database: str, clients: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if database == "sqlite":
            url = f"sqlite:///{tmp}/load.db"
        else:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in POSTGRES else "?"
            url = f"{POSTGRES}{sep}options=-csearch_path%3D{schema}"
        try:
            token = prepare(url, Path(tmp))
            port = free_port()
            env = {**os.environ, "TERRAPLAN_DATABASE_URL": url, "TERRAPLAN_LOG_LEVEL": "WARNING"}
            terraplan = Path(sys.executable).with_name("terraplan")
            server = subprocess.Popen(
                [str(terraplan), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stderr=subprocess.DEVNULL,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                for _ in range(300):
                    try:
                        if httpx2.get(f"{base}/health", timeout=1).status_code == 200:
                            break
                    except httpx2.HTTPError:
                        pass
                    time.sleep(0.1)
                time.sleep(5)  # the server warms the active plan's KPIs and alerts meanwhile
                auth = {"Authorization": f"Bearer {token}"}
                first = {}
                for path in ("/plans/P001/kpis", "/plans/P001/alerts"):
                    start = time.perf_counter()
                    assert httpx2.get(base + path, headers=auth, timeout=60).status_code == 200
                    first[path] = time.perf_counter() - start
                latencies, errors = asyncio.run(load(port, token, clients, seconds))
            finally:
                server.terminate()
                server.wait(timeout=30)
        finally:
            if schema is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    total = sum(len(v) for v in latencies.values())
    print(
        f"{database}: {clients} clients for {seconds:.0f} s: {total:,} requests, {total / seconds:,.0f}/s"
    )
    for path, took in first.items():
        print(f"  first {path} after start-up: {took * 1000:.0f} ms (target < 1000 ms)")
    if statuses:
        print("  errors by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    for kind, target in (("read", 100.0), ("route", 10.0)):
        values = latencies[kind]
        p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
        verdict = "met" if p99 <= target and errors[kind] == 0 else "NOT met"
        print(
            f"  {kind:5} {len(values):>8,} requests  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
            f"errors {errors[kind]}  (target p99 <= {target:.0f} ms, 0 errors: {verdict})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        run(database, args.clients, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
