"""Rep-to-territory matching: the optimal assignment, each pair's cost in plain words, and
its total against the current assignment.

Cost parts (each 0 = perfect fit, about 1 = clear misfit), weighted by the user:
``skill`` (share of the territory's industry/segment mix the rep's skills miss),
``experience`` (gap between the rep's experience percentile and the territory's potential
percentile: senior reps to the biggest books), ``distance`` (home base to territory centre,
per ``distance_scale_km``) and ``continuity`` (1 minus the share of the territory the rep
already owns).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from terraplan.domain import Account, Plan, Rep, Territory, TerritoryType
from terraplan.engine import matching as eng
from terraplan.errors import DataError, InfeasibleError, InvalidParameterError
from terraplan.planning.reps_support import (
    SELLING_ROLES,
    account_territories,
    ancestor_at_level,
    parse_amount,
    parse_key_values,
)

__all__ = ["DEFAULT_WEIGHTS", "MatchPair", "MatchResult", "match_reps", "parse_weights"]

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "skill": 1.0,
    "experience": 1.0,
    "distance": 0.5,
    "continuity": 2.0,
}


def parse_weights(text: str) -> dict[str, float]:
    """``"skill=1,distance=0.5,continuity=2"`` -> weights; unknown parts or bad numbers raise."""
    values = parse_key_values(text, name="weights", allowed=eng.COST_PARTS)
    out = {key: parse_amount(value, name=f"weight {key}") for key, value in values.items()}
    _check_weights(out)
    return out


def _check_weights(weights: Mapping[str, float]) -> None:
    for key, value in weights.items():
        if key not in eng.COST_PARTS:
            raise InvalidParameterError(
                f"weights: unknown cost part {key!r}; use {', '.join(eng.COST_PARTS)}",
                details={"parameter": "weights", "key": key},
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidParameterError(f"weights: {key} must be a number")
        if not math.isfinite(value) or value < 0:
            raise InvalidParameterError(
                f"weights: {key} must be a number >= 0, got {value}",
                details={"parameter": "weights", "key": key},
            )


@dataclass(frozen=True, slots=True)
class MatchPair:
    rep_id: str
    rep_name: str
    territory_id: str
    territory_name: str
    cost: float
    parts: Mapping[str, float]
    explanation: str
    is_current: bool
    required: bool


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The optimal assignment. ``vacant_territories`` are open headcount; ``unassigned_reps``
    are extra reps (overlays or bench). ``current_cost`` prices the current assignment with
    the same weights (``None`` when there is none)."""

    pairs: tuple[MatchPair, ...]
    vacant_territories: tuple[str, ...]
    unassigned_reps: tuple[str, ...]
    total_cost: float
    current_cost: float | None
    current_pairs_priced: int
    reps_moved: int
    weights: Mapping[str, float]
    warnings: tuple[str, ...] = ()

    @property
    def assignment(self) -> dict[str, str]:
        """``rep id -> territory id``."""
        return {p.rep_id: p.territory_id for p in self.pairs}

    def rows(self) -> list[dict[str, object]]:
        """One row per pair, then one per vacant territory and unassigned rep (same keys)."""
        parts = [f"cost_{k}" for k in eng.COST_PARTS]
        blank = dict.fromkeys(
            ["rep_id", "rep", "territory_id", "territory", "cost", *parts, "current", "why"]
        )
        rows: list[dict[str, object]] = []
        for p in self.pairs:
            row: dict[str, object] = {
                **blank,
                "rep_id": p.rep_id,
                "rep": p.rep_name,
                "territory_id": p.territory_id,
                "territory": p.territory_name,
                "cost": round(p.cost, 4),
                "current": p.is_current,
                "why": p.explanation,
            }
            row.update({f"cost_{k}": round(v, 4) for k, v in p.parts.items()})
            rows.append(row)
        rows.extend(
            {**blank, "territory_id": t, "why": "open headcount (vacant)"}
            for t in self.vacant_territories
        )
        rows.extend(
            {**blank, "rep_id": r, "why": "unassigned (overlay or bench)"}
            for r in self.unassigned_reps
        )
        return rows

    def to_dict(self) -> dict[str, object]:
        return {
            "weights": dict(self.weights),
            "total_cost": self.total_cost,
            "current_cost": self.current_cost,
            "current_pairs_priced": self.current_pairs_priced,
            "reps_moved": self.reps_moved,
            "pairs": self.rows()[: len(self.pairs)],
            "vacant_territories": list(self.vacant_territories),
            "unassigned_reps": list(self.unassigned_reps),
            "warnings": list(self.warnings),
        }


@dataclass(slots=True)
class _Facts:
    reps: list[Rep]
    territories: list[Territory]
    potential: np.ndarray
    centre: np.ndarray
    territory_of: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)


