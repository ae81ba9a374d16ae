"""What each rep-territory pair of a matching costs: the facts the costs rest on (selling reps,
leaf territories, their potential and centre) and the four cost parts with the figures that
explain them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from terraplan.domain import Account, Plan, Rep, Territory, TerritoryType
from terraplan.engine import matching as eng
from terraplan.errors import DataError
from terraplan.planning.reps_support import SELLING_ROLES, account_territories


@dataclass(slots=True)
class MatchFacts:
    """What a matching rests on: the active selling ``reps`` (rows of every cost matrix), the
    leaf ``territories`` other than overlays (columns), each territory's ``potential``
    ``(n_t,)`` and potential-weighted ``centre`` ``(n_t, 2)`` latitude/longitude (NaN when no
    account is located), account id -> territory, and the warnings so far."""

    reps: list[Rep]
    territories: list[Territory]
    potential: np.ndarray
    centre: np.ndarray
    territory_of: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)


def match_facts(
    plan: Plan,
    reps: Sequence[Rep],
    accounts: Sequence[Account],
    territory_of: Mapping[str, str] | None,
) -> MatchFacts:
    """The :class:`MatchFacts` of ``plan``; :class:`DataError` when there are no active selling
    reps or no territories to match."""
    sellers = [r for r in reps if r.active and r.role in SELLING_ROLES]
    # Overlays are worked beside the other territories, a catch-all holds what no rule
    # places (a pool a team or a manager works): neither is a patch to staff with a rep (a
    # catch-all took a rep while Territory 09, 243 accounts, was left vacant).
    left_out = (TerritoryType.OVERLAY, TerritoryType.CATCH_ALL)
    territories = [t for t in plan.leaves() if t.type not in left_out]
    pools = [t.name for t in plan.leaves() if t.type is TerritoryType.CATCH_ALL]
    if not sellers:
        raise DataError("there are no active selling reps to match", details={"field": "reps"})
    if not territories:
        raise DataError("the plan has no territories to match", details={"field": "territories"})
    index = {t.id: j for j, t in enumerate(territories)}
    if territory_of is None:
        territory_of = account_territories(plan, accounts)
    n = len(territories)
    potential = np.zeros(n)
    sums = np.zeros((n, 3))
    for a in accounts:
        j = index.get(territory_of.get(a.id, ""))
        if j is None:
            continue
        potential[j] += a.potential or 0.0
        if a.latitude is not None and a.longitude is not None:
            weight = (a.potential or 0.0) + 1e-9
            sums[j] += (a.latitude * weight, a.longitude * weight, weight)
    centre = np.full((n, 2), np.nan)
    located = sums[:, 2] > 0
    centre[located] = sums[located, :2] / sums[located, 2:3]
    facts = MatchFacts(sellers, territories, potential, centre, territory_of)
    if pools:
        facts.warnings.append(
            f"the catch-all {'territory' if len(pools) == 1 else 'territories'} "
            f"{', '.join(pools)} {'is' if len(pools) == 1 else 'are'} not matched with a rep "
            f"(a pool for what no rule places): give {'it' if len(pools) == 1 else 'them'} an "
            "owner with `terraplan plans owners`"
        )
    if not located.all():
        facts.warnings.append(
            f"{int((~located).sum())} territory(ies) have no located accounts; "
            "their distance cost is 0"
        )
    return facts


def cost_parts(
    facts: MatchFacts,
    accounts: Sequence[Account],
    current: list[tuple[int, int]],
    distance_scale_km: float,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The cost parts, each ``(n_reps, n_territories)`` (see :mod:`terraplan.planning.matching`),
    and the figures :func:`~terraplan.planning.match_explain.explain_pair` puts in words."""
    n_r, n_t = len(facts.reps), len(facts.territories)
    terr_ix = {t.id: j for j, t in enumerate(facts.territories)}
    rep_ix = {r.id: i for i, r in enumerate(facts.reps)}
    industries = sorted({(a.industry or "").strip().lower() for a in accounts} - {""})
    segments = sorted({(a.segment or "").strip().lower() for a in accounts} - {""})
    ind_ix = {v: k for k, v in enumerate(industries)}
    seg_ix = {v: k for k, v in enumerate(segments)}
    ind_mix = np.zeros((n_t, len(industries)))
    seg_mix = np.zeros((n_t, len(segments)))
    owned = np.zeros((n_r, n_t))
    mass = np.zeros(n_t)
    territory_of = facts.territory_of
    for a in accounts:
        j = terr_ix.get(territory_of.get(a.id, ""))
        if j is None:
            continue
        weight = a.potential if a.potential else 1.0
        mass[j] += weight
        if a.industry and a.industry.strip():
            ind_mix[j, ind_ix[a.industry.strip().lower()]] += weight
        if a.segment and a.segment.strip():
            seg_mix[j, seg_ix[a.segment.strip().lower()]] += weight
        if a.owner_id in rep_ix:
            owned[rep_ix[a.owner_id], j] += weight
    rep_ind = np.zeros((n_r, len(industries)), bool)
    rep_seg = np.zeros((n_r, len(segments)), bool)
    for i, rep in enumerate(facts.reps):
        for s in rep.skills_industries:
            k = ind_ix.get(s.strip().lower())
            if k is not None:
                rep_ind[i, k] = True
        for s in rep.skills_segments:
            k = seg_ix.get(s.strip().lower())
            if k is not None:
                rep_seg[i, k] = True
    ind_miss = eng.skill_mismatch(rep_ind, ind_mix)
    seg_miss = eng.skill_mismatch(rep_seg, seg_mix)
    has_ind = ind_mix.sum(axis=1) > 0
    has_seg = seg_mix.sum(axis=1) > 0
    count = has_ind.astype(float) + has_seg.astype(float)
    skill = np.divide(
        ind_miss * has_ind + seg_miss * has_seg,
        count[None, :],
        out=np.zeros((n_r, n_t)),
        where=count[None, :] > 0,
    )
    no_skills = [r.name for r in facts.reps if not r.skills_industries and not r.skills_segments]
    if no_skills and (has_ind.any() or has_seg.any()):
        facts.warnings.append(
            f"{len(no_skills)} rep(s) list no skills (e.g. {no_skills[0]!r}); "
            "they miss every territory's mix"
        )
    experience = np.array(
        [math.nan if r.experience_years is None else r.experience_years for r in facts.reps]
    )
    if np.isnan(experience).any():
        facts.warnings.append(
            f"{int(np.isnan(experience).sum())} rep(s) have no experience_years; "
            "placed at the middle"
        )
    home = np.array(
        [
            (math.nan, math.nan) if r.home_latitude is None else (r.home_latitude, r.home_longitude)
            for r in facts.reps
        ],
        dtype=float,
    ).reshape(n_r, 2)
    if np.isnan(home[:, 0]).any():
        facts.warnings.append(
            f"{int(np.isnan(home[:, 0]).sum())} rep(s) have no home base; their distance cost"
            " to each territory is the median of the other reps'"
        )
    km, dist = eng.distance_cost(home, facts.centre, distance_scale_km=distance_scale_km)
    share = np.divide(owned, mass[None, :], out=np.zeros_like(owned), where=mass[None, :] > 0)
    is_current = np.zeros((n_r, n_t), bool)
    for r, t in current:
        is_current[r, t] = True
    keep = np.where(is_current, 1.0, np.clip(share, 0.0, 1.0))
    parts = {
        "skill": skill,
        "experience": eng.experience_gap(experience, facts.potential),
        "distance": dist,
        "continuity": 1.0 - keep,
    }
    info = {
        "km": km,
        "industry_cover": 1.0 - ind_miss,
        "segment_cover": 1.0 - seg_miss,
        "has_ind": has_ind,
        "has_seg": has_seg,
        "exp_pct": eng.percentile_rank(experience),
        "pot_pct": eng.percentile_rank(facts.potential),
        "experience": experience,
        "share": share,
        "is_current": is_current,
    }
    return parts, info
