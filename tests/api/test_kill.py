"""``kill -9`` the server in the middle of a design job and of a large import, restart it:
nothing half-written (no half plan, no half import) and the job shows as failed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .live import LiveServer
from .test_live_server import planner_token, seed_demo_plan

#: A restarted server takes a running job whose worker went silent this long as orphaned.
STALE_SECONDS = "2"


def _until(client: httpx.Client, job_id: str, done: Any, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if done(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached the state waited for: {job}")


def _counts(db: Database) -> tuple[int, int]:
    with UnitOfWork(db) as uow:
        return len(uow.plans.list()), uow.accounts.count()


def _kill_and_restart(live: LiveServer, client: httpx.Client, job_id: str) -> dict[str, Any]:
    live.kill()
    restarted = LiveServer(
        live.database_url, live.log, env={"TERRAPLAN_JOB_STALE_SECONDS": STALE_SECONDS}
    )
    restarted.start()
    try:
        with httpx.Client(base_url=restarted.url, headers=client.headers, timeout=30) as after:
            return _until(after, job_id, lambda j: j["status"] != "running", timeout=60)
    finally:
        restarted.stop()


@pytest.mark.slow
def test_a_killed_design_job_leaves_no_plan_and_fails(db: Database, tmp_path: Path) -> None:
    seed_demo_plan(db, n_accounts=2_000)
    token = planner_token(db)
    before = _counts(db)
    live = LiveServer(
        db.url, tmp_path / "server.log", env={"TERRAPLAN_JOB_STALE_SECONDS": STALE_SECONDS}
    ).start()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=live.url, headers=headers, timeout=30) as client:
            submitted = client.post(
                "/jobs",
                json={
                    "kind": "design",
                    "parameters": {
                        "units": "counties",
                        "n_territories": 40,
                        "balance": {"potential": 0.02},
                        "contiguous": True,
                        "time_limit": 60,
                    },
                },
            )
            assert submitted.status_code == 202, submitted.text
            job_id = submitted.json()["id"]
            running = _until(client, job_id, lambda j: j["status"] == "running")
            time.sleep(0.3)  # well into the solver
            job = _kill_and_restart(live, client, job_id)
    finally:
        live.stop()
    assert running["status"] == "running"
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "worker_lost"
    assert job["result"] is None
    assert _counts(db) == before  # no designed plan, not even a part of one


@pytest.mark.slow
def test_a_killed_import_job_imports_nothing_and_fails(db: Database, tmp_path: Path) -> None:
    token = planner_token(db)
    rows = ["id,name,postal_code,state,industry,potential"]
    rows += [f"K{i:07d},Company {i},94105,CA,Software,{1000 + i}" for i in range(100_000)]
    body = "\n".join(rows).encode()
    live = LiveServer(
        db.url, tmp_path / "server.log", env={"TERRAPLAN_JOB_STALE_SECONDS": STALE_SECONDS}
    ).start()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=live.url, headers=headers, timeout=60) as client:
            submitted = client.post(
                "/imports/accounts", content=body, headers={"content-type": "text/csv"}
            )
            assert submitted.status_code == 202, submitted.text
            job_id = submitted.json()["id"]
            # Killed while the rows are being written (one transaction): the worst moment.
            running = _until(
                client, job_id, lambda j: j["status"] != "queued" and j["step"] == "write accounts"
            )
            job = _kill_and_restart(live, client, job_id)
    finally:
        live.stop()
    assert running["status"] == "running", running
    assert job["status"] == "failed", job
    assert job["step"] == "failed"
    assert job["error"]["code"] == "worker_lost"
    assert _counts(db) == (0, 0)  # not one of the 100,000 accounts
