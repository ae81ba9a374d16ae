"""Account workload: how many hours a year each account takes, stored or estimated by a visit
model (visits x (call hours + travel from the rep's home base, else the territory centre)).

Units: hours per year; distances in km, speeds in km/h.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from terraplan.domain import Account, Plan, Rep
from terraplan.engine import capacity as cap
from terraplan.errors import InvalidParameterError
from terraplan.planning.reps_support import account_territories, parse_amount, parse_key_values


@dataclass(frozen=True, slots=True)
class WorkloadModel:
    """How an account's yearly workload (hours) is estimated.

    ``source``: ``"stored"`` uses :attr:`Account.workload` only (missing = 0, reported),
    ``"model"`` always estimates, ``"auto"`` uses the stored figure when present.
    Estimate: ``visits * (call_hours + 2 * km * road_factor / speed_kmh)`` where ``km`` is
    the straight-line distance from the owner's home base (else the territory centre).
    Per-segment figures override the defaults (key = :attr:`Account.segment`).
    """

    source: str = "auto"
    visits_per_year: float = 12.0
    call_hours: float = 1.0
    road_factor: float = 1.3
    speed_kmh: float = 60.0
    visits_by_segment: Mapping[str, float] = field(default_factory=dict)
    call_hours_by_segment: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_string(cls, text: str) -> WorkloadModel:
        """``"stored"`` or e.g. ``"visits=12,call_hours=1.5,visits.Enterprise=24,speed_kmh=50"``."""
        if text.strip() in ("stored", "model", "auto"):
            return cls(source=text.strip())
        keys = ("source", "visits", "call_hours", "road_factor", "speed_kmh")
        values = parse_key_values(text, name="workload model", allowed=keys)
        kwargs: dict[str, Any] = {}
        visits: dict[str, float] = {}
        calls: dict[str, float] = {}
        for key, value in values.items():
            base, _, segment = key.partition(".")
            if base == "source":
                kwargs["source"] = value
                continue
            number = parse_amount(value, name=f"workload model {key}")
            if segment and base == "visits":
                visits[segment] = number
            elif segment and base == "call_hours":
                calls[segment] = number
            elif segment:
                raise InvalidParameterError(f"workload model: {base} has no per-segment form")
            else:
                kwargs["visits_per_year" if base == "visits" else base] = number
        return cls(**kwargs, visits_by_segment=visits, call_hours_by_segment=calls)

    def validate(self) -> None:
        if self.source not in ("stored", "model", "auto"):
            raise InvalidParameterError(
                f"workload model source must be stored, model or auto, got {self.source!r}"
            )
        numbers = {
            "visits": [self.visits_per_year, *self.visits_by_segment.values()],
            "call_hours": [self.call_hours, *self.call_hours_by_segment.values()],
        }
        for name, values in numbers.items():
            if any(not math.isfinite(v) or v < 0 for v in values):
                raise InvalidParameterError(f"workload model {name} must be numbers >= 0")
        for name, value in (("road_factor", self.road_factor), ("speed_kmh", self.speed_kmh)):
            if not math.isfinite(value) or value <= 0:
                raise InvalidParameterError(f"workload model {name} must be > 0, got {value:g}")


def account_workload(
    plan: Plan,
    accounts: Sequence[Account],
    reps: Sequence[Rep],
    model: WorkloadModel,
    *,
    territory_of: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Hours per year per account ``(n,)`` (order of ``accounts``) and warnings.

    ``territory_of``: account id -> territory (default: :func:`account_territories`).
    """
    model.validate()
    warnings: list[str] = []
    n = len(accounts)
    stored = np.array([np.nan if a.workload is None else a.workload for a in accounts], float)
    use_stored = (
        ~np.isnan(stored) if model.source == "auto" else np.full(n, model.source == "stored")
    )
    if model.source == "stored" and np.isnan(stored).any():
        warnings.append(
            f"{int(np.isnan(stored).sum())} account(s) have no stored workload; counted as 0 hours"
        )
    hours = np.where(use_stored, np.nan_to_num(stored, nan=0.0), 0.0)
    todo = [int(i) for i in np.flatnonzero(~use_stored)]
    if not todo:
        return hours, warnings
    if territory_of is None:
        territory_of = account_territories(plan, accounts)
    homes = {r.id: (r.home_latitude, r.home_longitude) for r in reps if r.home_latitude is not None}
    base: dict[str, tuple[float, float]] = {}
    for territory in plan.territories:
        for owner_id in territory.primary_owner_ids:
            if owner_id in homes:
                base[territory.id] = homes[owner_id]  # type: ignore[assignment]
                break
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for account in accounts:
        tid = territory_of.get(account.id)
        if tid is not None and account.latitude is not None and account.longitude is not None:
            acc = sums[tid]
            acc[0] += account.latitude
            acc[1] += account.longitude
            acc[2] += 1
    for tid, (lat, lon, count) in sums.items():
        base.setdefault(tid, (lat / count, lon / count))
    origin = np.full((len(todo), 2), np.nan)
    where = np.full((len(todo), 2), np.nan)
    no_base = 0
    for row, index in enumerate(todo):
        account = accounts[index]
        start = base.get(territory_of.get(account.id, ""))
        if start is None or account.latitude is None:
            no_base += 1
            continue
        origin[row] = start
        where[row] = (account.latitude, account.longitude)
    if no_base:
        warnings.append(
            f"{no_base} account(s) lack coordinates or a territory base; their travel counts as 0"
        )
    km = cap.haversine_pairs_km(origin, where)
    visits = np.array(
        [
            model.visits_by_segment.get(accounts[i].segment or "", model.visits_per_year)
            for i in todo
        ]
    )
    calls = np.array(
        [model.call_hours_by_segment.get(accounts[i].segment or "", model.call_hours) for i in todo]
    )
    hours[todo] = cap.visit_workload(
        visits, calls, km, road_factor=model.road_factor, speed_kmh=model.speed_kmh
    )
    return hours, warnings


def as_workload_model(value: WorkloadModel | str | None) -> WorkloadModel:
    """``None``: the default :class:`WorkloadModel`; text as :meth:`WorkloadModel.from_string`
    reads it; a :class:`WorkloadModel` as given."""
    if value is None:
        return WorkloadModel()
    if isinstance(value, str):
        return WorkloadModel.from_string(value)
    if not isinstance(value, WorkloadModel):
        raise InvalidParameterError("workload_model must be a WorkloadModel or a string")
    return value
