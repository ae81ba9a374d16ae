"""What the database holds: row counts per record kind, plans, schema revision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from terraplan.services.amount_currency import stored_currencies
from terraplan.storage import bulk, migrate
from terraplan.storage.database import Database
from terraplan.storage.orm import AccountRow, AlignmentRow, ImportRunRow, PlanRow, TerritoryRow


@dataclass(frozen=True, slots=True)
class PlanSummary:
    id: str
    name: str
    version: int
    status: str
    territories: int
    aligned_records: int
    #: The days the plan is (or was) in force: "2026-01-01 to 2026-12-31", "from 2027-01-01";
    #: empty when never active. Next year's plan activated ahead reads "active" while this
    #: year's, "archived", is still in force to 31 December: the dates say so.
    in_force: str = ""


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    url: str
    revision: str | None
    head: str
    counts: dict[str, int]
    plans: tuple[PlanSummary, ...]
    imports: int
    #: Record kind -> the currency its stored amounts are in, where an import named it.
    currencies: dict[str, str] = field(default_factory=dict)
    #: Of ``counts["accounts"]``, how many are closed (churned; see ``Account.closed_on``).
    closed_accounts: int = 0

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def database_status(db: Database) -> DatabaseStatus:
    """Counts of every record table and a line per plan (read-only)."""
    revision = migrate.current_revision(db)
    counts: dict[str, int] = {}
    plans: list[PlanSummary] = []
    imports = 0
    currencies: dict[str, str] = {}
    closed = 0
    if revision is not None:
        with db.connect() as connection:
            counts = {kind: bulk.count_rows(connection, kind) for kind in bulk.RECORD_TABLES}
            territory_counts = dict(
                connection.execute(
                    select(TerritoryRow.plan_id, func.count()).group_by(TerritoryRow.plan_id)
                ).all()
            )
            aligned = dict(
                connection.execute(
                    select(AlignmentRow.plan_id, func.count()).group_by(AlignmentRow.plan_id)
                ).all()
            )
            for row in connection.execute(
                select(
                    PlanRow.id,
                    PlanRow.name,
                    PlanRow.version,
                    PlanRow.status,
                    PlanRow.effective_from,
                    PlanRow.effective_to,
                ).order_by(PlanRow.created_at, PlanRow.id)
            ):
                plans.append(
                    PlanSummary(
                        id=row.id,
                        name=row.name,
                        version=row.version,
                        status=row.status,
                        territories=int(territory_counts.get(row.id, 0)),
                        aligned_records=int(aligned.get(row.id, 0)),
                        in_force=_in_force(row.effective_from, row.effective_to),
                    )
                )
            imports = int(
                connection.execute(select(func.count()).select_from(ImportRunRow)).scalar_one()
            )
            if revision == migrate.head_revision():  # older schemas record neither
                currencies = {e.kind: e.currency for e in stored_currencies(connection)}
                closed = int(
                    connection.execute(
                        select(func.count())
                        .select_from(AccountRow)
                        .where(AccountRow.closed_on.is_not(None))
                    ).scalar_one()
                )
    return DatabaseStatus(
        url=db.display_url,
        revision=revision,
        head=migrate.head_revision(),
        counts=counts,
        plans=tuple(plans),
        imports=imports,
        currencies=currencies,
        closed_accounts=closed,
    )


def _in_force(start: date | None, end: date | None) -> str:
    """A plan's effective dates as one short text (as `plans list` shows them)."""
    if start is None:
        return ""
    return f"{start} to {end}" if end is not None else f"from {start}"
