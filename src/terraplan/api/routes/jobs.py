"""Jobs: long work (design runs, rule runs) submitted, followed with progress, cancelled."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.documented import Documented
from terraplan.api.query import known_query_parameters
from terraplan.api.routes.scenarios import PLAN_ID_PATTERN, aware
from terraplan.api.schemas import TOTAL_HEADER, Timestamp
from terraplan.api.schemas_jobs import JobErrorPublic, JobResult
from terraplan.domain.access import Action, sees_everything
from terraplan.errors import InvalidParameterError, NotFoundError
from terraplan.services.jobs import MAX_TRADEOFF_VALUES
from terraplan.storage.database import Database
from terraplan.storage.workflow import Job

router = APIRouter(
    prefix="/jobs",
    tags=["jobs"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The role or the token's scopes do not allow it"},
        404: {"description": "No such job"},
        409: {"description": "The job has already ended"},
    },
)

#: What each kind of job needs the caller to be allowed to do.
JOB_ACTIONS = {"design": Action.RUN_DESIGN, "rules_apply": Action.EDIT_RULES}


class DesignWindow(BaseModel):
    """An absolute window on a metric's total, for every territory or one."""

    model_config = ConfigDict(extra="forbid")
    metric: str = Field(description="Metric name, e.g. potential (balanced by this window)")
    lower: StrictFloat | None = Field(None, ge=0, description="Lowest total (null: none)")
    upper: StrictFloat | None = Field(None, ge=0, description="Highest total (null: no limit)")
    territory: str | None = Field(
        None, description="Territory id or name (T03, a rep's name); null: every territory"
    )


class DesignTravelCost(BaseModel):
    """Travel time from a unit to a rep's home base (with ``centres_from_reps``)."""

    model_config = ConfigDict(extra="forbid")
    unit: str = Field(description="Unit id: county FIPS, ZIP or account id")
    rep: str = Field(description="Rep id or name")
    minutes: StrictFloat = Field(ge=0, description="Travel time (or any non-negative cost)")


class DesignJobParameters(BaseModel):
    """The parameters of a ``design`` job (those of ``terraplan design``)."""

    # How many territories: n_territories, or one per rep (centres_from_reps), or those of
    # the plan realigned (from_plan); the job's own check says so at submit.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["n_territories"]},
                {"required": ["centres_from_reps"]},
                {"required": ["from_plan"]},
            ]
        },
    )
    units: Literal["counties", "zips", "custom", "accounts"] | None = None
    n_territories: StrictInt | None = Field(None, ge=1, le=10_000)
    balance: dict[str, StrictFloat] | None = Field(
        None, description='metric -> tolerance, e.g. {"potential": 0.1}'
    )
    contiguous: bool | None = None
    centres_from_reps: bool | None = Field(
        None, description="One territory per active rep, centred on the home base"
    )
    from_plan: str | None = Field(None, description="Realign this plan")
    max_moved: StrictFloat | None = Field(None, ge=0, description="Units (>= 1) or a share (< 1)")
    seed: StrictInt | None = Field(None, ge=0, le=2**32 - 1)
    time_limit: StrictFloat | None = Field(
        None, gt=0, le=3_600, description="Seconds, at most an hour"
    )
    method: Literal["auto", "heuristic", "exact"] | None = None
    states: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=100)
    plan_id: str | None = Field(None, json_schema_extra={"pattern": PLAN_ID_PATTERN})
    plan_name: str | None = None
    tradeoff: list[StrictFloat] | None = Field(
        None,
        min_length=1,
        max_length=MAX_TRADEOFF_VALUES,
        description="Sweep these tolerances (or disruption budgets); nothing is saved",
    )
    keep_together: Literal["parent"] | dict[str, str] | list[Literal["parent"] | dict[str, str]] | None = Field(
        None,
        description='"parent" (accounts of one parent family, or the units holding them '
        "stay in one territory) and/or objects unit id -> group name (e.g. the counties of "
        "a metro area)",
    )  # fmt: skip
    windows: list[DesignWindow] | None = Field(
        None, description="Absolute windows; a metric not in balance is balanced by them"
    )
    travel_costs: list[DesignTravelCost] | None = Field(
        None,
        description="Unit -> rep travel times (needs centres_from_reps); compactness becomes "
        "the weighted travel time and a pair without a time is not allowed",
    )


class RulesApplyJobParameters(BaseModel):
    """The parameters of a ``rules_apply`` job (those of ``terraplan rules apply``)."""

    model_config = ConfigDict(extra="forbid")
    plan_id: str = Field(min_length=1, max_length=120, description="The plan whose rules run")


class JobCreate(BaseModel):
    kind: Literal["design", "rules_apply"]
    parameters: dict[str, Any] | DesignJobParameters = Field(
        default_factory=dict,
        description='design: DesignJobParameters, e.g. {"units": "counties", "n_territories": '
        '40, "balance": {"potential": 0.1}, "contiguous": true}; rules_apply: {"plan_id": '
        '"P001"}',
    )


