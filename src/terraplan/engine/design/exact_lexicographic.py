"""Least-disruption realignment, solved exactly in two stages.

Priority "balance, then least disruption, then compactness" for fixed centres:

1. minimise the disruption ``D(x) = sum_i d_i [x_i != current_i]`` subject to every
   constraint of :func:`~terraplan.engine.design.exact.solve_exact_assignment` (balance
   windows are hard, locks, budgets, contiguity); call the optimum ``D*``;
2. minimise the compactness cost subject to the same constraints and ``D(x) <= D*``.

Why this is the lexicographic optimum: every plan feasible in stage 2 meets the hard
constraints and has ``D(x) <= D*``, and ``D*`` is the least disruption of any such plan, so
stage 2 ranges exactly over the plans of least disruption; its optimum is the most compact
of them. (A single solve with a big disruption weight ``M`` is exact only when ``M`` exceeds
the compactness range divided by the smallest disruption step, which does not exist for a
real-valued metric, and large ``M`` makes the MIP gap tolerance swallow the compactness
term; the two stages avoid both.) The cap in stage 2 is ``D*`` plus a relative ``1e-9``
so rounding in the solver does not cut off the stage-1 plan itself.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.exact import disruption_cost, solve_exact_assignment
from terraplan.engine.design.exact_core import ExactOutcome
from terraplan.errors import SolverError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Relative slack on the stage-1 optimum in the stage-2 cap.
CAP_SLACK = 1e-9


def solve_lexicographic(
    cost: npt.ArrayLike,
    weights: npt.ArrayLike,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    allowed: npt.ArrayLike | None,
    *,
    current: npt.ArrayLike,
    disruption_weight: npt.ArrayLike,
    time_limit: float = 5.0,
    mip_gap: float = 1e-6,
    **kwargs: Any,
) -> tuple[ExactOutcome, float]:
    """Least disruption, then least ``cost``, for fixed centres (see the module docstring).

    Shapes as in :func:`solve_exact_assignment`: ``cost (n, k)`` compactness cost;
    ``current (n,)`` labels (-1: no territory, never counted as moved);
    ``disruption_weight (n,)`` what moving each unit costs (ones: units; a metric column:
    that metric moved), or the ``(n, k)`` table of the weight moved when unit ``i`` goes to
    territory ``j`` (a unit standing for a keep-together group split today:
    :mod:`~terraplan.engine.design.disruption`). Other keywords (``adjacency``, ``centre_units``, ``moved_weight``,
    ``max_moved_weight``, ``callback``) pass through to both stages. ``time_limit`` seconds
    covers both stages.

    Returns ``(outcome, disruption)``: the stage-2 outcome (``objective`` = compactness,
    ``proven_optimal`` only when both stages proved optimality, ``iterations`` both stages)
    and the disruption of its labels. When stage 2 runs out of time the stage-1 plan is
    returned, not proven.
    """
    started = time.monotonic()
    c = np.asarray(cost, dtype=np.float64)
    n, k = c.shape
    labels_now = np.asarray(current, dtype=np.int64)
    moved = (
        np.asarray(disruption_weight, dtype=np.float64)
        if np.ndim(disruption_weight) == 2
        else disruption_cost(labels_now, disruption_weight, k=k)
    )
    first = solve_exact_assignment(
        moved, weights, lower, upper, allowed,
        current=labels_now, time_limit=time_limit, mip_gap=mip_gap, **kwargs,
    )  # fmt: skip
    least = float(first.objective)
    if first.proven_optimal:
        # an integral count of moved units: round off the solver's float noise
        least = float(np.round(least)) if np.allclose(moved, np.round(moved)) else least
    cap = least + CAP_SLACK * max(1.0, abs(least))
    remaining = time_limit - (time.monotonic() - started)
    rows = np.arange(n)
    first_cost = float(c[rows, first.labels].sum())
    if remaining <= 1e-3:
        return _stage_one(first, first_cost, started), least
    try:
        second = solve_exact_assignment(
            c, weights, lower, upper, allowed,
            current=labels_now, disruption_cap=(moved, cap),
            time_limit=remaining, mip_gap=mip_gap, **kwargs,
        )  # fmt: skip
    except SolverError:
        return _stage_one(first, first_cost, started), least
    moved_now = float(moved[rows, second.labels].sum())
    outcome = replace(
        second,
        proven_optimal=bool(first.proven_optimal and second.proven_optimal),
        status="optimal" if first.proven_optimal and second.proven_optimal else "time_limit",
        iterations=first.iterations + second.iterations,
        cuts_added=first.cuts_added + second.cuts_added,
        time=time.monotonic() - started,
    )
    return outcome, moved_now


def _stage_one(first: ExactOutcome, objective: float, started: float) -> ExactOutcome:
    """The stage-1 plan with its compactness cost, marked as not proven."""
    return replace(
        first,
        objective=objective,
        bound=float("-inf"),
        gap=float("inf"),
        proven_optimal=False,
        status="time_limit",
        time=time.monotonic() - started,
    )
