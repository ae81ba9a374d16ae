"""A record's own id written as a Salesforce id in its other form.

Salesforce gives a record's id in 15 characters in its pages and most reports, and in 18 in
the API, Data Loader and some report columns (:mod:`terraplan.domain.salesforce_ids`). Read
as two ids, one account exported once each way would be two accounts, and every total would
count it twice. So a row whose id is the other form of a stored id names that stored record:
it updates it, the stored id stays as stored, and one note per form counts the rows imported
(:func:`match_stored_forms`). Within one file the two forms of an id are one id, so the second
row is a duplicate (:func:`record_keys`). Only Salesforce ids are read so: 15 letters and
digits, or 18 whose last three are the suffix of their first 15; an id of another CRM is
taken as written, and ids differing only in case (two 15-character Salesforce ids) stay two.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from terraplan.domain.salesforce_ids import record_key
from terraplan.io.checker import RAW, Checker
from terraplan.io.readers import ROW
from terraplan.io.report import short

_SINGULAR = {
    "accounts": "account",
    "leads": "lead",
    "reps": "rep",
    "sales_lines": "sales line",
    "opportunities": "opportunity",
    "targets": "target",
    "acquisition_costs": "acquisition cost",
}

#: Kinds whose ids may be Salesforce ids. Geo units are named by ZIP codes, county codes and
#: the ids a user gives custom areas, never by CRM records.
SALESFORCE_KINDS = frozenset(_SINGULAR)


def match_stored_forms(checker: Checker, stored_forms: Mapping[str, str]) -> None:
    """Rows whose id is a key of ``stored_forms`` (an id of the file -> the stored id that is
    its other Salesforce form) take the stored id; the file's text stays the value reports
    quote. One note per form, counting the rows imported."""
    if not stored_forms or "id" not in checker.ctx.columns:
        return
    col = pl.col("id")
    hits = checker.ctx.filter(col.is_in(list(stored_forms))).select(ROW, "id")
    if hits.height == 0:
        return
    raw = [] if "id" + RAW in checker.ctx.columns else [col.alias("id" + RAW)]
    checker.ctx = checker.ctx.with_columns(
        *raw, col.replace_strict(dict(stored_forms), default=col, return_dtype=pl.String)
    )
    label = _SINGULAR.get(checker.spec.kind, checker.spec.kind)
    column = short(checker.column_of("id"))
    for length in (15, 18):
        rows = hits.filter(pl.col("id").str.len_chars() == length)

        def say(kept: pl.DataFrame, length: int = length) -> str:
            first = min(kept["id"].to_list())
            rows = f"{kept.height:,} rows name" if kept.height != 1 else "1 row names"
            other = 33 - length  # 15 <-> 18
            return (
                f"{rows} the {label} by its {length}-character Salesforce id in {column}"
                f" (e.g. {first} -> {stored_forms[first]}): matched to the stored"
                f" {other}-character id, an update rather than a new {label}"
            )

        checker.note(rows, say)


def record_keys(ids: pl.Series) -> pl.Expr:
    """``id`` as the record it names, for telling duplicates: an 18-character Salesforce id
    (``ids`` holds the file's ids) becomes its first 15 characters, so that it is the same
    record as its 15-character form; every other id stays as it is."""
    long = ids.drop_nulls().unique()
    long = long.filter(long.str.len_chars() == 18)
    keys = {value: key for value in long.to_list() if (key := record_key(value)) != value}
    col = pl.col("id")
    if not keys:
        return col
    return col.replace_strict(keys, default=col, return_dtype=pl.String)
