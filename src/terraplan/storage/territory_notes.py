"""Territory plan pages: the text a planner writes per territory (strategy, marketing plans,
outreach initiatives), stored with the plan version it was written for.

One row per (plan, territory, plan version). Reading a plan at version ``v`` gives the row of the
highest plan version ``<= v``, so notes carry over to later versions until rewritten; saving at
version ``v`` updates that version's row (or starts it). ``revision`` counts the saves of a row:
a save names the revision it started from and is refused (:class:`ConflictError`) when someone
saved in between. No method commits: the unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from terraplan.errors import ConflictError, NotFoundError
from terraplan.storage.orm import PlanRow, TerritoryNotesRow
from terraplan.storage.workflow import utc_now

#: The text fields of a territory page, in the order the page shows them.
NOTE_FIELDS = ("strategy", "marketing", "outreach")


@dataclass(frozen=True, slots=True)
class TerritoryNotes:
    plan_id: str
    territory_id: str
    plan_version: int
    revision: int
    strategy: str
    marketing: str
    outreach: str
    updated_by: str | None
    updated_at: datetime | None


def _notes(row: TerritoryNotesRow) -> TerritoryNotes:
    return TerritoryNotes(
        row.plan_id,
        row.territory_id,
        row.plan_version,
        row.revision,
        row.strategy,
        row.marketing,
        row.outreach,
        row.updated_by,
        row.updated_at,
    )


class TerritoryNotesRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _row(self, plan_id: str, territory_id: str, plan_version: int) -> TerritoryNotesRow | None:
        query = (
            select(TerritoryNotesRow)
            .where(
                TerritoryNotesRow.plan_id == plan_id,
                TerritoryNotesRow.territory_id == territory_id,
                TerritoryNotesRow.plan_version <= plan_version,
            )
            .order_by(TerritoryNotesRow.plan_version.desc())
            .limit(1)
        )
        return self._session.scalars(query).first()

    def get(self, plan_id: str, territory_id: str, plan_version: int) -> TerritoryNotes:
        """The notes in force at ``plan_version`` (empty, revision 0, when none were written)."""
        row = self._row(plan_id, territory_id, plan_version)
        if row is None:
            return TerritoryNotes(plan_id, territory_id, plan_version, 0, "", "", "", None, None)
        return _notes(row)

    def save(
        self,
        plan_id: str,
        territory_id: str,
        plan_version: int,
        *,
        revision: int,
        texts: dict[str, str],
        by: str | None,
    ) -> tuple[TerritoryNotes, TerritoryNotes]:
        """Store ``texts`` (keys of :data:`NOTE_FIELDS`) for ``plan_version``; returns
        (before, after). ``revision`` is the revision the caller read."""
        before = self.get(plan_id, territory_id, plan_version)
        if before.revision != revision:
            raise self._stale(plan_id, territory_id, before, revision)
        values: dict[str, object] = {name: texts.get(name, "") for name in NOTE_FIELDS}
        values |= {"revision": revision + 1, "updated_by": by, "updated_at": utc_now()}
        key = (
            TerritoryNotesRow.plan_id == plan_id,
            TerritoryNotesRow.territory_id == territory_id,
            TerritoryNotesRow.plan_version == plan_version,
        )
        exists = self._session.scalar(select(TerritoryNotesRow.id).where(*key))
        if exists is None:
            # the first save at this plan version: a save racing it hits the unique key
            try:
                with self._session.begin_nested():
                    self._session.execute(
                        insert(TerritoryNotesRow).values(
                            plan_id=plan_id,
                            territory_id=territory_id,
                            plan_version=plan_version,
                            **values,
                        )
                    )
                written = True
            except IntegrityError:
                written = False
        else:
            # the revision read is part of the write: of two saves from one revision, the
            # second finds no row left to replace
            done = self._session.execute(
                update(TerritoryNotesRow)
                .where(TerritoryNotesRow.id == exists, TerritoryNotesRow.revision == revision)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            written = getattr(done, "rowcount", 0) == 1
        self._session.expire_all()
        if not written:
            if self._session.get(PlanRow, plan_id) is None:  # deleted meanwhile
                raise NotFoundError(
                    f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}
                )
            stored = self.get(plan_id, territory_id, plan_version)
            raise self._stale(plan_id, territory_id, stored, revision)
        return before, self.get(plan_id, territory_id, plan_version)

    @staticmethod
    def _stale(
        plan_id: str, territory_id: str, stored: TerritoryNotes, revision: int
    ) -> ConflictError:
        return ConflictError(
            f"the notes of territory {territory_id} were saved by {stored.updated_by or 'someone'}"
            f" since you opened them (revision {stored.revision}, yours {revision}); reload",
            details={
                "plan_id": plan_id,
                "territory_id": territory_id,
                "stored_revision": stored.revision,
                "revision": revision,
            },
        )

    def copy(
        self, source_id: str, source_version: int, plan_id: str, plan_version: int, by: str | None
    ) -> int:
        """Start ``plan_id`` at ``plan_version`` with the notes of every territory of
        ``source_id`` in force at ``source_version`` (a copied scenario keeps its territory
        pages); returns how many territories had notes."""
        rows = self._session.scalars(
            select(TerritoryNotesRow)
            .where(
                TerritoryNotesRow.plan_id == source_id,
                TerritoryNotesRow.plan_version <= source_version,
            )
            .order_by(TerritoryNotesRow.territory_id, TerritoryNotesRow.plan_version.desc())
        ).all()
        latest: dict[str, TerritoryNotesRow] = {}
        for row in rows:
            latest.setdefault(row.territory_id, row)
        for territory_id, row in latest.items():
            self._session.add(
                TerritoryNotesRow(
                    plan_id=plan_id,
                    territory_id=territory_id,
                    plan_version=plan_version,
                    revision=1,
                    strategy=row.strategy,
                    marketing=row.marketing,
                    outreach=row.outreach,
                    updated_by=by,
                    updated_at=utc_now(),
                )
            )
        self._session.flush()
        return len(latest)
