"""Application settings for the edges (CLI, API), read from ``TERRAPLAN_*`` variables.

The library itself takes explicit parameters; only the apps read settings, through
:func:`get_settings`. Nothing is created at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from terraplan.planning.fiscal import FiscalCalendar


class Settings(BaseSettings):
    """``TERRAPLAN_DATABASE_URL``, ``TERRAPLAN_API_HOST`` ... (an ``.env`` file is read too)."""

    model_config = SettingsConfigDict(env_prefix="TERRAPLAN_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///terraplan.db",
        description="SQLAlchemy URL: a SQLite file (default, in the working directory) or postgresql://...",
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    map_tile_url: str | None = Field(
        default=None,
        description="Optional XYZ tile URL for the web map; without it polygons draw on a plain background.",
    )
    log_level: str = "WARNING"
    secret_key: str = Field(default="change-me", repr=False)
    session_cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie over HTTPS only (browsers also send it to http://localhost).",
    )
    session_hours: float = Field(default=12.0, gt=0, description="Lifetime of a browser session.")
    login_checks: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Password checks (argon2, slow on purpose) run at once; more sign-ins wait.",
    )
    job_workers: int = Field(
        default=1, ge=0, le=16, description="Job worker threads per API process (0: none)."
    )
    api_open_connections: int = Field(
        default=16,
        ge=0,
        le=64,
        description="Database connections each API process opens at start-up (per pool), so "
        "that its first busy second does not open them while requests wait.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, gt=0, description="Largest request body (413 above it), uploads aside."
    )
    max_upload_bytes: int = Field(
        default=268_435_456, gt=0, description="Largest file sent to POST /imports/{kind} (413)."
    )
    monitoring_refresh_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often the API checks whether the active plans' KPI data changed.",
    )
    fiscal_year_start: int = Field(
        default=1,
        ge=1,
        le=12,
        description="Month the fiscal year starts in (1-12; 1: calendar years). KPI quarters, "
        "years and YTD follow it; with another month, periods are written FY2027Q1 or FY2027.",
    )
    fiscal_year_naming: Literal["end", "start"] = Field(
        default="end",
        description="A fiscal year is named by the calendar year it ends in (end) or starts in.",
    )
    job_stale_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A running job whose worker has not reported for this long is marked failed.",
    )

    def fiscal_calendar(self) -> FiscalCalendar:
        """The fiscal calendar of ``fiscal_year_start`` and ``fiscal_year_naming``."""
        from terraplan.planning.fiscal import FiscalCalendar

        return FiscalCalendar(self.fiscal_year_start, self.fiscal_year_naming)


def get_settings(**overrides: object) -> Settings:
    """Read the settings now (environment + ``.env``), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
