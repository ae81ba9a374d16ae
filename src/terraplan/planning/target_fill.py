"""A region's months where only its territories have targets.

``terraplan targets`` stores every level's months for the period it sets, but a plan may get
its regions after its targets were set (``plans regions``), or have its second half set
again after the regions came: the region then holds months of its own for part of the year
only, and KPIs (which take a group's own targets where it has any in a period) read its
year as that part (the audit's Central: 48.0M for the year against its territories' 95.1M).
Filling the region's missing months with its territories' months added up keeps every level
saying the same, as a targets run does for its own period.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from terraplan.domain import Plan, Target


def _is_month(target: Target) -> bool:
    start, end = target.period_start, target.period_end
    last = calendar.monthrange(start.year, start.month)[1]
    return start.day == 1 and end == date(start.year, start.month, last)


def region_months(plan: Plan, targets: Sequence[Target]) -> tuple[Target, ...]:
    """Targets to add: for each region (a territory with territories under it) and each
    calendar month where it has no revenue target of its own but its leaf territories have
    month targets, that month as their sum. A month where one of its territories has a
    target that is not a whole month (an imported quarter) is left alone: the region's
    territories are added up by KPIs for it, as before. Ids read
    ``<plan>/<region>/<YYYY-MM>``."""
    revenue = [t for t in targets if t.metric == "revenue" and t.territory_id is not None]
    by_territory: dict[str, list[Target]] = defaultdict(list)
    for t in revenue:
        by_territory[str(t.territory_id)].append(t)
    out: list[Target] = []
    for region in plan.territories:
        leaves = _leaves_under(plan, region.id)
        if not leaves:
            continue
        own = by_territory.get(region.id, [])
        months: dict[date, float] = {}
        partial: set[date] = set()
        for leaf in leaves:
            own_months = [t for t in by_territory.get(leaf, []) if _is_month(t)]
            covered = {t.period_start for t in own_months}
            for t in own_months:
                months[t.period_start] = months.get(t.period_start, 0.0) + t.amount
            for t in by_territory.get(leaf, []):
                # a year beside its months counts once, as its months (KPIs read it so)
                if not _is_month(t):
                    partial.update(m for m in _months_touched(t) if m not in covered)
        for first in sorted(months):
            last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
            if first in partial or any(
                o.period_start <= last and o.period_end >= first for o in own
            ):
                continue
            out.append(
                Target(
                    f"{plan.id}/{region.id}/{first:%Y-%m}", first, last, months[first],
                    territory_id=region.id, plan_id=plan.id,
                )
            )  # fmt: skip
    return tuple(out)


def _leaves_under(plan: Plan, territory_id: str) -> list[str]:
    """The leaf territories under ``territory_id`` (none for a leaf itself)."""
    out: list[str] = []
    stack = [c.id for c in plan.children(territory_id)]
    while stack:
        tid = stack.pop()
        children = plan.children(tid)
        if children:
            stack.extend(c.id for c in children)
        else:
            out.append(tid)
    return out


def _months_touched(target: Target) -> Iterable[date]:
    year, month = target.period_start.year, target.period_start.month
    while date(year, month, 1) <= target.period_end:
        yield date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
