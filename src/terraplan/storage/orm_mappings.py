"""Import mappings stored by name, so that an API caller (who sends no mapping file) and the
CLI (``--mapping-name``) import with the same columns, values and date settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from terraplan.storage.orm_base import Base


class ImportMappingRow(Base):
    __tablename__ = "import_mappings"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: The mapping as written (YAML or JSON, comments kept), shown back as it was saved.
    text: Mapped[str] = mapped_column(Text)
    #: The mapping read from ``text`` (what an import applies).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(120))
