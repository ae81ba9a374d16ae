"""Account cells naming the account by its name, as a Pipedrive deal export does.

Pipedrive links a deal to its organization by the organization's name (``Deal - Organization``),
not its id. A cell that names no stored account id but is the name of exactly one stored account
(case and spaces aside) becomes that account's id, with one warning for the file; a name several
stored accounts share (a CRM allows duplicate names) is not guessed: the caller refuses those
rows (:func:`shared_name_reason`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW
from terraplan.io.report import MAX_QUOTED

#: Why a cell naming a name several stored accounts share is refused.
SHARED_NAME_WHY = (
    "several stored accounts have this name: which one is meant is not written; give the"
    " account's id (a column of ids, such as Pipedrive's 'Organization - ID') or make the"
    " names unique in the CRM"
)


def name_key(name: str) -> str:
    """``name`` as compared: composed accents, lower case, one space between words."""
    return " ".join(unicodedata.normalize("NFC", name).split()).lower()


def names_to_account_ids(
    checker: Checker, field: str, known: pl.Series, account_names: Mapping[str, str]
) -> dict[str, list[str]]:
    """Cells of ``field`` naming no stored account id but one stored account's name become
    its id (one warning). ``account_names``: stored account id -> name. Returns the cells'
    values that name several stored accounts -> those accounts' ids (sorted)."""
    ids_of: dict[str, list[str]] = {}
    for account_id, account_name in account_names.items():
        ids_of.setdefault(name_key(account_name), []).append(account_id)
    col = pl.col(field)
    values = checker.ctx.filter(col.is_not_null() & ~col.is_in(known.implode()))[field]
    single: dict[str, str] = {}
    shared: dict[str, list[str]] = {}
    for value in values.unique().to_list():
        ids = ids_of.get(name_key(value), [])
        if len(ids) == 1:
            single[value] = ids[0]
        elif ids:
            shared[value] = sorted(ids)
    if single:
        hits = checker.ctx.filter(col.is_in(list(single))).select(ROW, field)
        checker.ctx = checker.ctx.with_columns(
            col.replace_strict(single, default=col, return_dtype=pl.String).alias(field)
        )

        def say(kept: pl.DataFrame) -> str:
            first = kept[field][0]
            rows = f"{kept.height:,} rows name" if kept.height != 1 else "1 row names"
            return (
                f"{rows} the account by its name (e.g. {first[:MAX_QUOTED]} ->"
                f" {single[first]}): replaced by the account's id"
            )

        checker.note(hits, say)
    return shared


def shared_name_reason(field: str, shared: Mapping[str, list[str]]) -> pl.Expr:
    """Why a cell naming an account by a name several stored accounts share is refused (null
    for other cells): one reason for every such name, so that the report lists them as one
    problem with the names as its values."""
    return (
        pl.when(pl.col(field).is_in(list(shared)))
        .then(pl.lit(SHARED_NAME_WHY))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
