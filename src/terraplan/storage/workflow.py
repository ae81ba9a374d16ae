"""Repositories of the planning workflow: jobs, the audit log, comments and change requests.

None of them commits: the unit of work does. Job progress is written by the worker in its own
short transactions so that readers see it while the job runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from terraplan.errors import ConflictError, NotFoundError
from terraplan.storage.orm import AuditRow, CommentRow, JobRow

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = ("succeeded", "failed", "cancelled")


def utc_now() -> datetime:
    """Naive UTC, as every timestamp is stored (the API adds the zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    parameters: dict[str, Any]
    status: str
    progress: float
    step: str | None
    objective: float | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    cancel_requested: bool
    worker_id: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def _job(row: JobRow) -> Job:
    return Job(
        row.id,
        row.kind,
        dict(row.parameters or {}),
        row.status,
        float(row.progress or 0.0),
        row.step,
        row.objective,
        row.result,
        row.error,
        bool(row.cancel_requested),
        row.worker_id,
        row.created_by,
        row.created_at,
        row.started_at,
        row.heartbeat_at,
        row.finished_at,
    )


class Jobs:
    def __init__(self, session: Session) -> None:
        self._session = session

    def create(
        self, kind: str, parameters: Mapping[str, Any], *, created_by: str | None = None
    ) -> Job:
        row = JobRow(
            id=uuid.uuid4().hex,
            kind=kind,
            parameters=dict(parameters),
            status="queued",
            progress=0.0,
            cancel_requested=False,
            created_by=created_by,
            created_at=utc_now(),
        )
        self._session.add(row)
        self._session.flush()
        return _job(row)

    def get(self, job_id: str) -> Job:
        row = self._session.get(JobRow, job_id)
        if row is None:
            raise NotFoundError(
                f"no job with id {job_id!r}", details={"kind": "jobs", "id": job_id}
            )
        self._session.refresh(row)
        return _job(row)

    def list(
        self,
        *,
        status: str | None = None,
        created_by: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Job]:
        """Newest first; ``created_by`` narrows to one user's jobs before the page is cut."""
        query = self._filtered(select(JobRow), status, created_by)
        query = query.order_by(JobRow.created_at.desc(), JobRow.id)
        return [_job(r) for r in self._session.scalars(query.limit(limit).offset(offset))]

    def count(self, *, status: str | None = None, created_by: str | None = None) -> int:
        """How many jobs :meth:`list` pages through with the same filters."""
        query = self._filtered(select(func.count()).select_from(JobRow), status, created_by)
        return int(self._session.scalar(query) or 0)

    @staticmethod
    def _filtered(query: Any, status: str | None, created_by: str | None) -> Any:
        if status is not None:
            query = query.where(JobRow.status == status)
        if created_by is not None:
            query = query.where(JobRow.created_by == created_by)
        return query

    def request_cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.finished:
            raise ConflictError(
                f"job {job_id} has already {job.status}",
                details={"id": job_id, "status": job.status},
            )
        values: dict[str, Any] = {"cancel_requested": True}
        if job.status == "queued":
            values |= {"status": "cancelled", "finished_at": utc_now(), "step": "cancelled"}
        self._session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))
        return self.get(job_id)


def pending_jobs(connection: Connection) -> bool:
    """True when some job is queued or running (a worker's cheap idle check)."""
    query = select(JobRow.id).where(JobRow.status.in_(("queued", "running"))).limit(1)
    return connection.execute(query).first() is not None


def claim_next_job(connection: Connection, worker_id: str, kinds: tuple[str, ...]) -> str | None:
    """Claim the oldest queued job of ``kinds`` for ``worker_id``; returns its id or None.

    Call in its own transaction. PostgreSQL locks the row with ``FOR UPDATE SKIP LOCKED`` so
    two workers never claim the same job; SQLite serialises writers, and the conditional
    update below makes a lost race claim nothing.
    """
    query = (
        select(JobRow.id)
        .where(JobRow.status == "queued", JobRow.kind.in_(kinds))
        .order_by(JobRow.created_at, JobRow.id)
        .limit(1)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job_id = connection.execute(query).scalar()
    if job_id is None:
        return None
    now = utc_now()
    claimed = connection.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == "queued")
        .values(status="running", worker_id=worker_id, started_at=now, heartbeat_at=now)
    )
    return str(job_id) if claimed.rowcount == 1 else None


