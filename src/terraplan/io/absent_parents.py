"""Accounts whose parent account is not loaded: kept, with their parent id.

A Salesforce account export of one region (or one segment, one owner's book) names in
``ParentId`` accounts the export left out: a clinic in the West under a health system
headquartered in the East. Refusing those rows would refuse the region (and, in cascade, their
own children), so they are imported with the parent id as written and one note counts them;
when the parent arrives in a later import the accounts are linked to it
(:mod:`terraplan.services.account_parents`). A parent the file holds on a refused row is not
"not loaded" but a row to fix, and stays an error (:mod:`terraplan.io.references`).
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW
from terraplan.io.report import MAX_QUOTED


def parents_not_loaded(checker: Checker, name: str, known: Collection[str]) -> pl.Series:
    """Rows (``__row__``) whose ``name`` (``parent_id``) names an account neither stored
    (``known``) nor in the file, refused rows included; one note counts those kept."""
    col = pl.col(name)
    loaded = pl.Series("id", list(known), dtype=pl.String)
    if checker.has("id"):
        loaded = pl.concat([loaded, checker.ctx["id"].drop_nulls().cast(pl.String)])
    absent = checker.ctx.filter(col.is_not_null() & ~col.is_in(loaded.implode())).select(ROW, name)
    checker.note(absent, lambda kept: _note(kept[name]))
    return absent[ROW]


def _note(parents: pl.Series) -> str:
    count, distinct = parents.len(), parents.n_unique()
    example = min(parents.to_list())
    if len(example) > MAX_QUOTED:
        example = example[:MAX_QUOTED] + "…"
    rows = f"{count:,} accounts name" if count != 1 else "1 account names"
    which = (
        f"{distinct:,} parent accounts, e.g. {example}" if distinct != 1 else f"parent {example}"
    )
    return (
        f"{rows} a parent account that is not loaded ({which}): kept with the parent id, and"
        " linked to it when it is imported. Until then `--keep-together parent` keeps the"
        " accounts under one missing parent together (a family named by its id), not yet"
        " with the rest of that parent's family"
    )
