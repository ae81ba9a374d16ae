"""Exact min-max diameter: the plan whose largest territory diameter is least.

A plan has every territory diameter ``<= D`` exactly when no two units farther apart than
``D`` share a territory. So for a threshold ``D`` the assignment model of
:func:`~terraplan.engine.design.exact.solve_exact_assignment` with the conflict rows
``x[i, t] + x[j, t] <= 1`` (every pair ``d_ij > D``, every territory ``t``) is feasible iff
some plan (meeting every other constraint) has largest diameter ``<= D``. The least
diameter ``D*`` is one of the pair distances; a bisection over their sorted values finds
it, each feasible answer lowering the upper end to the diameter it actually reached. A
last solve minimises the compactness cost among the plans with diameter ``<= D*``.

Meant for small instances (``n (n - 1) / 2`` candidate thresholds, up to ``k`` rows per
conflicting pair).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.exact import solve_exact_assignment
from terraplan.engine.design.exact_core import ExactOutcome
from terraplan.engine.design.objectives import max_diameter
from terraplan.errors import InfeasibleError, SolverError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def solve_min_diameter(
    pairs: npt.ArrayLike,
    cost: npt.ArrayLike,
    weights: npt.ArrayLike,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    allowed: npt.ArrayLike | None,
    *,
    time_limit: float = 5.0,
    mip_gap: float = 1e-6,
    **kwargs: Any,
) -> tuple[ExactOutcome, float]:
    """Least largest diameter, then least ``cost`` (see the module docstring).

    ``pairs (n, n)`` symmetric unit distances; ``cost (n, k)`` the secondary compactness
    cost; other arguments and keywords as in :func:`solve_exact_assignment`;
    ``time_limit`` seconds covers every solve. Returns the final outcome (``objective`` =
    its cost; ``proven_optimal`` only when the bisection and the last solve both finished)
    and its largest diameter.
    """
    started = time.monotonic()
    d = np.asarray(pairs, dtype=np.float64)
    c = np.asarray(cost, dtype=np.float64)
    k = c.shape[1]
    iu, ju = np.triu_indices(d.shape[0], 1)
    values = np.unique(d[iu, ju])
    zero = np.zeros_like(c)

    def remaining() -> float:
        left = time_limit - (time.monotonic() - started)
        if left <= 1e-3:
            raise SolverError(
                "time limit reached in the diameter bisection", details={"reason": "time_limit"}
            )
        return left

    def attempt(threshold: float, objective: FloatArray, gap: float) -> ExactOutcome:
        far = d[iu, ju] > threshold
        conflicts = np.column_stack([iu[far], ju[far]])
        return solve_exact_assignment(
            objective, weights, lower, upper, allowed, conflicts=conflicts,
            time_limit=remaining(), mip_gap=gap, explain_infeasible=False, **kwargs,
        )  # fmt: skip

    solves = 0
    try:
        found = attempt(float(values[-1]) if values.size else 0.0, zero, mip_gap)
    except InfeasibleError:
        found = solve_exact_assignment(
            c, weights, lower, upper, allowed, time_limit=remaining(), mip_gap=mip_gap, **kwargs
        )  # raises the explained InfeasibleError
    solves += 1
    best = max_diameter(d, np.asarray(found.labels, dtype=np.int64), k)
    low, high = 0, int(np.searchsorted(values, best))
    proven = True
    while low < high:
        mid = (low + high) // 2
        try:
            trial = attempt(float(values[mid]), zero, mip_gap)
        except InfeasibleError:
            low = mid + 1
            solves += 1
            continue
        except SolverError:
            proven = False
            break
        solves += 1
        best = max_diameter(d, np.asarray(trial.labels, dtype=np.int64), k)
        high = int(np.searchsorted(values, best))
    least = float(values[high]) if values.size else 0.0
    try:
        final = attempt(least, c, mip_gap)
    except SolverError:
        return replace(found, proven_optimal=False, status="time_limit"), best
    outcome = replace(
        final,
        proven_optimal=bool(proven and final.proven_optimal),
        status="optimal" if proven and final.proven_optimal else "time_limit",
        iterations=final.iterations + solves,
        time=time.monotonic() - started,
    )
    return outcome, max_diameter(d, np.asarray(final.labels, dtype=np.int64), k)