def report_job_progress(
    connection: Connection,
    job_id: str,
    *,
    progress: float,
    step: str | None = None,
    objective: float | None = None,
) -> bool:
    """Store progress (0..1) and a heartbeat; returns True when cancellation was requested."""
    values: dict[str, Any] = {"progress": max(0.0, min(progress, 1.0)), "heartbeat_at": utc_now()}
    if step is not None:
        values["step"] = step[:255]
    if objective is not None:
        values["objective"] = objective
    connection.execute(update(JobRow).where(JobRow.id == job_id).values(**values))
    cancel = connection.execute(select(JobRow.cancel_requested).where(JobRow.id == job_id)).scalar()
    return bool(cancel)


def beat_job(connection: Connection, job_id: str) -> None:
    """The heartbeat alone, while the job is running (a long step reports no progress)."""
    connection.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == "running")
        .values(heartbeat_at=utc_now())
    )


def finish_job(
    connection: Connection,
    job_id: str,
    status: str,
    *,
    result: Mapping[str, Any] | None = None,
    error: Mapping[str, Any] | None = None,
) -> None:
    connection.execute(
        update(JobRow)
        .where(JobRow.id == job_id)
        .values(
            status=status,
            progress=1.0 if status == "succeeded" else JobRow.progress,
            result=dict(result) if result is not None else None,
            error=dict(error) if error is not None else None,
            finished_at=utc_now(),
            step=status,
        )
    )


