"""Load test of the API: 200 concurrent users reading plans, KPIs, alerts and routing leads.

Usage: ``python benchmarks/api_load.py [--clients 200] [--seconds 60] [--rate 400 | --think S]
[--closed] [--workers 1] [--database sqlite|postgresql|both] [--seed 0]``

Sets up the demo (``terraplan demo``: 20,000 accounts, a designed, active plan P001 with rules)
in a SQLite file or a fresh PostgreSQL schema (``TERRAPLAN_TEST_POSTGRES_URL``, default the
local test database), adds a planner with an API token, and starts ``terraplan serve
--workers N`` on a free loopback port.

The load model (default, open loop): each of ``--clients`` users has its own keep-alive
connection (plain HTTP/1.1 with pre-built requests, so that the client's own cost stays small
beside the server's on the same cores). A user sends a request, then thinks for a time drawn
from a seeded exponential distribution (mean ``--think`` seconds, default ``clients / rate`` so
that the offered load is ``--rate`` requests/s in total), and so on (reopening its connection
when the server closed it while idle, as HTTP clients do). Send times are scheduled
in advance; a request whose user is still waiting for the previous answer goes out as soon as
that answer arrives, and its latency counts from the scheduled time, so a server that falls
behind shows it (no coordinated omission). Half of the requests are reads (``GET
/plans/P001``, ``/plans/P001/kpis``, ``/plans/P001/alerts``, in equal shares), half ``POST
/route`` with real ZIP codes; the kinds are drawn from the same seeded generator.

``--closed``: each user sends the next request as soon as the last one answered (no think
time); this saturates any server, so latency there is clients / throughput: the mode prints the
saturation throughput, not a verdict.

The measured run follows a 5 s warm-up at the same load. Prints, per database: requests sent and the achieved rate; p50/p95/p99 per kind (reads, each
read path, routing) against the targets (reads p99 <= 100 ms, routing p99 <= 10 ms, 0 errors);
errors by status; the CPU seconds of the server processes and of the client over the run; and
the load average before and after. Also prints how long the first KPI and alert requests took
after start-up (the server warms the active plan's monitoring cache; target under 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
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
READS = ("/plans/P001", "/plans/P001/kpis", "/plans/P001/alerts")
#: Targets: p99 in milliseconds per kind (and 0 errors).
TARGETS = {"read": 100.0, "route": 10.0}


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


@dataclass
class Results:
    """Latencies (seconds) per kind and per read path, failed requests by status (0: no answer)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    #: Connections reopened after the server closed them while idle (not errors).
    reconnects: int = 0

    def add(self, kind: str, path: str, latency: float, status: int) -> None:
        for name in (kind, path):
            self.latencies.setdefault(name, []).append(latency)
        if status != 200:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self.statuses[status] = self.statuses.get(status, 0) + 1