def match_reps(
    plan: Plan,
    reps: Sequence[Rep],
    accounts: Sequence[Account],
    *,
    weights: Mapping[str, float] | str | None = None,
    must: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    must_not: Iterable[tuple[str, str]] = (),
    current: Mapping[str, str] | None = None,
    keep_teams_in_region: bool = True,
    region_level: str = "region",
    distance_scale_km: float = 100.0,
    territory_of: Mapping[str, str] | None = None,
) -> MatchResult:
    """Assign active selling reps to the plan's leaf territories (overlays excluded).

    ``must``/``must_not`` hold ``(rep id, territory id)`` pairs; ``current`` maps rep id ->
    territory id (default: the territories' primary owners). With ``keep_teams_in_region``
    a rep whose manager belongs to a region (owns a territory there, or ``Rep.region`` names
    it) is only matched inside that region. As many territories as possible are filled,
    then the weighted cost is minimised. ``territory_of`` says which territory each account
    is in (default: :func:`terraplan.planning.alignment.account_territories` on the plan).
    """
    w = dict(DEFAULT_WEIGHTS) if weights is None else weights
    w = parse_weights(w) if isinstance(w, str) else dict(w)
    _check_weights(w)
    facts = _facts(plan, reps, accounts, territory_of)
    rep_ix = {r.id: i for i, r in enumerate(facts.reps)}
    terr_ix = {t.id: j for j, t in enumerate(facts.territories)}
    if current is None:
        current = {o: t.id for t in facts.territories for o in t.primary_owner_ids if o in rep_ix}
    cur = _pairs(current.items(), rep_ix, terr_ix, "current", facts.warnings, strict=False)
    parts, info = _cost_parts(facts, accounts, cur, distance_scale_km)
    cost = eng.combine_costs(parts, w)
    allowed = np.ones(cost.shape, dtype=bool)
    required_list = list(must.items()) if isinstance(must, Mapping) else list(must)
    required = _pairs(required_list, rep_ix, terr_ix, "must", facts.warnings, strict=True)
    for r, t in _pairs(must_not, rep_ix, terr_ix, "must_not", facts.warnings, strict=True):
        allowed[r, t] = False
    if keep_teams_in_region:
        _region_mask(plan, reps, facts, region_level, allowed)
    for axis, what, names in ((0, "rep", facts.reps), (1, "territory", facts.territories)):
        seen: set[int] = set()
        for pair in required:
            if pair[axis] in seen:
                name = names[pair[axis]].id
                raise InfeasibleError(
                    f"must: {what} {name!r} is required in more than one pair",
                    details={"constraints": [f"must:{what}:{name}"]},
                )
            seen.add(pair[axis])
    for r, t in required:
        if not allowed[r, t]:
            rep_id, terr_id = facts.reps[r].id, facts.territories[t].id
            raise InfeasibleError(
                f"rep {rep_id!r} must own territory {terr_id!r}, but that pair is excluded "
                "(by must_not, or because the territory is outside the manager's region)",
                details={"constraints": [f"must:{rep_id}:{terr_id}"]},
            )
    solution = eng.assign(
        cost, allowed=allowed, required=np.array(required, dtype=np.int64).reshape(-1, 2)
    )
    cur_map = dict(cur)
    required_set = set(required)
    out_pairs = []
    for r in (int(i) for i in np.flatnonzero(solution.rep_territory >= 0)):
        t = int(solution.rep_territory[r])
        rep, terr = facts.reps[r], facts.territories[t]
        pair_parts = {k: float(parts[k][r, t]) for k in eng.COST_PARTS}
        out_pairs.append(
            MatchPair(
                rep_id=rep.id,
                rep_name=rep.name,
                territory_id=terr.id,
                territory_name=terr.name,
                cost=float(cost[r, t]),
                parts=pair_parts,
                explanation=_explain(
                    rep, terr=terr, r=int(r), t=t, parts=pair_parts, info=info, weights=w
                ),
                is_current=cur_map.get(int(r)) == t,
                required=(int(r), t) in required_set,
            )
        )
    current_cost = float(sum(cost[r, t] for r, t in cur)) if cur else None
    moved = sum(1 for r, t in cur if solution.rep_territory[r] != t)
    return MatchResult(
        pairs=tuple(out_pairs),
        vacant_territories=tuple(
            facts.territories[t].id for t in np.flatnonzero(solution.territory_rep < 0)
        ),
        unassigned_reps=tuple(facts.reps[r].id for r in np.flatnonzero(solution.rep_territory < 0)),
        total_cost=solution.total_cost,
        current_cost=current_cost,
        current_pairs_priced=len(cur),
        reps_moved=moved,
        weights=w,
        warnings=tuple(facts.warnings),
    )


def _facts(
    plan: Plan,
    reps: Sequence[Rep],
    accounts: Sequence[Account],
    territory_of: Mapping[str, str] | None,
) -> _Facts:
    sellers = [r for r in reps if r.active and r.role in SELLING_ROLES]
    territories = [t for t in plan.leaves() if t.type is not TerritoryType.OVERLAY]
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
    facts = _Facts(sellers, territories, potential, centre, territory_of)
    if not located.all():
        facts.warnings.append(
            f"{int((~located).sum())} territory(ies) have no located accounts; "
            "their distance cost is 0"
        )
    return facts


