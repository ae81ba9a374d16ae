"""Records (accounts, reps, geo units, sales...): load and store them by kind. The
repository never commits; the unit of work does."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
from sqlalchemy import ColumnElement, Select, and_, delete, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Grouping

from terraplan.errors import NotFoundError
from terraplan.storage import bulk
from terraplan.storage.mappers import from_record, to_record

#: ``where=`` for accounts that are not closed (see ``Account.closed_on``).
OPEN: Mapping[str, Any] = {"closed_on": None}

#: Columns null in most rows (most accounts are open): ``where={column: None}`` is written
#: ``NOT (column IS NOT NULL)`` so that SQLite, which keeps no statistics, does not pick the
#: column's index for it and read (and sort) every open row for a page of 50 or a rep's few
#: accounts: it follows the id order or the other filters' indexes instead.
_MOSTLY_NULL = frozenset({"closed_on"})

#: Ids per query of :meth:`RecordRepository.stored_among`.
_CHUNK = 900


class RecordRepository:
    """Accounts, leads, reps, geo units, sales lines, opportunities or targets."""

    def __init__(self, session: Session, kind: str) -> None:
        self._session = session
        self.kind = kind
        self._table = bulk.record_table(kind)

    def get(self, record_id: str) -> Any:
        row = self._session.execute(
            select(self._table).where(self._table.c.id == record_id)
        ).first()
        if row is None:
            raise NotFoundError(
                f"no {self.kind[:-1].replace('_', ' ')} with id {record_id!r}",
                details={"kind": self.kind, "id": record_id},
            )
        return from_record(self.kind, dict(row._mapping))

    def list(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        where: Mapping[str, Any] | None = None,
        any_of: Mapping[str, Collection[Any]] | None = None,
        not_null: Collection[str] = (),
        or_ids: Collection[str] = (),
    ) -> list[Any]:
        """Objects ordered by id; ``where`` filters on column equality (``{"owner_id": "R01"}``,
        None: IS NULL), ``any_of`` on membership (``{"owner_id": {"R01", "R02"}}``),
        ``not_null`` on columns that have a value (``("closed_on",)``); ``or_ids``: objects
        with these ids pass ``any_of`` too (the other filters still apply)."""
        query = self._narrow(
            select(self._table).order_by(self._table.c.id).offset(offset),
            where,
            any_of,
            not_null,
            or_ids,
        )
        if limit is not None:
            query = query.limit(limit)
        return [from_record(self.kind, dict(row._mapping)) for row in self._session.execute(query)]

    def count(
        self,
        where: Mapping[str, Any] | None = None,
        any_of: Mapping[str, Collection[Any]] | None = None,
        not_null: Collection[str] = (),
        or_ids: Collection[str] = (),
    ) -> int:
        query = self._narrow(
            select(func.count()).select_from(self._table), where, any_of, not_null, or_ids
        )
        return int(self._session.execute(query).scalar_one())

    def _narrow(
        self,
        query: Select[Any],
        where: Mapping[str, Any] | None,
        any_of: Mapping[str, Collection[Any]] | None,
        not_null: Collection[str],
        or_ids: Collection[str],
    ) -> Select[Any]:
        for column, value in (where or {}).items():
            if value is None and column in _MOSTLY_NULL:
                query = query.where(not_(Grouping(self._table.c[column].is_not(None))))
            else:
                query = query.where(self._table.c[column] == value)
        members: list[ColumnElement[bool]] = [
            self._table.c[column].in_(list(values)) for column, values in (any_of or {}).items()
        ]
        if members and or_ids:
            query = query.where(or_(and_(*members), self._table.c.id.in_(sorted(or_ids))))
        elif members:
            query = query.where(*members)
        for column in not_null:
            query = query.where(self._table.c[column].is_not(None))
        return query

    def ids(self) -> set[str]:
        return set(self._session.execute(select(self._table.c.id)).scalars())

    def stored_among(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are stored, asked in chunks (a big table's ids are not all read,
        and a query's parameters stay under SQLite's limit)."""
        wanted = sorted(set(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(self._table.c.id).where(self._table.c.id.in_(chunk))
            found.update(self._session.execute(query).scalars())
        return found

    def named_among(self, names: Iterable[str]) -> dict[str, str]:
        """``id -> name`` of the records whose name is one of ``names`` as written or in lower
        case (the database's ``LOWER``), asked in chunks; for a kind with names."""
        wanted = sorted({n for name in names for n in (name, name.lower())})
        name = self._table.c.name
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(self._table.c.id, name).where(
                name.in_(chunk) | func.lower(name).in_(chunk)
            )
            found.update((str(i), str(n)) for i, n in self._session.execute(query).all())
        return found

    def json_values(self, ids: Iterable[str], column: str) -> dict[str, Any]:
        """``id -> value`` of a JSON column for the stored ones of ``ids`` (in chunks)."""
        wanted = sorted(set(ids))
        found: dict[str, Any] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(self._table.c.id, self._table.c[column]).where(
                self._table.c.id.in_(chunk)
            )
            found.update((row[0], row[1]) for row in self._session.execute(query))
        return found

    def add_many(self, objects: Iterable[Any]) -> int:
        """Insert or update objects by id (bulk path)."""
        return bulk.upsert_records(
            self._session.connection(), self.kind, (to_record(obj) for obj in objects)
        )

    def upsert_records(
        self, records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None
    ) -> int:
        return bulk.upsert_records(self._session.connection(), self.kind, records, columns=columns)

    def upsert_arrow(self, data: pa.Table) -> int:
        """Bulk upsert of an Arrow table of table columns (JSON columns as JSON text)."""
        return bulk.upsert_arrow(self._session.connection(), self.kind, data)

    def delete_where(self, where: Mapping[str, Any]) -> None:
        query = delete(self._table)
        for column, value in where.items():
            query = query.where(self._table.c[column] == value)
        self._session.execute(query)

    def delete_ids(self, ids: Iterable[str]) -> int:
        """Delete the records with these ids, in chunks; how many were deleted."""
        wanted = sorted(set(ids))
        deleted = 0
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            result = self._session.execute(delete(self._table).where(self._table.c.id.in_(chunk)))
            deleted += int(getattr(result, "rowcount", 0) or 0)
        return deleted

    def delete_all(self) -> None:
        self._session.execute(delete(self._table))
