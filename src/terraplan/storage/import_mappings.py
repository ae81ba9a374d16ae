"""Stored import mappings: read, list, save and delete by name (see :mod:`orm_mappings`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from terraplan.storage.orm import ImportMappingRow
from terraplan.storage.workflow import utc_now


@dataclass(frozen=True, slots=True)
class StoredMapping:
    name: str
    text: str
    content: dict[str, Any]
    updated_at: datetime
    updated_by: str | None


def _stored(row: ImportMappingRow) -> StoredMapping:
    return StoredMapping(row.name, row.text, dict(row.content), row.updated_at, row.updated_by)


class ImportMappings:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, name: str) -> StoredMapping | None:
        row = self._session.get(ImportMappingRow, name)
        return None if row is None else _stored(row)

    def list(self) -> list[StoredMapping]:
        rows = self._session.scalars(select(ImportMappingRow).order_by(ImportMappingRow.name))
        return [_stored(r) for r in rows]

    def save(
        self, name: str, text: str, content: dict[str, Any], *, by: str | None
    ) -> StoredMapping:
        row = self._session.get(ImportMappingRow, name)
        if row is None:
            row = ImportMappingRow(name=name)
            self._session.add(row)
        row.text, row.content, row.updated_at, row.updated_by = text, content, utc_now(), by
        self._session.flush()
        return _stored(row)

    def delete(self, name: str) -> bool:
        row = self._session.get(ImportMappingRow, name)
        if row is None:
            return False
        self._session.delete(row)
        self._session.flush()
        return True
