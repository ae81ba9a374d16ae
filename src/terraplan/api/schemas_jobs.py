"""What a job's ``result`` and ``error`` hold, by kind, for the OpenAPI document.

Jobs store their result and error as JSON when they end (:mod:`terraplan.services.jobs`);
``JobPublic`` sends them as stored and documents them with these models
(:class:`~terraplan.api.documented.Documented`). Every result may carry ``notes``: the job's
warnings, each once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Noted(_Closed):
    notes: list[str] = Field(
        default=[], description="The job's warnings (data quality, convergence), each once"
    )


class DedicatedUnitPublic(_Closed):
    territory_id: str
    unit_id: str
    unit: str = Field(description="The unit's name")


class BalanceCriteriaPublic(_Closed):
    """What the design balanced: monitoring judges the plan by the same criteria."""

    metrics: dict[str, float] = Field(description="metric -> tolerance (0.1 = ±10 %)")
    targets: dict[str, dict[str, float]] = Field(description="territory id -> metric -> target")
    totals: dict[str, dict[str, float]] = Field(description="territory id -> metric -> total")
    dedicated: list[DedicatedUnitPublic] = Field(
        description="Territories given to one oversize unit, or keep-together group, of their own"
    )
    windows: dict[str, dict[str, list[float | None]]] = Field(
        default={},
        description="territory id -> metric -> [lower, upper] (null: open); present with "
        "absolute windows",
    )


class SolverPublic(_Closed):
    method: str = Field(description="heuristic or exact")
    seconds: float
    iterations: int
    objective: float
    lower_bound: float | None
    gap: float | None = Field(description="Relative optimality gap, 0..1; null when unknown")
    proven_optimal: bool
    converged: bool
    status: str
    reproducible: bool


class KeepTogetherPublic(_Closed):
    group: str
    units: int
    share: float = Field(description="Share of the metric the group holds, 0..1")


class DisruptionPublic(_Closed):
    units_moved: int
    share_moved: dict[str, float] = Field(description="metric -> share that moved, 0..1")


class DesignSummaryPublic(_Closed):
    """A design's report (as ``terraplan design --format json`` prints it)."""

    plan_id: str
    territories: int
    units: int
    metrics: list[str] = Field(description="The balanced metrics, in the order of the lists")
    tolerance: list[float] = Field(description="Per metric, 0.1 = ±10 %")
    max_abs_deviation: list[float] = Field(description="Per metric, largest |deviation|")
    all_within_tolerance: bool
    weighted_inertia: float = Field(description="Sum of weight x km² to the centres")
    weighted_distance: float = Field(description="Sum of weight x km to the centres")
    max_diameter_km: float
    cut_edges: int | None = Field(
        description="Neighbouring unit pairs in different territories; null: no neighbours known"
    )
    all_contiguous: bool | None = Field(description="Null when no neighbours are known")
    diagnosis: list[str]
    balance_criteria: BalanceCriteriaPublic
    solver: SolverPublic
    excluded_named_accounts: list[str]
    windows: dict[str, dict[str, list[float | None]]] = Field(
        default={}, description="With absolute windows: as in balance_criteria"
    )
    window_only_metrics: list[str] = Field(
        default=[], description="With absolute windows: metrics balanced by them alone"
    )
    travel_minutes: dict[str, float] = Field(
        default={}, description='With travel costs: "mean" and "weighted" minutes'
    )
    keep_together: list[KeepTogetherPublic] = Field(default=[])
    disruption: DisruptionPublic | None = Field(default=None, description="With from_plan")


class DesignJobResult(_Noted):
    """A ``design`` job: the plan it saved."""

    plan_id: str
    summary: DesignSummaryPublic


class TradeoffPointPublic(_Closed):
    parameter: float = Field(description="The swept tolerance (or disruption budget)")
    weighted_inertia: float | None = Field(description="Null: no design at this value")
    max_deviation: float | None = Field(
        default=None, description="Without from_plan: the largest |deviation|"
    )
    units_moved: float | None = Field(default=None, description="With from_plan")
    within_tolerance: bool
    contiguous: bool | None


class TradeoffJobResult(_Noted):
    """A ``design`` job with ``tradeoff``: the non-dominated designs (nothing saved)."""

    tradeoff: list[TradeoffPointPublic]


class ImportIssuePublic(_Closed):
    file: str
    row: int | None = Field(description="Line or record number; null for the whole file")
    column: str | None = Field(description="The header as in the file")
    field: str | None = Field(description="Our field name")
    value: str | None
    reason: str
    severity: Literal["error", "warning"] = Field(
        description="error: the row is refused; warning: kept"
    )


class ImportJobResult(_Noted):
    """An ``import`` job (``POST /imports/{kind}``)."""

    kind: str = Field(description="accounts, reps, opportunities, ...")
    written: int = Field(description="Rows written")
    new: int | None = Field(description="Accounts and reps: how many are new (else null)")
    absent: int = Field(description="Accounts and reps: stored ones the file leaves out")
    closed: int = Field(description="Accounts closed (close_missing=true)")
    reopened: int = Field(description="Closed accounts the file opens again")
    rows_read: int
    rejected: int
    issues: list[ImportIssuePublic] = Field(description="The first 100 issues")
    issues_total: int
    warnings: list[str]


class RulesApplyJobResult(_Noted):
    """A ``rules_apply`` job: the rule run."""

    plan_id: str
    records: int = Field(description="Accounts and leads placed")
    gaps: int
    conflicts: int
    owner_changes: int


#: A finished job's result (null until it succeeds).
JobResult = DesignJobResult | TradeoffJobResult | ImportJobResult | RulesApplyJobResult


class JobErrorPublic(_Closed):
    """Why a job failed: the API's error codes, ``worker_lost`` or ``unexpected``."""

    code: str
    message: str
    details: dict[str, Any] = Field(
        default={}, description="Field, value, constraints... (depends on the code)"
    )
