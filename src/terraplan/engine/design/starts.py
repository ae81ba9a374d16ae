"""Starting plans of the heuristic designer and the band schedule of its first stages.

:func:`construct_start` builds one start (the current alignment when realigning; else a
capacitated Lloyd power diagram for free centres balanced on one metric (:mod:`lloyd`),
recursive bisection for free centres and several metrics, a balanced location-allocation
around spread seeds, or a matrix allocation around seed units), made contiguous when asked;
:func:`band_schedule` gives the band scales of the search stages that follow it (loose
bands first, so the plan can reorganise before the real bands are enforced).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from terraplan.engine.design.construct import (
    balanced_allocation,
    flood_fill,
    matrix_allocation,
    recursive_bisection,
    repair_contiguity,
    seed_units,
    spread_seeds,
)
from terraplan.engine.design.lloyd import applies as lloyd_applies
from terraplan.engine.design.lloyd import capacitated_lloyd
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import medoids, territory_centres

#: Largest instance (units) whose search starts with loose bands by default.
RELAX_MAX_UNITS = 200_000


#: Multi-start varies the first-stage band scale around ``relax_factor`` for diversity.
RELAX_CYCLE = (1.0, 2.0, 0.5)


def band_schedule(relax: float, realigning: bool) -> tuple[float, ...]:
    """Band scales of the search stages: loose bands first let the plan reorganise."""
    if relax <= 1.0 or realigning:
        return (1.0,)
    scales = [relax]
    while scales[-1] / 2.0 > 1.0:
        scales.append(scales[-1] / 2.0)
    return (*scales, 1.0)


def construct_start(
    prep: Prepared, rng: np.random.Generator, iterations: int, start: int = 0
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Starting labels and centres (``(k, 3)`` km, or ``(k,)`` units as float with a matrix)."""
    if prep.current is not None:
        labels = prep.current.copy()
        if prep.allowed is not None:
            bad = (labels >= 0) & ~prep.allowed[np.arange(prep.n), np.maximum(labels, 0)]
            labels[bad] = -1
        lock = prep.locked >= 0
        labels[lock] = prep.locked[lock]
        centres = centres_of(prep, np.where(labels >= 0, labels, 0), rng)
        labels = flood_fill(prep, labels, centres)
        if prep.contiguous and prep.adjacency is not None:
            labels = repair_contiguity(prep, labels, centres)
        return labels, centres_of(prep, labels, rng)
    if prep.distances is not None:
        seeds = seed_units(prep, rng)
        labels = matrix_allocation(prep, seeds, iterations=iterations)
        centres = seeds.astype(np.float64)
    elif lloyd_applies(prep):
        labels, centres = capacitated_lloyd(prep, rng)
    elif bool(np.all(prep.free_centres)) and not np.any(prep.locked >= 0):
        labels = recursive_bisection(prep, rng, jitter=0.15 if start == 0 else 0.35)
        centres = territory_centres(prep, labels)
    else:
        centres = spread_seeds(prep, rng)
        labels, centres = balanced_allocation(prep, centres, iterations=iterations)
    if prep.contiguous and prep.adjacency is not None:
        labels = repair_contiguity(prep, labels, centres)
    return labels, centres_of(prep, labels, rng) if prep.distances is not None else centres


def centres_of(
    prep: Prepared, labels: np.ndarray[Any, Any], rng: np.random.Generator
) -> np.ndarray[Any, Any]:
    if prep.distances is not None:
        med = medoids(prep, labels)
        if np.any(med < 0):
            seeds = seed_units(prep, rng)
            med = np.where(med >= 0, med, seeds)
        return med.astype(np.float64)
    return territory_centres(prep, labels)


def one_unit_each(prep: Prepared) -> np.ndarray[Any, Any]:
    """Each unit its own territory (``n <= k``): locked units where they are locked, the others
    by a least-cost assignment. With a current plan the fewest moved (the disruption weight,
    :func:`~terraplan.engine.design.disruption.moved_table`) comes first, then fixed centres'
    costs: three keep-together groups into three territories went in index order and moved 6
    units where 4 sufficed."""
    from scipy.optimize import linear_sum_assignment

    from terraplan.engine.design.disruption import moved_table

    labels = np.full(prep.n, -1, dtype=np.int64)
    locked = prep.locked >= 0
    labels[locked] = prep.locked[locked]
    free_units = np.flatnonzero(~locked)
    taken = set(labels[locked].tolist())
    free_territories = np.array([t for t in range(prep.k) if t not in taken], dtype=np.int64)
    if free_units.size == 0:
        return labels
    if free_territories.size < free_units.size:  # locked units share territories
        free_territories = np.arange(prep.k, dtype=np.int64)
    moved = moved_table(prep)[np.ix_(free_units, free_territories)]
    costs = (
        np.asarray(prep.centre_costs, dtype=np.float64)[np.ix_(free_units, free_territories)]
        if prep.centre_costs is not None
        else np.zeros_like(moved)
    )
    # the fewest moved first: one unit of moved weight outweighs every cost difference
    span = float(np.ptp(costs)) * free_units.size + 1.0
    total = moved * span + (costs - costs.min())
    if prep.allowed is not None:
        allowed = prep.allowed[np.ix_(free_units, free_territories)]
        total = np.where(allowed, total, total.max() * 10.0 + span * 1e6)
    rows, cols = linear_sum_assignment(total)
    labels[free_units[rows]] = free_territories[cols]
    return labels
