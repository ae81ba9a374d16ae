"""Which ids of a file to import name a stored record by its other Salesforce form.

A Salesforce record's id is 15 characters in reports and 18 in the API; a file giving the
other form than the one stored names the stored record, and its rows update it
(:mod:`terraplan.io.own_ids`). Only the ids in question are looked up: a file of another
CRM's ids asks nothing, and a big table's ids are not all read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

from terraplan.domain.salesforce_ids import match_id_forms, other_form
from terraplan.io.own_ids import SALESFORCE_KINDS
from terraplan.io.readers import SourceTable
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def stored_id_forms(
    db: Database, table: SourceTable, known: Mapping[str, Collection[str]]
) -> dict[str, str]:
    """``file id -> stored id`` for each id of ``table`` whose other Salesforce form is stored
    (and which is not stored itself). ``known``: stored ids per kind already read, used
    instead of asking the database when they hold ``table``'s kind."""
    column = table.columns.fields.get("id")
    if table.kind not in SALESFORCE_KINDS or column is None:
        return {}
    ids = table.frame[column].drop_nulls().cast(pl.String).str.strip_chars().unique()
    forms = {value: other for value in ids.to_list() if (other := other_form(value)) is not None}
    if not forms:
        return {}
    asked = {*forms, *forms.values()}
    if table.kind in known:
        stored = known[table.kind]
        found = {value for value in asked if value in stored}
    else:
        with UnitOfWork(db) as uow:
            found = uow.records(table.kind).stored_among(asked)
    return match_id_forms(forms, found)


def in_stored_form(ids: Collection[str], forms: Mapping[str, str]) -> set[str]:
    """``ids`` (a file's ids as written) with each one naming a stored record in its other
    form replaced by the stored id."""
    return {forms.get(value, value) for value in ids}
