"""Accounts (customers and prospects) and leads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeAlias

from terraplan.domain._checks import fail, require_coordinates, require_finite, require_text

#: Custom attribute values as they come from a CRM export.
AttributeValue: TypeAlias = str | float | int | bool | None


@dataclass(frozen=True, slots=True)
class Account:
    """A customer or prospect company.

    Units: ``potential`` and ``annual_revenue`` in the plan's currency per year;
    ``workload`` in hours per year; coordinates in WGS84 degrees.

    ``closed_on`` is the day the account was closed (churned, merged, deleted in the CRM):
    a closed account keeps its history (sales, opportunities, KPIs of past periods) but is
    left out of designs, ownership rules, balance and owner update files.
    """

    id: str
    name: str
    street: str | None = None
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
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    closed_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def __post_init__(self) -> None:
        require_text("Account", "id", self.id)
        require_text("Account", "name", self.name)
        require_coordinates("Account", self.latitude, self.longitude)
        require_finite("Account", "employees", self.employees, minimum=0)
        require_finite("Account", "annual_revenue", self.annual_revenue, minimum=0)
        require_finite("Account", "potential", self.potential, minimum=0)
        require_finite("Account", "workload", self.workload, minimum=0)
        if self.parent_id is not None and self.parent_id == self.id:
            raise fail("Account", "parent_id", "an account cannot be its own parent")


@dataclass(frozen=True, slots=True)
class Lead:
    """An incoming, not yet qualified company: the fields a routing rule needs.

    ``created_date`` and ``converted_opportunity_id`` (the opportunity the lead became, if
    any) feed the lead -> opportunity -> won conversion KPIs.
    """

    id: str
    company: str
    postal_code: str | None = None
    country: str | None = None
    state: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    source: str | None = None
    email: str | None = None
    created_date: date | None = None
    converted_opportunity_id: str | None = None
    attributes: dict[str, AttributeValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_text("Lead", "id", self.id)
        require_text("Lead", "company", self.company)
        require_coordinates("Lead", self.latitude, self.longitude)
        require_finite("Lead", "employees", self.employees, minimum=0)
        require_finite("Lead", "annual_revenue", self.annual_revenue, minimum=0)