def _check_parameters(model: type[BaseModel], parameters: dict[str, Any]) -> None:
    """Refuse a job's bad parameters at once (422), naming the JSON path."""
    try:
        model.model_validate(parameters)
    except ValidationError as exc:
        problems = [
            {"path": ".".join(["parameters", *(str(p) for p in e["loc"])]), "reason": e["msg"]}
            for e in exc.errors()
        ]
        first = problems[0]
        raise InvalidParameterError(
            f"{first['path']}: {first['reason']}", details={"problems": problems}
        ) from None


def check_design_parameters(db: Database, parameters: dict[str, Any]) -> None:
    """Refuse a design job's bad parameters at once (422), naming the JSON path: their
    shapes, then what the job checks as it starts (``check_design_job``)."""
    from terraplan.services.jobs import check_design_job

    _check_parameters(DesignJobParameters, parameters)
    check_design_job(db, parameters)


class JobPublic(BaseModel):
    id: str
    kind: str
    status: str
    progress: float = Field(description="0..1")
    step: str | None
    objective: float | None
    parameters: dict[str, Any] = Field(
        description="As submitted (JobCreate.parameters: DesignJobParameters, "
        "RulesApplyJobParameters, or an import's kind, file name and options)"
    )
    # sent as stored (a result written by an earlier version is not refused): documented only
    result: Annotated[dict[str, Any] | None, Documented(JobResult | None)] = Field(
        description="What the job produced, by kind; null until it succeeds"
    )
    error: Annotated[dict[str, Any] | None, Documented(JobErrorPublic | None)] = Field(
        description="Why it failed; null unless it failed"
    )
    cancel_requested: bool
    created_by: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None


def _public_parameters(job: Job) -> dict[str, Any]:
    """A job's parameters as its caller may read them: an uploaded import's file by the name
    it was given, not the server's temporary path."""
    parameters = dict(job.parameters)
    if parameters.get("uploaded") and "path" in parameters:
        parameters["path"] = parameters.get("filename") or "upload"
    return parameters


def job_public(job: Job) -> JobPublic:
    return JobPublic(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        step=job.step,
        objective=job.objective,
        parameters=_public_parameters(job),
        result=job.result,
        error=job.error,
        cancel_requested=job.cancel_requested,
        created_by=job.created_by,
        created_at=aware(job.created_at),  # type: ignore[arg-type]
        started_at=aware(job.started_at),
        finished_at=aware(job.finished_at),
    )


def _own_job(principal: CurrentPrincipal, job: Job) -> Job:
    if sees_everything(principal.user) or job.created_by == principal.user.username:
        return job
    raise NotFoundError(f"no job with id {job.id!r}", details={"kind": "jobs", "id": job.id})


@router.post("", operation_id="submit_job", status_code=202)
def submit_job_route(principal: CurrentPrincipal, db: DatabaseDep, body: JobCreate) -> JobPublic:
    """Queue a job; poll ``GET /jobs/{id}`` for its progress and result."""
    from terraplan.services.jobs import submit_job

    authorize(principal, JOB_ACTIONS[body.kind])
    parameters = (
        dict(body.parameters)
        if isinstance(body.parameters, dict)
        else body.parameters.model_dump(exclude_none=True)
    )
    if body.kind == "design":
        check_design_parameters(db, parameters)
        parameters["created_by"] = principal.user.username
    else:
        _check_parameters(RulesApplyJobParameters, parameters)
    return job_public(submit_job(db, body.kind, parameters, created_by=principal.user.username))


@router.get("", operation_id="list_jobs", dependencies=[Depends(known_query_parameters)])
def list_jobs_route(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    response: Response,
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> list[JobPublic]:
    from terraplan.storage.unit_of_work import UnitOfWork

    authorize(principal, Action.READ)
    mine = None if sees_everything(principal.user) else principal.user.username
    with UnitOfWork(db) as uow:
        jobs = uow.jobs.list(status=status, created_by=mine, limit=limit, offset=offset)
        response.headers[TOTAL_HEADER] = str(uow.jobs.count(status=status, created_by=mine))
    return [job_public(j) for j in jobs]


@router.get("/{job_id}", operation_id="get_job")
def get_job_route(principal: CurrentPrincipal, db: DatabaseDep, job_id: str) -> JobPublic:
    from terraplan.services.jobs import get_job

    authorize(principal, Action.READ)
    return job_public(_own_job(principal, get_job(db, job_id)))


@router.post("/{job_id}/cancel", operation_id="cancel_job")
def cancel_job_route(principal: CurrentPrincipal, db: DatabaseDep, job_id: str) -> JobPublic:
    """Cancel a queued job at once, a running one at its next progress report."""
    from terraplan.services.jobs import cancel_job, get_job

    authorize(principal, Action.READ)
    job = _own_job(principal, get_job(db, job_id))
    authorize(principal, JOB_ACTIONS.get(job.kind, Action.EDIT_PLAN))
    return job_public(cancel_job(db, job_id, by=principal.user.username))
