"""Accounts a CRM delta flags deleted (Salesforce's ``IsDeleted``, a ``queryAll`` delta's
deleted rows and a merge's losers): a deletion needs only the id.

Such a row often carries nothing but its id (the record is in the recycle bin: its Name and
address cells are blank), and the import refused the whole night's delta ("Name is
required", one error per deleted row). A deleted row naming a stored account only closes
it (:mod:`terraplan.services.account_status`), so the problems of its other cells are not
its own: they go unsaid, and the import writes none of them over the stored values. A
deleted row naming no stored account whose cells do not make a record is left out (there is
nothing to close), with a warning counting them.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW

__all__ = ["deleted_account_rows", "settle_deleted_accounts"]


def deleted_account_rows(frame: pl.DataFrame, stored_ids: Collection[str]) -> pl.Expr:
    """Rows of a validated accounts ``frame`` flagged deleted that name a stored account."""
    if "deleted" not in frame.columns:
        return pl.lit(False)
    stored = pl.Series(list(stored_ids), dtype=pl.String).implode()
    return pl.col("deleted").eq(True).fill_null(False) & pl.col("id").is_in(stored)


def settle_deleted_accounts(
    checker: Checker, issues: pl.DataFrame, stored_ids: Collection[str] | None
) -> pl.DataFrame:
    """``issues`` less those of deleted accounts' other cells than the id; a deleted row of an
    account never stored that has an error is left out (``checker.removed``)."""
    if checker.spec.kind != "accounts" or "deleted" not in checker.ctx.columns:
        return issues
    flagged = checker.ctx.filter(pl.col("deleted").eq(True).fill_null(False))
    if flagged.height == 0:
        return issues
    stored = flagged.filter(deleted_account_rows(flagged, stored_ids or ()))[ROW]
    issues = issues.filter(~(pl.col("row").is_in(stored.implode()) & (pl.col("field") != "id")))
    errors = issues.filter(pl.col("severity") == "error")["row"].unique()
    others = flagged.filter(
        ~pl.col(ROW).is_in(stored.implode()) & pl.col(ROW).is_in(errors.implode())
    )
    if others.height:
        checker.removed = pl.concat([checker.removed, others[ROW]]).unique()
        issues = issues.filter(~pl.col("row").is_in(others[ROW].implode()))
        sample = ", ".join(str(i) for i in others["id"].drop_nulls().head(3).to_list())
        checker.warnings.append(
            f"{others.height:,} account(s) flagged deleted in the CRM that no import stored "
            f"left out (e.g. {sample}): there is nothing to close"
        )
    return issues
