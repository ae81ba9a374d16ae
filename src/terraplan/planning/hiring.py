"""Hiring what-if: month by month headcount, productive FTE and coverage of a team's
workload over a hiring plan with ramp-up and attrition (from a :class:`CapacityReport`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from terraplan.domain import Rep
from terraplan.domain.amounts import exact_figure
from terraplan.engine import capacity as cap
from terraplan.errors import InvalidParameterError
from terraplan.planning.reps_support import (
    SELLING_ROLES,
    months_between,
    parse_amount,
    parse_key_values,
    parse_percent,
)

if TYPE_CHECKING:
    from terraplan.planning.capacity import CapacityReport

# ------------------------------------------------------------------------ hiring what-if


@dataclass(frozen=True, slots=True)
class HiringMonth:
    month: str
    hires: float
    leavers: float
    headcount: float
    productive_fte: float
    capacity_hours: float
    workload_hours: float
    coverage: float
    fte_gap: float


@dataclass(frozen=True, slots=True)
class HiringForecast:
    """Month-by-month headcount, productive FTE and coverage: productive FTE / reps needed
    (the workload's hours, or the account limit when it needs more reps)."""

    months: tuple[HiringMonth, ...]
    ramp: tuple[float, ...]
    attrition: float

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "month": m.month,
                "hires": exact_figure(m.hires),
                "leavers": exact_figure(m.leavers),
                "headcount": exact_figure(m.headcount),
                "productive_fte": exact_figure(m.productive_fte),
                "capacity_hours": exact_figure(m.capacity_hours),
                "workload_hours": exact_figure(m.workload_hours),
                "coverage": exact_figure(m.coverage),
                "fte_gap": exact_figure(m.fte_gap),
            }
            for m in self.months
        ]

    def to_dict(self) -> dict[str, object]:
        return {"ramp": list(self.ramp), "attrition": self.attrition, "months": self.rows()}


def parse_hiring_plan(text: str, *, months: int) -> list[float]:
    """``"1:3,4:2"`` (3 hires in month 1, 2 in month 4; months count from 1) -> per month."""
    plan = [0.0] * months
    for key, value in parse_key_values(text.replace(":", "="), name="hiring plan").items():
        try:
            month = int(key)
        except ValueError:
            raise InvalidParameterError(
                f"hiring plan: month {key!r} is not a whole number (example: 1:3,4:2)",
                details={"parameter": "hires"},
            ) from None
        if not 1 <= month <= months:
            raise InvalidParameterError(
                f"hiring plan: month {month} is outside 1..{months}",
                details={"parameter": "hires"},
            )
        plan[month - 1] = parse_amount(value, name=f"hires in month {month}")
    return plan


def forecast_hiring(
    report: CapacityReport,
    reps: Sequence[Rep],
    *,
    start: date,
    hires: Sequence[float] | Mapping[int, float] | str = (),
    months: int = 12,
    ramp_months: int = 3,
    ramp_curve: Sequence[float] | None = None,
    attrition: float | str = 0.0,
) -> HiringForecast:
    """What-if over a hiring plan: headcount, productive FTE and coverage month by month.

    ``hires``: per month (a sequence), ``{month number (1-based): count}`` or ``"1:3,4:2"``.
    Current reps ramp by their ``hire_date`` (unknown = fully ramped). ``attrition`` is a
    monthly rate (``0.01`` or ``"1%"``). Monthly workload is the yearly figure / 12.
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise InvalidParameterError(f"months must be a whole number >= 1, got {months!r}")
    if isinstance(hires, str):
        plan = parse_hiring_plan(hires, months=months) if hires.strip() else [0.0] * months
    elif isinstance(hires, Mapping):
        plan = parse_hiring_plan(",".join(f"{k}:{v}" for k, v in hires.items()), months=months)
    else:
        plan = [parse_amount(h, name="hires") for h in hires] + [0.0] * (months - len(hires))
        if len(plan) > months:
            raise InvalidParameterError(f"hires lists {len(plan)} months, more than {months}")
    rate = parse_percent(attrition, name="attrition")
    ramp = cap.ramp_curve(ramp_months, ramp_curve)
    sellers = [r for r in reps if r.active and r.role in SELLING_ROLES]
    tenure = np.array(
        [months_between(r.hire_date, start) if r.hire_date else ramp.size for r in sellers],
        dtype=np.int64,
    )
    forecast = cap.forecast_headcount(tenure, np.array(plan), ramp, rate)
    monthly_capacity = report.effective_hours_per_rep / 12.0
    workload = report.total_workload_hours / 12.0
    rows = []
    for t in range(months):
        year, month0 = divmod(start.month - 1 + t, 12)
        capacity = float(forecast.productive_fte[t]) * monthly_capacity
        rows.append(
            HiringMonth(
                month=f"{start.year + year:04d}-{month0 + 1:02d}",
                hires=float(forecast.hires[t]),
                leavers=float(forecast.leavers[t]),
                headcount=float(forecast.headcount[t]),
                productive_fte=float(forecast.productive_fte[t]),
                capacity_hours=capacity,
                workload_hours=workload,
                # productive reps over reps needed: the hours' share when they set the
                # need, the account slots' when the account limit does
                coverage=(
                    float(forecast.productive_fte[t]) / report.fte_needed
                    if report.fte_needed > 0
                    else 1.0
                ),
                fte_gap=report.fte_needed - float(forecast.productive_fte[t]),
            )
        )
    return HiringForecast(tuple(rows), tuple(float(v) for v in ramp), rate)
