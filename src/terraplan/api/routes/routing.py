"""``POST /route``: the territory, owner and explanation for one incoming lead."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from terraplan.api.auth import CALLER_SECURITY, Caller, CurrentCaller, authorize
from terraplan.domain.access import Action
from terraplan.io.typed_values import whole_number, whole_number_problem
from terraplan.services.routing import NO_FIELD, lead_fields_given, route_record
from terraplan.storage.database import Database
from terraplan.storage.routing_reads import RoutingTarget

router = APIRouter(tags=["routing"])


class RouteRequest(BaseModel):
    """A lead (or account) to route. Unknown fields are kept and usable by rules (custom attributes)."""

    model_config = ConfigDict(extra="allow")

    id: str = "lead"
    company: str | None = None
    # Strict: a boolean is no ZIP (``true`` was read as ZIP 1), nor a number below.
    postal_code: StrictStr | StrictInt | None = Field(
        default=None, description="ZIP (text or number; ZIP+4 accepted)."
    )
    country: str | None = None
    state: str | None = None
    city: str | None = None
    county_fips: StrictStr | StrictInt | None = None
    latitude: StrictFloat | None = Field(default=None, ge=-90, le=90)
    longitude: StrictFloat | None = Field(default=None, ge=-180, le=180)
    industry: str | None = None
    customer_type: str | None = None
    segment: str | None = None
    employees: StrictInt | None = Field(
        default=None,
        ge=0,
        description="A number, or text as an import reads it: 1000, 1,000, 1 000.",
    )
    annual_revenue: StrictFloat | None = Field(default=None, ge=0)
    source: str | None = None
    plan_id: str | None = Field(
        default=None, description="Plan to route with (default: the active plan)."
    )
    scope: str | None = Field(
        default=None,
        max_length=120,
        description="Route with the active plan of this part of the market (e.g. West); "
        "default: the whole-market plan, or the only active plan.",
    )
    method: Literal["round_robin", "weighted"] = "round_robin"

    @field_validator("employees", mode="before")
    @classmethod
    def _employees_as_imported(cls, value: Any) -> Any:
        # "1,000" and "1 000" are read as an import reads them (one parser for both)
        if isinstance(value, str):
            number = whole_number(value)
            if number is None:
                raise ValueError(whole_number_problem(value))
            return number
        return value

    @model_validator(mode="after")
    def _some_field(self) -> RouteRequest:
        # `{}` used to be routed to the catch-all with no word: no rule placed it
        fields = {
            **self.model_dump(exclude={"plan_id", "scope", "method"}),
            **(self.model_extra or {}),
        }
        if not lead_fields_given(fields):
            raise ValueError(NO_FIELD)
        return self

    @field_validator("plan_id")
    @classmethod
    def _plan_id_is_text(cls, value: str | None) -> str | None:
        # A lone surrogate (JSON "\ud800") is not text any database can compare: refuse it
        # here, in the one error shape, rather than fail in the driver.
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("must be valid Unicode text (no lone surrogates)") from None
        return value


class OverlayPublic(BaseModel):
    territory_id: str
    territory_name: str | None = None
    role: str
    rule_id: str | None = None
    owner_id: str | None = Field(default=None, description="The overlay territory's primary rep")
    owner_name: str | None = None


class RoutePublic(BaseModel):
    plan_id: str
    plan_name: str | None = Field(default=None, description="The plan that routed the lead")
    plan_in_force_to: date | None = Field(
        default=None,
        description="Its last day, when a plan activated from a later day takes over after it",
    )
    territory_id: str | None
    territory_name: str | None
    territory_type: str | None
    rule_id: str | None
    owner_id: str | None
    owner_name: str | None
    turn: int | None
    explanation: str
    overlays: list[OverlayPublic]
    conflict: bool
    gap: bool
    notes: list[str] = Field(
        default=[], description="Plain notes, e.g. the owner is marked inactive (has left)"
    )


@router.post(
    "/route",
    operation_id="route_lead",
    response_model=RoutePublic,
    openapi_extra=CALLER_SECURITY,
)
async def route_lead(caller: CurrentCaller, request: Request, body: RouteRequest) -> Response:
    """Route one lead under the active plan's rules; reps of a shared territory take stored turns.

    The work (checking the caller, the rules, the turn) runs in one trip to the thread pool, so a
    slow request (a large rule set, a busy database) never holds the event loop and ``/health``
    keeps answering. A missing county, state or location is filled from the ZIP (also when
    coordinates are sent). Needs a signed-in user allowed to route (a planner or admin, or a
    token with ``route``).
    """
    return await run_in_threadpool(_route, caller, request, caller.database, body)


def _route(caller: Caller, request: Request, db: Database, body: RouteRequest) -> Response:
    principal, version_rows = caller.principal_for_routing(RoutingTarget(body.plan_id, body.scope))
    authorize(principal, Action.ROUTE)
    answer = _route_one(request, db, body, body.plan_id, body.scope, body.method, version_rows)
    return Response(answer.model_dump_json().encode(), media_type="application/json")


def _route_one(
    request: Request,
    db: Database,
    lead: RouteRequest,
    plan_id: str | None,
    scope: str | None,
    method: Literal["round_robin", "weighted"],
    version_rows: Any,
) -> RoutePublic:
    """Route one lead and give its public answer."""
    record: dict[str, Any] = lead.model_dump(
        exclude={"plan_id", "method", "scope"}, exclude_none=True
    )
    record.setdefault("name", record.get("company") or record["id"])
    routed = route_record(
        db,
        record,
        plan_id=plan_id,
        method=method,
        rule_cache=request.app.state.rule_cache,
        scope=scope,
        version_rows=version_rows,
        extra_fields=tuple(lead.model_extra or ()),
    )
    result = routed.result
    return RoutePublic(
        plan_id=routed.plan_id,
        plan_name=routed.plan_name,
        plan_in_force_to=routed.plan_until,
        territory_id=result.territory_id,
        territory_name=routed.territory_name,
        territory_type=str(result.territory_type) if result.territory_type is not None else None,
        rule_id=result.rule_id,
        owner_id=routed.owner_id,
        owner_name=routed.owner_name,
        turn=routed.turn,
        explanation=result.explanation,
        overlays=[OverlayPublic(**asdict(o)) for o in routed.overlays],
        conflict=result.conflict,
        gap=result.gap,
        notes=list(routed.notes),
    )


class BatchLead(RouteRequest):
    """One lead of a batch: as ``POST /route`` takes it; the plan, scope and method are the
    batch's."""

    plan_id: None = Field(default=None, description="Set on the batch, not per lead")
    scope: None = Field(default=None, description="Set on the batch, not per lead")
    method: None = Field(default=None, description="Set on the batch, not per lead")  # type: ignore[assignment]

    @field_validator("plan_id", "scope", "method", mode="before")
    @classmethod
    def _batch_wide(cls, value: Any, info: ValidationInfo) -> None:
        if value is not None:
            raise ValueError(
                f"a batch routes with one {info.field_name}: give it beside `leads`, not in a lead"
            )


class RouteBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not ignored

    leads: list[BatchLead] = Field(min_length=1, max_length=1000, description="1 to 1,000 leads")
    plan_id: str | None = Field(
        default=None, description="Plan to route with (default: the active plan)."
    )
    scope: str | None = Field(default=None, max_length=120, description="As in POST /route")
    method: Literal["round_robin", "weighted"] = "round_robin"


class RouteBatchPublic(BaseModel):
    plan_id: str
    results: list[RoutePublic] = Field(description="One answer per lead, in the order sent")


@router.post(
    "/route/batch",
    operation_id="route_leads",
    response_model=RouteBatchPublic,
    openapi_extra=CALLER_SECURITY,
)
async def route_leads(caller: CurrentCaller, request: Request, body: RouteBatchRequest) -> Response:
    """Route up to 1,000 leads in one request (a nightly sync, a list bought from a fair) with
    one plan: each answer as ``POST /route`` gives it, in the order sent; turns are taken in
    that order."""
    return await run_in_threadpool(_route_batch, caller, request, caller.database, body)


def _route_batch(
    caller: Caller, request: Request, db: Database, body: RouteBatchRequest
) -> Response:
    principal, version_rows = caller.principal_for_routing(RoutingTarget(body.plan_id, body.scope))
    authorize(principal, Action.ROUTE)
    answers = [
        _route_one(request, db, lead, body.plan_id, body.scope, body.method, version_rows)
        for lead in body.leads
    ]
    answer = RouteBatchPublic(plan_id=answers[0].plan_id, results=answers)
    return Response(answer.model_dump_json().encode(), media_type="application/json")
