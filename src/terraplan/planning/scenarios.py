"""Comparing two scenarios (plans): what a change of plan moves, and who it affects.

A sales leader asks of a proposed plan: how many accounts change hands, how much potential,
revenue and open pipeline move with them, which reps gain or lose, and which geo units
moved. :func:`compare_plans` answers from the two plans and each plan's account alignment
(:mod:`terraplan.planning.alignment`, the one answer to "which territory is this account
in"), so the figures agree with targets and KPIs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.rules.owners import plan_owners


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What moves with an account: ``potential`` (currency/year), ``revenue`` (currency over
    the revenue window of the comparison, e.g. the last 12 months) and ``open_pipeline``
    (currency of its open opportunities)."""

    id: str
    name: str
    potential: float = 0.0
    revenue: float = 0.0
    open_pipeline: float = 0.0


@dataclass(frozen=True, slots=True)
class MovedAccount:
    account_id: str
    account: str
    old_territory: str | None
    new_territory: str | None
    old_owner: str | None
    new_owner: str | None
    potential: float
    revenue: float
    open_pipeline: float
    old_owner_name: str | None = None
    new_owner_name: str | None = None
    #: The territories' names (in the base plan and in the other plan); None: in none.
    old_territory_name: str | None = None
    new_territory_name: str | None = None


@dataclass(frozen=True, slots=True)
class TerritoryChange:
    """One territory's totals in the base plan and in the other plan (by territory id).

    ``target_*``: the plan's stored revenue target of the territory (currency, summed over the
    target period; None when that plan sets none for it)."""

    territory: str
    name: str
    accounts_base: int
    accounts_other: int
    potential_base: float
    potential_other: float
    revenue_base: float
    revenue_other: float
    target_base: float | None = None
    target_other: float | None = None
    #: False when one of the plans stores no targets at all (a fresh what-if copy): its
    #: territories' targets are not set yet, not zero, so no change is computed.
    targets_compared: bool = True

    @property
    def target_change(self) -> float | None:
        """``target_other - target_base`` (a territory missing from a plan that has targets
        counts as 0; None if both are missing or a plan has no targets at all)."""
        if not self.targets_compared or (self.target_base is None and self.target_other is None):
            return None
        return (self.target_other or 0.0) - (self.target_base or 0.0)


