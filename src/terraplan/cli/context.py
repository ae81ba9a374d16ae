"""What every command gets: the settings and, on first use, the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the database stack is imported by the commands that use it
    from terraplan.config import Settings
    from terraplan.planning.fiscal import FiscalCalendar
    from terraplan.storage.database import Database


@dataclass
class AppContext:
    settings: Settings
    debug: bool = False
    _db: Database | None = field(default=None, init=False)

    def database(self, *, migrate: bool = True) -> Database:
        """The database of the settings; its schema is brought up to date unless told not to."""
        if self._db is None:
            from terraplan.storage.database import Database
            from terraplan.storage.migrate import ensure_schema

            self._db = Database(self.settings.database_url)
            if migrate:
                ensure_schema(self._db)
        return self._db

    def fiscal(self, start_month: int | None = None) -> FiscalCalendar:
        """The fiscal calendar of the settings, with ``start_month`` (a command's
        ``--fiscal-year-start``) instead of ``TERRAPLAN_FISCAL_YEAR_START`` when given."""
        if start_month is None:
            return self.settings.fiscal_calendar()
        from terraplan.planning.fiscal import FiscalCalendar

        return FiscalCalendar(start_month, self.settings.fiscal_year_naming)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppContext)
    return obj
