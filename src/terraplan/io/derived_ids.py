"""Ids for period records a spreadsheet gives without one.

A marketing-spend sheet (``Territory, Start, End, Amount``) or a quota sheet kept by hand
has no record id, yet every stored record needs one so that a re-import updates rather than
duplicates. For targets and acquisition costs without an id column, the id is made from what
the row is about: its plan (when given), its territory or rep, category (costs) or metric
(targets), and its period, plus ``#n`` for the n-th row of the file with that same key (two
campaigns' spend in one territory and quarter are two records). Re-importing the same file
gives the same ids; one note says how they were made.
"""

from __future__ import annotations

import polars as pl

from terraplan.io.checker import Checker

#: Kinds whose rows may come without an id, and the fields their id is made of.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "targets": ("plan_id", "territory_id", "rep_id", "metric", "period_start", "period_end"),
    "acquisition_costs": ("plan_id", "territory_id", "category", "period_start", "period_end"),
}


def derives_ids(kind: str, mapped: set[str]) -> bool:
    """Whether a file of ``kind`` mapping these fields gets ids made from its rows."""
    return kind in KEY_FIELDS and "id" not in mapped


def fill_ids(checker: Checker) -> None:
    """Add ``id`` from each row's key fields (see the module docstring), with one note."""
    if not derives_ids(checker.spec.kind, set(checker.table.columns.fields)):
        return
    fields = [f for f in KEY_FIELDS[checker.spec.kind] if f in checker.ctx.columns]
    key = pl.concat_str([pl.col(f).cast(pl.String).fill_null("") for f in fields], separator="|")
    number = pl.int_range(1, pl.len() + 1).over(key)
    checker.ctx = checker.ctx.with_columns(
        pl.concat_str([key, pl.lit("#"), number.cast(pl.String)]).alias("id")
    )
    what = "target" if checker.spec.kind == "targets" else "cost"
    checker.warnings.append(
        f"no id column: each {what}'s id is made from its plan, territory or rep and period"
        " (re-importing the same file updates the same records)"
    )