@dataclass(frozen=True, slots=True)
class PlanComparison:
    base_id: str
    other_id: str
    accounts: int
    units_moved: int
    accounts_moved: int
    owner_changes: int
    potential_moved: float
    revenue_moved: float
    pipeline_moved: float
    pipeline_protected: float
    total_potential: float
    reps_gaining: tuple[str, ...]
    reps_losing: tuple[str, ...]
    territories: tuple[TerritoryChange, ...]
    #: The names of ``reps_gaining`` and ``reps_losing``, in the same order (an id when the
    #: rep has no name).
    reps_gaining_names: tuple[str, ...] = ()
    reps_losing_names: tuple[str, ...] = ()
    moved: tuple[MovedAccount, ...] = field(default=())
    #: Accounts that stay in their territory and change owner (a territory given another
    #: rep, a departed rep's accounts): ``owner_changes`` counts them with the moved ones
    #: that change owner; largest potential first.
    reassigned: tuple[MovedAccount, ...] = field(default=())
    #: Sum of each plan's territory targets (None: the plan has no stored targets).
    target_base: float | None = None
    target_other: float | None = None
    #: The days the targets cover, in words ("2027", "2026-07-01 to 2027-06-30"; None: no
    #: target is compared).
    target_period: str | None = None

    #: Plain notes for the reader (e.g. one plan has no targets yet; stale rules).
    notes: tuple[str, ...] = ()

    @property
    def target_change(self) -> float | None:
        """None unless both plans store targets (a plan without any has not set them yet)."""
        if self.target_base is None or self.target_other is None:
            return None
        return self.target_other - self.target_base

    @property
    def share_moved(self) -> float:
        """Accounts changing territory / accounts aligned in either plan (0..1)."""
        return self.accounts_moved / self.accounts if self.accounts else 0.0

    @property
    def potential_share_moved(self) -> float:
        return self.potential_moved / self.total_potential if self.total_potential else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "base_plan": self.base_id,
            "other_plan": self.other_id,
            "accounts": self.accounts,
            "units_moved": self.units_moved,
            "accounts_moved": self.accounts_moved,
            "share_moved": self.share_moved,
            "owner_changes": self.owner_changes,
            "potential_moved": self.potential_moved,
            "potential_share_moved": self.potential_share_moved,
            "revenue_moved": self.revenue_moved,
            "pipeline_moved": self.pipeline_moved,
            "pipeline_protected": self.pipeline_protected,
            "reps_gaining": list(self.reps_gaining),
            "reps_gaining_names": list(self.reps_gaining_names),
            "reps_losing": list(self.reps_losing),
            "reps_losing_names": list(self.reps_losing_names),
            "target_base": self.target_base,
            "target_other": self.target_other,
            "target_change": self.target_change,
            "target_period": self.target_period,
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "territories": [
                {**vars_of(t), "target_change": t.target_change} for t in self.territories
            ],
            "moved": [vars_of(m) for m in self.moved],
            "reassigned": [vars_of(m) for m in self.reassigned],
        }


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def compare_plans(
    base: Plan,
    other: Plan,
    base_alignment: Mapping[str, str],
    other_alignment: Mapping[str, str],
    accounts: Iterable[AccountFacts],
    *,
    owner_of: Mapping[str, str | None] | None = None,
    base_targets: Mapping[str, float] | None = None,
    other_targets: Mapping[str, float] | None = None,
    rep_names: Mapping[str, str] | None = None,
    crm_owner_of: Mapping[str, str | None] | None = None,
    owners_then: Mapping[str, Mapping[str, str | None]] | None = None,
) -> PlanComparison:
    """What changes from ``base`` to ``other``.

    ``*_alignment``: account id -> territory id in each plan. ``owner_of``: the accounts'
    current owners (default: none known). Each plan's owner of an account is the one its
    activation would give (:func:`plan_owners`, as rule runs and owner syncs choose): its
    territory's primary rep, several primary reps sharing a territory's accounts by their
    weights (an account keeps a current owner who is one of them and under their share); an
    account in a territory with no primary rep, or in none, keeps its current owner.
    ``*_targets``: territory id -> the plan's revenue target (None or empty: the plan has
    none). ``rep_names``: rep id -> name, for the owners of moved accounts. ``crm_owner_of``:
    the owners the CRM last gave the accounts; when given, a note counts the owners
    activating ``other`` changes against them (what its owner update file holds, with the owners changed back since). An account "moves"
    when its territory id differs between the plans (``moved``); an "owner change" when its owner
    differs (those staying in their territory are ``reassigned``).
    The open pipeline of accounts changing owner is *protected*: activation leaves open
    opportunities with their current owner until they close. ``owners_then``: plan id ->
    the owners recorded while that plan was in force (an archived plan): they stand for the
    current owners in it, so that its territories with no primary rep show the owners they
    had then, not those a later plan gave.
    """
    current = owner_of or {}
    then = owners_then or {}
    base_current = {**current, **then.get(base.id, {})}
    other_current = {**current, **then.get(other.id, {})}
    base_owner, _ = plan_owners(base, base_alignment.items(), base_current)
    other_owner, _ = plan_owners(other, other_alignment.items(), other_current)
    base_names = {t.id: t.name for t in base.territories}
    other_names = {t.id: t.name for t in other.territories}
    names = {**base_names, **other_names}
    moved: list[MovedAccount] = []
    reassigned: list[MovedAccount] = []
    tallies: dict[str, list[float]] = {}
    gaining: set[str] = set()
    losing: set[str] = set()
    potential_moved = revenue_moved = pipeline_moved = protected = total_potential = 0.0
    counted = owner_changes = crm_changes = unowned = 0
    for facts in accounts:
        old = base_alignment.get(facts.id)
        new = other_alignment.get(facts.id)
        if old is None and new is None:
            continue
        counted += 1
        total_potential += facts.potential
        for territory, column in ((old, 0), (new, 1)):
            if territory is not None:
                tally = tallies.setdefault(territory, [0.0] * 6)
                tally[column] += 1
                tally[2 + column] += facts.potential
                tally[4 + column] += facts.revenue
        old_owner = base_owner.get(facts.id, base_current.get(facts.id))
        new_owner = other_owner.get(facts.id, other_current.get(facts.id))
        if crm_owner_of is not None and new_owner != crm_owner_of.get(facts.id):
            crm_changes += 1  # what the owner update file of ``other`` would hold
            unowned += not crm_owner_of.get(facts.id)
        if old_owner != new_owner:
            owner_changes += 1
            # Open opportunities stay with their current owner until they close.
            protected += facts.open_pipeline
            if old_owner:
                losing.add(old_owner)
            if new_owner:
                gaining.add(new_owner)
        if old == new and old_owner == new_owner:
            continue
        if old != new:
            potential_moved += facts.potential
            revenue_moved += facts.revenue
            pipeline_moved += facts.open_pipeline
        (moved if old != new else reassigned).append(
            MovedAccount(
                facts.id,
                facts.name,
                old,
                new,
                old_owner,
                new_owner,
                facts.potential,
                facts.revenue,
                facts.open_pipeline,
                _name(rep_names, old_owner),
                _name(rep_names, new_owner),
                _name(base_names, old),
                _name(other_names, new),
            )
        )
    base_geo = base.alignment_map(RecordKind.GEO_UNIT)
    other_geo = other.alignment_map(RecordKind.GEO_UNIT)
    units_moved = sum(
        1
        for unit in base_geo.keys() | other_geo.keys()
        if base_geo.get(unit) != other_geo.get(unit)
    )
    for targets in (base_targets, other_targets):
        for tid in targets or {}:
            tallies.setdefault(tid, [0.0] * 6)
    territories = tuple(
        TerritoryChange(
            tid,
            names.get(tid, tid),
            int(t[0]),
            int(t[1]),
            t[2],
            t[3],
            t[4],
            t[5],
            (base_targets or {}).get(tid),
            (other_targets or {}).get(tid),
            bool(base_targets) and bool(other_targets),
        )
        for tid, t in sorted(tallies.items())
    )
    notes = tuple(
        _no_targets_note(plan)
        for plan, targets in ((base, base_targets), (other, other_targets))
        if not targets and (base_targets or other_targets)
    )
    if crm_owner_of is not None and crm_changes != owner_changes:
        without = f", {unowned:,} of them with no owner in the CRM yet" if unowned else ""
        notes = (
            *notes,
            f"owner changes count accounts whose owner differs between the two plans; against "
            f"the owners in the CRM today, {_activating(other)} {crm_changes:,} "
            f"owners{without} (its owner update file holds these, and also the owners "
            "changed back since the CRM's export: an update sent in between may have reached "
            "the CRM)",
        )
    moved.sort(key=lambda m: (-m.potential, m.account_id))
    reassigned.sort(key=lambda m: (-m.potential, m.account_id))
    return PlanComparison(
        base_id=base.id,
        other_id=other.id,
        accounts=counted,
        units_moved=units_moved,
        accounts_moved=len(moved),
        owner_changes=owner_changes,
        potential_moved=potential_moved,
        revenue_moved=revenue_moved,
        pipeline_moved=pipeline_moved,
        pipeline_protected=protected,
        total_potential=total_potential,
        reps_gaining=tuple(sorted(gaining)),
        reps_losing=tuple(sorted(losing)),
        reps_gaining_names=tuple((rep_names or {}).get(r) or r for r in sorted(gaining)),
        reps_losing_names=tuple((rep_names or {}).get(r) or r for r in sorted(losing)),
        territories=territories,
        moved=tuple(moved),
        reassigned=tuple(reassigned),
        target_base=sum(base_targets.values()) if base_targets else None,
        target_other=sum(other_targets.values()) if other_targets else None,
        notes=notes,
    )


def _name(names: Mapping[str, str] | None, some_id: str | None) -> str | None:
    """``some_id``'s name (itself when unnamed; None for None)."""
    if some_id is None:
        return None
    return (names or {}).get(some_id) or some_id


def _no_targets_note(plan: Plan) -> str:
    """Why target changes are not shown: ``plan`` has no targets (and how to give it some,
    unless it is archived, whose targets cannot change)."""
    if plan.status is PlanStatus.ARCHIVED:
        return (
            f"no targets are stored for plan {plan.id}, so target changes are not shown"
            " (it is archived: its targets cannot change)"
        )
    return (
        f"no targets are stored for plan {plan.id}, so target changes are shown once both "
        f"plans have them (`terraplan targets --plan {plan.id}`)"
    )


def _activating(plan: Plan) -> str:
    """``activating P002 changes``, or for a plan already activated what its owners differ
    by (it changes nothing more by being compared)."""
    if plan.status is PlanStatus.ACTIVE:
        return f"the active plan {plan.id} differs on"
    if plan.status is PlanStatus.ARCHIVED:
        return f"the archived plan {plan.id} differs on"
    return f"activating {plan.id} changes"
