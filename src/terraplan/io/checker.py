"""The table under validation (:class:`Checker`) and how its issues are recorded.

``Checker.ctx`` holds the typed fields, their cell text (columns suffixed :data:`RAW`) and
``__row__``; every check adds the rows it finds as issues (polars frames, one row each).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from terraplan.io.readers import ROW, SourceTable
from terraplan.io.report import MAX_QUOTED, short
from terraplan.io.schema import KindSpec

RAW = "\x00raw"
"""Suffix of the columns keeping a typed field's text (for issue values)."""

GEOCODED = "__geocoded__"
"""Boolean column of ``Checker.ctx`` set by geocoding: coordinates came from the ZIP table."""


@dataclass(frozen=True, slots=True)
class RowNote:
    """A warning counting rows, written once the refused rows are known (see
    :meth:`Checker.note`): ``say`` gets the ``rows`` that are kept."""

    #: Where it goes among :attr:`Checker.warnings` (the warnings before it).
    position: int
    rows: pl.DataFrame
    say: Callable[[pl.DataFrame], str | None]


class Checker:
    """The table under validation (``ctx``: typed fields, raw text, ``__row__``) and its issues.

    ``ctx`` keeps its row order from start to end, so masks and frames stay aligned.
    """

    def __init__(self, table: SourceTable, spec: KindSpec, ctx: pl.DataFrame) -> None:
        self.table = table
        self.spec = spec
        self.ctx = ctx
        self.issues: list[pl.DataFrame] = []
        #: File-level warnings (one line each, no row).
        self.warnings: list[str] = []
        #: Warnings counting rows, said of the rows kept (:meth:`note`).
        self.notes: list[RowNote] = []
        #: Rows left out without being refused: the file says they are no record (a deal the
        #: CRM deleted, which Pipedrive's exports keep); their own problems are not reported.
        self.removed = pl.Series(ROW, [], dtype=pl.Int64)
        #: Opportunities: stored id -> ``won``/``lost``/``open`` of the stored deals a file
        #: without a stage or won flag names (their reading stays; see ``validate``).
        self.stored_deals: Mapping[str, str] = {}

    def note(self, rows: pl.DataFrame, say: Callable[[pl.DataFrame], str | None]) -> None:
        """A warning about ``rows`` (``__row__`` and the columns ``say`` reads), written by
        :meth:`warnings_of` with the rows a later check refuses left out: "20 opportunities
        read as won" when one of them is refused would count a row that is not imported.
        ``say`` is called only when some of the rows are kept; ``None`` says nothing."""
        if rows.height:
            self.notes.append(RowNote(len(self.warnings), rows, say))

    def warnings_of(self, refused: pl.Series) -> list[str]:
        """:attr:`warnings` with the :meth:`note` warnings, counting rows not ``refused``."""
        said: list[str] = []
        notes = iter(self.notes)
        pending = next(notes, None)
        for position in range(len(self.warnings) + 1):
            while pending is not None and pending.position == position:
                kept = pending.rows.filter(~pl.col(ROW).is_in(refused.implode()))
                text = pending.say(kept) if kept.height else None
                said.extend([text] if text else [])
                pending = next(notes, None)
            said.extend(self.warnings[position : position + 1])
        return said

    def column_of(self, field: str) -> str:
        return self.table.columns.column_of(field)

    def value_of(self, field: str) -> pl.Expr:
        """The cell text of ``field`` as read (falls back to the typed value)."""
        if field + RAW in self.ctx.columns:
            return pl.col(field + RAW)
        if field in self.ctx.columns:
            dtype = self.ctx.schema[field]
            if isinstance(dtype, pl.List):
                return pl.col(field).list.join(";")
            return pl.col(field).cast(pl.String)
        return pl.lit(None, dtype=pl.String)

    def add(
        self,
        mask: pl.Expr,
        field: str,
        reason: str | pl.Expr,
        *,
        severity: str = "error",
        value: pl.Expr | None = None,
    ) -> int:
        """Report every row where ``mask`` is true; returns how many."""
        columns = [
            pl.col(ROW).alias("row"),
            pl.lit(short(self.column_of(field)), dtype=pl.String).alias("column"),
            pl.lit(field, dtype=pl.String).alias("field"),
            _quoted((value if value is not None else self.value_of(field)).cast(pl.String)).alias(
                "value"
            ),
        ]
        if isinstance(reason, str):
            found = self.ctx.filter(mask.fill_null(False)).select(
                *columns,
                pl.lit(reason, dtype=pl.String).alias("reason"),
                pl.lit(severity, dtype=pl.String).alias("severity"),
            )
        else:  # the reason may use window expressions: evaluate it on the whole table
            found = (
                self.ctx.select(
                    *columns,
                    reason.cast(pl.String).alias("reason"),
                    pl.lit(severity, dtype=pl.String).alias("severity"),
                    mask.fill_null(False).alias("__mask__"),
                )
                .filter(pl.col("__mask__"))
                .drop("__mask__")
            )
        if found.height:
            self.issues.append(found)
        return found.height

    def error_rows(self) -> pl.Series:
        """Row numbers with at least one error so far."""
        if not self.issues:
            return pl.Series("row", [], dtype=pl.Int64)
        issues = pl.concat(self.issues)
        return issues.filter(pl.col("severity") == "error")["row"].unique()

    def has(self, field: str) -> bool:
        return field in self.table.columns.fields


def _quoted(value: pl.Expr) -> pl.Expr:
    """Cell text cut to :data:`MAX_QUOTED` characters for a report."""
    cut = pl.concat_str(value.str.slice(0, MAX_QUOTED), pl.lit("…"))
    return pl.when(value.str.len_chars() > MAX_QUOTED).then(cut).otherwise(value)
