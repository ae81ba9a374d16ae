"""Accounts stored under a parent account that was not loaded, linked when it arrives.

An account imported with a ``parent_id`` naming no stored account (a region's export naming a
health system of another region, see :mod:`terraplan.io.absent_parents`) keeps that id. When a
later import brings the parent, the chain is whole again: designs keep the family together,
rules on ``parent_id`` and pins take it along. :func:`link_new_parents` says so in one note,
and rewrites a parent id written in the other Salesforce form (15 characters for a parent
imported with 18, or the reverse) to the stored id, since an id is matched as written.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select, update

from terraplan.domain.salesforce_ids import match_id_forms
from terraplan.storage.orm import AccountRow


def link_new_parents(
    connection: Connection, new_ids: Collection[str], in_file: Collection[str]
) -> list[str]:
    """Link the stored accounts not in this import (``in_file``) whose parent is one of
    ``new_ids`` (accounts this import created); one note, or none."""
    if not new_ids:
        return []
    stored = set(connection.execute(select(AccountRow.id)).scalars())
    rows: list[tuple[str, str, str]] = [
        (ident, name, parent)
        for ident, name, parent in connection.execute(
            select(AccountRow.id, AccountRow.name, AccountRow.parent_id).where(
                AccountRow.parent_id.is_not(None)
            )
        )
        if parent is not None
    ]
    dangling = {parent for _, _, parent in rows if parent not in stored}
    forms = match_id_forms(dangling, new_ids) if dangling else {}
    for written, stored_id in forms.items():
        connection.execute(
            update(AccountRow).where(AccountRow.parent_id == written).values(parent_id=stored_id)
        )
    new, skip = set(new_ids), set(in_file)
    linked = sorted(
        (name, forms.get(parent, parent))
        for ident, name, parent in rows
        if ident not in skip and forms.get(parent, parent) in new
    )
    if not linked:
        return []
    wanted = select(AccountRow.id, AccountRow.name).where(AccountRow.id.in_({p for _, p in linked}))
    names = {ident: name for ident, name in connection.execute(wanted)}
    child, parent = linked[0]
    count = len(linked)
    accounts = f"{count:,} accounts" if count != 1 else "1 account"
    return [
        f"{accounts} stored earlier under a parent account that was not loaded now have it"
        f" (e.g. {child} under {names.get(parent, parent)}): linked, so designs keep them"
        " with its family and rules on parent_id take them along"
    ]
