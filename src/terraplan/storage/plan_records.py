"""Things stored with a plan: reports, rule sets and assignment runs (routing's per-lead
statements live in :mod:`terraplan.storage.routing_reads`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from terraplan.errors import ConflictError, NotFoundError
from terraplan.storage.orm import (
    AccountRow,
    AssignmentRow,
    AssignmentRunRow,
    OwnerChangeRow,
    PlanResultRow,
    RuleSetRow,
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class PlanResults:
    """JSON reports stored with a plan, one per kind (``design``, ``capacity``, ``targets``...)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, plan_id: str, kind: str, payload: Mapping[str, Any]) -> None:
        self._session.execute(
            delete(PlanResultRow).where(
                PlanResultRow.plan_id == plan_id, PlanResultRow.kind == kind
            )
        )
        self._session.add(
            PlanResultRow(plan_id=plan_id, kind=kind, payload=dict(payload), created_at=_now())
        )
        self._session.flush()

    def get(self, plan_id: str, kind: str) -> dict[str, Any] | None:
        row = self._session.get(PlanResultRow, (plan_id, kind))
        return None if row is None else dict(row.payload)

    def kinds(self, plan_id: str) -> list[str]:
        return list(
            self._session.scalars(
                select(PlanResultRow.kind).where(PlanResultRow.plan_id == plan_id)
            )
        )


@dataclass(frozen=True, slots=True)
class StoredRuleSet:
    plan_id: str
    version: int
    plan_version: int
    document: str
    created_by: str | None
    created_at: datetime


