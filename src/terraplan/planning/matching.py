"""Rep-to-territory matching: the optimal assignment, each pair's cost in plain words, and
its total against the current assignment.

Cost parts (each 0 = perfect fit, about 1 = clear misfit), weighted by the user:
``skill`` (share of the territory's industry/segment mix the rep's skills miss),
``experience`` (gap between the rep's experience percentile and the territory's potential
percentile: senior reps to the biggest books), ``distance`` (home base to territory centre,
per ``distance_scale_km``) and ``continuity`` (1 minus the share of the territory the rep
already owns).

The pieces: :mod:`~terraplan.planning.match_costs` (the facts and cost parts),
:mod:`~terraplan.planning.match_constraints` (given pairs, teams kept in their region) and
:mod:`~terraplan.planning.match_explain` (each pair's cost in words).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from terraplan.domain import Account, Plan, Rep
from terraplan.domain.amounts import exact_figure
from terraplan.engine import matching as eng
from terraplan.errors import InfeasibleError, InvalidParameterError
from terraplan.planning.match_constraints import by_id_or_name, index_pairs, region_mask
from terraplan.planning.match_costs import cost_parts, match_facts
from terraplan.planning.match_explain import explain_pair
from terraplan.planning.reps_support import (
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
    #: Rep and territory id -> name, for the rows of vacant territories and unassigned reps.
    names: Mapping[str, str] = field(default_factory=dict)
    #: Territories with a primary rep now (the others are vacant: the match gives them one; a
    #: territory whose rep left still has that rep, and gets another).
    held: frozenset[str] = frozenset()

    @property
    def vacancies_filled(self) -> list[str]:
        """Territories vacant now (no primary rep at all) that the match gives a rep."""
        return [p.territory_id for p in self.pairs if p.territory_id not in self.held]

    @property
    def territories_changing(self) -> int:
        """Territories whose rep differs from the current one (a new rep, or one taking over
        from a rep who left or from a vacancy)."""
        return sum(1 for p in self.pairs if not p.is_current)

    def cost_words(self) -> str:
        """The totals in words: the current assignment is priced on the pairs of active reps
        only, so a total over more territories says so instead of looking like a loss."""
        text = f"Total cost {self.total_cost:.2f} for {len(self.pairs)} territories"
        if self.current_cost is not None:
            text += f" (current assignment {self.current_cost:.2f}"
            if self.current_pairs_priced != len(self.pairs):
                text += f" for the {self.current_pairs_priced} held by active reps"
            text += ")"
        moved, changing = self.reps_moved, self.territories_changing
        if self.current_cost is None and self.current_pairs_priced == 0:
            # no territory has an active rep yet (a new design): nothing moves, each gets one
            return (
                f"{text}; no territory has an active rep yet: {changing} "
                f"{'gets' if changing == 1 else 'get'} one"
            )
        filled = self.vacancies_filled
        others = changing - len(filled)
        text = (
            f"{text}; {moved} {'rep moves' if moved == 1 else 'reps move'}; {others} "
            f"{'territory gets' if others == 1 else 'territories get'} another rep"
        )
        if filled:
            names = ", ".join(self.names.get(t, t) for t in filled)
            text += (
                f"; {len(filled)} vacant {'territory' if len(filled) == 1 else 'territories'} "
                f"({names}) {'gets' if len(filled) == 1 else 'get'} one"
            )
        return text

    @property
    def assignment(self) -> dict[str, str]:
        """``rep id -> territory id``."""
        return {p.rep_id: p.territory_id for p in self.pairs}

    def rows(self) -> list[dict[str, object]]:
        """One row per pair, then one per vacant territory and unassigned rep (same keys).

        ``cost_<part>`` is a part as measured (unweighted); ``weighted_<part>`` is it times
        its weight, and those add up to ``cost`` (the parts alone did not, which read as an
        error)."""
        parts = [f"cost_{k}" for k in eng.COST_PARTS]
        weighted = [f"weighted_{k}" for k in eng.COST_PARTS]
        blank = dict.fromkeys(
            ["rep_id", "rep", "territory_id", "territory", "cost", *parts, *weighted, "current",
             "why"]
        )  # fmt: skip
        rows: list[dict[str, object]] = []
        for p in self.pairs:
            row: dict[str, object] = {
                **blank,
                "rep_id": p.rep_id,
                "rep": p.rep_name,
                "territory_id": p.territory_id,
                "territory": p.territory_name,
                "cost": exact_figure(p.cost),
                "current": p.is_current,
                "why": p.explanation,
            }
            row.update({f"cost_{k}": exact_figure(v) for k, v in p.parts.items()})
            row.update(
                {f"weighted_{k}": exact_figure(self.weights[k] * v) for k, v in p.parts.items()}
            )
            rows.append(row)
        rows.extend(
            {
                **blank,
                "territory_id": t,
                "territory": self.names.get(t),
                "why": "open headcount (vacant)",
            }
            for t in self.vacant_territories
        )
        rows.extend(
            {**blank, "rep_id": r, "rep": self.names.get(r), "why": "unassigned (overlay or bench)"}
            for r in self.unassigned_reps
        )
        return rows

    def to_dict(self) -> dict[str, object]:
        return {
            "weights": dict(self.weights),
            "total_cost": exact_figure(self.total_cost),
            "current_cost": None if self.current_cost is None else exact_figure(self.current_cost),
            "current_pairs_priced": self.current_pairs_priced,
            "reps_moved": self.reps_moved,
            "territories_changing": self.territories_changing,
            "pairs": self.rows()[: len(self.pairs)],
            "vacant_territories": list(self.vacant_territories),
            "vacant_territory_names": [self.names.get(t, t) for t in self.vacant_territories],
            "unassigned_reps": list(self.unassigned_reps),
            "unassigned_rep_names": [self.names.get(r, r) for r in self.unassigned_reps],
            "warnings": list(self.warnings),
        }


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
    # the parts named change those weights; the others keep their defaults (write
    # `experience=0` to leave one out): `continuity=0.5` alone priced nothing else
    given = {} if weights is None else weights
    w = {**DEFAULT_WEIGHTS, **(parse_weights(given) if isinstance(given, str) else dict(given))}
    _check_weights(w)
    facts = match_facts(plan, reps, accounts, territory_of)
    rep_ix = {r.id: i for i, r in enumerate(facts.reps)}
    terr_ix = {t.id: j for j, t in enumerate(facts.territories)}
    # Every (rep, territory) a rep holds now: a rep owning two territories keeps both in the
    # picture (a map by rep kept the last one only and called the other a move).
    pairs_now = (
        [(o, t.id) for t in facts.territories for o in t.primary_owner_ids if o in rep_ix]
        if current is None
        else list(current.items())
    )
    cur = index_pairs(pairs_now, rep_ix, terr_ix, "current", facts.warnings, strict=False)
    parts, info = cost_parts(facts, accounts, cur, distance_scale_km)
    cost = eng.combine_costs(parts, w)
    allowed = np.ones(cost.shape, dtype=bool)
    required_list = list(must.items()) if isinstance(must, Mapping) else list(must)
    required_list = by_id_or_name(required_list, reps, facts.territories, "must")
    excluded = by_id_or_name(must_not, reps, facts.territories, "must_not")
    required = index_pairs(required_list, rep_ix, terr_ix, "must", facts.warnings, strict=True)
    for r, t in index_pairs(excluded, rep_ix, terr_ix, "must_not", facts.warnings, strict=True):
        allowed[r, t] = False
    if keep_teams_in_region:
        region_mask(plan, reps, facts, region_level, allowed)
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
    cur_set = set(cur)
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
                explanation=explain_pair(
                    rep, r=int(r), t=t, parts=pair_parts, info=info, weights=w
                ),
                is_current=(int(r), t) in cur_set,
                required=(int(r), t) in required_set,
            )
        )
    current_cost = float(sum(cost[r, t] for r, t in cur)) if cur else None
    # a rep moves when the match keeps none of the territories they hold now
    held: dict[int, set[int]] = {}
    for r, t in cur:
        held.setdefault(r, set()).add(t)
    moved = sum(1 for r, ts in held.items() if int(solution.rep_territory[r]) not in ts)
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
        names={
            **{t.id: t.name for t in facts.territories},
            **{r.id: r.name for r in facts.reps},
        },
        held=frozenset(t.id for t in facts.territories if t.primary_owner_ids)
        | frozenset(facts.territories[t].id for _, t in cur),
    )