def fail_orphaned_jobs(connection: Connection, *, stale_after: timedelta) -> int:
    """Mark as failed the running jobs whose worker stopped reporting (killed, restarted).

    Nothing of such a job was written (results are written in one transaction at the end),
    so failing it is the whole repair.
    """
    cutoff = utc_now() - stale_after
    result = connection.execute(
        update(JobRow)
        .where(JobRow.status == "running", JobRow.heartbeat_at < cutoff)
        .values(
            status="failed",
            finished_at=utc_now(),
            step="failed",
            error={
                "code": "worker_lost",
                "message": "the process running this job stopped before it finished; "
                "nothing of it was saved — submit it again",
            },
        )
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str | None
    action: str
    object_kind: str
    object_id: str | None
    plan_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        action: str,
        object_kind: str,
        object_id: str | None,
        *,
        actor: str | None,
        plan_id: str | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> None:
        self._session.add(
            AuditRow(
                at=utc_now(),
                actor=actor,
                action=action,
                object_kind=object_kind,
                object_id=object_id,
                plan_id=plan_id,
                before=dict(before) if before is not None else None,
                after=dict(after) if after is not None else None,
            )
        )
        self._session.flush()

    def forget_plans(self) -> None:
        """Delete every entry about a plan: only for starting a database over (the demo's
        reset), where the plans themselves are deleted and their ids are given again."""
        self._session.execute(delete(AuditRow).where(AuditRow.plan_id.is_not(None)))

    def list(
        self,
        *,
        plan_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 500,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        query = self._filtered(select(AuditRow), plan_id, actor, action)
        query = query.order_by(AuditRow.id.desc() if newest_first else AuditRow.id)
        return [
            AuditEntry(
                r.id,
                r.at,
                r.actor,
                r.action,
                r.object_kind,
                r.object_id,
                r.plan_id,
                r.before,
                r.after,
            )
            for r in self._session.scalars(query.limit(limit).offset(offset))
        ]

    def count(
        self, *, plan_id: str | None = None, actor: str | None = None, action: str | None = None
    ) -> int:
        """How many entries :meth:`list` pages through with the same filters."""
        query = self._filtered(select(func.count()).select_from(AuditRow), plan_id, actor, action)
        return int(self._session.scalar(query) or 0)

    @staticmethod
    def _filtered(query: Any, plan_id: str | None, actor: str | None, action: str | None) -> Any:
        if plan_id is not None:
            query = query.where(AuditRow.plan_id == plan_id)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if action is not None:
            query = query.where(AuditRow.action == action)
        return query


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    plan_id: str
    target_kind: str
    target_id: str | None
    kind: str
    body: str
    author: str | None
    created_at: datetime
    status: str | None
    proposed_edit: dict[str, Any] | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None


def _comment(r: CommentRow) -> Comment:
    return Comment(
        r.id,
        r.plan_id,
        r.target_kind,
        r.target_id,
        r.kind,
        r.body,
        r.author,
        r.created_at,
        r.status,
        r.proposed_edit,
        r.resolved_by,
        r.resolved_at,
        r.resolution,
    )


#: Minutes after which a change request left "accepting" (its process died while applying
#: the edit) may be decided again.
ACCEPTING_MINUTES = 10


class Comments:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        plan_id: str,
        body: str,
        *,
        author: str | None,
        target_kind: str = "plan",
        target_id: str | None = None,
        change_request: bool = False,
        proposed_edit: Mapping[str, Any] | None = None,
    ) -> Comment:
        row = CommentRow(
            plan_id=plan_id,
            target_kind=target_kind,
            target_id=target_id,
            kind="change_request" if change_request else "comment",
            body=body,
            author=author,
            created_at=utc_now(),
            status="open" if change_request else None,
            proposed_edit=dict(proposed_edit) if proposed_edit is not None else None,
        )
        self._session.add(row)
        self._session.flush()
        return _comment(row)

    def count_since(self, plan_id: str, author: str, since: datetime) -> int:
        """Comments ``author`` wrote on the plan since ``since`` (naive UTC)."""
        query = (
            select(func.count())
            .select_from(CommentRow)
            .where(
                CommentRow.plan_id == plan_id,
                CommentRow.author == author,
                CommentRow.created_at >= since,
            )
        )
        return int(self._session.scalar(query) or 0)

    def get(self, comment_id: int) -> Comment:
        row = self._session.get(CommentRow, comment_id)
        if row is None:
            raise NotFoundError(
                f"no comment with id {comment_id}", details={"kind": "comments", "id": comment_id}
            )
        return _comment(row)

    def list(self, plan_id: str) -> list[Comment]:
        query = select(CommentRow).where(CommentRow.plan_id == plan_id).order_by(CommentRow.id)
        return [_comment(r) for r in self._session.scalars(query)]

    def claim(
        self, comment_id: int, status: str, *, was: str = "open", by: str | None, note: str | None
    ) -> Comment:
        """Move a change request from ``was`` to ``status`` in one conditional update, so that
        of two deciders at the same moment exactly one does (ConflictError for the other,
        naming the decision that won)."""
        state_now = CommentRow.status == was
        if was == "open":
            # an accept whose process died while applying the edit gives the request back
            stuck = utc_now() - timedelta(minutes=ACCEPTING_MINUTES)
            state_now = or_(
                state_now, and_(CommentRow.status == "accepting", CommentRow.resolved_at < stuck)
            )
        done = self._session.execute(
            update(CommentRow)
            .where(CommentRow.id == comment_id, CommentRow.kind == "change_request", state_now)
            .values(status=status, resolved_by=by, resolved_at=utc_now(), resolution=note)
            .execution_options(synchronize_session=False)
        )
        self._session.expire_all()  # the row as the update left it, not as first read
        if done.rowcount == 1:  # type: ignore[attr-defined]
            return self.get(comment_id)
        current = self.get(comment_id)
        who = f" by {current.resolved_by}" if current.resolved_by else ""
        state = "being accepted" if current.status == "accepting" else current.status
        raise ConflictError(
            f"comment {comment_id} is not an open change request (it is {state}{who})",
            details={"id": comment_id, "status": current.status, "by": current.resolved_by},
        )
