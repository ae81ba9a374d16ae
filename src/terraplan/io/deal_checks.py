"""Opportunity checks on amounts and types: credits, downgrades and the deal's type.

A won opportunity of a negative amount (a credit memo, a downgrade, churned seats) is a
revenue reduction: it is kept, and one note counts them. A negative amount on an open or
lost deal is refused (it would shrink the pipeline, or mean nothing). The type (Salesforce
``Type``, HubSpot ``Deal Type``) is stored as one spelling
(:func:`terraplan.domain.deal_types.canonical_deal_type`); values of no known type are named
in a warning, since they count in neither the new-business nor the renewal split.
"""

from __future__ import annotations

import polars as pl

from terraplan.domain.deal_types import DEAL_TYPE_KEYS, DEAL_TYPES
from terraplan.io.checker import Checker
from terraplan.io.report import counted, short


def check_deals(checker: Checker) -> None:
    """Run after the stage is read (``is_won`` known)."""
    _negative_amounts(checker)
    _deal_types(checker)


def _negative_amounts(checker: Checker) -> None:
    if not checker.has("amount"):
        return
    negative = pl.col("amount") < 0
    won = pl.col("is_won").fill_null(False) if "is_won" in checker.ctx.columns else pl.lit(False)
    reason = pl.lit(
        "a negative amount on a deal that is not won: only a won deal may be negative (a "
        "credit memo or downgrade, which reduces revenue); an open deal's amount is pipeline"
    )
    stored = checker.stored_deals
    if stored and not checker.has("is_won") and not checker.has("stage"):
        # a file of ids and amounts: each stored deal keeps its stage, which says it
        readings = pl.col("id").replace_strict(stored, default=None, return_dtype=pl.String)
        won = (readings == "won").fill_null(False)
        reason = (
            pl.when(readings.is_not_null())
            .then(
                pl.concat_str(
                    pl.lit("a negative amount on a deal stored as "),
                    readings,
                    pl.lit(
                        " (the file has no stage or IsWon column, so its stored stage stays):"
                        " only a won deal may be negative (a credit memo or downgrade, which"
                        " reduces revenue); an open deal's amount is pipeline"
                    ),
                )
            )
            .otherwise(reason)
        )
    checker.add(negative & ~won, "amount", reason)
    credits = checker.ctx.filter((negative & won).fill_null(False)).select("__row__", "amount")

    def say(kept: pl.DataFrame) -> str:
        total = float(kept["amount"].sum())
        return (
            f"{counted(kept.height, 'won opportunity', 'won opportunities')} with a negative"
            f" amount (credits, downgrades; {total:,.2f} in all) kept as revenue reductions:"
            " they net revenue won and count in no win rate, won-deal count, average deal"
            " size, sales cycle or pipeline"
        )

    checker.note(credits, say)


def _deal_types(checker: Checker) -> None:
    if not checker.has("deal_type") or "deal_type" not in checker.ctx.columns:
        return
    text = pl.col("deal_type").cast(pl.String).str.strip_chars()
    key = text.str.to_lowercase().str.replace_all("[^a-z]", "")
    label = key.replace_strict(DEAL_TYPE_KEYS, default=text, return_dtype=pl.String)
    # as canonical_deal_type: blank -> None, a known type -> its label, others as written
    checker.ctx = checker.ctx.with_columns(
        pl.when(text == "").then(None).otherwise(label).alias("deal_type")
    )
    values = checker.ctx.filter(pl.col("deal_type").is_not_null()).select("__row__", "deal_type")
    unknown = values.filter(~pl.col("deal_type").is_in(DEAL_TYPES))
    column = short(checker.column_of("deal_type"))

    def say(kept: pl.DataFrame) -> str:
        counts = (
            kept.group_by("deal_type").len().sort(["len", "deal_type"], descending=[True, False])
        )
        named = ", ".join(f"{short(str(v))!r}: {n:,}" for v, n in counts.head(8).iter_rows())
        return (
            f"{counted(kept.height, 'opportunity', 'opportunities')} with a {column!r} of no"
            f" known type ({named}) kept as written: they count in neither new business nor"
            " renewals and expansion (rename them in a mapping file's values, e.g. to"
            " 'New Business' or 'Renewal')"
        )

    checker.note(unknown, say)