class RuleSets:
    """Rule sets of a plan, each save a new version (the old ones are kept)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self, plan_id: str, document: str, *, plan_version: int, created_by: str | None = None
    ) -> StoredRuleSet:
        latest = self._session.scalar(
            select(func.max(RuleSetRow.version)).where(RuleSetRow.plan_id == plan_id)
        )
        row = RuleSetRow(
            plan_id=plan_id,
            version=(latest or 0) + 1,
            plan_version=plan_version,
            document=document,
            created_by=created_by,
            created_at=_now(),
        )
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError:
            # Another save took this version number at the same moment.
            raise ConflictError(
                f"the rules of plan {plan_id} were saved by someone else at the same moment; "
                "reload them and try again",
                details={"plan_id": plan_id, "version": row.version},
            ) from None
        return _stored(row)

    def latest(self, plan_id: str) -> StoredRuleSet:
        row = self._session.scalars(
            select(RuleSetRow)
            .where(RuleSetRow.plan_id == plan_id)
            .order_by(RuleSetRow.version.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotFoundError(
                f"plan {plan_id!r} has no rule set yet (save one: `terraplan rules save FILE "
                f"--plan {plan_id}`, or design the plan)",
                details={"kind": "rule_sets", "plan_id": plan_id},
            )
        return _stored(row)

    def latest_version(self, plan_id: str) -> int:
        version = self._session.scalar(
            select(func.max(RuleSetRow.version)).where(RuleSetRow.plan_id == plan_id)
        )
        if version is None:
            self.latest(plan_id)  # raises the explanatory NotFoundError
        return int(version)  # type: ignore[arg-type]

    def get(self, plan_id: str, version: int) -> StoredRuleSet:
        row = self._session.get(RuleSetRow, (plan_id, version))
        if row is None:
            raise NotFoundError(
                f"plan {plan_id!r} has no rule set version {version}",
                details={"kind": "rule_sets", "plan_id": plan_id, "version": version},
            )
        return _stored(row)


def _stored(row: RuleSetRow) -> StoredRuleSet:
    return StoredRuleSet(
        row.plan_id, row.version, row.plan_version, row.document, row.created_by, row.created_at
    )


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    """The owner of one record as decided by a rule run."""

    record_kind: str
    record_id: str
    territory_id: str | None
    owner_id: str | None
    rule_id: str | None
    status: str  # assigned | gap | conflict | catch_all


@dataclass(frozen=True, slots=True)
class OwnerChange:
    """A record of a territory handed from one owner to another (the owner sync)."""

    record_kind: str
    record_id: str
    territory_id: str | None
    old_owner_id: str | None
    new_owner_id: str | None


@dataclass(frozen=True, slots=True)
class AssignmentRunSummary:
    run_id: int
    records: int
    gaps: int
    conflicts: int
    owner_changes: int
    #: The rule set version the run applied.
    rule_set_version: int | None = None


def first_owner_changes() -> Select[str, str | None]:
    """``(account id, old owner)`` of each account's first logged owner change (one row per
    account, picked in the database): the owner the CRM gave it. A territory change that
    kept the owner is no owner change."""
    first = (
        select(func.min(OwnerChangeRow.id))
        .where(
            OwnerChangeRow.record_kind == "account",
            OwnerChangeRow.old_owner_id.is_distinct_from(OwnerChangeRow.new_owner_id),
        )
        .group_by(OwnerChangeRow.record_id)
    )
    return select(OwnerChangeRow.record_id, OwnerChangeRow.old_owner_id).where(
        OwnerChangeRow.id.in_(first)
    )


class Assignments:
    """Assignment runs: the current owner per record and a change log between runs."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record_run(
        self,
        plan_id: str,
        *,
        plan_version: int,
        rule_set_version: int,
        assignments: Sequence[AssignmentRecord],
    ) -> AssignmentRunSummary:
        """Replace the plan's assignments by ``assignments`` and log every owner change.

        Runs in the session's transaction: the caller commits once.
        """
        now = _now()
        previous = {
            (kind, record_id): (territory_id, owner_id)
            for kind, record_id, territory_id, owner_id in self._session.execute(
                select(
                    AssignmentRow.record_kind,
                    AssignmentRow.record_id,
                    AssignmentRow.territory_id,
                    AssignmentRow.owner_id,
                ).where(AssignmentRow.plan_id == plan_id)
            )
        }
        run = AssignmentRunRow(
            plan_id=plan_id,
            plan_version=plan_version,
            rule_set_version=rule_set_version,
            started_at=now,
            records=sum(a.status != "closed" for a in assignments),
            gaps=sum(a.status == "gap" for a in assignments),
            conflicts=sum(a.status == "conflict" for a in assignments),
            owner_changes=0,
        )
        self._session.add(run)
        self._session.flush()
        changed = [
            (a, before)
            for a in assignments
            if a.status != "closed"  # a closed account's placement changes no owner
            and (before := previous.get((a.record_kind, a.record_id))) is not None
            and before != (a.territory_id, a.owner_id)
        ]
        # An account's old owner is the one it has (the accounts table, not yet updated by
        # this run): the previous run left an account in a territory with no primary rep with
        # no owner of its own, while the account kept the one the CRM gave it.
        account_owner: dict[str, str | None] = {}
        if any(a.record_kind == "account" for a, _ in changed):
            account_owner = {
                account: owner
                for account, owner in self._session.execute(
                    select(AccountRow.id, AccountRow.owner_id)
                )
            }
        changes = [
            {
                "run_id": run.id,
                "plan_id": plan_id,
                "record_kind": a.record_kind,
                "record_id": a.record_id,
                "old_territory_id": before[0],
                "new_territory_id": a.territory_id,
                "old_owner_id": (
                    account_owner.get(a.record_id, before[1])
                    if a.record_kind == "account"
                    else before[1]
                ),
                "new_owner_id": a.owner_id,
                "changed_at": now,
            }
            for a, before in changed
        ]
        run.owner_changes = len(changes)
        connection = self._session.connection()
        connection.execute(delete(AssignmentRow).where(AssignmentRow.plan_id == plan_id))
        _insert_chunks(
            connection,
            AssignmentRow,
            (
                {
                    "plan_id": plan_id,
                    "record_kind": a.record_kind,
                    "record_id": a.record_id,
                    "territory_id": a.territory_id,
                    "owner_id": a.owner_id,
                    "rule_id": a.rule_id,
                    "status": a.status,
                    "plan_version": plan_version,
                    "run_id": run.id,
                    "assigned_at": now,
                }
                for a in assignments
            ),
        )
        _insert_chunks(connection, OwnerChangeRow, changes)
        self._session.flush()
        return AssignmentRunSummary(
            run.id, run.records, run.gaps, run.conflicts, run.owner_changes, rule_set_version
        )

    def latest_run(self, plan_id: str) -> AssignmentRunSummary | None:
        """The plan's newest assignment run, or None when rules were never applied."""
        row = self._session.scalars(
            select(AssignmentRunRow)
            .where(AssignmentRunRow.plan_id == plan_id)
            .order_by(AssignmentRunRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return AssignmentRunSummary(
            row.id, row.records, row.gaps, row.conflicts, row.owner_changes, row.rule_set_version
        )

    def account_territories(self, plan_id: str, accounts: Iterable[str]) -> dict[str, str]:
        """``account id -> territory id`` of ``accounts`` in the plan's current assignments,
        where the rules (or their catch-all) placed them; a conflict or an uncaught gap is
        left out, as :func:`terraplan.services.alignment.latest_rule_run` leaves it."""
        wanted = sorted(set(accounts))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 900):  # under SQLite's bound parameters limit
            rows = self._session.execute(
                select(AssignmentRow.record_id, AssignmentRow.territory_id).where(
                    AssignmentRow.plan_id == plan_id,
                    AssignmentRow.record_kind == "account",
                    AssignmentRow.status.in_(("assigned", "gap", "closed")),
                    AssignmentRow.territory_id.is_not(None),
                    AssignmentRow.record_id.in_(wanted[start : start + 900]),
                )
            )
            found.update({account: territory for account, territory in rows if territory})
        return found

    def accounts_named(self) -> dict[str, tuple[str, str | None]]:
        """``account id -> (name, owner id)`` of every stored open account (closed ones get no
        new owner and are in no owner file)."""
        rows = self._session.execute(
            select(AccountRow.id, AccountRow.name, AccountRow.owner_id).where(
                AccountRow.closed_on.is_(None)
            )
        )
        return {account_id: (name, owner) for account_id, name, owner in rows}

    def set_owners(
        self, plan_id: str, run_id: int, changes: Sequence[OwnerChange], *, log: bool = True
    ) -> int:
        """Give records new owners: the stored assignments, the accounts table (for account
        records) and, with ``log``, one change-log row each, counted in the run's
        ``owner_changes``.

        Runs in the session's transaction: the caller commits once. Returns ``len(changes)``.
        """
        if not changes:
            return 0
        now = _now()
        connection = self._session.connection()
        connection.execute(
            update(AssignmentRow)
            .where(
                AssignmentRow.plan_id == plan_id,
                AssignmentRow.record_kind == bindparam("b_kind"),
                AssignmentRow.record_id == bindparam("b_id"),
            )
            .values(owner_id=bindparam("b_owner")),
            [
                {"b_kind": c.record_kind, "b_id": c.record_id, "b_owner": c.new_owner_id}
                for c in changes
            ],
        )
        accounts = [c for c in changes if c.record_kind == "account" and c.new_owner_id]
        if accounts:
            connection.execute(
                update(AccountRow)
                .where(AccountRow.id == bindparam("b_id"))
                .values(owner_id=bindparam("b_owner")),
                [{"b_id": c.record_id, "b_owner": c.new_owner_id} for c in accounts],
            )
        if not log:
            self._session.flush()
            return len(changes)
        _insert_chunks(
            connection,
            OwnerChangeRow,
            (
                {
                    "run_id": run_id,
                    "plan_id": plan_id,
                    "record_kind": c.record_kind,
                    "record_id": c.record_id,
                    "old_territory_id": c.territory_id,
                    "new_territory_id": c.territory_id,
                    "old_owner_id": c.old_owner_id,
                    "new_owner_id": c.new_owner_id,
                    "changed_at": now,
                }
                for c in changes
            ),
        )
        run = self._session.get(AssignmentRunRow, run_id)
        if run is not None:
            run.owner_changes += len(changes)
        self._session.flush()
        return len(changes)

    def current(self, plan_id: str) -> list[AssignmentRecord]:
        rows = self._session.execute(
            select(
                AssignmentRow.record_kind,
                AssignmentRow.record_id,
                AssignmentRow.territory_id,
                AssignmentRow.owner_id,
                AssignmentRow.rule_id,
                AssignmentRow.status,
            )
            .where(AssignmentRow.plan_id == plan_id)
            .order_by(AssignmentRow.record_kind, AssignmentRow.record_id)
        )
        return [AssignmentRecord(*row) for row in rows]

    def current_of(self, plan_id: str, record_kind: str, record_id: str) -> AssignmentRecord | None:
        """The plan's current assignment of one record (:meth:`current`, by its primary key);
        None when the latest run did not see it."""
        row = self._session.execute(
            select(
                AssignmentRow.record_kind,
                AssignmentRow.record_id,
                AssignmentRow.territory_id,
                AssignmentRow.owner_id,
                AssignmentRow.rule_id,
                AssignmentRow.status,
            ).where(
                AssignmentRow.plan_id == plan_id,
                AssignmentRow.record_kind == record_kind,
                AssignmentRow.record_id == record_id,
            )
        ).first()
        return None if row is None else AssignmentRecord(*row)

    def crm_owners(self) -> dict[str, str | None]:
        """``account id -> owner`` the CRM gave each stored account in the latest import that
        carried an owner (None: it had none then, or no import carried one)."""
        rows = self._session.execute(select(AccountRow.id, AccountRow.crm_owner_id))
        return {account_id: owner for account_id, owner in rows}

    def changed_since_crm(self) -> set[str]:
        """Accounts with an owner change logged after the import that gave their CRM owner
        (any change, when no import did): owners the CRM may not have yet, even where the
        owner is back to the CRM's (a file loaded since, and the change undone)."""
        query = (
            select(OwnerChangeRow.record_id)
            .distinct()
            .join(AccountRow, AccountRow.id == OwnerChangeRow.record_id)
            .where(
                OwnerChangeRow.record_kind == "account",
                OwnerChangeRow.old_owner_id.is_distinct_from(OwnerChangeRow.new_owner_id),
                or_(
                    AccountRow.crm_seen_at.is_(None),
                    OwnerChangeRow.changed_at > AccountRow.crm_seen_at,
                ),
            )
        )
        return set(self._session.scalars(query))

    def changes(self, plan_id: str, *, run_id: int | None = None) -> list[dict[str, Any]]:
        query = (
            select(OwnerChangeRow)
            .where(OwnerChangeRow.plan_id == plan_id)
            .order_by(OwnerChangeRow.id)
        )
        if run_id is not None:
            query = query.where(OwnerChangeRow.run_id == run_id)
        return [
            {
                "run_id": c.run_id,
                "record_kind": c.record_kind,
                "record_id": c.record_id,
                "old_territory_id": c.old_territory_id,
                "new_territory_id": c.new_territory_id,
                "old_owner_id": c.old_owner_id,
                "new_owner_id": c.new_owner_id,
                "changed_at": c.changed_at,
            }
            for c in self._session.scalars(query)
        ]


def _insert_chunks(
    connection: Connection, row_class: type[Any], rows: Iterable[dict[str, Any]], size: int = 20_000
) -> None:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            connection.execute(insert(row_class), chunk)
            chunk = []
    if chunk:
        connection.execute(insert(row_class), chunk)
