"""Keep-together groups: units that must share a territory, solved by contraction.

Every group (units with the same ``groups`` id >= 0) is merged into one super-unit before
any solver runs, and the plan of the contracted problem is expanded back, so no solver can
split a group. Contraction of ``n`` units into ``s`` super-units (``P (n, s)`` membership):

- ``weights``, ``compact_w``, ``disrupt_w``: sums over the members;
- ``xyz``: the ``compact_w``-weighted centroid (plain mean when the weights are 0). With
  squared distances this keeps the weighted inertia exact up to a constant (the group's
  own inertia), so every solver ranks plans as on the full problem;
- ``centre_costs``: ``(sum_i w_i c_it ** p / W) ** (1 / p)``, so ``W * c ** p`` is the
  members' exact cost; ``distances`` the same weighted power mean over member pairs
  (exact to a fixed centre unit outside any group);
- ``adjacency``: two super-units touch when any members do; ``allowed``: a pair is allowed
  when it is for every member; ``locked``: the members' common lock (two different locks
  are a contradiction); fixed ``centre_units``: the super-unit of the centre (two centres in
  one group are a contradiction); ``current``: the territory holding most of the group's
  disruption weight (where a start puts the group); ``held``/``held_units (s, k)``: the
  members' disruption weight and count now in each territory. A group split today moves
  some of its units whatever the plan, and disruption is counted on these tables
  (:mod:`~terraplan.engine.design.disruption`): the members that end outside their current
  territory, not the whole group as if it sat in its majority territory.

Diagnosis findings on a super-unit are reported on the group (code ``group_over_band``
instead of ``unit_over_band``/``oversize_unit``, naming the group id and its size).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy import sparse

from terraplan.engine.design.diagnosis import Diagnosis, bridge_issue, diagnose, explain_infeasible
from terraplan.engine.design.geometry import to_latlon
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import DesignResult
from terraplan.errors import ConvergenceWarning, DataQualityWarning, InfeasibleError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Contraction:
    """``super_of (n,)`` super-unit of each unit; ``group_of (s,)`` the group id of each
    super-unit (-1: a single ungrouped unit); ``sizes (s,)`` members per super-unit."""

    super_of: IntArray
    group_of: IntArray
    sizes: IntArray

    def expand(self, labels: npt.ArrayLike) -> IntArray:
        """``(n,)`` labels of the units from ``(s,)`` labels of the super-units."""
        return np.asarray(labels, dtype=np.int64)[self.super_of]


def contract(prep: Prepared) -> tuple[Prepared, Contraction]:
    """The problem with every keep-together group merged into one unit (see module doc).

    Raises :class:`InfeasibleError` when a group holds units locked to different
    territories or the centres of two territories.
    """
    assert prep.groups is not None
    n = prep.n
    groups = prep.groups
    keys = np.where(groups >= 0, groups, -(np.arange(n) + 1))
    _, first, super_of = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # super-units in the order of their first unit
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    super_of = rank[super_of.ravel()].astype(np.int64)
    s = int(order.shape[0])
    member = sparse.csr_matrix((np.ones(n), (np.arange(n), super_of)), shape=(n, s))
    sizes = np.bincount(super_of, minlength=s).astype(np.int64)
    group_of = np.full(s, -1, dtype=np.int64)
    group_of[super_of] = groups
    con = Contraction(super_of, group_of, sizes)
    sums = member.T
    w_raw = prep.compact_w
    w_tot = np.asarray(sums @ w_raw).ravel()
    w = np.where(w_tot[super_of] > 0, w_raw, 1.0)  # plain mean for weightless groups
    w_sum = np.asarray(sums @ w).ravel()
    xyz = coords = distances = centre_costs = None
    if prep.xyz is not None:
        xyz = np.asarray(sums @ (w[:, None] * prep.xyz)) / w_sum[:, None]
        coords = xyz[:, :2].copy() if prep.planar else to_latlon(xyz)
    p = float(prep.power)
    if prep.distances is not None:
        pairs = np.asarray(sums @ (w[:, None] * prep.distances**p * w[None, :]) @ sums.T)
        distances = (pairs / np.outer(w_sum, w_sum)) ** (1.0 / p)
        np.fill_diagonal(distances, 0.0)
    if prep.centre_costs is not None:
        centre_costs = (
            np.asarray(sums @ (w[:, None] * prep.centre_costs**p)) / w_sum[:, None]
        ) ** (1.0 / p)
    adjacency = None
    if prep.adjacency is not None:
        joined = sparse.csr_matrix(sums @ prep.adjacency.astype(np.float64) @ member)
        joined.setdiag(0.0)
        joined.eliminate_zeros()
        adjacency = joined.astype(bool).tocsr()
    allowed = None
    if prep.allowed is not None:
        forbidden = np.asarray(sums @ (~prep.allowed).astype(np.float64)) > 0
        allowed = ~forbidden
    small = replace(
        prep,
        n=s,
        weights=np.asarray(sums @ prep.weights),
        xyz=xyz,
        coords=coords,
        distances=distances,
        adjacency=adjacency,
        centre_units=_centre_units(prep, con),
        locked=_locks(prep, con),
        allowed=allowed,
        current=_current(prep, con),
        held=_held(prep, con, prep.disrupt_w),
        held_units=_held(prep, con, np.ones(n)),
        compact_w=w_tot,
        disrupt_w=np.asarray(sums @ prep.disrupt_w).ravel(),
        centre_costs=centre_costs,
        groups=None,
        bridges=None,  # told on the full problem (solve_grouped)
        detached=None,
    )
    return small, con


def _centre_units(prep: Prepared, con: Contraction) -> IntArray | None:
    if prep.centre_units is None:
        return None
    mapped = con.super_of[prep.centre_units]
    values, counts = np.unique(mapped, return_counts=True)
    if np.any(counts > 1):
        g = int(con.group_of[values[np.argmax(counts)]])
        raise InfeasibleError(
            f"keep-together group {g} holds the centres of several territories",
            details={"constraints": ["groups", "centres"], "group": g},
        )
    return np.asarray(mapped, dtype=np.int64)


def _locks(prep: Prepared, con: Contraction) -> IntArray:
    s = con.sizes.shape[0]
    locked = np.full(s, -1, dtype=np.int64)
    for unit in np.flatnonzero(prep.locked >= 0).tolist():
        a, t = int(con.super_of[unit]), int(prep.locked[unit])
        if locked[a] >= 0 and locked[a] != t:
            g = int(con.group_of[a])
            raise InfeasibleError(
                f"keep-together group {g} has units locked to territories {int(locked[a])} and {t}",
                details={"constraints": ["groups", "locked"], "group": g},
            )
        locked[a] = t
    return locked


def _current(prep: Prepared, con: Contraction) -> IntArray | None:
    held = _held(prep, con, prep.disrupt_w + 1e-12)  # weightless members still count
    if held is None:
        return None
    out = np.where(held.max(axis=1) > 0, held.argmax(axis=1), -1)
    return np.asarray(out, dtype=np.int64)


def _held(prep: Prepared, con: Contraction, weight: FloatArray) -> FloatArray | None:
    """``(s, k)`` summed ``weight (n,)`` of each super-unit's members now in each territory
    (None without a current plan)."""
    if prep.current is None:
        return None
    has = prep.current >= 0
    held = np.zeros((con.sizes.shape[0], prep.k))
    np.add.at(held, (con.super_of[has], prep.current[has]), weight[has])
    return held


def expand_diagnosis(
    diagnosis: Diagnosis, con: Contraction, full: Prepared | None = None
) -> Diagnosis:
    """``diagnosis`` of the contracted problem told on the units and groups of the full one
    (``full``: the problem before contraction, whose adjacency findings are added)."""
    issues = []
    for issue in diagnosis.issues:
        grouped = [int(u) for u in issue.units if con.group_of[u] >= 0]
        units = tuple(int(v) for u in issue.units for v in np.flatnonzero(con.super_of == u))
        if grouped and issue.code in ("unit_over_band", "oversize_unit"):
            names = ", ".join(str(int(con.group_of[u])) for u in grouped[:5])
            size = int(con.sizes[grouped[0]])
            on = f" on {issue.metric}" if issue.metric else ""
            share = f" ({issue.share:.2f}x an equal share)" if issue.share is not None else ""
            heavier = f"heavier than the band of every allowed territory{on}{share}"
            if issue.code == "oversize_unit":
                heavier = (
                    f"{issue.share or 0:.2f}x an equal share{on}; it gets a territory of its own"
                )
            message = f"keep-together group {names} ({size} units together) is {heavier}"
            groups = tuple(int(con.group_of[u]) for u in grouped)
            issues.append(
                replace(issue, code="group_over_band", message=message, units=units, groups=groups)
            )
        else:
            issues.append(replace(issue, units=units))
    bridged = bridge_issue(full) if full is not None else None
    if bridged is not None:
        issues.append(bridged)
    dedicated = tuple(
        (int(v), t) for u, t in diagnosis.dedicated for v in np.flatnonzero(con.super_of == u)
    )
    return replace(diagnosis, issues=tuple(issues), dedicated=dedicated)


def diagnose_grouped(prep: Prepared) -> tuple[Diagnosis, Diagnosis, Prepared, Contraction]:
    """Diagnose ``prep`` (which has ``groups``) on its contraction: the diagnosis told on
    the full problem, the inner one, the (remedied) contracted problem and the contraction."""
    small, con = contract(prep)
    inner, small = diagnose(small)
    return expand_diagnosis(inner, con, prep), inner, small, con


def solve_grouped(
    prep: Prepared, core: Callable[[Prepared, Diagnosis], DesignResult]
) -> DesignResult:
    """Solve ``prep`` (which has ``groups``) on its contraction with ``core`` and return the
    result on the full problem (one diagnosis warning, naming groups and metrics; one
    convergence warning; an :class:`InfeasibleError` of the core told with the findings)."""
    from terraplan.engine.design.results import design_result, report_diagnosis

    diagnosis, inner_diagnosis, small, con = diagnose_grouped(prep)
    report_diagnosis(diagnosis)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            inner = core(small, inner_diagnosis)
        except InfeasibleError as exc:
            raise explain_infeasible(exc, diagnosis, prep.metric_names) from None
    for found in caught:
        if not issubclass(found.category, DataQualityWarning | ConvergenceWarning):
            warnings.warn(found.message, found.category, stacklevel=2)
    labels = con.expand(inner.labels)
    full = replace(prep, targets=diagnosis.targets)
    stats = replace(inner.stats, status=inner.stats.status.split(":")[0])
    result = design_result(full, labels, diagnosis, stats)
    result.extras.update(inner.extras)
    return result
