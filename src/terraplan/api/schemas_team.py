"""The capacity, matching and targets reports of ``GET /plans/{id}/team``, for the OpenAPI document.

The reports are stored with the plan when computed (``terraplan capacity``, ``match``,
``targets``, or the ``POST`` team routes) and sent as stored; these models document them
(:class:`~terraplan.api.documented.Documented`). Amounts are in the plan currency, hours per
year, shares and ratios as fractions (0.8 = 80 %), dates ISO (``YYYY-MM-DD``), months
``YYYY-MM``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapacityGroupPublic(BaseModel):
    """One group (region, territory, segment...) and the reps its workload needs; the last
    row is the ``TOTAL``. Its name is under the key ``group_by`` names (e.g. ``"region":
    "West"``)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str] = Field(init=False)

    id: str = Field(
        default="", description="Territory id, when the groups are territories (TOTAL: empty)"
    )
    accounts: int
    workload_hours: float = Field(description="Hours of work per year")
    potential: float
    fte_needed: float = Field(
        description="Full-time reps needed: the larger of fte_by_hours and fte_by_accounts"
    )
    reps_needed: int = Field(description="fte_needed rounded up")
    current_reps: int | None = Field(
        description="Reps there now; null when unknown (segments, industries, the accounts "
        "in no territory: (unaligned))"
    )
    fte_by_hours: float = Field(description="Reps the workload needs")
    fte_by_accounts: float | None = Field(
        description="Reps the account count needs at the reps' account limit; null when no "
        "rep has one"
    )
    binding: Literal["hours", "accounts"] = Field(
        description="Which sets fte_needed: the workload's hours or the account limit"
    )


class CapacityMarginalPublic(_Closed):
    """The team at one size: what one rep more or less changes."""

    reps: int
    capacity_hours: float
    capacity_accounts: float | None = Field(
        description="Accounts the team can serve at the reps' account limit; null without one"
    )
    accounts_per_rep: float
    potential_covered: float
    potential_covered_share: float = Field(description="0..1")
    workload_per_rep: float = Field(description="Hours")
    load_vs_capacity: float = Field(
        description="The larger of workload / hours capacity and accounts / account capacity "
        "(1: full)"
    )
    delta_potential: float = Field(description="Potential covered against one rep fewer")


class CapacityReportPublic(_Closed):
    hours_per_rep: float = Field(
        description="Selling hours of a rep per year: the team's average of each rep's own, "
        "else default_hours_per_rep"
    )
    default_hours_per_rep: float = Field(
        description="Selling hours per year of a rep with none of their own"
    )
    utilization: float = Field(description="Share of those hours spent on accounts, 0..1")
    effective_hours_per_rep: float = Field(description="Hours of workload a rep carries")
    accounts_per_rep: float | None = Field(
        description="The reps' average account limit; null when no rep has one"
    )
    total_workload_hours: float
    total_potential: float
    fte_needed: float = Field(description="The larger of fte_by_hours and fte_by_accounts")
    fte_by_hours: float
    fte_by_accounts: float | None
    binding: Literal["hours", "accounts"]
    binding_reason: str = Field(description="Which limit sets the reps needed, in words")
    reps_needed: int
    current_reps: int
    group_by: str = Field(description="region, territory, segment or industry")
    groups: list[CapacityGroupPublic]
    marginal: list[CapacityMarginalPublic]
    warnings: list[str]
    assumptions: list[str] = Field(description="Every figure the sizing used, in words")


class MatchPairPublic(_Closed):
    """A rep matched to a territory, the weighted cost and its parts (lower is better)."""

    rep_id: str
    rep: str | None = Field(description="The rep's name")
    territory_id: str
    territory: str | None = Field(description="The territory's name")
    cost: float | None = Field(description="The weighted parts added up")
    cost_skill: float | None = Field(description="Unweighted; x weights.skill = weighted_skill")
    cost_experience: float | None = Field(description="Unweighted")
    cost_distance: float | None = Field(description="Unweighted (per 100 km)")
    cost_continuity: float | None = Field(description="Unweighted")
    weighted_skill: float | None = Field(default=None, description="Weight x cost_skill")
    weighted_experience: float | None = Field(default=None, description="Weight x part")
    weighted_distance: float | None = Field(default=None, description="Weight x part")
    weighted_continuity: float | None = Field(default=None, description="Weight x part")
    current: bool | None = Field(description="The rep owns the territory now")
    why: str | None = Field(description="The explanation, in words")


