"""segments, industries and customer types stored in several spellings get one each

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:00:00

Since 6 December an import writes a grouping value as the stored records spell it, so that KPIs
(which group by the stored values) show ``Enterprise``, ``ENTERPRISE`` and ``enterprise`` as one
segment, as rules (which compare without case) do. Records stored before kept their several
spellings until imported again. Each value is now written as most stored records spell it
(values compared without case and runs of whitespace; ties: the first in sort order):
accounts' segment and customer type; accounts' and leads' industry together.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: field -> the tables holding it (a migration keeps its own copy of its day's rules).
_FIELDS = {
    "segment": ("accounts",),
    "customer_type": ("accounts",),
    "industry": ("accounts", "leads"),
}


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


def upgrade() -> None:
    connection = op.get_bind()
    for field, tables in _FIELDS.items():
        counts: dict[str, int] = {}
        for table in tables:
            rows = connection.execute(
                sa.text(
                    f"SELECT {field}, COUNT(*) FROM {table} "  # table and field names are ours
                    f"WHERE {field} IS NOT NULL GROUP BY {field}"
                )
            )
            for value, n in rows:
                counts[str(value)] = counts.get(str(value), 0) + int(n)
        spellings: dict[str, list[str]] = {}
        for value in counts:
            spellings.setdefault(_key(value), []).append(value)
        for options in spellings.values():
            if len(options) < 2:
                continue
            chosen = min(options, key=lambda s: (-counts[s], s))
            for value in options:
                if value == chosen:
                    continue
                for table in tables:
                    connection.execute(
                        sa.text(f"UPDATE {table} SET {field} = :chosen WHERE {field} = :value"),
                        {"chosen": chosen, "value": value},
                    )


def downgrade() -> None:
    # The spellings replaced are not kept: one spelling is what every revision reads.
    pass
