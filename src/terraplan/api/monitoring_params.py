"""What the monitoring routes (KPIs, alerts) share: the caller's scope of a plan (what a
manager or rep sees of it), the checks of the reporting day and period, the market whose
active plan is meant, and the documentation of their cached reads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request

from terraplan.api.auth import authorize
from terraplan.api.response_cache import caller_key, response_cache
from terraplan.api.schemas import IsoDay
from terraplan.domain.access import Action, require_visible, sees_everything
from terraplan.domain.user import Role
from terraplan.errors import InvalidParameterError, NotFoundError
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.services.access import (
    Principal,
    plan_resource,
    visible_rep_ids,
    visible_territories,
)
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


class CallerScope:
    """What a manager or rep sees of a plan's KPIs and alerts: territories, reps, and (for a
    manager) the region rows: parent territories whose every territory below is owned by reps
    of their region, whatever the parent is called (a row over a territory of another region
    would give that territory's figures away by subtraction)."""

    def __init__(
        self,
        territories: set[str],
        reps: frozenset[str],
        region: str | None,
        regions: frozenset[str] = frozenset(),
    ) -> None:
        self.territories = territories
        self.reps = reps
        self.region = region
        self.regions = regions

    def shows(self, kind: str, key: str) -> bool:
        if kind == "territory":
            return key in self.territories
        if kind == "rep":
            return key in self.reps
        if kind == "region":
            return key in self.regions
        return False

    def key(self) -> tuple[frozenset[str], frozenset[str], str | None, frozenset[str]]:
        """What this caller sees, as a cache key part: callers with equal keys see equal rows."""
        return frozenset(self.territories), self.reps, self.region, self.regions


#: How revenue by rep is credited, in words that count nothing beyond the caller's scope.
SCOPED_CREDITING_NOTE = (
    "revenue and opportunities are credited to the rep who owned each account on their date "
    "(before the first recorded activation, to the owner the CRM gave it)"
)


def crediting_notes(note: str | None, scope: CallerScope | None) -> list[str]:
    """The crediting note; for a manager or rep, without the company-wide counts it holds."""
    if note is None:
        return []
    return [note if scope is None else SCOPED_CREDITING_NOTE]


def scope_key(scope: CallerScope | None) -> object:
    return "all" if scope is None else scope.key()


def hidden_plan(plan_id: str, *, asked: bool = True) -> NotFoundError:
    """The 404 for a plan the caller does not see: named when they asked for it by id; for
    the plan in force, which they did not name, without its id (a rep with no territory in it
    learnt which plan is active)."""
    if asked:
        return NotFoundError(
            f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}
        )
    return NotFoundError(
        "the plan in force has no territory of yours", details={"kind": "plans", "id": None}
    )


def caller_scope(
    db: Database, principal: Principal, plan_id: str, *, asked: bool = True
) -> CallerScope | None:
    """None for planners and admins (they see everything); 404 when the plan is not visible
    (``asked``: the caller named the plan; else it is the plan in force, see
    :func:`hidden_plan`)."""
    if sees_everything(principal.user):
        authorize(principal, Action.READ)
        return None
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        resource, territories = plan_resource(uow, plan)
        require_visible(
            principal.user,
            resource,
            hidden_plan(plan_id, asked=asked),
            scopes=principal.scopes,
        )
        reps = visible_rep_ids(uow, principal.user) or frozenset()
    region = principal.user.region if principal.user.role is Role.MANAGER else None
    parents = {t.parent_id for t in plan.territories if t.parent_id}
    regions = frozenset(
        tid
        for tid in parents
        if region is not None
        and tid in territories
        and territories[tid].regions == {region}
        and not territories[tid].unscoped
    )
    return CallerScope(visible_territories(principal, territories), reps, region, regions)


def visible_scope(
    request: Request,
    db: Database,
    principal: Principal,
    plan_id: str,
    version: tuple[object, ...] | None,
    *,
    asked: bool = True,
) -> CallerScope | None:
    """:func:`caller_scope`, worked out once per caller, data version of the plan and day (an
    archived plan is a rep's until its last day in force): a manager's or rep's cached read
    then loads nothing of the plan."""
    if version is None or sees_everything(principal.user):
        return caller_scope(db, principal, plan_id, asked=asked)
    return response_cache(request).remember(
        ("kpi scope", plan_id, version, caller_key(principal), date.today(), asked),
        lambda: caller_scope(db, principal, plan_id, asked=asked),
    )


