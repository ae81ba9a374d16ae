"""The solve / cut / re-solve loop shared by the exact design solvers.

A :class:`CutModel` describes a binary model by row blocks and says how to read territory
columns from a solution; :func:`cut_loop` solves it with HiGHS, adds contiguity cuts for
every territory found in several pieces, and solves again until the solution is
contiguous (or the time limit or the callback stops it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from terraplan.engine.design.exact_core import (
    MILP_INFEASIBLE,
    MILP_LIMIT,
    MILP_NODE_LIMIT,
    MILP_OPTIMAL,
    Callback,
    FloatArray,
    IntArray,
    RowBlock,
    cut_rows,
    raise_infeasible,
    run_milp,
    stack_blocks,
    stray_pieces,
)
from terraplan.errors import InfeasibleError, SolverError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class CutModel:
    """A binary model with lazily added contiguity cuts.

    - ``cost (n_vars,)`` objective; ``var_lower``/``var_upper (n_vars,)`` 0/1 bounds.
    - ``core``: rows always present (assignment); ``optional``: named families that the
      infeasibility diagnosis may blame (balance windows, budget, a priori contiguity).
    - ``columns(x) -> (n,)``: territory column of every unit in solution ``x``.
    - ``objective(columns) -> float``: exact cost of a labelling.
    - ``anchors``: anchor unit per territory column (-1: largest piece).
    - ``variable(units, column)``: variable indices of ``x[units, column]``.
    - ``graph``: symmetric unit graph, or None for no contiguity.
    - ``column_rows(columns) -> RowBlock``: optional extra rows added (once per column)
      when a territory column is first found in several pieces.
    """

    cost: FloatArray
    core: Sequence[RowBlock]
    optional: Sequence[RowBlock]
    var_lower: FloatArray
    var_upper: FloatArray
    columns: Callable[[FloatArray], IntArray]
    objective: Callable[[IntArray], float]
    anchors: IntArray
    variable: Callable[[IntArray, int], IntArray]
    graph: sparse.csr_matrix | None
    column_rows: Callable[[IntArray], RowBlock] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class LoopResult:
    """Last contiguous solution of the loop, with the best bound seen and loop counts;
    ``node_limited``: the node limit stopped the last solve."""

    x: FloatArray
    columns: IntArray
    objective: float
    bound: float
    proven: bool
    iterations: int
    cuts_added: int
    node_limited: bool = False


def cut_loop(
    model: CutModel,
    *,
    started: float,
    limit: float,
    gap: float,
    callback: Callback | None,
    explain_infeasible: bool = True,
    node_limit: int | None = None,
) -> LoopResult:
    """Solve ``model``, adding contiguity cuts until the solution is contiguous.

    Raises :class:`InfeasibleError` naming the blocks that cannot be met (only when
    ``explain_infeasible``: naming them takes more solves), or
    :class:`SolverError` when the time limit or the callback stops the loop before a
    contiguous solution exists. ``node_limit`` caps the branch-and-bound nodes of each solve
    (counted work): a solve it stops returns its incumbent, not proven, or raises
    :class:`SolverError` with reason ``node_limit`` when it has none.
    """
    n_vars = model.cost.shape[0]
    deadline = started + limit
    cuts: list[RowBlock] = []
    n_cuts = 0
    best_bound = -np.inf
    iterations = 0
    seen_columns: set[int] = set()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SolverError(
                "time limit reached before a contiguous solution was found",
                details={"reason": "time_limit", "iterations": iterations, "cuts": n_cuts},
            )
        rows = stack_blocks([*model.core, *model.optional, *cuts], n_vars)
        answer = run_milp(
            model.cost,
            rows,
            model.var_lower,
            model.var_upper,
            time_limit=remaining,
            mip_gap=gap,
            node_limit=node_limit,
        )
        iterations += 1
        if answer.status == MILP_INFEASIBLE and not explain_infeasible:
            raise InfeasibleError(
                "the model is infeasible", details={"constraints": [], "together": True}
            )
        if answer.status == MILP_INFEASIBLE:
            raise_infeasible(
                model.cost,
                model.core,
                [*model.optional, *cuts],
                model.var_lower,
                model.var_upper,
                seconds=deadline - time.monotonic(),
            )
        if answer.x is None:
            reason = {MILP_LIMIT: "time_limit", MILP_NODE_LIMIT: "node_limit"}.get(
                answer.status, "backend"
            )
            raise SolverError(
                f"no feasible solution found ({answer.message})",
                details={"reason": reason, "iterations": iterations},
            )
        columns = model.columns(answer.x)
        objective = model.objective(columns)
        best_bound = max(best_bound, answer.bound)
        log.debug("exact solve %d: objective %.6g", iterations, objective)
        stop = callback is not None and callback(iterations, objective) is False
        pieces = [] if model.graph is None else stray_pieces(model.graph, columns, model.anchors)
        if not pieces:
            proven = answer.status == MILP_OPTIMAL
            bound = min(best_bound, objective) if proven else best_bound
            return LoopResult(
                answer.x,
                columns,
                objective,
                bound,
                proven,
                iterations,
                n_cuts,
                node_limited=answer.status == MILP_NODE_LIMIT,
            )
        if stop:
            raise SolverError(
                "stopped by the callback before a contiguous solution was found",
                details={"reason": "stopped", "iterations": iterations, "cuts": n_cuts},
            )
        blocks = [cut_rows(pieces, model.variable, n_vars)]
        fresh = sorted({cut.column for cut in pieces} - seen_columns)
        if model.column_rows is not None and fresh:
            blocks.append(model.column_rows(np.array(fresh, dtype=np.int64)))
            seen_columns.update(fresh)
        cuts.extend(blocks)
        n_cuts += sum(block.matrix.shape[0] for block in blocks)