class MatchingReportPublic(_Closed):
    weights: dict[str, float] = Field(
        description="skill, experience, distance, continuity -> weight"
    )
    total_cost: float
    current_cost: float | None = Field(description="Cost of the current owners; null: unknown")
    current_pairs_priced: int
    reps_moved: int = Field(description="Reps owning a territory now who would move")
    territories_changing: int
    pairs: list[MatchPairPublic]
    vacant_territories: list[str] = Field(description="Territory ids left without a rep")
    vacant_territory_names: list[str] = Field(
        default_factory=list,
        description="Their names, in the same order (empty in reports stored before names)",
    )
    unassigned_reps: list[str] = Field(description="Rep ids left without a territory")
    unassigned_rep_names: list[str] = Field(
        default_factory=list,
        description="Their names, in the same order (empty in reports stored before names)",
    )
    warnings: list[str]
    vacancies_filled: list[str] = Field(
        default_factory=list,
        description="Names of the territories with no primary rep now that the matching gives "
        "a rep (they get one, not another)",
    )
    note: str = Field(
        default="",
        description="Present when the plan's owners changed since the matching was computed",
    )


class TargetBasisPublic(_Closed):
    """The revenue history the targets were set from."""

    kind: str
    window: str
    history_start: str = Field(description="ISO date")
    history_end: str = Field(description="ISO date")
    months: int
    months_covered: int
    factor: float = Field(description="Scale from the months covered to a full period")
    data_start: str | None = Field(description="ISO date")
    data_end: str | None = Field(description="ISO date")
    revenue_source: str = Field(description="sales_lines, opportunities or none")
    revenue: str = Field(description="The revenue source in words")
    text: str


class TerritoryTargetPublic(_Closed):
    """A territory's target (every hierarchy level) and how it was reached."""

    territory_id: str
    name: str
    level: str
    parent_id: str | None
    top_down: float
    adjustment: float
    rebalance: float
    final: float = Field(description="The target")
    reason: str | None
    potential: float | None = Field(
        description="Open accounts' potential; null: no account carries one (unknown, not 0)"
    )
    history: float | None = Field(description="Revenue over the basis; null: no history")
    productivity: float


class MonthlyTargetPublic(BaseModel):
    """One row of monthly targets: a key per month ``YYYY-MM`` of the period."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, float] = Field(init=False)

    territory_id: str = Field(default="", description="In monthly (per territory)")
    rep_id: str = Field(default="", description="In reps (per rep)")
    name: str = Field(default="", description="The territory's or the rep's name")
    total: float


class FairnessRowPublic(_Closed):
    territory_id: str
    name: str = Field(default="", description="The territory's name")
    target: float
    potential: float
    history: float | None
    target_to_potential: float | None
    target_to_history: float | None
    attainable: bool | None = Field(description="null: no history to judge by")


class FairnessPublic(_Closed):
    cv_target_to_potential: float | None = Field(description="Coefficient of variation")
    gini_target_to_potential: float | None = Field(description="0..1")
    cv_target_to_history: float | None
    gini_target_to_history: float | None
    attainable_share_territories: float | None = Field(description="0..1")
    attainable_share_reps: float | None = Field(description="0..1")
    territories_without_history: int
    territories_with_zero_potential: int
    threshold: float
    rounding_allowance: float = Field(
        default=0.0,
        description="What rounding to whole units may add to a target: a target within it "
        "of history x growth counts as attainable",
    )
    rows: list[FairnessRowPublic]


class TargetsReportPublic(_Closed):
    plan_id: str
    period_start: str = Field(description="ISO date")
    period_end: str = Field(description="ISO date")
    method: str
    growth: float = Field(description="0.08 = +8 %")
    unit: float = Field(description="Targets are rounded to multiples of this amount")
    company_target: float
    bottom_up: float
    basis: TargetBasisPublic
    revenue_source: str
    months: list[str] = Field(description="The months of the period, YYYY-MM")
    territories: list[TerritoryTargetPublic]
    monthly: list[MonthlyTargetPublic] = Field(description="Leaf territories by month")
    reps: list[MonthlyTargetPublic] = Field(description="Reps by month")
    fairness: FairnessPublic
    warnings: list[str]
    carried_from: str = Field(
        default="", description="For a copy: the plan whose targets it carries over"
    )
    note: str = Field(default="", description="Says so, for a copy")
