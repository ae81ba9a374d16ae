"""Rep targets split again from a plan's stored territory months, when the owners of the day
changed after the targets were set.

Targets set on a draft for a period already begun give each territory's begun months to the
reps who owned its accounts then (the CRM's owners, before any activation); activating the
plan from a past day then records its own owners from that day, and KPIs credit those
months' sales to them. The audit's rep targets, set before an activation from 1 January,
stayed with the CRM's owners: attainment by rep read 472 % for a rep whose territory's target
had gone to seven others. The territories' targets do not change: only who carries them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from terraplan.domain import Plan, Rep
from terraplan.domain.names import distinct_labels
from terraplan.planning.target_method import parse_method
from terraplan.planning.target_owners import OwnerSpan, leaf_owners
from terraplan.planning.target_report import split_to_reps
from terraplan.planning.targets import _nodes

__all__ = ["rep_months"]


def rep_months(
    plan: Plan,
    months: Sequence[tuple[int, int]],
    unit: float,
    territory_months: Mapping[str, Sequence[float]],
    reps: Sequence[Rep],
    *,
    method: str,
    leaf_accounts: Mapping[str, Mapping[str, float]],
    owner_spans: Sequence[OwnerSpan],
    as_of: date,
    ramp_months: int = 3,
) -> dict[str, np.ndarray]:
    """Rep id -> ``(n_months,)`` target amounts: each leaf territory's stored months
    (``territory_months``, territory id -> amounts in ``months`` order, whole multiples of
    ``unit``) split to the reps who carry them, as ``targets`` splits them: months begun by
    ``as_of`` to the owners of its accounts then (``owner_spans``; ``leaf_accounts``, per
    territory id, its accounts and their sales in the history window, weigh them), the rest
    to its primary owners by share (with ``+capacity`` in ``method``, the months before an
    owner's hire as ``targets`` gives them, over ``ramp_months``)."""
    # the leaves: territories no other territory of the plan is under (overlays excluded,
    # as ``targets`` leaves them out)
    nodes = _nodes(plan, [])
    parents = {t.parent_id for t in nodes if t.parent_id}
    leaves = [i for i, t in enumerate(nodes) if t.id not in parents]
    step = unit if unit > 0 else 1.0
    units = np.array(
        [
            np.rint(np.asarray(territory_months.get(nodes[i].id, [0.0] * len(months))) / step)
            for i in leaves
        ],
        dtype=np.float64,
    ).reshape(len(leaves), len(months))
    carriers = leaf_owners(
        nodes, leaves, reps, parse_method(method), ramp_months, months, [],
        leaf_accounts=[leaf_accounts.get(nodes[i].id, {}) for i in leaves],
        owner_spans=owner_spans, as_of=as_of,
        labels=distinct_labels((r.id, r.name) for r in reps),
    )  # fmt: skip
    return {rep: values * step for rep, values in split_to_reps(carriers.owners, units).items()}
