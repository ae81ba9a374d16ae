"""KPIs and KPI definitions of a plan, as the CLI computes them (alerts: ``routes.alerts``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from terraplan.api.auth import CALLER_SECURITY, Caller, CurrentCaller, CurrentPrincipal, authorize
from terraplan.api.response_cache import (
    caller_key,
    plan_data_version,
    response_cache,
    serve_cached,
)
from terraplan.api.schemas import IsoDay
from terraplan.domain.access import Action, require_visible, sees_everything
from terraplan.domain.user import Role
from terraplan.errors import InvalidParameterError, NotFoundError, PermissionDeniedError
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.services.access import (
    Principal,
    plan_resource,
    visible_rep_ids,
    visible_territories,
)
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

router = APIRouter(
    tags=["monitoring"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The role or the token's scopes do not allow it"},
    },
)


class _Scope:
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


def _crediting_notes(note: str | None, scope: _Scope | None) -> list[str]:
    """The crediting note; for a manager or rep, without the company-wide counts it holds."""
    if note is None:
        return []
    return [note if scope is None else SCOPED_CREDITING_NOTE]


def _scope_key(scope: _Scope | None) -> object:
    return "all" if scope is None else scope.key()


def _scope(db: Database, principal: Principal, plan_id: str) -> _Scope | None:
    """None for planners and admins (they see everything); 404 when the plan is not visible."""
    if sees_everything(principal.user):
        authorize(principal, Action.READ)
        return None
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        resource, territories = plan_resource(uow, plan)
        require_visible(
            principal.user,
            resource,
            NotFoundError(f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}),
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
    return _Scope(visible_territories(principal, territories), reps, region, regions)


def _visible_scope(
    request: Request,
    db: Database,
    principal: Principal,
    plan_id: str,
    version: tuple[object, ...] | None,
) -> _Scope | None:
    """:func:`_scope`, worked out once per caller and data version of the plan: a manager's or
    rep's cached read then loads nothing of the plan."""
    if version is None or sees_everything(principal.user):
        return _scope(db, principal, plan_id)
    return response_cache(request).remember(
        ("kpi scope", plan_id, version, caller_key(principal)),
        lambda: _scope(db, principal, plan_id),
    )


DIMENSIONS = ("territory", "region", "rep", "segment", "industry")


class KpiDefinitionPublic(BaseModel):
    name: str
    label: str
    unit: str
    higher_is_better: bool | None
    definition: str


class KpiTablePublic(BaseModel):
    plan_id: str
    dimension: str
    period: str
    as_of: date | None
    alignment_source: str
    rows: list[dict[str, Any]]
    notes: list[str] = []
    #: Each period label of the rows as people read it: ``FY2027Q1`` -> ``FY2027 Q1 (Feb–Apr 2026)``.
    period_titles: dict[str, str] = {}
    #: Month the fiscal year starts in (1: calendar years), from the settings.
    fiscal_year_start: int = 1


@router.get("/kpis/definitions", operation_id="list_kpi_definitions")
def kpi_definitions(principal: CurrentPrincipal) -> list[KpiDefinitionPublic]:
    """The KPI registry: name, unit, direction and definition of every KPI."""
    authorize(principal, Action.READ)
    from terraplan.planning.kpi_registry import KPIS

    return [KpiDefinitionPublic(**asdict(k)) for k in KPIS]


_Dimension = Annotated[
    str,
    Query(
        description="territory, region, rep, segment or industry",
        json_schema_extra={"enum": list(DIMENSIONS)},
    ),
]

#: What the KPI code reads as a period (its labels, ``YTD`` and the grains), for the schema;
#: the check itself is the KPI code's (its message says what is wrong).
PERIOD_PATTERN = (
    r"^\s*(\d{4}-\d{1,2}|([FfCc][Yy]\s*(\d{4}|\d{2})|\d{4})(\s*-?\s*[Qq][1-4])?"
    r"|[Yy][Tt][Dd]|[Mm][Oo][Nn][Tt][Hh]|[Qq][Uu][Aa][Rr][Tt][Ee][Rr]|[Yy][Ee][Aa][Rr])\s*$"
)


def _latest_day() -> date:
    """The last day a reporting day or period may reach: a year after today."""
    return date.today() + timedelta(days=366)


