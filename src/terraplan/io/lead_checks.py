"""Notes on a leads file that change what lead conversion counts.

Lead conversion counts each lead in the period it was created, so a lead with no created date
counts in none; and each lead record is a lead, so the same person sent twice (a web form
submitted again, a list bought twice) counts twice. Both are kept, as the CRM holds them, with
one note each naming how many, so that the marketing team can fix or merge them in the CRM.
Rows the CRM deleted (``deleted``, from ``IsDeleted``) are left out of both: the import leaves
them out.
"""

from __future__ import annotations

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW
from terraplan.io.report import short


def check_leads(checker: Checker) -> None:
    """Notes on leads without a created date and on leads sharing an e-mail address."""
    live = pl.lit(True)
    if checker.has("deleted"):
        live = ~pl.col("deleted").fill_null(False)
    _undated(checker, live)
    _shared_emails(checker, live)


def _undated(checker: Checker, live: pl.Expr) -> None:
    if not checker.has("created_date"):
        return
    rows = checker.ctx.filter(live & pl.col("created_date").is_null()).select(ROW)
    column = short(checker.column_of("created_date"))

    def say(kept: pl.DataFrame) -> str:
        noun = "leads have" if kept.height != 1 else "lead has"
        return (
            f"{kept.height:,} {noun} no created date (e.g. row {kept[ROW][0]}, column "
            f"{column!r}): kept, but lead conversion counts a lead in the period it was "
            "created, so they count in no period"
        )

    checker.note(rows, say)


def _shared_emails(checker: Checker, live: pl.Expr) -> None:
    if not checker.has("email"):
        return
    key = pl.col("email").str.strip_chars().str.to_lowercase()
    rows = (
        checker.ctx.filter(live & key.is_not_null() & (key != ""))
        .select(ROW, key.alias("address"))
        .filter(pl.len().over("address") > 1)
    )

    def say(kept: pl.DataFrame) -> str | None:
        repeated = kept.filter(pl.len().over("address") > 1)
        if not repeated.height:
            return None
        first = repeated.row(0, named=True)
        # counts first, example in "(e.g. …)": the batches of a table import add them up
        return (
            f"{repeated.height:,} leads share their e-mail address with another lead of the "
            f"file (e.g. row {first[ROW]}: {short(str(first['address']))!r}): kept, each "
            "counts as a lead of its own in lead conversion; merge the duplicates in the CRM "
            "if they are one person"
        )

    checker.note(rows, say)
