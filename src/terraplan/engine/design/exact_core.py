"""Shared machinery of the exact (MILP) design solvers.

Holds the frozen :class:`ExactOutcome`, the row blocks a model is assembled from, the one
call into SciPy's HiGHS (``scipy.optimize.milp``) with its errors translated, the
contiguity cut separation used by the re-solve loop, and the infeasibility diagnosis that
names the constraint family that cannot be met.

Contiguity cuts (territory column ``j``, current solution ``labels``): for every connected
piece ``S`` of territory ``j`` that is not its anchor piece ``A`` (the piece holding the
centre unit, or the largest piece when there is no centre), with ``t`` a unit of ``A``
and ``R`` a set of units separating ``S`` from ``t`` in the unit graph, the loop adds

- the set cut ``sum_{i in S} x_ij + x_tj - sum_{l in R} x_lj <= |S|``, and
- the separator cuts ``x_ij + x_tj - sum_{l in R} x_lj <= 1`` for each ``i`` in ``S``.

Both hold for every contiguous territory. ``R`` runs over ``N(S)`` (the units outside
``S`` adjacent to it) and the further hop-distance rings around ``S`` and around ``A``
that lie between them, each trimmed to its part adjacent to the far side. With a fixed
centre ``t`` (``x_tj = 1``) the cuts read ``sum_S x - sum_R x <= |S| - 1`` and
``x_ij <= sum_R x``. :func:`neighbour_rows` gives the rows ``x_ij <= sum_{l in N(i)} x_lj``
(a unit other than the centre needs a neighbour in its territory); the p-median model adds
them for a territory once it is found in pieces. The fixed-centre model does without them:
on all territories up front they slowed every solve more than the re-solves they saved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from terraplan.errors import InfeasibleError, InvalidParameterError, SolverError

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: ``callback(step, objective) -> bool | None``; returning False stops the re-solve loop.
Callback = Callable[[int, float], "bool | None"]

#: HiGHS status codes as reported by ``scipy.optimize.milp``.
MILP_OPTIMAL = 0
MILP_LIMIT = 1
MILP_INFEASIBLE = 2
#: Our own code for a run stopped by its ``node_limit`` (SciPy reports it as unrecognised).
MILP_NODE_LIMIT = 101
MILP_UNBOUNDED = 3

#: Name of the contiguity cut block (used in infeasibility messages).
CONTIGUITY = "contiguity of every territory"

#: Most separator rings added per side of a stray piece.
_MAX_RINGS = 12


def frozen(array: IntArray) -> IntArray:
    """A read-only int64 copy of ``array``."""
    out = np.array(array, dtype=np.int64, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class ExactOutcome:
    """Result of an exact design solve.

    - ``labels (n,)`` int64: territory index of each unit.
    - ``objective``: cost of ``labels`` (sum of ``cost[i, labels[i]]``).
    - ``bound``: best lower (dual) bound HiGHS proved for the problem; ``gap`` the relative
      gap ``(objective - bound) / max(|objective|, 1e-9)`` (0 when proven).
    - ``proven_optimal``: HiGHS proved optimality (within ``mip_gap``) of a solution that
      satisfies every constraint, contiguity included.
    - ``status``: ``"optimal"`` or ``"time_limit"`` (feasible, optimality not proven).
    - ``iterations``: number of MILP solves (1 + re-solves after contiguity cuts).
    - ``cuts_added``: contiguity cut rows added; ``time`` wall seconds.
    - ``centres (k,)`` int64: centre unit of each territory (-1 when there is none).
    """

    labels: IntArray
    objective: float
    bound: float
    gap: float
    proven_optimal: bool
    status: str
    iterations: int
    cuts_added: int
    time: float
    centres: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class RowBlock:
    """A named family of linear rows ``lower <= matrix @ x <= upper`` (``matrix`` CSR)."""

    name: str
    matrix: sparse.csr_matrix
    lower: FloatArray
    upper: FloatArray


@dataclass(frozen=True, slots=True)
class MilpAnswer:
    """What one HiGHS run returned: status code, solution (or None), objective and bound."""

    status: int
    x: FloatArray | None
    objective: float
    bound: float
    message: str


def stack_blocks(blocks: Sequence[RowBlock], n_vars: int) -> RowBlock:
    """All rows of ``blocks`` as one block (an empty 0-row block when there are none)."""
    if not blocks:
        return RowBlock("none", sparse.csr_matrix((0, n_vars)), np.zeros(0), np.zeros(0))
    return RowBlock(
        "+".join(b.name for b in blocks),
        sparse.csr_matrix(sparse.vstack([b.matrix for b in blocks], format="csr")),
        np.concatenate([b.lower for b in blocks]),
        np.concatenate([b.upper for b in blocks]),
    )


def run_milp(
    cost: FloatArray,
    rows: RowBlock,
    var_lower: FloatArray,
    var_upper: FloatArray,
    *,
    time_limit: float,
    mip_gap: float,
    node_limit: int | None = None,
) -> MilpAnswer:
    """Minimise ``cost @ x`` over binary ``x`` within ``var_lower/var_upper`` and ``rows``,
    stopping after ``node_limit`` branch-and-bound nodes when given (a limit of counted
    work, the same on every machine; the answer's status is then :data:`MILP_NODE_LIMIT`).

    HiGHS failures become :class:`SolverError`; SciPy exceptions never escape.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    options: dict[str, object] = {
        "time_limit": max(float(time_limit), 1e-3),
        "mip_rel_gap": float(mip_gap),
        "disp": False,
    }
    if node_limit is not None:
        options["node_limit"] = int(node_limit)
    constraints = (
        [LinearConstraint(rows.matrix, rows.lower, rows.upper)] if rows.matrix.shape[0] else []
    )
    try:
        res = milp(
            cost,
            integrality=np.ones(cost.shape[0], dtype=np.int8),
            bounds=Bounds(var_lower, var_upper),
            constraints=constraints,
            options=options,
        )
    except Exception as exc:
        raise SolverError(
            f"HiGHS failed on the exact design model: {exc}",
            details={"backend": "scipy.optimize.milp", "reason": str(exc)},
        ) from exc
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    objective = float(res.fun) if x is not None and res.fun is not None else float("nan")
    raw_bound = getattr(res, "mip_dual_bound", None)
    bound = float(raw_bound) if raw_bound is not None else float("-inf")
    if res.status == MILP_OPTIMAL and not np.isfinite(bound):
        bound = objective
    status = int(res.status)
    if node_limit is not None and status not in (MILP_OPTIMAL, MILP_INFEASIBLE):
        nodes = getattr(res, "mip_node_count", None)
        if nodes is not None and int(nodes) >= int(node_limit):
            status = MILP_NODE_LIMIT
    return MilpAnswer(status, x, objective, bound, str(res.message))


def relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / max(|objective|, 1e-9)`` clipped at 0 (inf without a bound)."""
    if not np.isfinite(bound):
        return float("inf")
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


# --------------------------------------------------------------------------- contiguity


def symmetric_adjacency(adjacency: object, n: int) -> sparse.csr_matrix:
    """Validate an ``(n, n)`` unit graph and return it symmetric, 0/1, without self loops."""
    if not sparse.issparse(adjacency):
        try:
            adjacency = sparse.csr_matrix(np.asarray(adjacency, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                "adjacency must be a scipy.sparse (n, n) matrix",
                details={"parameter": "adjacency", "reason": str(exc)},
            ) from exc
    graph = sparse.csr_matrix(adjacency, dtype=np.float64)
    if graph.shape != (n, n):
        raise InvalidParameterError(
            f"adjacency must have shape ({n}, {n}), got {graph.shape}",
            details={"parameter": "adjacency", "reason": "shape"},
        )
    coo = graph.tocoo()
    keep = (coo.row != coo.col) & (coo.data != 0)
    rows = np.concatenate([coo.row[keep], coo.col[keep]])
    cols = np.concatenate([coo.col[keep], coo.row[keep]])
    sym = sparse.csr_matrix((np.ones(rows.shape[0]), (rows, cols)), shape=(n, n))
    sym.sum_duplicates()
    sym.data[:] = 1.0
    return sym


def piece_ids(adjacency: sparse.csr_matrix, labels: IntArray) -> IntArray:
    """Connected piece id ``(n,)`` of every unit within its own territory's subgraph."""
    n = labels.shape[0]
    coo = adjacency.tocoo()
    same = labels[coo.row] == labels[coo.col]
    inside = sparse.csr_matrix(
        (np.ones(int(same.sum())), (coo.row[same], coo.col[same])), shape=(n, n)
    )
    _, ids = connected_components(inside, directed=False)
    return np.asarray(ids, dtype=np.int64)


def is_contiguous(adjacency: sparse.csr_matrix, labels: IntArray) -> bool:
    """True when every non-empty territory of ``labels`` is one connected piece."""
    ids = piece_ids(adjacency, labels)
    pairs = np.unique(np.stack([labels, ids], axis=1), axis=0)
    return bool(np.unique(pairs[:, 0]).shape[0] == pairs.shape[0])


@dataclass(frozen=True, slots=True)
class PieceCut:
    """A stray piece ``units`` of territory ``column`` cut off from anchor unit ``anchor``.

    ``separators``: unit sets that separate the piece from the anchor in the unit graph
    (the piece's boundary and the anchor piece's boundary, each trimmed to its minimal
    part).
    """

    column: int
    units: IntArray
    anchor: int
    separators: tuple[IntArray, ...]


def stray_pieces(
    adjacency: sparse.csr_matrix,
    labels: IntArray,
    anchors: IntArray,
) -> list[PieceCut]:
    """The pieces of each territory that are cut off from its anchor.

    ``labels (n,)`` territory column per unit; ``anchors (k,)`` anchor unit per territory
    column (-1: the largest piece, ties by lowest unit index, is the anchor piece).
    """
    ids = piece_ids(adjacency, labels)
    cuts: list[PieceCut] = []
    for column in np.unique(labels):
        members = np.flatnonzero(labels == column)
        pieces = np.unique(ids[members])
        if pieces.shape[0] < 2:
            continue
        anchor = int(anchors[column]) if column < anchors.shape[0] else -1
        if anchor < 0 or labels[anchor] != column:
            sizes = [
                (-(ids[members] == p).sum(), int(members[ids[members] == p][0])) for p in pieces
            ]
            anchor = min(sizes)[1]
        home = members[ids[members] == ids[anchor]]
        for piece in pieces:
            if piece == ids[anchor]:
                continue
            units = members[ids[members] == piece].astype(np.int64)
            seps = _rings(adjacency, units, home, anchor) + _rings(
                adjacency, home, units, int(units[0])
            )
            cuts.append(PieceCut(int(column), units, anchor, tuple(seps)))
    return cuts


def _rings(
    adjacency: sparse.csr_matrix, source: IntArray, other: IntArray, target: int
) -> list[IntArray]:
    """Hop-distance rings around ``source`` that lie strictly before ``other``.

    Ring ``h`` (units at ``h`` hops from ``source``) separates ``source`` from ``target``
    (a unit of ``other``) for ``1 <= h < dist(source, other)``; each ring is trimmed to
    its part adjacent to ``target``'s side.
    """
    from scipy.sparse.csgraph import shortest_path

    hops = shortest_path(adjacency, unweighted=True, indices=source).min(axis=0)
    reach = float(hops[other].min())
    rings: list[IntArray] = []
    for h in range(1, int(min(reach, _MAX_RINGS + 1)) if np.isfinite(reach) else 1):
        ring = np.flatnonzero(hops == h).astype(np.int64)
        rings.append(_trim(adjacency, ring, target))
    return rings


def _trim(adjacency: sparse.csr_matrix, separator: IntArray, target: int) -> IntArray:
    """The part of ``separator`` adjacent to ``target``'s component once it is removed."""
    n = adjacency.shape[0]
    keep = np.ones(n, dtype=np.bool_)
    keep[separator] = False
    sub = sparse.diags(keep.astype(np.float64)) @ adjacency @ sparse.diags(keep.astype(np.float64))
    _, comp = connected_components(sparse.csr_matrix(sub), directed=False)
    side = keep & (comp == comp[target])
    reach = np.asarray(adjacency[np.flatnonzero(side)].sum(axis=0)).ravel() > 0
    return separator[reach[separator]]


def neighbour_rows(
    adjacency: sparse.csr_matrix,
    centres: IntArray,
    variable: Callable[[IntArray, int], IntArray],
    n_vars: int,
) -> RowBlock:
    """A priori cuts ``x_ij <= sum_{l in N(i)} x_lj`` for every unit ``i`` that is not the
    centre of territory column ``j`` (valid for territories with a centre: a unit other
    than the centre needs a neighbour in its territory)."""
    n = adjacency.shape[0]
    data: list[FloatArray] = []
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    row = 0
    for column, centre in enumerate(centres):
        if centre < 0:
            continue
        for unit in range(n):
            if unit == centre:
                continue
            nbrs = adjacency.indices[adjacency.indptr[unit] : adjacency.indptr[unit + 1]]
            cols.append(variable(np.concatenate([[unit], nbrs]).astype(np.int64), column))
            data.append(np.concatenate([[1.0], -np.ones(nbrs.shape[0])]))
            rows.append(np.full(nbrs.shape[0] + 1, row, dtype=np.int64))
            row += 1
    if not row:
        return RowBlock(CONTIGUITY, sparse.csr_matrix((0, n_vars)), np.zeros(0), np.zeros(0))
    matrix = sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(row, n_vars)
    )
    return RowBlock(CONTIGUITY, matrix, np.full(row, -np.inf), np.zeros(row))


