"""Sales reps and their skills, home base and capacity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from terraplan.domain._checks import fail, require_coordinates, require_finite, require_text


class RepRole(StrEnum):
    ACCOUNT_EXECUTIVE = "account_executive"
    ACCOUNT_MANAGER = "account_manager"
    SALES_DEVELOPMENT = "sales_development"
    SPECIALIST = "specialist"
    MANAGER = "manager"
    DIRECTOR = "director"


@dataclass(frozen=True, slots=True)
class Rep:
    """A salesperson.

    ``capacity_hours`` is selling time per year (hours); ``capacity_accounts`` the number of
    accounts the rep can serve. ``experience_years`` is time in a sales role (years).
    """

    id: str
    name: str
    email: str | None = None
    role: RepRole = RepRole.ACCOUNT_EXECUTIVE
    home_postal_code: str | None = None
    home_latitude: float | None = None
    home_longitude: float | None = None
    skills_industries: tuple[str, ...] = ()
    skills_segments: tuple[str, ...] = ()
    skills_products: tuple[str, ...] = ()
    experience_years: float | None = None
    capacity_hours: float | None = None
    capacity_accounts: int | None = None
    manager_id: str | None = None
    region: str | None = None
    hire_date: date | None = None
    active: bool = True

    def __post_init__(self) -> None:
        require_text("Rep", "id", self.id)
        require_text("Rep", "name", self.name)
        if not isinstance(self.role, RepRole):
            raise fail("Rep", "role", f"unknown role {self.role!r}")
        require_coordinates("Rep", self.home_latitude, self.home_longitude)
        require_finite("Rep", "experience_years", self.experience_years, minimum=0)
        require_finite("Rep", "capacity_hours", self.capacity_hours, minimum=0)
        require_finite("Rep", "capacity_accounts", self.capacity_accounts, minimum=0)
        if self.email is not None and "@" not in self.email:
            raise fail("Rep", "email", f"{self.email!r} is not an e-mail address")
        if self.manager_id is not None and self.manager_id == self.id:
            raise fail("Rep", "manager_id", "a rep cannot be their own manager")