def _check_as_of(as_of: date | None) -> None:
    """Days before 1900 are refused, as imports refuse them, and so are days more than a year
    after today: no fact lies there, and a grain would expand to every month up to it (a
    reporting day in 2199 is 2,100 empty months, seconds of work for a request that anyone
    signed in may send)."""
    if as_of is None:
        return
    latest = _latest_day()
    if as_of.year < 1900 or as_of > latest:
        raise InvalidParameterError(
            f"as_of {as_of.isoformat()} is outside 1900-01-01 .. {latest.isoformat()} "
            "(a year after today)",
            details={"field": "as_of", "value": as_of.isoformat()},
        )


def _check_period(period: str | None, fiscal: FiscalCalendar) -> None:
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
    latest = _latest_day()
    if parsed.end.year < 1900 or parsed.start > latest:
        raise InvalidParameterError(
            f"period {period} ({parsed.start.isoformat()} .. {parsed.end.isoformat()}) is "
            f"outside 1900-01-01 .. {latest.isoformat()} (a year after today): no fact lies "
            "there",
            details={"field": "period", "value": period},
        )


_AsOf = Annotated[
    IsoDay | None,
    Query(
        description="Reporting day YYYY-MM-DD (default: the latest sale or opportunity, "
        "never after today)"
    ),
]
_Period = Annotated[
    str,
    Query(
        description="2026Q3, 2026-07, 2026, YTD, month, quarter or year; with a fiscal year "
        "(TERRAPLAN_FISCAL_YEAR_START) quarters, years and YTD are fiscal: FY2027Q1, FY2027, "
        "CY2026Q3 for a calendar quarter",
        json_schema_extra={"pattern": PERIOD_PATTERN},
    ),
]


def _fiscal(request: Request) -> FiscalCalendar:
    """The fiscal calendar of the app's settings."""
    fiscal: FiscalCalendar = request.app.state.settings.fiscal_calendar()
    return fiscal


def _check_dimension(by: str) -> None:
    if by not in DIMENSIONS:
        raise InvalidParameterError(
            f"by must be one of {', '.join(DIMENSIONS)}", details={"field": "by", "value": by}
        )


#: The part of the market whose active plan is meant (as ``GET /active-plan`` takes it).
_MarketScope = Annotated[
    str | None,
    Query(
        max_length=120,
        description="Part of the market (default: the whole-market plan, or the only active "
        "plan; 422 naming the scopes when several are active)",
    ),
]


def _active_plan_id(db: Database, market: str | None) -> str:
    """The id of the plan in force today for ``market`` (the active plan, or the one it
    archived while it waits for its first day); asked only after the caller is signed in."""
    from terraplan.services.plan_scopes import plan_in_force_id

    with UnitOfWork(db) as uow:
        return plan_in_force_id(uow, market)


#: Documented for the cached reads: an ETag on every 200, 304 for a matching If-None-Match.
_CACHED_READ: dict[int | str, dict[str, object]] = {
    404: {},
    304: {"description": "Not modified: the If-None-Match header names the current ETag"},
}


@router.get(
    "/plans/{plan_id}/kpis",
    operation_id="get_plan_kpis",
    response_model=KpiTablePublic,
    responses=_CACHED_READ,
    openapi_extra=CALLER_SECURITY,
)
async def plan_kpis_route(
    request: Request,
    caller: CurrentCaller,
    plan_id: str,
    by: _Dimension = "territory",
    period: _Period = "YTD",
    as_of: _AsOf = None,
) -> Response:
    """The KPI table of the plan by ``by`` for ``period`` (managers and reps: their rows).

    Served from a per-process cache of the serialised body while the plan's data is unchanged
    (see :mod:`terraplan.api.response_cache`); the ETag lets a client revalidate for a 304."""
    _check_dimension(by)
    _check_as_of(as_of)
    _check_period(period, _fiscal(request))
    return await run_in_threadpool(
        _kpis_response, request, caller, caller.database, plan_id, None, by, period, as_of
    )