#: What the KPI code reads as a period (its labels, ``YTD`` and the grains), for the schema;
#: the check itself is the KPI code's (its message says what is wrong).
PERIOD_PATTERN = (
    r"^\s*(\d{4}-\d{1,2}|([FfCc][Yy]\s*(\d{4}|\d{2})|\d{4})(\s*-?\s*[Qq][1-4])?"
    r"|[Yy][Tt][Dd]|[Mm][Oo][Nn][Tt][Hh]|[Qq][Uu][Aa][Rr][Tt][Ee][Rr]|[Yy][Ee][Aa][Rr])\s*$"
)


def latest_day() -> date:
    """The last day a reporting day or period may reach: a year after today."""
    return date.today() + timedelta(days=366)


def check_as_of(as_of: date | None) -> None:
    """Days before 1900 are refused, as imports refuse them, and so are days more than a year
    after today: no fact lies there, and a grain would expand to every month up to it (a
    reporting day in 2199 is 2,100 empty months, seconds of work for a request that anyone
    signed in may send)."""
    if as_of is None:
        return
    latest = latest_day()
    if as_of.year < 1900 or as_of > latest:
        raise InvalidParameterError(
            f"as_of {as_of.isoformat()} is outside 1900-01-01 .. {latest.isoformat()} "
            "(a year after today)",
            details={"field": "as_of", "value": as_of.isoformat()},
        )


def check_period(period: str | None, fiscal: FiscalCalendar) -> None:
    """A period is range-checked as ``as_of`` is: one lying wholly before 1900-01-01, or
    starting more than a year after today, is refused (no fact lies there). Periods that do
    not parse here (``YTD``, ``month``...) are left to the KPI code, which says what is
    wrong with them."""
    from terraplan.planning.kpi_periods import parse_period

    if period is None:
        return
    try:
        parsed = parse_period(period, as_of=date.today(), fiscal=fiscal)
    except InvalidParameterError:
        return
    latest = latest_day()
    if parsed.end.year < 1900 or parsed.start > latest:
        raise InvalidParameterError(
            f"period {period} ({parsed.start.isoformat()} .. {parsed.end.isoformat()}) is "
            f"outside 1900-01-01 .. {latest.isoformat()} (a year after today): no fact lies "
            "there",
            details={"field": "period", "value": period},
        )


AsOfQuery = Annotated[
    IsoDay | None,
    Query(
        description="Reporting day YYYY-MM-DD (default: the latest sale or opportunity, "
        "never after today)"
    ),
]
InactiveMonthsQuery = Annotated[
    int,
    Query(
        ge=1,
        le=120,
        description="Months an account with no sale and no new opportunity takes to count as "
        "inactive (as `terraplan kpis --inactive-months`; 12 or more for annual billing)",
    ),
]
PeriodQuery = Annotated[
    str,
    Query(
        description="2026Q3, 2026-07, 2026, YTD, month, quarter or year; with a fiscal year "
        "(TERRAPLAN_FISCAL_YEAR_START) quarters, years and YTD are fiscal: FY2027Q1, FY2027, "
        "CY2026Q3 for a calendar quarter",
        json_schema_extra={"pattern": PERIOD_PATTERN},
    ),
]


def fiscal_calendar(request: Request) -> FiscalCalendar:
    """The fiscal calendar of the app's settings."""
    fiscal: FiscalCalendar = request.app.state.settings.fiscal_calendar()
    return fiscal


#: The part of the market whose active plan is meant (as ``GET /active-plan`` takes it).
MarketScopeQuery = Annotated[
    str | None,
    Query(
        max_length=120,
        description="Part of the market (default: the whole-market plan, or the only active "
        "plan; 422 naming the scopes when several are active)",
    ),
]


def active_plan_id(db: Database, market: str | None) -> str:
    """The id of the plan in force today for ``market`` (the active plan, or the one it
    archived while it waits for its first day); asked only after the caller is signed in."""
    from terraplan.services.plan_scopes import plan_in_force_id

    with UnitOfWork(db) as uow:
        return plan_in_force_id(uow, market)


#: The answers every KPI and alert route may give besides its own.
MONITORING_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "Not signed in"},
    403: {"description": "The role or the token's scopes do not allow it"},
}


#: Documented for the cached reads: an ETag on every 200, 304 for a matching If-None-Match.
CACHED_READ: dict[int | str, dict[str, object]] = {
    404: {},
    304: {"description": "Not modified: the If-None-Match header names the current ETag"},
}
