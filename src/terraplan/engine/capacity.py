"""Team sizing: workload per account, reps needed, potential covered and headcount over time.

Units: hours per year for workload and capacity, kilometres for distances, km/h for speed,
currency per year for potential, months for ramp-up and forecasts, a fraction per month for
attrition. Coordinates are WGS84 ``(latitude, longitude)`` degrees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from terraplan.errors import InvalidParameterError, SolverError

EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def haversine_matrix_km(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle distances (km) from every row of ``a`` ``(n, 2)`` to every row of ``b`` ``(m, 2)``.

    Returns ``(n, m)``; a NaN coordinate gives NaN distances for its row/column.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    lat1 = np.radians(a[:, 0])[:, None]
    lon1 = np.radians(a[:, 1])[:, None]
    lat2 = np.radians(b[:, 0])[None, :]
    lon2 = np.radians(b[:, 1])[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out


def haversine_pairs_km(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle distances (km) between matching rows of ``a`` and ``b`` (both ``(n, 2)``)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    lat1, lon1 = np.radians(a[:, 0]), np.radians(a[:, 1])
    lat2, lon2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out


def visit_workload(
    visits_per_year: FloatArray,
    call_hours: FloatArray,
    travel_km: FloatArray,
    *,
    road_factor: float = 1.3,
    speed_kmh: float = 60.0,
) -> FloatArray:
    """Hours per year to serve each account ``(n,)``.

    Each visit costs ``call_hours`` plus a round trip of ``2 * travel_km * road_factor /
    speed_kmh`` hours, where ``travel_km`` is the straight-line distance from the base the
    visit starts from. A NaN ``travel_km`` counts as no travel.
    """
    visits = _vector("visits_per_year", visits_per_year, minimum=0.0)
    calls = _vector("call_hours", call_hours, minimum=0.0)
    km = np.asarray(travel_km, dtype=np.float64)
    if not (visits.shape == calls.shape == km.shape):
        raise InvalidParameterError(
            "visits_per_year, call_hours and travel_km must have the same shape",
            details={"shapes": [visits.shape, calls.shape, km.shape]},
        )
    _positive("road_factor", road_factor)
    _positive("speed_kmh", speed_kmh)
    if np.any(km < 0):
        raise InvalidParameterError("travel_km must be >= 0", details={"field": "travel_km"})
    travel_hours = 2.0 * np.nan_to_num(km, nan=0.0) * road_factor / speed_kmh
    out: FloatArray = visits * (calls + travel_hours)
    return out


def fte_needed(workload_hours: float, hours_per_rep: float, utilization: float) -> float:
    """Full-time reps needed: ``workload_hours / (hours_per_rep * utilization)`` (a fraction)."""
    _positive("hours_per_rep", hours_per_rep)
    if isinstance(utilization, bool) or not isinstance(utilization, int | float):
        raise InvalidParameterError(
            "utilization must be a number", details={"parameter": "utilization"}
        )
    if not (0 < utilization <= 1):
        raise InvalidParameterError(
            f"utilization must be in (0, 1], got {utilization:g}",
            details={"parameter": "utilization", "value": utilization},
        )
    if not math.isfinite(workload_hours) or workload_hours < 0:
        raise InvalidParameterError(
            "workload_hours must be a finite number >= 0", details={"value": workload_hours}
        )
    return workload_hours / (hours_per_rep * utilization)


def potential_covered(
    potential: FloatArray,
    workload: FloatArray,
    capacity_hours: FloatArray,
    capacity_accounts: FloatArray | None = None,
) -> FloatArray:
    """Most potential that ``capacity_hours`` of selling time can cover, for each capacity.

    Accounts ``(n,)`` are served best-first by potential per hour (accounts with no workload
    first); the last account reached counts pro rata (the fractional knapsack bound).
    ``capacity_hours`` is ``(m,)``; returns ``(m,)`` currency.

    ``capacity_accounts`` ``(m,)``: how many accounts each team can serve as well (the reps'
    account limits added up); then the bound is the linear programme with both limits, since
    a team short of account slots covers less than its hours alone would say.
    """
    pot = _vector("potential", potential, minimum=0.0)
    work = _vector("workload", workload, minimum=0.0)
    caps = np.atleast_1d(np.asarray(capacity_hours, dtype=np.float64))
    if pot.shape != work.shape:
        raise InvalidParameterError("potential and workload must have the same shape")
    if np.any(~np.isfinite(caps)) or np.any(caps < 0):
        raise InvalidParameterError("capacity_hours must be finite and >= 0")
    if capacity_accounts is not None:
        slots = np.atleast_1d(np.asarray(capacity_accounts, dtype=np.float64))
        if slots.shape != caps.shape or np.any(~np.isfinite(slots)) or np.any(slots < 0):
            raise InvalidParameterError(
                "capacity_accounts must be finite, >= 0 and as many as capacity_hours"
            )
        return _covered_with_slots(pot, work, caps, slots)
    free = work <= 0
    free_potential = float(pot[free].sum())
    pot_b, work_b = pot[~free], work[~free]
    order = np.argsort(-(pot_b / work_b), kind="stable")
    cum_work = np.concatenate(([0.0], np.cumsum(work_b[order])))
    cum_pot = np.concatenate(([0.0], np.cumsum(pot_b[order])))
    out: FloatArray = free_potential + np.interp(caps, cum_work, cum_pot)
    return out


def _covered_with_slots(
    pot: FloatArray, work: FloatArray, caps: FloatArray, slots: FloatArray
) -> FloatArray:
    """max potential . x with workload . x <= hours, sum(x) <= slots, 0 <= x <= 1, per pair."""
    from scipy.optimize import linprog

    out = np.zeros(caps.size)
    if pot.size == 0:
        return out
    bounds = np.vstack([work, np.ones(pot.size)])
    for i, (hours, count) in enumerate(zip(caps, slots, strict=True)):
        result = linprog(-pot, A_ub=bounds, b_ub=[hours, count], bounds=(0.0, 1.0), method="highs")
        if result.status != 0:
            raise SolverError(
                f"the potential a team can cover could not be computed: {result.message}",
                details={"capacity_hours": float(hours), "capacity_accounts": float(count)},
            )
        out[i] = -float(result.fun)
    return out


def ramp_curve(ramp_months: int = 0, curve: Sequence[float] | None = None) -> FloatArray:
    """Productivity (0..1) of a rep by month since hire, month 0 being the hire month.

    With ``curve`` given it is used as is (values in [0, 1]; months after its end count as
    fully productive). Otherwise a linear ramp over ``ramp_months``: month ``k`` gives
    ``(k + 1) / ramp_months``, so full productivity is reached in month ``ramp_months - 1``.
    Returns ``(L,)`` with a trailing 1.0.
    """
    if curve is not None:
        values = np.asarray(list(curve), dtype=np.float64)
        if values.ndim != 1 or np.any(~np.isfinite(values)) or np.any((values < 0) | (values > 1)):
            raise InvalidParameterError(
                "a ramp curve lists productivity per month as numbers in [0, 1]",
                details={"parameter": "ramp_curve"},
            )
        out: FloatArray = np.concatenate((values, [1.0]))
        return out
    if isinstance(ramp_months, bool) or not isinstance(ramp_months, int) or ramp_months < 0:
        raise InvalidParameterError(
            f"ramp_months must be a whole number >= 0, got {ramp_months!r}",
            details={"parameter": "ramp_months"},
        )
    linear: FloatArray = np.minimum(1.0, np.arange(1, ramp_months + 1) / max(ramp_months, 1))
    return np.concatenate((linear, [1.0]))


@dataclass(frozen=True, slots=True)
class HeadcountForecast:
    """Expected headcount month by month; every array is ``(months,)``.

    ``headcount`` at month end, ``hires`` joining, ``leavers`` expected to leave (fractional:
    an expectation), ``productive_fte`` the headcount weighted by ramp-up productivity.
    """

    headcount: FloatArray
    hires: FloatArray
    leavers: FloatArray
    productive_fte: FloatArray


def forecast_headcount(
    tenure_months: IntArray,
    hires: FloatArray,
    ramp: FloatArray,
    attrition_rate: float,
) -> HeadcountForecast:
    """Headcount and productive FTE under a hiring plan with ramp-up and attrition.

    ``tenure_months`` ``(r,)``: months since hire of each current rep at the start of month 0.
    ``hires`` ``(T,)``: reps joining in each month. ``ramp`` ``(L,)`` from :func:`ramp_curve`.
    Each month a fraction ``attrition_rate`` of the reps present at the end of the previous
    month leaves (new hires do not leave in their first month):
    ``headcount[t] = (1 - a) * headcount[t-1] + hires[t]`` with ``headcount[-1] = r``.
    """
    tenure = np.asarray(tenure_months, dtype=np.int64).reshape(-1)
    plan = _vector("hires", hires, minimum=0.0)
    curve = np.asarray(ramp, dtype=np.float64).reshape(-1)
    if curve.size == 0:
        raise InvalidParameterError("ramp must have at least one month")
    if np.any(tenure < 0):
        raise InvalidParameterError("tenure_months must be >= 0")
    if not (0 <= attrition_rate < 1) or not math.isfinite(attrition_rate):
        raise InvalidParameterError(
            f"attrition must be a monthly rate in [0, 1), got {attrition_rate:g}",
            details={"parameter": "attrition"},
        )
    months = plan.size
    keep = 1.0 - attrition_rate
    t = np.arange(months)

    def productivity(age: IntArray) -> FloatArray:
        out: FloatArray = curve[np.minimum(age, curve.size - 1)]
        return out

    # Current reps: survivors keep**(t+1), productivity by tenure + t.
    current_survival = keep ** (t + 1.0)
    current_prod = (
        productivity(tenure[:, None] + t[None, :]).sum(axis=0) if tenure.size else np.zeros(months)
    )
    age = t[:, None] - t[None, :]  # (month, hire month)
    joined = age >= 0
    survival = np.where(joined, keep ** np.maximum(age, 0).astype(np.float64), 0.0)
    cohort = survival * plan[None, :]
    hired_heads = cohort.sum(axis=1)
    hired_prod = (cohort * productivity(np.maximum(age, 0))).sum(axis=1)
    headcount = tenure.size * current_survival + hired_heads
    previous = np.concatenate(([float(tenure.size)], headcount[:-1]))
    leavers = attrition_rate * previous
    productive = current_survival * current_prod + hired_prod
    return HeadcountForecast(
        headcount=headcount.astype(np.float64),
        hires=plan.copy(),
        leavers=leavers.astype(np.float64),
        productive_fte=productive.astype(np.float64),
    )


def _vector(name: str, values: FloatArray, *, minimum: float | None = None) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if np.any(~np.isfinite(array)):
        raise InvalidParameterError(f"{name} must be finite numbers", details={"field": name})
    if minimum is not None and np.any(array < minimum):
        raise InvalidParameterError(f"{name} must be >= {minimum:g}", details={"field": name})
    return array


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameterError(f"{name} must be a finite number", details={"parameter": name})
    if value <= 0:
        raise InvalidParameterError(
            f"{name} must be > 0, got {value:g}", details={"parameter": name, "value": value}
        )
