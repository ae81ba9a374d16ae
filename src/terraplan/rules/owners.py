"""Pure owner picking: which rep of a territory gets the next routed record.

The caller keeps the rotation counter (one integer per territory, incremented per routed
record); these functions only read it, so the same counter always gives the same rep.

* ``round_robin``: reps in the given order, one after the other.
* ``weighted`` (capacity-weighted): reps get turns in proportion to their shares. Turn ``c``
  goes to the rep whose cumulative-share interval contains ``frac(c * φ)`` (φ the golden
  ratio); this low-discrepancy sequence keeps every rep's count within a few turns of
  ``c * share / total`` at any point, without storing more than the counter.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from terraplan.domain import OwnerRole, Plan, TerritoryOwner
from terraplan.errors import InvalidParameterError

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
Method = Literal["round_robin", "weighted"]


def _candidates(
    owners: Sequence[TerritoryOwner | tuple[str, float]], role: OwnerRole | None
) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for owner in owners:
        if isinstance(owner, TerritoryOwner):
            if role is None or owner.role is role:
                out.append((owner.rep_id, owner.share))
        else:
            rep_id, share = owner
            if not isinstance(rep_id, str) or not rep_id:
                raise InvalidParameterError(
                    "an owner is (rep_id, share) with non-empty rep_id",
                    details={"parameter": "owners"},
                )
            if isinstance(share, bool) or not isinstance(share, int | float):
                raise InvalidParameterError(
                    f"share of {rep_id!r} must be a number", details={"parameter": "owners"}
                )
            if not math.isfinite(share) or share <= 0:
                raise InvalidParameterError(
                    f"share of {rep_id!r} must be > 0, got {share!r}",
                    details={"parameter": "owners"},
                )
            out.append((rep_id, float(share)))
    return out


def pick_owner(
    owners: Sequence[TerritoryOwner | tuple[str, float]],
    counter: int,
    method: Method = "round_robin",
    *,
    role: OwnerRole | None = OwnerRole.PRIMARY,
) -> str:
    """The rep id for turn ``counter`` (an integer >= 0 kept by the caller).

    ``owners`` are :class:`TerritoryOwner` (filtered by ``role``; ``share`` is the weight) or
    ``(rep_id, share)`` pairs. Raises :class:`InvalidParameterError` when nobody qualifies.
    """
    if isinstance(counter, bool) or not isinstance(counter, int) or counter < 0:
        raise InvalidParameterError(
            f"counter must be an integer >= 0, got {counter!r}", details={"parameter": "counter"}
        )
    if method not in ("round_robin", "weighted"):
        raise InvalidParameterError(
            f"unknown method {method!r}; expected 'round_robin' or 'weighted'",
            details={"parameter": "method"},
        )
    reps = _candidates(owners, role)
    if not reps:
        raise InvalidParameterError("no owner to pick from", details={"parameter": "owners"})
    if method == "round_robin":
        return reps[counter % len(reps)][0]
    total = math.fsum(share for _, share in reps)
    point = math.fmod(counter * GOLDEN, 1.0) * total
    cumulative = 0.0
    for rep_id, share in reps:
        cumulative += share
        if point < cumulative:
            return rep_id
    return reps[-1][0]


def balance_owners(
    records: Sequence[tuple[str, str | None]],
    owners: Sequence[TerritoryOwner | tuple[str, float]],
    *,
    role: OwnerRole | None = OwnerRole.PRIMARY,
) -> dict[str, str]:
    """Share one territory's records among its owners, deterministically, by weight.

    ``records`` are ``(record id, current owner id or None)``. Each owner gets about
    ``n * share / total`` records: a record keeps its current owner when that rep is one of
    ``owners`` and still under its share (fewest changes), the others go, in record-id
    order, to the rep with the lowest ``(count + 1) / share`` (ties: the order of ``owners``).
    Returns ``{record id: owner id}``; raises :class:`InvalidParameterError` when nobody
    qualifies.
    """
    reps = _candidates(owners, role)
    if not reps:
        raise InvalidParameterError("no owner to pick from", details={"parameter": "owners"})
    total = math.fsum(share for _, share in reps)
    share_of: dict[str, float] = {}
    for rep_id, share in reps:
        share_of[rep_id] = share_of.get(rep_id, 0.0) + share
    order = list(share_of)
    quota = {rep: math.ceil(len(records) * share_of[rep] / total) for rep in order}
    count = dict.fromkeys(order, 0)
    chosen: dict[str, str] = {}
    ordered = sorted(records, key=lambda item: item[0])
    for record_id, current in ordered:
        if current in count and count[current] < quota[current]:
            chosen[record_id] = current
            count[current] += 1
    for record_id, _ in ordered:
        if record_id in chosen:
            continue
        rep = min(order, key=lambda r: ((count[r] + 1) / share_of[r], order.index(r)))
        chosen[record_id] = rep
        count[rep] += 1
    return chosen


def plan_owners(
    plan: Plan,
    placed: Iterable[tuple[str, str | None]],
    current: Mapping[str, str | None],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``(record id -> primary rep, vacant territory -> its record ids)`` for ``placed``
    records (``(record id, territory id or None)``; those without a territory are skipped),
    each territory's records shared among its primary reps by :func:`balance_owners` from
    their ``current`` owners. The one owner choice of rule runs, owner syncs, activation and
    plan comparisons."""
    primaries = {
        t.id: [o for o in t.owners if o.role is OwnerRole.PRIMARY] for t in plan.territories
    }
    by_territory: dict[str, list[str]] = defaultdict(list)
    for record_id, territory_id in placed:
        if territory_id is not None:
            by_territory[territory_id].append(record_id)
    chosen: dict[str, str] = {}
    vacant: dict[str, list[str]] = {}
    for territory_id, records in sorted(by_territory.items()):
        owners = primaries.get(territory_id, [])
        if not owners:
            vacant[territory_id] = records
            continue
        chosen.update(balance_owners([(r, current.get(r)) for r in records], owners))
    return chosen, vacant
