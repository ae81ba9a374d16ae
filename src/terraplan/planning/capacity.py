"""Team sizing: how many reps the workload needs, what one rep more or less changes, and a
month-by-month what-if over a hiring plan with ramp-up and attrition.

Units: hours per year for workload and capacity, currency per year for potential.

Each account's workload comes from :mod:`terraplan.planning.workload`; the hiring what-if
lives in :mod:`terraplan.planning.hiring` (both re-exported here).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from terraplan.domain import Account, Plan, Rep
from terraplan.engine import capacity as cap
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.capacity_report import CapacityReport, GroupNeed, MarginalRow
from terraplan.planning.hiring import (
    HiringForecast,
    HiringMonth,
    forecast_hiring,
    parse_hiring_plan,
)
from terraplan.planning.reps_support import (
    SELLING_ROLES,
    account_territories,
    ancestor_at_level,
    parse_amount,
    parse_key_values,
    parse_percent,
)
from terraplan.planning.team_capacity import (
    DEFAULT_HOURS_PER_REP,
    DEFAULT_UTILIZATION,
    TeamCapacity,
    team_capacity,
)
from terraplan.planning.workload import WorkloadModel, account_workload, as_workload_model

__all__ = [
    "CapacityReport",
    "GroupNeed",
    "HiringForecast",
    "HiringMonth",
    "MarginalRow",
    "WorkloadModel",
    "account_workload",
    "forecast_hiring",
    "parse_amount",
    "parse_hiring_plan",
    "parse_key_values",
    "parse_percent",
    "size_team",
]

# --------------------------------------------------------------------------- team sizing


#: Groupings by an account attribute rather than by territories.
_ATTRIBUTES = ("segment", "industry")


def size_team(
    plan: Plan,
    accounts: Sequence[Account],
    reps: Sequence[Rep],
    *,
    hours_per_rep: float = DEFAULT_HOURS_PER_REP,
    utilization: float = DEFAULT_UTILIZATION,
    workload_model: WorkloadModel | str | None = None,
    group_by: str = "region",
    territory_of: Mapping[str, str] | None = None,
) -> CapacityReport:
    """Reps needed overall and per group, and the effect of one rep more or less.

    A rep carries their own selling hours (``hours_per_rep`` when they have none) times
    ``utilization``, and at most their own account limit where they have one; the team's
    averages of both size it, and the reps needed are the larger of what the workload and
    the account count need (:mod:`terraplan.planning.team_capacity`, as the alerts judge
    each rep).

    ``group_by``: ``"segment"``, ``"industry"``, ``"territory"`` or a hierarchy level name
    such as ``"region"`` (territories with no ancestor at that level group under their top).
    ``territory_of``: which territory each account is in (account id -> leaf territory id;
    default: :func:`terraplan.planning.alignment.account_territories` on the plan alone).

    ``workload_model`` None: the stored workload, estimated by the default visit model only
    for accounts without one (said in ``assumptions``); with no stored workload at all a
    :class:`DataError` asks for one or for an explicit model. Every figure used is listed
    in the report's ``assumptions``.
    """
    cap.fte_needed(0.0, hours_per_rep, utilization)  # validates both
    accounts = list(accounts)
    if territory_of is None:
        territory_of = account_territories(plan, accounts)
    stored = sum(a.workload is not None for a in accounts)
    if not accounts:
        raise DataError(
            "no accounts are stored, so there is no workload to size the team on; import "
            "accounts (`terraplan import accounts FILE`) or run `terraplan demo`",
            details={"field": "accounts", "reason": "no records"},
        )
    if workload_model is None and stored == 0:
        raise DataError(
            f"none of the {len(accounts):,} accounts has a stored workload (hours per year), so "
            "there is nothing to size the team on: import a workload column (or map one to it "
            "in the mapping file), or estimate it with --workload-model, e.g. "
            "visits=12,call_hours=1 (visits per year x (hours per call + travel))",
            details={"field": "workload", "reason": "missing"},
        )
    model = as_workload_model(workload_model)
    model.validate()
    hours, warnings = account_workload(plan, accounts, reps, model, territory_of=territory_of)
    if model.source == "auto":
        used_stored = stored
    else:
        used_stored = len(accounts) if model.source == "stored" else 0
    potential = np.array([a.potential or 0.0 for a in accounts], dtype=float)
    groups = _group_keys(plan, accounts, group_by, territory_of, reps)
    if any(g == "(unaligned)" for g in groups):
        warnings.append(
            f"{groups.count('(unaligned)')} account(s) are in no territory; grouped as (unaligned)"
        )
    sellers = [r for r in reps if r.active and r.role in SELLING_ROLES]
    team = team_capacity(sellers, hours_per_rep=hours_per_rep, utilization=utilization)
    current_by_group = _current_reps(plan, sellers, group_by)
    needs: list[GroupNeed] = []
    names = _territory_names(plan) if group_by not in _ATTRIBUTES else {}
    keys, inverse = np.unique(np.array(groups, dtype=object).astype(str), return_inverse=True)
    sizes = np.bincount(inverse, minlength=keys.size)
    work_by = np.bincount(inverse, weights=hours, minlength=keys.size)
    pot_by = np.bincount(inverse, weights=potential, minlength=keys.size)
    for g, key in enumerate(str(k) for k in keys):
        work = float(work_by[g])
        by_hours = team.fte_by_hours(work)
        by_accounts = team.fte_by_accounts(int(sizes[g]))
        fte = max(by_hours, by_accounts or 0.0)
        needs.append(
            GroupNeed(
                group=key,
                accounts=int(sizes[g]),
                workload_hours=work,
                potential=float(pot_by[g]),
                fte_needed=fte,
                reps_needed=_ceil(fte),
                current_reps=current_by_group.get(key) if current_by_group is not None else None,
                name=names.get(key, key),
                fte_by_hours=by_hours,
                fte_by_accounts=by_accounts,
            )
        )
    total = float(hours.sum())
    by_hours = team.fte_by_hours(total)
    by_accounts = team.fte_by_accounts(len(accounts))
    fte = max(by_hours, by_accounts or 0.0)
    needed = _ceil(fte)
    base = len(sellers) if sellers else max(needed, 1)
    counts = [n for n in (base - 1, base, base + 1) if n >= 1]
    effective = team.workload_hours_per_rep
    slots = team.accounts_per_rep
    heads = np.array(counts, float)
    covered = cap.potential_covered(
        potential, hours, heads * effective, None if slots is None else heads * slots
    )
    total_pot = float(potential.sum())
    marginal = tuple(
        MarginalRow(
            reps=n,
            capacity_hours=n * effective,
            potential_covered=float(c),
            potential_covered_share=float(c) / total_pot if total_pot > 0 else 0.0,
            workload_per_rep=total / n,
            load_vs_capacity=max((total / n) / effective, len(accounts) / n / (slots or math.inf)),
            delta_potential=float(c - covered[counts.index(base)]),
            capacity_accounts=None if slots is None else n * slots,
            accounts_per_rep=len(accounts) / n,
        )
        for n, c in zip(counts, covered, strict=True)
    )
    return CapacityReport(
        hours_per_rep=team.hours_per_rep,
        utilization=float(utilization),
        total_workload_hours=total,
        total_potential=total_pot,
        fte_needed=fte,
        reps_needed=needed,
        current_reps=len(sellers),
        group_by=group_by,
        groups=tuple(needs),
        marginal=marginal,
        warnings=tuple(warnings),
        assumptions=_assumptions(model, accounts, stored=used_stored, total=total, team=team),
        default_hours_per_rep=float(hours_per_rep),
        accounts_per_rep=slots,
        fte_by_hours=by_hours,
        fte_by_accounts=by_accounts,
        total_accounts=len(accounts),
    )


def _assumptions(
    model: WorkloadModel,
    accounts: Sequence[Account],
    *,
    stored: int,
    total: float,
    team: TeamCapacity,
) -> tuple[str, ...]:
    """The figures behind a team size, each in words."""
    n = len(accounts)
    lines = [team.describe_hours(), team.describe_accounts()]
    if stored:
        lines.append(
            f"workload: the stored figure (hours per year) for {stored:,} of {n:,} accounts"
            + (" (missing = 0 h)" if model.source == "stored" else "")
        )
    estimated = n - stored
    if stored == n and model.source == "auto" and model != WorkloadModel():
        # visit figures were given, yet every account carries its own workload: say so
        lines.append(
            "the visit model given was used for no account: every account has a stored "
            "workload (add source=model to estimate them all with it)"
        )
    if estimated:
        segments = ", ".join(
            [f"visits {k}={v:g}" for k, v in sorted(model.visits_by_segment.items())]
            + [f"call hours {k}={v:g}" for k, v in sorted(model.call_hours_by_segment.items())]
        )
        lines.append(
            f"workload estimated for {estimated:,} of {n:,} accounts by the visit model: "
            f"{model.visits_per_year:g} visits per year x ({model.call_hours:g} h per call + "
            f"travel there and back at {model.speed_kmh:g} km/h over {model.road_factor:g}x the "
            "straight-line distance from the rep's home base, else the territory's centre)"
            + (f"; per segment: {segments}" if segments else "")
        )
    lines.append(f"average {total / n:,.1f} hours per account per year, {total:,.0f} hours in all")
    return tuple(lines)


def _ceil(fte: float) -> int:
    return math.ceil(round(fte, 9))


def _group_keys(
    plan: Plan,
    accounts: Sequence[Account],
    group_by: str,
    territory_of: Mapping[str, str],
    reps: Sequence[Rep] = (),
) -> list[str]:
    if group_by in _ATTRIBUTES:
        return [getattr(a, group_by) or "(none)" for a in accounts]
    if group_by == "territory":
        return [territory_of.get(a.id, "(unaligned)") for a in accounts]
    levels = {t.level for t in plan.territories}
    if group_by == "region" and "region" not in levels:
        by_territory = _regions_of_reps(plan, reps)
        return [
            by_territory.get(territory_of[a.id], "(no region)")
            if a.id in territory_of
            else "(unaligned)"
            for a in accounts
        ]
    if group_by not in levels:
        raise InvalidParameterError(
            f"group_by must be segment, industry, territory, region or a level of the plan "
            f"({', '.join(sorted(levels)) or 'none in this plan'}), got {group_by!r}",
            details={"parameter": "group_by"},
        )
    up = ancestor_at_level(plan, group_by)
    return [up[territory_of[a.id]] if a.id in territory_of else "(unaligned)" for a in accounts]


def _regions_of_reps(plan: Plan, reps: Sequence[Rep]) -> dict[str, str]:
    """Territory id -> region, for a plan with no region level: a territory's region is its
    primary rep's (``(no region)`` for a vacant one)."""
    region_of = {r.id: r.region for r in reps if r.region}
    return {
        t.id: next((region_of[o] for o in t.primary_owner_ids if o in region_of), "(no region)")
        for t in plan.territories
    }


def _territory_names(plan: Plan) -> dict[str, str]:
    """Territory names by id; a name two territories share keeps its id beside it."""
    counts: dict[str, int] = defaultdict(int)
    for t in plan.territories:
        counts[t.name] += 1
    return {
        t.id: t.name if counts[t.name] == 1 else f"{t.name} ({t.id})"
        for t in plan.territories
        if t.name
    }


def _current_reps(plan: Plan, sellers: Sequence[Rep], group_by: str) -> dict[str, int] | None:
    if group_by in ("segment", "industry"):
        return None
    ids = {r.id for r in sellers}
    if group_by == "territory":
        up = {t.id: t.id for t in plan.territories}
    elif group_by == "region" and "region" not in {t.level for t in plan.territories}:
        # grouped by the primary reps' regions (see _group_keys): each region's reps now
        up = _regions_of_reps(plan, sellers)
    else:
        up = ancestor_at_level(plan, group_by)
    owners: dict[str, set[str]] = defaultdict(set)
    for territory in plan.leaves():
        owners[up[territory.id]].update(o for o in territory.primary_owner_ids if o in ids)
    return {key: len(value) for key, value in owners.items()}