@router.get(
    "/active-plan/kpis",
    operation_id="get_active_plan_kpis",
    response_model=KpiTablePublic,
    responses=_CACHED_READ,
    openapi_extra=CALLER_SECURITY,
)
async def active_plan_kpis_route(
    request: Request,
    caller: CurrentCaller,
    scope: _MarketScope = None,
    by: _Dimension = "territory",
    period: _Period = "YTD",
    as_of: _AsOf = None,
) -> Response:
    """The KPI table of the active plan of a part of the market (``scope``), as
    ``/plans/{plan_id}/kpis`` gives it; the body names the plan."""
    _check_dimension(by)
    _check_as_of(as_of)
    _check_period(period, _fiscal(request))
    return await run_in_threadpool(
        _kpis_response, request, caller, caller.database, None, scope, by, period, as_of
    )


def _kpis_response(
    request: Request,
    caller: Caller,
    db: Database,
    plan_id: str | None,
    market: str | None,
    by: str,
    period: str,
    as_of: date | None = None,
) -> Response:
    principal = caller.principal()
    plan_id = plan_id or _active_plan_id(db, market)
    version = plan_data_version(request, db, plan_id)
    scope = _visible_scope(request, db, principal, plan_id, version)
    if scope is not None and not (by in ("territory", "rep") or (by == "region" and scope.region)):
        raise PermissionDeniedError(
            f"KPIs by {by} add up territories that are not yours; ask by territory or rep",
            details={"field": "by", "value": by, "role": principal.user.role.value},
        )
    key = ("kpis", plan_id, by, period, as_of, _scope_key(scope), version) if version else None
    return serve_cached(
        request, key, lambda: _kpi_table(request, db, plan_id, by, period, scope, as_of)
    )


def _scoped_region_note(data: Any, rows: list[dict[str, Any]]) -> list[str]:
    """Why a manager's or rep's KPIs by region are empty, said without the plan's other
    territories: the plan has no regions, or none lies wholly in theirs."""
    if rows:
        return []
    if not any(t.parent_id for t in data.plan.territories):
        return ["this plan has no regions (its territories have no parent): see KPIs by territory"]
    return ["no region of this plan lies wholly in yours: see KPIs by territory"]


def _kpi_table(
    request: Request,
    db: Database,
    plan_id: str,
    by: str,
    period: str,
    scope: _Scope | None,
    as_of: date | None = None,
) -> KpiTablePublic:
    from terraplan.planning.kpi_periods import Period
    from terraplan.planning.kpi_registry import shown_value
    from terraplan.services.kpi_notes import (
        future_facts_note,
        group_names,
        grouping_notes,
        lead_note,
        prior_year_note,
        revenue_source_note,
        target_coverage_note,
        target_owner_note,
    )
    from terraplan.services.monitoring import plan_kpis

    fiscal = _fiscal(request)
    data, frame = plan_kpis(
        db,
        plan_id,
        periods=[period],
        dimensions=[by],
        cache=request.app.state.monitoring_cache,
        fiscal=fiscal,
        as_of=as_of,
    )
    spans = frame.select("period", "period_start", "period_end", "grain").unique()
    titles = {
        label: Period(start, end, label, grain).title
        for label, start, end, grain in spans.iter_rows()
    }
    names = group_names(data, by)
    rows = [
        {
            **{
                k: (v.isoformat() if isinstance(v, date) else shown_value(v))
                for k, v in row.items()
            },
            # what people call the group; the key stays for joins (as in the CLI's files)
            **({"name": names.get(str(row["key"]), str(row["key"]))} if names else {}),
        }
        for row in frame.sort("key").iter_rows(named=True)
        if scope is None or scope.shows(by, str(row["key"]))
    ]
    return KpiTablePublic(
        plan_id=plan_id,
        dimension=by,
        period=period,
        as_of=data.as_of,
        alignment_source=data.alignment_source,
        rows=rows,
        notes=[
            *future_facts_note(data),
            *revenue_source_note(data),
            *_crediting_notes(data.crediting_note if by == "rep" else None, scope),
            # about the whole plan (its other territories, shared ones): planners only
            *(grouping_notes(data, by, frame["key"].unique().to_list()) if scope is None else []),
            *(_scoped_region_note(data, rows) if scope is not None and by == "region" else []),
            # counts of the company's unplaced leads: planners only (the segment note has none)
            *(lead_note(data, by, frame) if scope is None or by == "segment" else []),
            *prior_year_note(data, frame),
            *target_coverage_note(data, frame),
            *(target_owner_note(data, frame) if by == "rep" and scope is None else []),
        ],
        period_titles=titles,
        fiscal_year_start=fiscal.start_month,
    )