def cut_rows(
    pieces: Sequence[PieceCut], variable: Callable[[IntArray, int], IntArray], n_vars: int
) -> RowBlock:
    """Set and separator cut rows (see the module docstring) for ``pieces``.

    ``variable(units, column)`` maps units of a territory column to variable indices.
    """
    data: list[float] = []
    row_idx: list[int] = []
    col_idx: list[int] = []
    upper: list[float] = []
    row = 0

    def add(members: IntArray, boundary: IntArray, anchor: int, column: int, rhs: float) -> None:
        nonlocal row
        cols = np.concatenate(
            [variable(members, column), variable(np.array([anchor]), column)]
        ).tolist()
        coefs = [1.0] * len(cols)
        cols += variable(boundary, column).tolist()
        coefs += [-1.0] * boundary.shape[0]
        data.extend(coefs)
        col_idx.extend(cols)
        row_idx.extend([row] * len(cols))
        upper.append(rhs)
        row += 1

    for cut in pieces:
        for boundary in cut.separators:
            add(cut.units, boundary, cut.anchor, cut.column, float(cut.units.shape[0]))
            if cut.units.shape[0] > 1:
                for unit in cut.units:
                    add(np.array([unit]), boundary, cut.anchor, cut.column, 1.0)
    matrix = sparse.csr_matrix((data, (row_idx, col_idx)), shape=(row, n_vars))
    return RowBlock(CONTIGUITY, matrix, np.full(row, -np.inf), np.asarray(upper))


