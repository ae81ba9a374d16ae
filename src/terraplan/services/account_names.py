"""Which stored accounts a file's account cells may name by name (Pipedrive's deal export).

Only the cells that name no stored account id are looked up, and only accounts with one of
those names are read: a file of ids asks nothing, and a big table's names are not all read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

from terraplan.io.readers import SourceTable
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: Kinds whose ``account_id`` may name the account by name.
KINDS_NAMING_ACCOUNTS = ("opportunities", "sales_lines")


def stored_account_names(
    db: Database, table: SourceTable, known: Mapping[str, Collection[str]]
) -> dict[str, str]:
    """``account id -> name`` of the stored accounts named by a cell of ``table``'s account
    column that is no stored account id (``known["accounts"]``)."""
    column = table.columns.fields.get("account_id")
    if table.kind not in KINDS_NAMING_ACCOUNTS or column is None:
        return {}
    cells = table.frame[column].drop_nulls().cast(pl.String).str.strip_chars().unique()
    stored = known.get("accounts", ())
    names = [cell for cell in cells.to_list() if cell and cell not in stored]
    if not names:
        return {}
    asked = {n for name in names for n in (name, " ".join(name.split()))}
    with UnitOfWork(db) as uow:
        return uow.records("accounts").named_among(asked)
