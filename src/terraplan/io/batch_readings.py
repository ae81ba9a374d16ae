"""One reading of a date column over the batches of an import.

A database table or Parquet folder is checked ``batch_rows`` records at a time, and each
batch alone decides whether its slashed dates are day first (``25/03/2025`` shows it). A
batch without the sign would read ``05/03/2025`` month first after an earlier batch showed
day-first dates: a silent swap. :class:`BatchReadings` carries the order from batch to
batch, and refuses the import when a batch shows day-first dates after earlier slashed
dates were read month first without either sign (nothing is written: the import is one
transaction). A column showing no order of its own follows the other date columns of the
import (:func:`~terraplan.io.parsing.file_day_first`), counting the orders earlier batches
showed; once read day first that way it stays so. A column no date of the import has
shown the order of is read day first when the batch's numbers have a decimal comma
(:func:`~terraplan.io.parsing.guessed_order`), and stays so too. It also carries the currencies of the amounts
(:class:`~terraplan.io.currency.CurrencyTally`): a currency first seen in a later batch
counts as if the table were one file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from terraplan.io import parsing
from terraplan.io.currency_tally import CurrencyTally
from terraplan.io.readers import SourceTable
from terraplan.io.report import ImportIssue, ImportReport, short


@dataclass
class BatchReadings:
    """How the slashed dates of each date field were read by the earlier batches of one
    import: ``"day"`` or ``"month"`` first once a batch showed it (``25/03`` or ``03/25``),
    ``"default"`` when they were read month first without either sign, ``"file"`` when
    read day first because other date columns showed it, ``"comma"`` when read day first
    without any sign because the numbers have a decimal comma."""

    orders: dict[str, str] = field(default_factory=dict)
    #: The currencies of the amounts read so far (judged after the last batch).
    currencies: CurrencyTally = field(default_factory=CurrencyTally)

    def shown(self, name: str) -> tuple[bool, bool]:
        """``(day first, month first)`` as earlier batches showed them for ``name``."""
        known = self.orders.get(name)
        return known == "day", known == "month"

    def day_first(
        self,
        table: SourceTable,
        name: str,
        values: pl.Series,
        report: ImportReport,
        *,
        follow_day_first: bool = False,
        decimal_comma: bool = False,
    ) -> bool | None:
        """The order to read ``name`` in this batch (None: decide on this batch alone); a
        file error when this batch shows day-first dates after earlier rows were read month
        first by default. ``follow_day_first``: the import's other date columns show the
        day first (:func:`~terraplan.io.parsing.file_day_first`), for a column showing no
        order of its own and not yet read month first. ``decimal_comma``: no date column
        of the import shows the order and the numbers have a decimal comma (read day first
        when no earlier batch was read month first)."""
        day, month, any_slashed = parsing.slashed_orders(values)
        known = self.orders.get(name)
        if known in ("day", "month", "file", "comma"):
            return known != "month"
        if day and not month:
            if known == "default":
                report.issues.append(
                    ImportIssue(
                        table.file, None, None, name, None,
                        f"column {short(table.columns.fields[name])!r} shows day-first dates"
                        " in this batch (e.g. 25/03) while an earlier batch was read month"
                        " first; import it in one batch (a larger --batch-rows) or write the"
                        " dates as YYYY-MM-DD",
                    )
                )  # fmt: skip
            self.orders[name] = "day"
            return True
        if month:
            self.orders[name] = "month"
        elif any_slashed and follow_day_first and known is None:
            self.orders[name] = "file"
            return True
        elif any_slashed and decimal_comma and known is None:
            self.orders[name] = "comma"
            return True
        elif any_slashed:
            self.orders.setdefault(name, "default")
        return False
