"""Large-neighbourhood repair: re-solve two adjacent territories at a time with the exact model.

For fixed centres the compactness cost of a unit is ``w_i * d(i, centre_j) ** p`` whatever the
rest of the plan, so the units of two territories can be re-split optimally (balance windows
and contiguity kept) without touching the others. Local moves and swaps stop at plans that a
joint re-split still improves; this repair removes those.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.balance_milp import WorkBudget
from terraplan.engine.design.exact import solve_exact_assignment
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import territory_centres
from terraplan.errors import TerraplanError

logger = logging.getLogger(__name__)

#: Largest group of territories (in units) handed to the exact model.
MAX_PAIR_UNITS = 400

#: Seconds one group's exact re-split may take: a safety stop only, far above the work its
#: node limit allows (most groups solve in milliseconds, a 21-unit group balanced on three
#: metrics in up to 8 s of CPU). A stop by this clock makes the plan depend on the
#: machine's load (flagged as not reproducible): at 10 s a busy machine reached it, and the
#: same seed gave another plan.
GROUP_SECONDS = 60.0

#: Up to this many territories, chained groups of four are re-split too (few such groups exist).
SMALL_K = 12


def fixed_centre_costs(prep: Prepared) -> npt.NDArray[np.float64] | None:
    """``(n, k)`` compactness cost of each unit in each territory, or None when centres move."""
    if prep.current is not None or bool(np.any(prep.free_centres)):
        return None
    if prep.centre_units is not None and prep.distances is not None:
        d = prep.distances[:, prep.centre_units]
    elif prep.xyz is not None and (prep.centre_units is not None or prep.centre_points is not None):
        centres = (
            prep.xyz[prep.centre_units] if prep.centre_units is not None else prep.centre_points
        )
        assert centres is not None
        d = np.linalg.norm(prep.xyz[:, None, :] - centres[None, :, :], axis=2)
    else:
        return None
    costs: npt.NDArray[np.float64] = prep.compact_w[:, None] * d.astype(np.float64) ** prep.power
    return costs


def centroid_costs(prep: Prepared, labels: npt.NDArray[Any]) -> npt.NDArray[np.float64] | None:
    """``(n, k)`` cost ``w_i * |x_i - c_j|**2`` to the weighted centroids ``c_j`` of ``labels``,
    or None unless every centre is free and compactness is the squared distance (km**2)."""
    if prep.current is not None or prep.xyz is None or prep.power != 2:
        return None
    if not bool(np.all(prep.free_centres)):
        return None
    diff = prep.xyz[:, None, :] - territory_centres(prep, labels)[None, :, :]
    costs: npt.NDArray[np.float64] = prep.compact_w[:, None] * np.einsum("ikd,ikd->ik", diff, diff)
    return costs


def centroid_repair(
    prep: Prepared,
    labels: npt.NDArray[Any],
    deadline: float,
    *,
    rounds: int = 6,
    budget: WorkBudget | None = None,
) -> tuple[npt.NDArray[np.int64], float, bool]:
    """Free centres: alternate exact group re-splits towards the current centroids with
    moving the centroids, while the weighted inertia falls.

    Both steps can only lower the inertia (the re-split is optimal for fixed centroids, and
    the centroid is the best centre of a fixed territory), so the result is never worse
    than ``labels``. ``budget``: counted work shared by all rounds, charged per MILP solve
    (see :func:`exact_pair_repair`): near band edges a re-split needs many contiguity cuts,
    and charging per group let 1,000 ZIPs spend 21 s of CPU in 13 re-splits. Returns ``(labels, inertia, cut short by the clock)``.
    """
    best = np.asarray(labels, dtype=np.int64).copy()
    costs = centroid_costs(prep, best)
    assert costs is not None
    best_inertia = float(costs[np.arange(prep.n), best].sum())
    cut = False
    for _ in range(rounds):
        candidate, cut = exact_pair_repair(
            prep, best, costs, deadline, budget=budget, per_solve=True
        )
        costs = centroid_costs(prep, candidate)
        assert costs is not None
        inertia = float(costs[np.arange(prep.n), candidate].sum())
        if inertia >= best_inertia * (1.0 - 1e-9) or cut:
            if inertia < best_inertia:
                best, best_inertia = candidate, inertia
            break
        best, best_inertia = candidate, inertia
        if budget is not None and budget.exhausted:
            break
    return best, best_inertia, cut


def exact_pair_repair(
    prep: Prepared,
    labels: npt.NDArray[Any],
    costs: npt.NDArray[np.float64],
    deadline: float,
    *,
    budget: WorkBudget | None = None,
    per_solve: bool = False,
) -> tuple[npt.NDArray[np.int64], bool]:
    """Improve ``labels (n,)`` by optimal re-splits of adjacent territory pairs until none helps.

    Every re-split keeps both territories within their balance windows, contiguous when the
    problem asks for it, and respects locks and forbidden pairs; a group whose sub-problem is
    infeasible or not solved to optimality is left as it was. ``budget``: counted work (a
    group costs its units x territories); the repair stops when it is spent, so how much
    repair runs grows with the instance, not with the machine's speed. Returns the labels
    and whether the deadline cut the repair short. A sub-problem stopped by its own
    :data:`GROUP_SECONDS` safety cap is only skipped (``GroupResplit.capped``).
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    resplit = GroupResplit(prep, costs, solve_budget=budget if per_solve else None)
    size = 2
    largest = 4 if prep.k <= SMALL_K else 3
    while size <= largest:
        improved = False
        for group in adjacent_groups(prep, labels, size):
            if time.perf_counter() >= deadline:
                return labels, True
            if budget is not None and budget.exhausted:
                budget.capped = budget.capped or resplit.capped
                return labels, resplit.cut
            members = np.flatnonzero(np.isin(labels, group))
            if members.size > MAX_PAIR_UNITS:
                continue
            if budget is not None and not per_solve:
                budget.spend(members.size * len(group))
            before = float(costs[members, labels[members]].sum())
            found = resplit(members, group, deadline)
            if found is not None and found[1] < before * (1.0 - 1e-9) - 1e-9:
                labels[members] = found[0]
                improved = True
                logger.debug("repair %s: %.6g -> %.6g", group, before, found[1])
        # Pairs first; when no pair helps, triples of chained territories; back to pairs after a gain.
        size = 2 if improved else size + 1
    if budget is not None and resplit.capped:
        budget.capped = True
    return labels, resplit.cut