# --------------------------------------------------------------------------- diagnosis


def raise_infeasible(
    cost: FloatArray,
    core: Sequence[RowBlock],
    optional: Sequence[RowBlock],
    var_lower: FloatArray,
    var_upper: FloatArray,
    *,
    seconds: float,
) -> None:
    """Raise :class:`InfeasibleError` naming which ``optional`` blocks cannot be met.

    The model ``core + optional`` is known infeasible. Each optional block is tried alone
    with ``core`` (short MILP runs sharing ``seconds``); the blocks infeasible alone are
    named; when none is, the combination of all of them is.
    """
    n_vars = cost.shape[0]
    deadline = time.monotonic() + max(seconds, 0.5)
    alone: list[str] = []
    core_rows = stack_blocks(core, n_vars)
    if _proved_infeasible(cost, core_rows, var_lower, var_upper, deadline):
        names = [b.name for b in core] or ["assignment"]
        _infeasible(names, together=False)
    for block in optional:
        if block.name == CONTIGUITY:
            continue
        rows = stack_blocks([*core, block], n_vars)
        if _proved_infeasible(cost, rows, var_lower, var_upper, deadline):
            alone.append(block.name)
    if alone:
        _infeasible(alone, together=False)
    _infeasible([b.name for b in optional] or ["assignment"], together=True)


def _proved_infeasible(
    cost: FloatArray, rows: RowBlock, lo: FloatArray, hi: FloatArray, deadline: float
) -> bool:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    answer = run_milp(cost, rows, lo, hi, time_limit=remaining, mip_gap=1.0)
    return answer.status == MILP_INFEASIBLE


def _infeasible(names: Sequence[str], *, together: bool) -> None:
    unique = list(dict.fromkeys(names))
    if together and len(unique) > 1:
        message = "these constraints cannot be met together: " + "; ".join(unique)
    elif len(unique) == 1:
        message = f"{unique[0]} cannot be met"
    else:
        message = "cannot be met: " + "; ".join(unique)
    raise InfeasibleError(message, details={"constraints": unique, "together": together})
