"""Rep-to-territory matching: cost parts and the optimal one-to-one assignment.

Shapes: ``r`` reps (rows), ``t`` territories (columns). Every cost part is an ``(r, t)``
float matrix scaled so that 0 is a perfect fit and 1 a clear misfit (distance is in units of
``distance_scale_km``), so user weights compare like with like.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from terraplan.engine.capacity import haversine_matrix_km
from terraplan.errors import InfeasibleError, InvalidParameterError, SolverError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Names of the cost parts, in reporting order.
COST_PARTS: tuple[str, ...] = ("skill", "experience", "distance", "continuity")


def skill_mismatch(rep_skills: BoolArray, territory_mix: FloatArray) -> FloatArray:
    """Share of each territory's mix a rep's skills do NOT cover, ``(r, t)`` in [0, 1].

    ``rep_skills`` ``(r, c)`` marks the categories (industries, segments) each rep knows;
    ``territory_mix`` ``(t, c)`` holds each territory's weight per category (e.g. potential);
    rows are normalised here. A territory with an empty mix fits every rep (0).
    """
    skills = np.asarray(rep_skills, dtype=np.float64)
    mix = np.asarray(territory_mix, dtype=np.float64)
    if skills.ndim != 2 or mix.ndim != 2 or skills.shape[1] != mix.shape[1]:
        raise InvalidParameterError(
            "rep_skills (r, c) and territory_mix (t, c) must share the category axis",
            details={"shapes": [skills.shape, mix.shape]},
        )
    if np.any(~np.isfinite(mix)) or np.any(mix < 0):
        raise InvalidParameterError("territory_mix must be finite and >= 0")
    totals = mix.sum(axis=1)
    shares = np.divide(mix, totals[:, None], out=np.zeros_like(mix), where=totals[:, None] > 0)
    covered = skills @ shares.T
    out: FloatArray = np.where(totals[None, :] > 0, np.clip(1.0 - covered, 0.0, 1.0), 0.0)
    return out


def percentile_rank(values: FloatArray) -> FloatArray:
    """Rank of each value scaled to [0, 1] (ties share their mean rank); ``(n,)`` -> ``(n,)``.

    NaN values get 0.5 (the middle). A single value gets 0.5.
    """
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    out = np.full(data.shape, 0.5)
    known = ~np.isnan(data)
    n = int(known.sum())
    if n <= 1:
        return out
    sub = data[known]
    order = np.argsort(sub, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n, dtype=np.float64)
    # Average the ranks of ties.
    uniq, inverse = np.unique(sub, return_inverse=True)
    mean_rank = np.bincount(inverse, weights=ranks) / np.bincount(inverse)
    out[known] = mean_rank[inverse] / (n - 1)
    del uniq
    return out


def experience_gap(experience: FloatArray, potential: FloatArray) -> FloatArray:
    """``|percentile(experience_i) - percentile(potential_j)|``, ``(r, t)`` in [0, 1].

    Minimising its sum pairs the most experienced reps with the biggest books. NaN entries
    sit at the middle percentile.
    """
    rep_pct = percentile_rank(experience)
    terr_pct = percentile_rank(potential)
    out: FloatArray = np.abs(rep_pct[:, None] - terr_pct[None, :])
    return out


def distance_cost(
    rep_home: FloatArray, territory_centre: FloatArray, *, distance_scale_km: float = 100.0
) -> tuple[FloatArray, FloatArray]:
    """Distance home base -> territory centre.

    ``rep_home`` ``(r, 2)``, ``territory_centre`` ``(t, 2)`` in degrees (NaN when unknown).
    Returns ``(km, cost)``, both ``(r, t)``: ``km`` is NaN where either end is unknown and
    ``cost = km / distance_scale_km``. A rep with no home base costs, for each territory, the
    median of the known reps' costs for it (the middle, neither favoured nor held back: at 0
    such a rep would beat the rep who lives in the territory); a territory with no known
    distance costs 0 for everyone.
    """
    if not (math.isfinite(distance_scale_km) and distance_scale_km > 0):
        raise InvalidParameterError(
            f"distance_scale_km must be > 0, got {distance_scale_km:g}",
            details={"parameter": "distance_scale_km"},
        )
    km = haversine_matrix_km(rep_home, territory_centre)
    scaled = km / distance_scale_km
    known = np.isfinite(scaled)
    middle = np.zeros(scaled.shape[1])
    for t in np.flatnonzero(known.any(axis=0)):
        middle[t] = float(np.median(scaled[known[:, t], t]))
    cost: FloatArray = np.where(known, scaled, middle[None, :])
    return km, cost


def combine_costs(parts: Mapping[str, FloatArray], weights: Mapping[str, float]) -> FloatArray:
    """Weighted sum ``sum_k weights[k] * parts[k]`` of ``(r, t)`` cost parts."""
    unknown = sorted(set(weights) - set(parts))
    if unknown:
        raise InvalidParameterError(
            f"unknown cost part(s) {unknown}; known: {sorted(parts)}",
            details={"parameter": "weights"},
        )
    shape: tuple[int, ...] | None = None
    total: FloatArray | None = None
    for name, matrix in parts.items():
        weight = float(weights.get(name, 0.0))
        if not math.isfinite(weight) or weight < 0:
            raise InvalidParameterError(
                f"weight of {name!r} must be a finite number >= 0, got {weight:g}",
                details={"parameter": "weights", "part": name},
            )
        array = np.asarray(matrix, dtype=np.float64)
        if shape is None:
            shape = array.shape
            total = np.zeros(shape)
        elif array.shape != shape:
            raise InvalidParameterError(f"cost part {name!r} has shape {array.shape}, not {shape}")
        if weight:
            total = total + weight * array if total is not None else weight * array
    if total is None:
        raise InvalidParameterError("no cost parts given")
    return total


@dataclass(frozen=True, slots=True)
class Assignment:
    """An optimal matching.

    ``rep_territory`` ``(r,)``: territory index per rep or -1 (unassigned);
    ``territory_rep`` ``(t,)``: rep index per territory or -1 (vacant); ``total_cost`` the sum
    of the chosen pairs' costs; ``n_assigned`` the number of pairs.
    """

    rep_territory: IntArray
    territory_rep: IntArray
    total_cost: float
    n_assigned: int


def assign(
    cost: FloatArray,
    *,
    allowed: BoolArray | None = None,
    required: IntArray | None = None,
) -> Assignment:
    """Optimal one-to-one assignment of reps (rows) to territories (columns).

    First as many pairs as possible are formed among ``allowed`` ``(r, t)`` pairs (all by
    default), then their total ``cost`` ``(r, t)`` is minimised. ``required`` ``(k, 2)``
    lists ``(rep, territory)`` pairs that must be kept. Unequal sizes leave reps unassigned
    or territories vacant. Raises :class:`InfeasibleError` when required pairs clash.
    """
    matrix = np.asarray(cost, dtype=np.float64)
    if matrix.ndim != 2:
        raise InvalidParameterError("cost must be a 2-D (reps, territories) matrix")
    if np.any(~np.isfinite(matrix)):
        raise InvalidParameterError("cost must hold finite numbers")
    n_reps, n_terr = matrix.shape
    ok = (
        np.ones(matrix.shape, dtype=bool)
        if allowed is None
        else np.asarray(allowed, dtype=bool).copy()
    )
    if ok.shape != matrix.shape:
        raise InvalidParameterError(f"allowed has shape {ok.shape}, cost has {matrix.shape}")
    pairs = (
        np.zeros((0, 2), dtype=np.int64)
        if required is None
        else np.asarray(required, dtype=np.int64).reshape(-1, 2)
    )
    _check_required(pairs, ok, n_reps, n_terr)
    rep_territory = np.full(n_reps, -1, dtype=np.int64)
    territory_rep = np.full(n_terr, -1, dtype=np.int64)
    rep_territory[pairs[:, 0]] = pairs[:, 1]
    territory_rep[pairs[:, 1]] = pairs[:, 0]
    free_reps = np.flatnonzero(rep_territory < 0)
    free_terr = np.flatnonzero(territory_rep < 0)
    if free_reps.size and free_terr.size:
        sub_cost = matrix[np.ix_(free_reps, free_terr)]
        sub_ok = ok[np.ix_(free_reps, free_terr)]
        rows, cols = _solve(sub_cost, sub_ok)
        rep_territory[free_reps[rows]] = free_terr[cols]
        territory_rep[free_terr[cols]] = free_reps[rows]
    chosen = np.flatnonzero(rep_territory >= 0)
    total = float(matrix[chosen, rep_territory[chosen]].sum())
    return Assignment(rep_territory, territory_rep, total, int(chosen.size))


def _solve(cost: FloatArray, ok: BoolArray) -> tuple[IntArray, IntArray]:
    """Max-cardinality min-cost matching among ``ok`` pairs via a big-M penalty."""
    if not ok.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    shift = cost - cost[ok].min()
    spread = float(shift[ok].max())
    # One forbidden pair must cost more than any difference between feasible pair sets.
    big = (spread + 1.0) * (min(cost.shape) + 1)
    penalised = np.where(ok, shift, big)
    try:
        rows, cols = linear_sum_assignment(penalised)
    except ValueError as exc:  # pragma: no cover - defensive
        raise SolverError(f"assignment solver failed: {exc}") from None
    keep = ok[rows, cols]
    return rows[keep].astype(np.int64), cols[keep].astype(np.int64)


def _check_required(pairs: IntArray, ok: BoolArray, n_reps: int, n_terr: int) -> None:
    if pairs.size == 0:
        return
    if (
        np.any(pairs[:, 0] < 0)
        or np.any(pairs[:, 0] >= n_reps)
        or np.any(pairs[:, 1] < 0)
        or np.any(pairs[:, 1] >= n_terr)
    ):
        raise InvalidParameterError("required pairs point outside the cost matrix")
    for axis, what in ((0, "rep"), (1, "territory")):
        values, counts = np.unique(pairs[:, axis], return_counts=True)
        if np.any(counts > 1):
            index = int(values[counts > 1][0])
            raise InfeasibleError(
                f"{what} {index} is required in more than one pair",
                details={"constraints": [f"required:{what}:{index}"]},
            )
    bad = ~ok[pairs[:, 0], pairs[:, 1]]
    if np.any(bad):
        rep, terr = (int(v) for v in pairs[np.flatnonzero(bad)[0]])
        raise InfeasibleError(
            f"required pair (rep {rep}, territory {terr}) is also forbidden",
            details={"constraints": [f"required:{rep}:{terr}", f"forbidden:{rep}:{terr}"]},
        )