class GroupResplit:
    """Optimal re-split of the units of a few territories with the exact model.

    ``costs (n, k)`` compactness cost of each unit in each territory. Calling it with the
    ``members`` (units) and ``group`` (territories) returns the new territory of each member
    and the group's cost, or None when the sub-problem is infeasible or not solved to proven
    optimality; ``cut`` records whether the caller's deadline stopped a sub-problem,
    ``capped`` whether a sub-problem's own :data:`GROUP_SECONDS` safety cap did (the group is
    then skipped; the run is not marked ``time_limit`` for it).
    """

    def __init__(
        self,
        prep: Prepared,
        costs: npt.NDArray[np.float64],
        *,
        solve_budget: WorkBudget | None = None,
    ) -> None:
        self.prep = prep
        self.costs = costs
        self.solve_budget = solve_budget
        self.lower = prep.lower  # the problem's windows (relative bands or absolute)
        self.upper = prep.upper
        allowed = (
            np.ones((prep.n, prep.k), dtype=bool) if prep.allowed is None else prep.allowed.copy()
        )
        locked = prep.locked >= 0
        allowed[locked] = False
        allowed[np.flatnonzero(locked), prep.locked[locked]] = True
        self.allowed = allowed
        self.cut = False
        self.capped = False

    def __call__(
        self, members: npt.NDArray[np.int64], group: tuple[int, ...], deadline: float
    ) -> tuple[npt.NDArray[np.int64], float] | None:
        prep = self.prep
        pair = np.array(group, dtype=np.int64)
        centres = None
        if prep.centre_units is not None:
            position = {int(u): i for i, u in enumerate(members)}
            local = [position.get(int(prep.centre_units[t]), -1) for t in pair]
            centres = np.array(local, dtype=np.int64)
        adjacency = (
            prep.adjacency[members][:, members]
            if prep.contiguous and prep.adjacency is not None
            else None
        )
        budget = self.solve_budget
        charge = members.size * len(group)

        def count_solve(_step: int, _objective: float) -> bool:
            # each MILP solve of the cut loop costs the group's units x territories
            assert budget is not None
            budget.spend(charge)
            return not budget.exhausted

        try:
            outcome = solve_exact_assignment(
                self.costs[np.ix_(members, pair)],
                prep.weights[members],
                self.lower[pair],
                self.upper[pair],
                self.allowed[np.ix_(members, pair)],
                adjacency=adjacency,
                centre_units=centres,
                time_limit=max(min(GROUP_SECONDS, deadline - time.perf_counter()), 0.05),
                explain_infeasible=False,
                callback=None if budget is None else count_solve,
            )
        except TerraplanError as exc:
            if exc.details.get("reason") == "time_limit":
                self._clock(deadline)
            return None
        if not outcome.proven_optimal:
            if budget is None or not budget.exhausted:  # else the counted work stopped it
                self._clock(deadline)
            return None
        return pair[np.asarray(outcome.labels)], float(outcome.objective)

    def _clock(self, deadline: float) -> None:
        """Record who stopped a sub-problem: the caller's deadline, or its own cap."""
        if time.perf_counter() >= deadline - 0.05:
            self.cut = True
        else:
            self.capped = True


def adjacent_groups(
    prep: Prepared, labels: npt.NDArray[np.int64], size: int
) -> list[tuple[int, ...]]:
    """Connected groups of ``size`` territories: pairs sharing an edge of the unit graph (all
    pairs without a graph), grown one neighbouring territory at a time."""
    if prep.adjacency is None:
        pairs = [(a, b) for a in range(prep.k) for b in range(a + 1, prep.k)]
    else:
        graph = prep.adjacency.tocoo()
        la, lb = labels[graph.row], labels[graph.col]
        cut = la != lb
        found = np.unique(np.sort(np.column_stack([la[cut], lb[cut]]), axis=1), axis=0)
        pairs = [(int(a), int(b)) for a, b in found]
    groups: set[tuple[int, ...]] = set(pairs)
    neighbours: dict[int, set[int]] = {}
    for a, b in pairs:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    for _ in range(size - 2):  # grow each connected group by one neighbouring territory
        groups = {
            tuple(sorted((*group, other)))
            for group in groups
            for member in group
            for other in neighbours.get(member, ())
            if other not in group
        }
    return sorted(groups)