def _pairs(
    items: Iterable[tuple[str, str]],
    rep_ix: Mapping[str, int],
    terr_ix: Mapping[str, int],
    what: str,
    warnings: list[str],
    *,
    strict: bool,
) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for item in items:
        try:
            rep_id, terr_id = item
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"{what}: expected (rep id, territory id) pairs, got {item!r}",
                details={"parameter": what},
            ) from None
        if rep_id not in rep_ix or terr_id not in terr_ix:
            missing = (
                f"rep {rep_id!r} (not an active selling rep)"
                if rep_id not in rep_ix
                else f"territory {terr_id!r} (not a leaf territory of the plan)"
            )
            if strict:
                raise InvalidParameterError(
                    f"{what}: unknown {missing}", details={"parameter": what, "pair": item}
                )
            warnings.append(f"{what}: ignored pair with unknown {missing}")
            continue
        out.append((rep_ix[rep_id], terr_ix[terr_id]))
    return out


def _cost_parts(
    facts: _Facts,
    accounts: Sequence[Account],
    current: list[tuple[int, int]],
    distance_scale_km: float,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
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
    no_skills = [r.id for r in facts.reps if not r.skills_industries and not r.skills_segments]
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
            f"{int(np.isnan(home[:, 0]).sum())} rep(s) have no home base; their distance cost is 0"
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


def _region_mask(
    plan: Plan, reps: Sequence[Rep], facts: _Facts, level: str, allowed: np.ndarray
) -> None:
    if not any(t.level == level for t in plan.territories):
        return
    up = ancestor_at_level(plan, level)
    regions = {t.id for t in plan.territories if t.level == level}
    by_name = {t.name.strip().lower(): t.id for t in plan.territories if t.level == level}
    by_id = {r.id: r for r in reps}
    manager_region: dict[str, str | None] = {}

    def region_of(manager_id: str) -> str | None:
        if manager_id in manager_region:
            return manager_region[manager_id]
        found = {
            up[t.id]
            for t in plan.territories
            if any(o.rep_id == manager_id for o in t.owners) and up[t.id] in regions
        }
        manager = by_id.get(manager_id)
        if not found and manager is not None and manager.region:
            key = manager.region.strip()
            rid = key if key in regions else by_name.get(key.lower())
            if rid is not None:
                found = {rid}
        result = next(iter(found)) if len(found) == 1 else None
        if len(found) > 1:
            facts.warnings.append(f"manager {manager_id!r} spans several regions; team not limited")
        manager_region[manager_id] = result
        return result

    terr_region = np.array([up[t.id] for t in facts.territories])
    for i, rep in enumerate(facts.reps):
        if rep.manager_id is None:
            continue
        region = region_of(rep.manager_id)
        if region is not None:
            allowed[i] &= terr_region == region


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` ... ``11th``, ``12th``, ``13th``, ``21st``, ``41st``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _explain(
    rep: Rep,
    *,
    terr: Territory,
    r: int,
    t: int,
    parts: Mapping[str, float],
    info: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
) -> str:
    """One sentence per cost part, then the weighted sum, e.g. ``"distance 42 km from
    80202 home base; skills cover 80% of the territory's industry mix; ..."``."""
    words: list[str] = []
    km = float(info["km"][r, t])
    if math.isnan(km):
        words.append("distance unknown (no home base or no located accounts)")
    else:
        base = (
            f" from {rep.home_postal_code} home base" if rep.home_postal_code else " from home base"
        )
        words.append(f"distance {km:.0f} km{base}")
    cover: list[str] = []
    if info["has_ind"][t]:
        cover.append(f"{float(info['industry_cover'][r, t]):.0%} of the territory's industry mix")
    if info["has_seg"][t]:
        cover.append(f"{float(info['segment_cover'][r, t]):.0%} of its segment mix")
    words.append(
        "skills cover " + " and ".join(cover) if cover else "territory has no industry/segment data"
    )
    years = float(info["experience"][r])
    experience = "experience unknown" if math.isnan(years) else f"{years:g} years' experience"
    words.append(
        f"{experience} (percentile {100 * float(info['exp_pct'][r]):.0f} of reps) for a book of "
        f"{ordinal(round(float(info['pot_pct'][t]) * 100))}-percentile potential"
    )
    share = float(info["share"][r, t])
    if info["is_current"][r, t]:
        words.append("keeps the rep's current territory")
    elif share > 0:
        words.append(f"rep already owns {share:.0%} of the territory's accounts (by potential)")
    else:
        words.append("new to this territory")
    terms = " + ".join(
        f"{k} {parts[k]:.2f}×{weights.get(k, 0.0):g}" for k in eng.COST_PARTS if weights.get(k)
    )
    total = sum(parts[k] * weights.get(k, 0.0) for k in eng.COST_PARTS)
    return "; ".join(words) + f" (cost {total:.2f} = {terms or '0'}; territory {terr.name})"
