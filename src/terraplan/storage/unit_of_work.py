"""Unit of work: one transaction, the repositories that work in it, and one commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from terraplan.errors import StorageError
from terraplan.storage.database import Database
from terraplan.storage.plan_records import Assignments, PlanResults, RuleSets
from terraplan.storage.plan_repository import PlanRepository
from terraplan.storage.record_repository import RecordRepository
from terraplan.storage.territory_notes import TerritoryNotesRepository
from terraplan.storage.users import ApiTokenRepository, BrowserSessionRepository, UserRepository
from terraplan.storage.workflow import AuditLog, Comments, Jobs


class UnitOfWork:
    """``with UnitOfWork(db) as uow: ...; uow.commit()`` — anything not committed is rolled back."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._session = self._db.sessions()
        session = self._session
        self.accounts = RecordRepository(session, "accounts")
        self.leads = RecordRepository(session, "leads")
        self.reps = RecordRepository(session, "reps")
        self.geo_units = RecordRepository(session, "geo_units")
        self.sales_lines = RecordRepository(session, "sales_lines")
        self.opportunities = RecordRepository(session, "opportunities")
        self.targets = RecordRepository(session, "targets")
        self.plans = PlanRepository(session)
        self.plan_results = PlanResults(session)
        self.rule_sets = RuleSets(session)
        self.assignments = Assignments(session)
        self.jobs = Jobs(session)
        self.audit = AuditLog(session)
        self.comments = Comments(session)
        self.territory_notes = TerritoryNotesRepository(session)
        self.users = UserRepository(session)
        self.api_tokens = ApiTokenRepository(session)
        self.browser_sessions = BrowserSessionRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None
        reason = (str(getattr(exc, "orig", exc)).strip().splitlines() or [""])[0] if exc else ""
        # a schema older than the code (a restored backup, a downgrade under a running
        # server): PostgreSQL says it as an undefined column or table, SQLite as "no such"
        behind = (
            isinstance(exc, ProgrammingError)
            and getattr(exc.orig, "sqlstate", None) in ("42703", "42P01")
        ) or (
            isinstance(exc, OperationalError)
            and reason.startswith(("no such column", "no such table"))
        )
        if isinstance(exc, OperationalError) and not behind:
            raise StorageError(
                f"database {self._db.display_url} failed: {exc.orig}",
                details={"url": self._db.display_url},
            ) from None
        if behind:
            raise StorageError(
                f"database {self._db.display_url} does not have the schema this terraplan "
                f"expects ({reason}): run `terraplan db upgrade`",
                details={"url": self._db.display_url, "reason": "schema_mismatch"},
            ) from None

    @property
    def session(self) -> Session:
        assert self._session is not None, "use the unit of work in a with block"
        return self._session

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for bulk paths."""
        return self.session.connection()

    def records(self, kind: str) -> RecordRepository:
        return RecordRepository(self.session, kind)

    def commit(self) -> None:
        self.session.commit()
