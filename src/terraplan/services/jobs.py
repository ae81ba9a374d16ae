"""Long work as jobs: submit, run with progress and cancellation, survive restarts.

A job is a row (kind, parameters, status, progress, result, error). A :class:`JobWorker`
claims queued jobs one at a time in short transactions, runs them outside any write
transaction, reports progress in short transactions (which also carry its heartbeat and
tell it when the user cancelled), and writes the result once at the end. What a job produces
(a designed plan, imported rows, a rule run) is itself written in one transaction by the
service that does the work, so a job whose process is killed leaves nothing half-written;
the next worker to start marks it failed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from terraplan.errors import InvalidParameterError, NotFoundError, TerraplanError
from terraplan.services.import_jobs import run_import_job
from terraplan.services.plan_scopes import require_owners_may_follow
from terraplan.services.progress import Progress
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork
from terraplan.storage.workflow import (
    Job,
    beat_job,
    claim_next_job,
    fail_orphaned_jobs,
    finish_job,
    pending_jobs,
    report_job_progress,
)

log = logging.getLogger(__name__)

JobFunction = Callable[[Database, Mapping[str, Any], Progress], dict[str, Any]]


class JobCancelledError(Exception):
    """Raised inside a running job when its user asked to cancel it."""


def _design(db: Database, parameters: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from terraplan.services.design import design_plan, design_summary

    allowed = {
        "units", "n_territories", "balance", "contiguous", "centres_from_reps", "from_plan",
        "max_moved", "seed", "time_limit", "method", "states", "plan_id", "plan_name",
        "created_by", "tradeoff", "keep_together", "windows", "travel_costs",
    }  # fmt: skip
    unknown = sorted(set(parameters) - allowed)
    if unknown:
        raise InvalidParameterError(
            f"design job: unknown parameter {unknown[0]!r}", details={"field": unknown[0]}
        )
    from terraplan.services.design_inputs import design_job_options

    kwargs = design_job_options(parameters)
    if kwargs.get("states") is not None:
        kwargs["states"] = set(kwargs["states"])
    if kwargs.get("tradeoff") is not None:
        return _tradeoff(db, kwargs, progress)
    kwargs.pop("tradeoff", None)
    run = design_plan(db, progress=progress, **kwargs)
    return {"plan_id": run.plan.id, "summary": design_summary(run.outcome, run.seconds)}


#: How many values a design job's ``tradeoff`` may sweep (each is a whole design run).
MAX_TRADEOFF_VALUES = 12


def tradeoff_values(values: object) -> list[float]:
    """A design job's ``tradeoff``: 1 to :data:`MAX_TRADEOFF_VALUES` numbers >= 0, else
    InvalidParameterError."""
    if (
        not isinstance(values, list)
        or not 1 <= len(values) <= MAX_TRADEOFF_VALUES
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in values
        )
    ):
        raise InvalidParameterError(
            f"design job: 'tradeoff' must be a list of 1 to {MAX_TRADEOFF_VALUES} numbers >= 0 "
            "(tolerances as shares, e.g. [0.05, 0.1, 0.2])",
            details={"field": "tradeoff"},
        )
    return [float(v) for v in values]


def check_design_job(db: Database, parameters: Mapping[str, Any]) -> None:
    """Refuse now what would fail a design job as soon as it runs, with the checks the run
    makes: the parameters' shapes (:func:`design_job_options`), the ``tradeoff`` values, the
    engine's own checks of the balance tolerances and of how many territories to design, the
    windows' bounds, the new plan's id, and the units the states leave. Raises
    InvalidParameterError (or DataError, NotFoundError) naming the JSON path
    (``parameters.balance``). What needs the design itself (more territories than units, an
    infeasible balance) still fails the job."""
    from dataclasses import replace

    import numpy as np

    from terraplan.engine.design.problem import DesignProblem, prepare
    from terraplan.planning.design_options import window_arrays
    from terraplan.services.design import load_units
    from terraplan.services.design_inputs import design_job_options
    from terraplan.services.plan_ids import check_id

    def named(exc: TerraplanError, path: str) -> InvalidParameterError:
        reason = exc.message.removeprefix("design job: ").removeprefix("problem.")
        return InvalidParameterError(
            f"{path}: {reason}",
            details={"field": path, "problems": [{"path": path, "reason": reason}]},
        )

    kwargs = design_job_options(parameters)
    if kwargs.get("tradeoff") is not None:
        try:
            tradeoff_values(kwargs["tradeoff"])
        except InvalidParameterError as exc:
            raise named(exc, "parameters.tradeoff") from None
    balance = dict(kwargs.get("balance") or {})
    # With rep centres or a plan to realign, the territories are theirs.
    given = bool(kwargs.get("centres_from_reps") or kwargs.get("from_plan"))
    k = 1 if given else kwargs.get("n_territories")
    # the engine's checks, on a problem of as many units as territories (the engine refuses
    # more territories than units; the real units are counted when the job runs)
    units = k if isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= 100_000 else 1
    try:
        prepare(
            DesignProblem(
                weights=np.ones((units, max(len(balance), 1))),
                n_territories=k,
                tolerance=list(balance.values()) or 0.05,
                coords=np.zeros((units, 2)),
            )
        )
    except InvalidParameterError as exc:
        field = exc.details.get("field")
        if field in ("tolerance", "n_territories"):
            path = "parameters." + ("balance" if field == "tolerance" else "n_territories")
            raise named(exc, path) from None
        raise
    for index, window in enumerate(kwargs.get("windows") or ()):
        try:  # its bounds (its territory is known only once the design has territories)
            window_arrays(
                [replace(window, territory=None)],
                names=[window.metric],
                territory_ids=[],
                territory_names=[],
                balanced=(),
            )
        except TerraplanError as exc:
            raise named(exc, f"parameters.windows.{index}") from None
    if kwargs.get("plan_id") is not None:
        try:
            check_id(kwargs["plan_id"], "plan_id")
        except InvalidParameterError as exc:
            raise named(exc, "parameters.plan_id") from None
    states = kwargs.get("states")
    if states:
        from terraplan.services.design import no_units_in_states

        units = kwargs.get("units", "counties")
        # the units the run would load (a ZIP's cell is not needed to know it is there);
        # said in words, the JSON path in the details (for integrators)
        words = no_units_in_states(units, states)
        none_there = InvalidParameterError(
            words,
            details={
                "field": "parameters.states",
                "value": sorted(states),
                "problems": [{"path": "parameters.states", "reason": words}],
            },
        )
        if units == "zips":
            from terraplan.io.zip_units import zip_geo_units

            if not zip_geo_units(states=set(states), with_polygons=False):
                raise none_there
        else:
            with UnitOfWork(db) as uow:
                try:
                    load_units(uow, units, states=set(states))
                except NotFoundError:
                    raise none_there from None


def _tradeoff(db: Database, kwargs: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """``tradeoff``: the tolerances (or, with ``from_plan``, disruption budgets) to sweep;
    the result lists the non-dominated designs (nothing is saved: the user picks one and
    runs that design)."""
    from terraplan.services.design_tradeoff import design_tradeoff

    values = tradeoff_values(kwargs.pop("tradeoff"))
    accepted = ("units", "n_territories", "balance", "contiguous", "from_plan", "seed", "time_limit", "states")  # fmt: skip
    points = design_tradeoff(
        db,
        parameters=values,
        progress=progress,
        **{k: v for k, v in kwargs.items() if k in accepted},
    )
    return {"tradeoff": points}


def _rules_apply(db: Database, parameters: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from terraplan.services.ownership import apply_rules

    progress("apply rules", 0, 1)
    outcome = apply_rules(db, parameters["plan_id"])
    progress("apply rules", 1, 1)
    run = outcome.run
    return {
        "plan_id": parameters["plan_id"],
        "records": run.records,
        "gaps": run.gaps,
        "conflicts": run.conflicts,
        "owner_changes": run.owner_changes,
        "notes": list(outcome.notes),
    }


#: What each kind of job runs.
JOB_KINDS: dict[str, JobFunction] = {
    "design": _design,
    "import": run_import_job,
    "rules_apply": _rules_apply,
}


def submit_job(
    db: Database, kind: str, parameters: Mapping[str, Any], *, created_by: str | None = None
) -> Job:
    if kind not in JOB_KINDS:
        raise InvalidParameterError(
            f"unknown job kind {kind!r}; use one of {', '.join(JOB_KINDS)}",
            details={"field": "kind"},
        )
    with UnitOfWork(db) as uow:
        if kind == "rules_apply" and uow.plans.exists(str(parameters.get("plan_id"))):
            # Refused at once rather than as a failed job (the job checks again when it runs).
            plan = uow.plans.header(str(parameters["plan_id"]))
            plan.require_writable("apply its rules")
            require_owners_may_follow(uow, plan)
        job = uow.jobs.create(kind, parameters, created_by=created_by)
        uow.audit.record("submit", "job", job.id, actor=created_by, after={"kind": kind})
        uow.commit()
    return job


def get_job(db: Database, job_id: str) -> Job:
    with UnitOfWork(db) as uow:
        return uow.jobs.get(job_id)


def cancel_job(db: Database, job_id: str, *, by: str | None = None) -> Job:
    with UnitOfWork(db) as uow:
        job = uow.jobs.request_cancel(job_id)
        uow.audit.record("cancel", "job", job_id, actor=by)
        uow.commit()
    return job


@dataclass
class _Reporter:
    """The progress callback of one running job: throttled writes, cancellation check."""

    db: Database
    job_id: str
    interval: float = 0.5
    _last: float = 0.0
    _step: str | None = None

    def __call__(self, step: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        # A new step is always reported (the user sees where the job is); within a step,
        # at most every ``interval`` seconds, and its end.
        if now - self._last < self.interval and not finished and step == self._step:
            return
        self._last = now
        self._step = step
        share = done / total if total else 0.0
        with self.db.engine.begin() as connection:
            cancelled = report_job_progress(connection, self.job_id, progress=share, step=f"{step}")
        if cancelled:
            raise JobCancelledError(self.job_id)


class _Heartbeat:
    """Keeps a running job's heartbeat fresh from a thread of its own: a step that reports no
    progress for long (an exact solve, an import's write) must not look like a dead worker
    to the other processes, which would fail the job while it goes on and saves."""

    def __init__(self, db: Database, job_id: str, seconds: float) -> None:
        self._db, self._job_id, self._seconds = db, job_id, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                with self._db.engine.begin() as connection:
                    beat_job(connection, self._job_id)
            except Exception:  # a busy or restarting database: the next beat may pass
                log.debug("heartbeat of job %s not written", self._job_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_job(db: Database, job_id: str, *, heartbeat_seconds: float = 15.0) -> Job:
    """Run a claimed job to its end; the job row says how it ended. Its heartbeat is written
    every ``heartbeat_seconds`` while it runs, whatever it reports."""
    with UnitOfWork(db) as uow:
        job = uow.jobs.get(job_id)
    with _Heartbeat(db, job_id, heartbeat_seconds):
        return _run(db, job)


def _run(db: Database, job: Job) -> Job:
    job_id = job.id
    function = JOB_KINDS[job.kind]
    reporter = _Reporter(db, job_id)
    notes: list[str] = []
    try:
        # Warnings (data quality, convergence) become the job's notes, each once.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = function(db, job.parameters, reporter)
        notes = list(dict.fromkeys(str(w.message) for w in caught))
        if notes:
            result = {**result, "notes": notes}
    except JobCancelledError:
        status, payload, error = "cancelled", None, None
    except TerraplanError as exc:
        status, payload = "failed", None
        error = {"code": exc.code, "message": exc.message, "details": _jsonable(exc.details)}
    except Exception as exc:  # a job must end in a state, whatever happened
        log.exception("job %s failed unexpectedly", job_id)
        status, payload = "failed", None
        error = {"code": "unexpected", "message": f"unexpected {type(exc).__name__}: {exc}"}
    else:
        status, payload, error = "succeeded", result, None
    with db.engine.begin() as connection:
        finish_job(connection, job_id, status, result=_jsonable(payload), error=error)
    with UnitOfWork(db) as uow:
        return uow.jobs.get(job_id)


def _jsonable(value: Any) -> Any:
    import json

    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))


class JobWorker:
    """Claims and runs jobs in a background thread until :meth:`stop`.

    ``stale_after``: a running job whose heartbeat is older is taken as orphaned (its
    process died) and marked failed, at start and then on every idle poll.
    """

    def __init__(
        self,
        db: Database,
        *,
        kinds: tuple[str, ...] = tuple(JOB_KINDS),
        poll_seconds: float = 0.5,
        stale_after: timedelta = timedelta(seconds=60),
    ) -> None:
        self.db = db
        self.kinds = kinds
        self.poll_seconds = poll_seconds
        self.stale_after = stale_after
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> str | None:
        """Fail orphans, claim one job and run it; returns its id (None when idle)."""
        with self.db.engine.connect() as connection:
            # One cheap read per idle poll; writes only when there is something to do.
            if not pending_jobs(connection):
                return None
        with self.db.engine.begin() as connection:
            failed = fail_orphaned_jobs(connection, stale_after=self.stale_after)
            if failed:
                log.warning("%d job(s) whose worker stopped were marked failed", failed)
        with self.db.engine.begin() as connection:
            job_id = claim_next_job(connection, self.worker_id, self.kinds)
        if job_id is not None:
            beat = max(0.2, self.stale_after.total_seconds() / 4)
            run_job(self.db, job_id, heartbeat_seconds=beat)
        return job_id

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # keep serving: the next poll may succeed (database restart)
                log.exception("job worker poll failed")
                ran = None
            if ran is None:
                self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="terraplan-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
