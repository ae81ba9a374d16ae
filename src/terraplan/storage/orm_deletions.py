"""Records the CRM deleted, remembered with the modification time of their deleted row.

A nightly delta's ``IsDeleted`` row removes a stored opportunity or lead; when it carries a
``LastModifiedDate`` or ``SystemModstamp`` the deletion is kept here (kind, id, stamp), so
that an older delta loaded after it (a retried job, files loaded out of order) does not bring
the record back: its row is older than the deletion. A newer row (a Salesforce undelete) is
imported as usual.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from terraplan.storage.orm_base import Base


class CrmDeletionRow(Base):
    __tablename__ = "crm_deletions"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: The deleted row's LastModifiedDate / SystemModstamp (UTC).
    modified_at: Mapped[datetime] = mapped_column(DateTime)
