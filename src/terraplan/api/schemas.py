"""API schemas (``<Thing>Public`` ...), separate from the ORM rows and the domain classes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

T = TypeVar("T")


def _utc(value: datetime) -> datetime:
    """Stored timestamps are naive UTC: say so (an aware value is converted to UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: Every timestamp the API answers: timezone-aware (UTC), ``format: date-time`` in the schema.
Timestamp = Annotated[datetime, AfterValidator(_utc)]


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    """A day as the API takes it: ``YYYY-MM-DD`` text only (pydantic alone also reads a bare
    number as Unix seconds: ``as_of=0`` was 1970-01-01)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value
    raise ValueError("must be a day written YYYY-MM-DD")


#: Every day the API takes, in a query or a body: ``format: date`` in the schema, and only
#: ``YYYY-MM-DD`` accepted (422 naming the parameter otherwise).
IsoDay = Annotated[date, BeforeValidator(_iso_day)]


#: A computed figure, sent as it was computed (``26800`` stays an integer, ``26800.0`` a float:
#: no answer changes by being typed), documented as a JSON number.
Figure = Annotated[float | int, WithJsonSchema({"type": "number"})]


#: The header of list answers that are plain JSON arrays (``GET /jobs``, ``GET /audit``): how
#: many items the filters match, over all pages.
TOTAL_HEADER = "X-Total-Count"


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    county_fips: str | None = None
    industry: str | None = None
    customer_type: str | None = None
    segment: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    potential: float | None = None
    workload: float | None = None
    parent_id: str | None = None
    owner_id: str | None = None
    attributes: dict[str, Any] = Field(
        default={},
        description="The account's own fields from the CRM beyond ours (custom attributes, "
        "by their names as imported: any JSON value)",
    )
    #: The day the account was closed; null while it is open.
    closed_on: date | None = None


class RepPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    email: str | None = None
    role: str
    home_postal_code: str | None = None
    home_latitude: float | None = None
    home_longitude: float | None = None
    skills_industries: list[str] = []
    skills_segments: list[str] = []
    skills_products: list[str] = []
    experience_years: float | None = None
    capacity_hours: float | None = None
    manager_id: str | None = None
    region: str | None = None
    hire_date: date | None = None
    active: bool = True


class TerritoryOwnerPublic(BaseModel):
    rep_id: str
    role: str
    share: float


class TerritoryPublic(BaseModel):
    id: str
    name: str
    type: str
    parent_id: str | None
    level: str
    owners: list[TerritoryOwnerPublic]
    aligned_records: int


class PlanSummaryPublic(BaseModel):
    id: str
    name: str
    version: int
    status: str
    territories: int
    aligned_records: int
    scope: str | None = None


class PlanPublic(BaseModel):
    id: str
    name: str
    version: int
    status: str
    effective_from: date | None
    effective_to: date | None
    description: str | None
    based_on_plan_id: str | None
    created_by: str | None
    created_at: Timestamp | None
    updated_by: str | None = None
    updated_at: Timestamp | None
    territories: list[TerritoryPublic]
    scope: str | None = None  # part of the market; None = the whole market


class HealthPublic(BaseModel):
    status: str = Field(description='"ok", or "schema_mismatch" (see schema_expected)')
    version: str
    database: str
    schema_revision: str | None
    schema_expected: str = Field(description="The schema revision this server's code expects")


class TerritoryEffectPublic(BaseModel):
    """A territory's balance, contiguity and disruption (the map's ``balance``, an edit's
    ``effects``)."""

    model_config = ConfigDict(extra="forbid")

    territory: str = Field(description="Territory id")
    name: str
    units: int = Field(description="Geo units in the territory")
    totals: dict[str, Figure] = Field(
        description="metric -> total (potential in the plan currency, workload in hours)"
    )
    deviation: dict[str, Figure] = Field(
        description="metric -> deviation from the target (0.1 = 10 % above); empty when "
        "the territory is not checked"
    )
    within_tolerance: dict[str, bool] = Field(description="metric -> within the plan's band")
    pieces: int = Field(description="Connected pieces (1: contiguous)")
    units_moved: int = Field(description="Units that moved in or out against the base plan")
    unchecked: str | None = Field(description="Why the balance check leaves it out, or null")
