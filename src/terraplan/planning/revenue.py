"""What revenue history is — the one answer used by targets and KPIs.

Revenue history is the **sales lines** when there are any; a CRM that exports only
opportunities has none, and then it is the **Closed Won opportunities**, each counted as its
amount on its close date. ``source`` chooses: ``"auto"`` (the rule above),
``"sales_lines"`` or ``"opportunities"``. Every result says which source it used, so the
output can state it.

An opportunity is won when ``is_won`` is set, as every KPI reads it (the import fills
``is_won`` from the stage when an export has no ``IsWon`` column); only a frame without an
``is_won`` column is read by its stage ("Closed Won", any case or spacing). A stage reading
"Closed Won" with ``is_won`` false is no win here either: revenue and win rate never
disagree about one deal. A won opportunity without a close date cannot be placed in time
and is left out, with a note.

Two entry points with the same rule: :func:`revenue_history` on domain objects and
:func:`revenue_frame` on Polars frames (the shape of the ``sales_lines`` frame: ``id,
account_id, date, amount, product``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import polars as pl

from terraplan.domain import Opportunity, SalesLine
from terraplan.errors import InvalidParameterError

__all__ = [
    "REVENUE_SOURCES",
    "RevenueFrame",
    "RevenueHistory",
    "describe_source",
    "is_won",
    "parse_source",
    "revenue_frame",
    "revenue_history",
]

REVENUE_SOURCES: Final = ("auto", "sales_lines", "opportunities")
"""The choices of ``source``."""

_DESCRIPTIONS: Final = {
    "sales_lines": "sales lines",
    "opportunities": "Closed Won opportunities (amount at close date)",
    "none": "none (no sales lines and no Closed Won opportunities)",
}

FRAME_SCHEMA: Final = {
    "id": pl.Utf8,
    "account_id": pl.Utf8,
    "date": pl.Date,
    "amount": pl.Float64,
    "product": pl.Utf8,
}


def parse_source(source: str) -> str:
    """``"auto"``, ``"sales_lines"`` or ``"opportunities"`` (also ``sales-lines``, ``opps``)."""
    raw = str(source).strip().lower().replace("-", "_").replace(" ", "_")
    raw = {"sales": "sales_lines", "lines": "sales_lines", "opps": "opportunities"}.get(raw, raw)
    if raw not in REVENUE_SOURCES:
        raise InvalidParameterError(
            f"revenue source: cannot read {source!r}; use auto, sales_lines or opportunities",
            details={"parameter": "revenue_source", "value": str(source)},
        )
    return raw


def describe_source(source: str) -> str:
    """Words for a source used: ``"sales lines"``, ``"Closed Won opportunities (...)"``."""
    return _DESCRIPTIONS.get(source, source)


def is_won(opportunity: Opportunity) -> bool:
    """Won: ``is_won`` is set (the stage is not read: the flag is what the KPIs count)."""
    return opportunity.is_won


@dataclass(frozen=True, slots=True)
class RevenueHistory:
    """Revenue as sales lines (opportunities converted), the ``source`` used
    (``"sales_lines"``, ``"opportunities"`` or ``"none"``) and notes for the user."""

    lines: tuple[SalesLine, ...]
    source: str
    notes: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return describe_source(self.source)


@dataclass(frozen=True, slots=True)
class RevenueFrame:
    """Revenue as a frame shaped like ``sales_lines`` (``id, account_id, date, amount,
    product``), the ``source`` used and notes for the user."""

    frame: pl.DataFrame
    source: str
    notes: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return describe_source(self.source)


def _choose(source: str, has_lines: bool, has_won: bool) -> str:
    chosen = parse_source(source)
    if chosen != "auto":
        return chosen
    if has_lines:
        return "sales_lines"
    return "opportunities" if has_won else "none"


def _undated_note(count: int) -> tuple[str, ...]:
    if not count:
        return ()
    if count == 1:
        return ("1 Closed Won opportunity has no close date and is left out of revenue history",)
    return (
        f"{count:,} Closed Won opportunities have no close date and are left out of revenue "
        "history",
    )


def revenue_history(
    sales_lines: Iterable[SalesLine],
    opportunities: Iterable[Opportunity] = (),
    *,
    source: str = "auto",
) -> RevenueHistory:
    """Revenue history from domain objects (see the module doc for the rule).

    Won opportunities become sales lines with the opportunity's id, account, close date,
    amount and product.
    """
    lines = tuple(sales_lines)
    won = [o for o in opportunities if is_won(o)]
    chosen = _choose(source, bool(lines), bool(won))
    if chosen == "sales_lines":
        return RevenueHistory(lines, "sales_lines")
    if chosen == "none":
        return RevenueHistory((), "none")
    dated = tuple(
        SalesLine(o.id, o.account_id, o.close_date, o.amount, product=o.product)
        for o in won
        if o.close_date is not None
    )
    return RevenueHistory(dated, "opportunities", _undated_note(len(won) - len(dated)))


def revenue_frame(
    sales_lines: pl.DataFrame,
    opportunities: pl.DataFrame | None = None,
    *,
    source: str = "auto",
) -> RevenueFrame:
    """Revenue history from Polars frames (see the module doc for the rule).

    ``sales_lines`` has ``id, account_id, date, amount`` (``product`` optional);
    ``opportunities`` has ``id, account_id, close_date, amount`` and ``is_won`` and/or
    ``stage`` (``product`` optional). Returns a frame with exactly ``id, account_id, date
    (Date), amount (Float64), product (Utf8)``.
    """
    has_lines = sales_lines.height > 0
    won = _won_frame(opportunities)
    chosen = _choose(source, has_lines, won.height > 0)
    if chosen == "sales_lines":
        return RevenueFrame(_shape(sales_lines), "sales_lines")
    if chosen == "none":
        return RevenueFrame(_shape(sales_lines.head(0)), "none")
    dated = won.filter(pl.col("close_date").is_not_null())
    frame = _shape(dated.rename({"close_date": "date"}))
    return RevenueFrame(frame, "opportunities", _undated_note(won.height - dated.height))


def _won_frame(opportunities: pl.DataFrame | None) -> pl.DataFrame:
    if opportunities is None or opportunities.height == 0:
        return pl.DataFrame(schema={**FRAME_SCHEMA, "close_date": pl.Date})
    columns = opportunities.columns
    flag = pl.lit(False)
    if "is_won" in columns:
        flag = pl.col("is_won").cast(pl.Boolean, strict=False).fill_null(False)
    elif "stage" in columns:
        stage = pl.col("stage").cast(pl.Utf8).str.to_lowercase().str.replace_all(r"\s+", " ")
        flag = (stage.str.strip_chars() == "closed won").fill_null(False)
    return opportunities.filter(flag)


def _shape(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` cut to the sales-line columns with their types (missing product = null)."""
    exprs = []
    for name, dtype in FRAME_SCHEMA.items():
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
        elif name == "date" and frame.schema[name] != pl.Date:
            exprs.append(pl.col(name).cast(pl.Date, strict=False))
        else:
            exprs.append(pl.col(name).cast(dtype, strict=False))
    return frame.select(exprs)