async def load(
    port: int, token: str, clients: int, seconds: float, *, think: float | None, seed: int
) -> Results:
    """Run the users for ``seconds``; ``think`` None: closed loop (no think time)."""
    results = Results()
    reads = [(path, _request("GET", path, port, token)) for path in READS]
    start = time.perf_counter() + 0.5  # every connection open before the first send
    stop_at = start + seconds

    async def user(c: int) -> None:
        rng = random.Random(seed * 1_000_003 + c)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # First sends spread over one think time, as users already in the middle of their work.
        due = start + (rng.expovariate(1 / think) if think else 0.0)
        i = 0
        try:
            while due < stop_at:
                i += 1
                if rng.random() < 0.5:
                    path, request = reads[rng.randrange(len(reads))]
                    kind = "read"
                else:
                    body = json.dumps(
                        {"id": f"L{c}-{i}", "postal_code": rng.choice(ZIPS), "industry": "Software"}
                    ).encode()
                    path, kind = "POST /route", "route"
                    request = _request("POST", "/route", port, token, body)
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if reader.at_eof():
                    # The server closed the idle keep-alive connection (uvicorn: after 5 s), as
                    # it may; an HTTP client opens a new one, and so does this user.
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    results.reconnects += 1
                try:
                    writer.write(request)
                    status = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status = 0
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                done = time.perf_counter()
                results.add(kind, path, done - due, status)
                due = due + rng.expovariate(1 / think) if think else done
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(user(c) for c in range(clients)))
    results.elapsed = time.perf_counter() - max(began, start)
    return results


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _process_tree_cpu(root: int) -> float:
    """User + system CPU seconds of ``root`` and every process below it (from /proc; Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        todo.extend(children.get(pid, []))
    return total


def _wait_healthy(base: str) -> None:
    for _ in range(600):
        try:
            if httpx2.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {base} did not answer /health")


def run(
    database: str,
    clients: int,
    seconds: float,
    *,
    think: float | None,
    workers: int,
    seed: int,
) -> None:
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
                [
                    *(str(terraplan), "serve", "--host", "127.0.0.1", "--port", str(port)),
                    *("--workers", str(workers)),
                ],
                env=env,
                stderr=subprocess.DEVNULL,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_healthy(base)
                time.sleep(5)  # the server warms the active plan's KPIs and alerts meanwhile
                auth = {"Authorization": f"Bearer {token}"}
                first = {}
                for path in ("/plans/P001/kpis", "/plans/P001/alerts"):
                    began = time.perf_counter()
                    assert httpx2.get(base + path, headers=auth, timeout=60).status_code == 200
                    first[path] = time.perf_counter() - began
                # Warm-up, 5 s at the measured load: every worker process fills its caches and
                # the server accepts the users' connections, as a server in service has.
                asyncio.run(load(port, token, clients, 5, think=think or 0.5, seed=seed + 1))
                load_before = os.getloadavg()
                server_cpu = _process_tree_cpu(server.pid)
                client_cpu = time.process_time()
                results = asyncio.run(load(port, token, clients, seconds, think=think, seed=seed))
                client_cpu = time.process_time() - client_cpu
                server_cpu = _process_tree_cpu(server.pid) - server_cpu
                load_after = os.getloadavg()
            finally:
                server.terminate()
                server.wait(timeout=30)
        finally:
            if schema is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    _report(
        database,
        clients,
        think,
        workers,
        results,
        first,
        cpu=(server_cpu, client_cpu),
        loads=(load_before[0], load_after[0]),
    )


def _report(
    database: str,
    clients: int,
    think: float | None,
    workers: int,
    results: Results,
    first: dict[str, float],
    *,
    cpu: tuple[float, float],
    loads: tuple[float, float],
) -> None:
    total = sum(len(results.latencies.get(kind, [])) for kind in TARGETS)
    rate = total / results.elapsed
    model = "closed loop (no think time)" if think is None else f"think time mean {think:.3f} s"
    print(
        f"{database}, {workers} server process(es): {clients} users, {model}, "
        f"{results.elapsed:.0f} s: {total:,} requests, {rate:,.0f}/s achieved"
        + (f" (offered {clients / think:,.0f}/s)" if think else " (saturation throughput)")
    )
    for path, took in first.items():
        print(f"  first {path} after start-up: {took * 1000:.0f} ms (target < 1000 ms)")
    names = ["read", *READS, "route"]
    for name in names:
        values = results.latencies.get(name, [])
        if not values:
            continue
        p50, p95, p99 = (_percentile(values, s) for s in (0.5, 0.95, 0.99))
        line = f"  {name:20} {len(values):>8,}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms"
        if name in TARGETS:
            errors = results.errors.get(name, 0)
            verdict = "met" if p99 <= TARGETS[name] and errors == 0 else "NOT met"
            line += f"  errors {errors}"
            if think is not None:
                line += f"  (target p99 <= {TARGETS[name]:.0f} ms, 0 errors: {verdict})"
        print(line)
    if results.statuses:
        print(
            "  errors by status: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(results.statuses.items()))
        )
    if results.reconnects:
        print(f"  idle connections closed by the server and reopened: {results.reconnects:,}")
    server_cpu, client_cpu = cpu
    print(
        f"  CPU over the run: server {server_cpu:.1f} s ({server_cpu / max(total, 1) * 1000:.2f} ms "
        f"per request), client {client_cpu:.1f} s; load average {loads[0]:.1f} before, "
        f"{loads[1]:.1f} after (1 min)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent users")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--rate", type=float, default=400.0, help="offered load in requests/s (sets --think)"
    )
    parser.add_argument(
        "--think", type=float, default=None, help="mean think time in seconds (overrides --rate)"
    )
    parser.add_argument("--closed", action="store_true", help="no think time: saturation")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    think = None if args.closed else (args.think or args.clients / args.rate)
    for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        run(
            database,
            args.clients,
            args.seconds,
            think=think,
            workers=args.workers,
            seed=args.seed,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
