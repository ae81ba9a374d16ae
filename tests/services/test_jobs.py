"""Jobs on a real database: design runs with progress, cancellation, orphans, one claim per job."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from terraplan.errors import ConflictError, InvalidParameterError
from terraplan.services.demo import load_demo
from terraplan.services.jobs import JobWorker, cancel_job, get_job, run_job, submit_job
from terraplan.storage.database import Database
from terraplan.storage.orm import JobRow
from terraplan.storage.unit_of_work import UnitOfWork
from terraplan.storage.workflow import claim_next_job, fail_orphaned_jobs, utc_now

DESIGN = {
    "units": "counties",
    "states": ["CO"],
    "n_territories": 3,
    "balance": {"count": 0.3},
    "seed": 1,
    "time_limit": 20.0,
}


@pytest.fixture
def demo_db(db: Database) -> Database:
    load_demo(db, n_accounts=300, seed=2)
    return db


def test_a_design_job_runs_to_a_saved_plan(demo_db: Database) -> None:
    job = submit_job(demo_db, "design", DESIGN, created_by="pat")
    assert (job.status, job.progress) == ("queued", 0.0)
    worker = JobWorker(demo_db)
    assert worker.run_once() == job.id
    done = get_job(demo_db, job.id)
    assert done.status == "succeeded", done.error
    assert done.progress == 1.0
    assert done.worker_id == worker.worker_id
    plan_id = done.result["plan_id"] if done.result else None
    with UnitOfWork(demo_db) as uow:
        plan = uow.plans.get(str(plan_id))
        audit = uow.audit.list(actor="pat")
    assert len(plan.leaves()) == 3
    assert done.result and done.result["summary"]["territories"] == 3
    assert [(a.action, a.object_id) for a in audit] == [("submit", job.id)]
    assert worker.run_once() is None  # idle


def test_cancel_queued_and_running_jobs(demo_db: Database) -> None:
    queued = submit_job(demo_db, "design", DESIGN)
    cancelled = cancel_job(demo_db, queued.id, by="pat")
    assert cancelled.status == "cancelled"
    with pytest.raises(ConflictError):
        cancel_job(demo_db, queued.id)

    running = submit_job(demo_db, "design", DESIGN)
    with demo_db.engine.begin() as connection:
        assert claim_next_job(connection, "w1", ("design",)) == running.id
    cancel_job(demo_db, running.id)  # the flag; the job notices at its first progress report
    ended = run_job(demo_db, running.id)
    assert ended.status == "cancelled"
    with UnitOfWork(demo_db) as uow:
        assert uow.plans.list() == []  # nothing half-written


def test_failed_jobs_say_why_and_bad_kinds_are_refused(demo_db: Database) -> None:
    with pytest.raises(InvalidParameterError, match="unknown job kind"):
        submit_job(demo_db, "explode", {})
    job = submit_job(demo_db, "design", {**DESIGN, "balance": {"nonsense": 0.1}})
    JobWorker(demo_db).run_once()
    failed = get_job(demo_db, job.id)
    assert failed.status == "failed"
    assert failed.error and "nonsense" in failed.error["message"]


def test_orphaned_jobs_are_failed(demo_db: Database) -> None:
    job = submit_job(demo_db, "rules_apply", {"plan_id": "none"})
    with demo_db.engine.begin() as connection:
        claim_next_job(connection, "dead-worker", ("rules_apply",))
        connection.execute(
            update(JobRow)
            .where(JobRow.id == job.id)
            .values(heartbeat_at=utc_now() - timedelta(minutes=5))
        )
        assert fail_orphaned_jobs(connection, stale_after=timedelta(seconds=60)) == 1
    failed = get_job(demo_db, job.id)
    assert failed.status == "failed"
    assert failed.error and failed.error["code"] == "worker_lost"


def test_two_workers_never_claim_the_same_job(db: Database) -> None:
    ids = {submit_job(db, "rules_apply", {"plan_id": f"P{i}"}).id for i in range(12)}
    claimed: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def claim(name: str) -> None:
        barrier.wait()
        while True:
            with db.engine.begin() as connection:
                job_id = claim_next_job(connection, name, ("rules_apply",))
            if job_id is None:
                return
            claimed[name].append(job_id)

    threads = [threading.Thread(target=claim, args=(n,)) for n in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    together = claimed["a"] + claimed["b"]
    assert sorted(together) == sorted(ids)
    assert len(set(together)) == len(together)


def test_a_job_that_reports_no_progress_for_long_is_not_taken_for_dead(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exact solve reports no progress: the other process failed it as "worker lost" after
    the stale time while it went on, and then saved its plan. The heartbeat now has a thread
    of its own."""
    import time

    from terraplan.services import jobs as jobs_module

    def quiet(db: Database, parameters: object, progress: object) -> dict[str, object]:
        time.sleep(2.0)  # no progress reported
        return {"done": True}

    monkeypatch.setitem(jobs_module.JOB_KINDS, "rules_apply", quiet)
    job = submit_job(db, "rules_apply", {"plan_id": "P1"})
    stale = timedelta(seconds=0.8)
    worker = JobWorker(db, stale_after=stale)
    runner = threading.Thread(target=worker.run_once)
    runner.start()
    failed = 0
    for _ in range(8):  # the other process's polls while it runs
        time.sleep(0.25)
        with db.engine.begin() as connection:
            failed += fail_orphaned_jobs(connection, stale_after=stale)
    runner.join(30)
    finished = get_job(db, job.id)
    assert failed == 0
    assert (finished.status, finished.result) == ("succeeded", {"done": True})
