"""Plans with their hierarchy, owners and alignment: load, store, edit. The repository never
commits; the unit of work does."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from terraplan.domain import (
    AlignmentEntry,
    OwnerRole,
    Plan,
    PlanStatus,
    RecordKind,
    Territory,
    TerritoryOwner,
    TerritoryType,
)
from terraplan.errors import ConflictError, NotFoundError
from terraplan.storage.orm import (
    AlignmentRow,
    AuditRow,
    OwnershipPeriodRow,
    PlanRow,
    TerritoryOwnerRow,
    TerritoryRow,
)


class PlanRepository:
    """Plans with their hierarchy, owners and alignment."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, plan_id: str) -> Plan:
        header = self.header(plan_id)
        # Plain rows, not ORM ones: a plan of every ZIP has tens of thousands of entries, and
        # plans are read on most requests. The flush keeps what the ORM path gave: the
        # session's pending changes are in the answer.
        self._session.flush()
        table = AlignmentRow.__table__
        rows = self._session.connection().execute(
            select(table.c.record_kind, table.c.record_id, table.c.territory_id)
            .where(table.c.plan_id == plan_id)
            .order_by(table.c.record_kind, table.c.record_id)
        )
        kinds = {kind.value: kind for kind in RecordKind}
        return replace(
            header,
            alignment=tuple(
                [
                    AlignmentEntry(kinds[kind], record_id, territory_id)
                    for kind, record_id, territory_id in rows
                ]
            ),
        )

    def header(self, plan_id: str) -> Plan:
        """The plan without its alignment (hierarchy, owners, parameters, version): what an
        edit needs besides :meth:`alignment_map`."""
        row = self._session.get(PlanRow, plan_id)
        if row is None:
            raise NotFoundError(
                f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}
            )
        territories = self._session.scalars(
            select(TerritoryRow)
            .where(TerritoryRow.plan_id == plan_id)
            .order_by(TerritoryRow.position)
        ).all()
        owners: dict[str, list[TerritoryOwner]] = {}
        for owner in self._session.scalars(
            select(TerritoryOwnerRow)
            .where(TerritoryOwnerRow.plan_id == plan_id)
            .order_by(TerritoryOwnerRow.territory_id, TerritoryOwnerRow.position)
        ):
            owners.setdefault(owner.territory_id, []).append(
                TerritoryOwner(rep_id=owner.rep_id, role=OwnerRole(owner.role), share=owner.share)
            )
        return Plan(
            id=row.id,
            name=row.name,
            version=row.version,
            status=PlanStatus(row.status),
            effective_from=row.effective_from,
            effective_to=row.effective_to,
            description=row.description,
            based_on_plan_id=row.based_on_plan_id,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
            parameters=dict(row.parameters or {}),
            scope=row.scope,
            territories=tuple(
                Territory(
                    id=t.id,
                    name=t.name,
                    type=TerritoryType(t.type),
                    parent_id=t.parent_id,
                    level=t.level,
                    owners=tuple(owners.get(t.id, ())),
                )
                for t in territories
            ),
        )

    def alignment_map(self, plan_id: str, kind: RecordKind) -> dict[str, str]:
        """``record id -> territory id`` of one record kind, read as plain rows."""
        table = AlignmentRow.__table__
        rows = self._session.connection().execute(
            select(table.c.record_id, table.c.territory_id).where(
                table.c.plan_id == plan_id, table.c.record_kind == kind.value
            )
        )
        return {str(record_id): str(territory_id) for record_id, territory_id in rows}

    def alignment_around(
        self,
        plan_id: str,
        kind: RecordKind,
        *,
        territories: Collection[str],
        records: Collection[str],
    ) -> dict[str, str]:
        """The part of :meth:`alignment_map` that is about ``territories`` and ``records``:
        the records aligned to one of the territories and the given records' rows (what the
        units moved of a few territories need, without reading a plan of 32,000 ZIPs)."""
        table = AlignmentRow.__table__
        connection = self._session.connection()
        where = (table.c.plan_id == plan_id, table.c.record_kind == kind.value)
        found: dict[str, str] = {}
        wanted = sorted(set(territories))
        for start in range(0, len(wanted), 500):
            rows = connection.execute(
                select(table.c.record_id, table.c.territory_id).where(
                    *where, table.c.territory_id.in_(wanted[start : start + 500])
                )
            )
            found.update((str(r), str(t)) for r, t in rows)
        ids = sorted(set(records) - set(found))
        for start in range(0, len(ids), 500):
            rows = connection.execute(
                select(table.c.record_id, table.c.territory_id).where(
                    *where, table.c.record_id.in_(ids[start : start + 500])
                )
            )
            found.update((str(r), str(t)) for r, t in rows)
        return found

    def save_edit(
        self,
        plan: Plan,
        changes: Mapping[tuple[RecordKind, str], str | None],
        *,
        territories: Collection[str] = (),
        parameters: bool = False,
        updated_at: datetime | None = None,
    ) -> int:
        """Store an edit of ``plan`` (a header, at the version the edit was made on): only the
        alignment rows in ``changes`` (record -> new territory, None: removed), the named
        ``territories``' name and owners, the parameters when ``parameters``; the version goes
        up by one in the same statement that checks it. Returns the new version.

        Raises ConflictError when the stored version is not ``plan.version`` (someone saved
        in between), NotFoundError when the plan is gone.
        """
        now = updated_at or datetime.now(UTC).replace(tzinfo=None)
        values: dict[str, Any] = {
            "version": PlanRow.version + 1,
            "updated_by": plan.updated_by,
            "updated_at": now,
        }
        if parameters:
            values["parameters"] = dict(plan.parameters)
        bumped = self._session.execute(
            update(PlanRow)
            .where(PlanRow.id == plan.id, PlanRow.version == plan.version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(bumped, "rowcount", 0) != 1:
            stored = self.version(plan.id)  # NotFoundError when the plan is gone
            raise self.stale(plan.id, stored, plan.version)
        connection = self._session.connection()
        by_kind: dict[RecordKind, list[str]] = {}
        for kind, record_id in changes:
            by_kind.setdefault(kind, []).append(record_id)
        for kind, ids in by_kind.items():
            for start in range(0, len(ids), 500):
                connection.execute(
                    delete(AlignmentRow).where(
                        AlignmentRow.plan_id == plan.id,
                        AlignmentRow.record_kind == kind.value,
                        AlignmentRow.record_id.in_(ids[start : start + 500]),
                    )
                )
        rows = [
            {
                "plan_id": plan.id,
                "record_kind": kind.value,
                "record_id": record_id,
                "territory_id": territory_id,
            }
            for (kind, record_id), territory_id in changes.items()
            if territory_id is not None
        ]
        if rows:
            connection.execute(insert(AlignmentRow), rows)
        for territory_id in territories:
            territory = plan.territory(territory_id)
            connection.execute(
                update(TerritoryRow)
                .where(TerritoryRow.plan_id == plan.id, TerritoryRow.id == territory_id)
                .values(name=territory.name)
            )
            connection.execute(
                delete(TerritoryOwnerRow).where(
                    TerritoryOwnerRow.plan_id == plan.id,
                    TerritoryOwnerRow.territory_id == territory_id,
                )
            )
            owners = [
                {
                    "plan_id": plan.id,
                    "territory_id": territory_id,
                    "rep_id": o.rep_id,
                    "role": o.role.value,
                    "share": o.share,
                    "position": position,
                }
                for position, o in enumerate(territory.owners)
            ]
            if owners:
                connection.execute(insert(TerritoryOwnerRow), owners)
        cached = self._session.identity_map.get(self._session.identity_key(PlanRow, plan.id))
        if cached is not None:
            self._session.expire(cached)  # its version and parameters changed underneath
        return plan.version + 1

    def list(self, *, status: PlanStatus | None = None) -> list[PlanRow]:
        query = select(PlanRow).order_by(PlanRow.created_at, PlanRow.id)
        if status is not None:
            query = query.where(PlanRow.status == status.value)
        return list(self._session.scalars(query))

    def version(self, plan_id: str) -> int:
        """The stored version of a plan (cheap: no hierarchy loaded)."""
        version = self._session.scalar(select(PlanRow.version).where(PlanRow.id == plan_id))
        if version is None:
            raise NotFoundError(
                f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}
            )
        return int(version)

    def routing_version(self, plan_id: str | None) -> tuple[str, int]:
        """``(id, version)`` of the given plan, or of the active plan when ``plan_id`` is None."""
        if plan_id is not None:
            return plan_id, self.version(plan_id)
        row = self._session.execute(
            select(PlanRow.id, PlanRow.version)
            .where(PlanRow.status == PlanStatus.ACTIVE.value)
            .order_by(PlanRow.updated_at.desc(), PlanRow.id)
            .limit(1)
        ).first()
        if row is None:
            raise NotFoundError(
                "no active plan to route with; pass a plan id (or activate a plan)",
                details={"kind": "plans", "status": "active"},
            )
        return str(row[0]), int(row[1])

    def territory_ids(self) -> set[str]:
        """Ids of the territories of every stored plan."""
        return set(self._session.scalars(select(TerritoryRow.id).distinct()))

    def territory_plans(self) -> dict[str, set[str]]:
        """Territory id -> ids of the stored plans holding a territory of that id."""
        plans: dict[str, set[str]] = {}
        for territory, plan in self._session.execute(select(TerritoryRow.id, TerritoryRow.plan_id)):
            plans.setdefault(territory, set()).add(plan)
        return plans

    def exists(self, plan_id: str) -> bool:
        return self._session.get(PlanRow, plan_id) is not None

    def used_ids(self) -> set[str]:
        """Every plan id the database remembers: stored plans, the plans they are based on,
        and plans named by the audit log or the ownership history (deleted ones included),
        so that a new plan never takes the id, and with it the history, of an old one."""
        used: set[str] = set()
        for column in (
            PlanRow.id,
            PlanRow.based_on_plan_id,
            AuditRow.plan_id,
            OwnershipPeriodRow.plan_id,
        ):
            used.update(v for v in self._session.execute(select(column).distinct()).scalars() if v)
        return used

    def was_used(self, plan_id: str) -> bool:
        """Whether ``plan_id`` is or was a plan's id (see :meth:`used_ids`)."""
        for column in (
            PlanRow.id,
            PlanRow.based_on_plan_id,
            AuditRow.plan_id,
            OwnershipPeriodRow.plan_id,
        ):
            if self._session.execute(select(column).where(column == plan_id).limit(1)).first():
                return True
        return False

    def add(self, plan: Plan, *, generated: bool = False) -> Plan:
        """Store a new plan; raises ConflictError if its id is taken. With ``generated`` (an
        id picked by :meth:`next_id`, not given by the user) a taken id is replaced by the
        next free one: two plans created at the same moment both get theirs."""
        if generated and self._session.get_bind().dialect.name == "sqlite":
            # Take SQLite's write lock before looking for a free id: another writer's new plan
            # is then committed and seen (writes there wait for each other).
            self._session.execute(update(PlanRow).where(PlanRow.id.is_(None)).values(id=PlanRow.id))
        for _ in range(50):
            if self.exists(plan.id):
                if not generated:
                    raise ConflictError(f"plan {plan.id!r} already exists", details={"id": plan.id})
                plan = replace(plan, id=self.next_id())
                continue
            try:
                self._insert_row(plan, savepoint=generated)
            except IntegrityError:
                if not generated or self._session.get_bind().dialect.name != "postgresql":
                    raise ConflictError(
                        f"plan {plan.id!r} already exists", details={"id": plan.id}
                    ) from None
                plan = replace(plan, id=self.next_id(after=plan.id))
                continue
            self._write_children(plan)
            return self.get(plan.id)
        raise ConflictError("no free plan id was found; try again", details={"id": plan.id})

    def _insert_row(self, plan: Plan, *, savepoint: bool) -> None:
        """The plan's row. On PostgreSQL a generated id is inserted in a savepoint, so that a
        lost race (another plan took the id) undoes only the insert and the next id is
        tried. Not on SQLite: its driver would commit the savepoint, and with it the plan
        before its territories (there the write lock taken first keeps the id free)."""
        now = datetime.now(UTC).replace(tzinfo=None)
        row = PlanRow(id=plan.id, version=1)
        created, updated = plan.created_at or now, plan.updated_at or now
        self._fill(row, plan, created_at=created, updated_at=updated)
        if savepoint and self._session.get_bind().dialect.name == "postgresql":
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
            return
        self._session.add(row)
        self._session.flush()

    def stale(self, plan_id: str, stored: int, yours: int) -> ConflictError:
        """The answer to a change made on an older version: the plan by name, who changed it
        last and when; the version numbers are in the details only (for clients), not in
        the words."""
        last = self._session.execute(
            select(PlanRow.name, PlanRow.updated_by, PlanRow.updated_at).where(
                PlanRow.id == plan_id
            )
        ).first()
        who = ""
        if last is not None and last.updated_by:
            when = f" at {last.updated_at:%Y-%m-%d %H:%M} UTC" if last.updated_at else ""
            who = f" (last changed by {last.updated_by}{when})"
        name = last.name if last is not None and last.name else plan_id
        return ConflictError(
            f'the plan "{name}" was changed since you loaded it{who}; reload it and try again',
            details={
                "plan_id": plan_id,
                "stored_version": stored,
                "version": yours,
                "by": last.updated_by if last is not None else None,
            },
        )

    def next_id(self, *, after: str | None = None) -> str:
        """The first id of the form ``P001``, ``P002``... that no plan has ever had (and past
        ``after``, an id another writer is taking now)."""
        taken = self.used_ids()
        number = 1
        if after is not None and re.fullmatch(r"P\d+", after):
            number = int(after[1:]) + 1
        while f"P{number:03d}" in taken:
            number += 1
        return f"P{number:03d}"

    def save(self, plan: Plan) -> Plan:
        """Update a stored plan. ``plan.version`` must be the stored version (else ConflictError)."""
        row = self._session.get(PlanRow, plan.id)
        if row is None:
            raise NotFoundError(
                f"no plan with id {plan.id!r}", details={"kind": "plans", "id": plan.id}
            )
        if row.version != plan.version:
            raise self.stale(plan.id, row.version, plan.version)
        now = datetime.now(UTC).replace(tzinfo=None)
        self._fill(row, plan, created_at=row.created_at, updated_at=now)
        try:
            self._session.flush()
        except StaleDataError:
            raise ConflictError(
                f"plan {plan.id!r} was saved by someone else at the same moment; reload it and "
                "try again",
                details={"plan_id": plan.id, "version": plan.version, "reason": "concurrent save"},
            ) from None
        for table in (AlignmentRow, TerritoryOwnerRow, TerritoryRow):
            self._session.execute(delete(table).where(table.plan_id == plan.id))
        self._write_children(plan)
        return self.get(plan.id)

    def delete(self, plan_id: str) -> None:
        # the plan row first, as every edit takes it (version bump, then the alignment): a
        # delete and an edit of one plan at the same moment then wait for each other
        # instead of deadlocking on PostgreSQL
        self._session.execute(
            update(PlanRow).where(PlanRow.id == plan_id).values(version=PlanRow.version + 1)
        )
        for table in (AlignmentRow, TerritoryOwnerRow, TerritoryRow):
            self._session.execute(delete(table).where(table.plan_id == plan_id))
        self._session.execute(delete(PlanRow).where(PlanRow.id == plan_id))

    def _fill(
        self, row: PlanRow, plan: Plan, *, created_at: datetime | None, updated_at: datetime
    ) -> None:
        row.name = plan.name
        row.status = plan.status.value
        row.effective_from = plan.effective_from
        row.effective_to = plan.effective_to
        row.description = plan.description
        row.based_on_plan_id = plan.based_on_plan_id
        row.created_by = plan.created_by
        row.created_at = created_at
        row.updated_by = plan.updated_by
        row.updated_at = updated_at
        row.parameters = dict(plan.parameters)
        row.scope = plan.scope or None

    def _write_children(self, plan: Plan) -> None:
        connection = self._session.connection()
        if plan.territories:
            connection.execute(
                insert(TerritoryRow),
                [
                    {
                        "plan_id": plan.id,
                        "id": t.id,
                        "position": i,
                        "name": t.name,
                        "type": t.type.value,
                        "parent_id": t.parent_id,
                        "level": t.level,
                    }
                    for i, t in enumerate(plan.territories)
                ],
            )
        owners = [
            {
                "plan_id": plan.id,
                "territory_id": t.id,
                "rep_id": o.rep_id,
                "role": o.role.value,
                "share": o.share,
                "position": position,
            }
            for t in plan.territories
            for position, o in enumerate(t.owners)
        ]
        if owners:
            connection.execute(insert(TerritoryOwnerRow), owners)
        if plan.alignment:
            connection.execute(
                insert(AlignmentRow),
                [
                    {
                        "plan_id": plan.id,
                        "record_kind": e.record_kind.value,
                        "record_id": e.record_id,
                        "territory_id": e.territory_id,
                    }
                    for e in plan.alignment
                ],
            )
