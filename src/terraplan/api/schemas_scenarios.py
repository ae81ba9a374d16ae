"""What the plan scenario routes answer: a comparison of two plans, an edit's result."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from terraplan.api.schemas import Figure, TerritoryEffectPublic


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TerritoryChangePublic(_Closed):
    """One territory's totals in both plans (amounts in the plan currency)."""

    territory: str = Field(description="Territory id")
    name: str
    accounts_base: int
    accounts_other: int
    potential_base: Figure
    potential_other: Figure
    revenue_base: Figure = Field(description="Over revenue_window")
    revenue_other: Figure
    target_base: Figure | None = Field(description="Null: the base plan sets none for it")
    target_other: Figure | None
    targets_compared: bool
    target_change: Figure | None = Field(description="target_other - target_base, or null")


class MovedAccountPublic(_Closed):
    """An account changing territory or owner (amounts in the plan currency)."""

    account_id: str
    account: str = Field(description="Its name")
    old_territory: str | None
    new_territory: str | None
    old_owner: str | None = Field(description="Rep id")
    new_owner: str | None
    potential: Figure
    revenue: Figure = Field(description="Over revenue_window")
    open_pipeline: Figure
    old_owner_name: str | None
    new_owner_name: str | None
    old_territory_name: str | None = Field(description="The territory's name in the base plan")
    new_territory_name: str | None = Field(description="The territory's name in the other plan")


class PlanComparisonPublic(_Closed):
    """What changes from the base plan to the other (amounts in the plan currency, shares
    0..1)."""

    base_plan: str
    other_plan: str
    accounts: int = Field(description="Accounts aligned in either plan")
    units_moved: int
    accounts_moved: int
    share_moved: Figure = Field(description="accounts_moved / accounts, 0..1")
    owner_changes: int
    potential_moved: Figure
    potential_share_moved: Figure = Field(description="0..1")
    revenue_moved: Figure
    pipeline_moved: Figure
    pipeline_protected: Figure = Field(
        description="Open pipeline of accounts changing owner, left with its current owner"
    )
    reps_gaining: list[str] = Field(description="Rep ids")
    reps_gaining_names: list[str] = Field(description="Their names, in the same order")
    reps_losing: list[str] = Field(description="Rep ids")
    reps_losing_names: list[str] = Field(description="Their names, in the same order")
    target_base: Figure | None
    target_other: Figure | None
    target_change: Figure | None = Field(description="Null unless both plans set targets")
    target_period: str | None = Field(description='e.g. "2027"; null: no targets compared')
    notes: list[str]
    territories: list[TerritoryChangePublic]
    moved: list[MovedAccountPublic] = Field(description="At most moved_limit accounts")
    reassigned: list[MovedAccountPublic] = Field(
        description="Accounts changing owner in their territory, at most moved_limit"
    )
    revenue_window: str | None = Field(
        description='The dates revenue is summed over ("start to end"); null: no revenue history'
    )


class EditResultPublic(_Closed):
    """A plan after an edit, an undo or a redo: what changed, so a client redraws without
    reloading the plan."""

    plan_id: str
    version: int = Field(description="The plan's new version (send it with the next edit)")
    effects: list[TerritoryEffectPublic] = Field(description="The changed territories")
    can_undo: bool
    can_redo: bool
    units: dict[str, str | None] = Field(
        description="Geo unit id -> its territory id now (null: in none)"
    )
    accounts: dict[str, str | None] = Field(
        description="Account id -> the territory it is pinned to now (null: unpinned)"
    )
    locked: list[str] = Field(description="Ids of the plan's locked units")
    territories_changed: list[str] = Field(description="Territories renamed or given new owners")
    notes: list[str]


class RegionPublic(_Closed):
    """A region territory of a plan and the territories under it."""

    id: str = Field(description="The region territory's id")
    name: str
    added: bool = Field(description="Added to the plan by this request")
    territories: list[str] = Field(description="Ids of the territories under it")
    territory_names: list[str] = Field(description="Their names, in the same order")


class UnplacedTerritoryPublic(_Closed):
    """A territory left without a region, and why."""

    territory: str = Field(description="Territory id")
    name: str
    reason: str = Field(description="e.g. 'Territory 07 has no primary rep'")


class TerritoryRefPublic(_Closed):
    id: str
    name: str


class PlanRegionsPublic(_Closed):
    """A plan's regions after they were set from its reps."""

    plan_id: str
    version: int = Field(description="The plan's version now (send it with the next edit)")
    changed: bool = Field(description="False: the regions already followed the reps")
    regions: list[RegionPublic]
    unplaced: list[UnplacedTerritoryPublic]
    removed: list[TerritoryRefPublic] = Field(
        description="Region or parent territories removed: no territory is under them any more"
    )
    notes: list[str]
