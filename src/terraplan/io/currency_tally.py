"""The currencies of one import's amounts, batch after batch (rules: :mod:`terraplan.io.currency`).

Validation calls :meth:`CurrencyTally.apply` on every batch (a file is one batch); the import
calls :meth:`CurrencyTally.finish` once after the last, which refuses amounts of several
currencies without rates, or of one currency other than the reporting currency, and writes
the notes (each once) into the import's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from terraplan.io.currency import (
    CODE,
    CURRENCY_NAMES,
    MONEY_FIELDS,
    SYMBOL_CURRENCIES,
    SYMBOLS,
    Currencies,
    symbol_currency,
)
from terraplan.io.report import ImportIssue, ImportReport, short

if TYPE_CHECKING:
    from terraplan.io.checker import Checker

#: Decimals a converted amount is rounded to (units of the reporting currency): removes the
#: float noise of a product (100 x 1.08 = 108.00000000000001) and nothing a ledger shows.
CONVERTED_DECIMALS = 4

_WAYS_OUT = (
    "either export the amounts converted to one currency (Salesforce: the report column"
    " 'Amount (converted)'; Dynamics: 'Amount (Base)'; HubSpot: 'Amount in company currency'),"
    " or give exchange rates: --rates rates.csv with lines currency,rate (1 unit of the currency"
    " = rate units of the reporting currency; --currency names the reporting currency)"
)


@dataclass
class CurrencyTally:
    """The currencies the batches of one import hold, for :meth:`finish` to judge at the end.

    :meth:`apply` runs on each batch (validation calls it): it checks the codes, converts the
    amounts when rates are given, and counts the rows of each currency; :meth:`finish` adds
    the file-level errors and the notes to the report of the whole import.
    """

    #: Currency code -> rows holding it; first file and row holding it.
    counts: dict[str, int] = field(default_factory=dict)
    first: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: Rows that name no currency (a blank cell, or no currency column).
    blank: int = 0
    #: Currency symbol written in amount cells ($, €, £, ¥) -> rows; first file and row.
    symbols: dict[str, int] = field(default_factory=dict)
    symbol_first: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: Symbol -> the currency it was read as (None: ``¥`` with neither JPY nor CNY named).
    symbol_codes: dict[str, str | None] = field(default_factory=dict)
    file: str | None = None
    column: str | None = None
    amount_column: str | None = None
    converted: bool = False
    replaced: str | None = None
    #: The last batch's counted rows (row, currency, symbol, unnamed), for :meth:`settle`.
    batch: pl.DataFrame | None = None

    def apply(self, checker: Checker, currencies: Currencies) -> None:
        """Check and count this batch's currencies; convert its amounts when rates are given."""
        from terraplan.io.readers import ROW

        if checker.spec.kind not in MONEY_FIELDS:
            return
        money = MONEY_FIELDS[checker.spec.kind]
        table = checker.table
        columns = table.columns
        self.file = self.file or table.file
        self.converted = self.converted or columns.converted
        self.replaced = self.replaced or columns.replaced
        self.amount_column = self.amount_column or columns.fields.get(money)
        if not checker.has("currency"):
            self._read_symbols(checker, currencies, money)
            return
        self.column = self.column or columns.fields["currency"]
        written = pl.col("currency").str.strip_chars()
        code = (
            written.str.to_lowercase()
            .str.replace_all(r"\s+", " ")
            .replace_strict(CURRENCY_NAMES, default=written.str.to_uppercase())
        )
        from terraplan.io.checker import RAW

        if money + RAW in checker.ctx.columns:
            # A blank currency beside an amount written with a symbol ($500 among CHF 1'000
            # cells): the symbol says it, not the file's other rows.
            symbol = pl.col(money + RAW).str.extract(f"([{SYMBOLS}])", 1)
            names = {s: symbol_currency(s, currencies) for s in SYMBOL_CURRENCIES}
            named = symbol.replace_strict(names, default=None, return_dtype=pl.String)
            blank = pl.col("currency").is_null()
            checker.add(
                blank & symbol.is_not_null() & named.is_null(),
                "currency",
                "the symbol names no one currency (¥: the yen or the yuan); write the code "
                "(JPY, CNY) or name it with --currency",
            )
            checker.ctx = checker.ctx.with_columns(
                pl.when(blank).then(named).otherwise(pl.col("currency")).alias("currency")
            )
        valid = code.str.contains(CODE).fill_null(False)
        checker.add(
            pl.col("currency").is_not_null() & ~valid,
            "currency",
            "not a 3-letter currency code (ISO 4217, e.g. USD, EUR) nor a currency name"
            " (US Dollar, Euro); a mapping file's values"
            " can rename others)",
        )
        unnamed = self._count_unnamed(checker.ctx, money)
        checker.ctx = checker.ctx.with_columns(pl.when(valid).then(code).alias("currency"))
        self._remember(checker.ctx, unnamed, None)
        found = (
            checker.ctx.filter(pl.col("currency").is_not_null())
            .group_by("currency")
            .agg(pl.len().alias("n"), pl.col(ROW).min().alias("first"))
        )
        for name, count, first in found.iter_rows():
            self.counts[name] = self.counts.get(name, 0) + count
            self.first.setdefault(name, (table.file, first))
        if currencies.rates and currencies.reporting is not None:
            self._convert(checker, currencies, money)

    def _read_symbols(self, checker: Checker, currencies: Currencies, money: str) -> None:
        """Count the currency symbols of the amount cells (``€ 1,200``, ``$300``) and read
        each as the currency it names: read as numbers alone, amounts of two symbols would
        be summed as one currency, and ``$`` amounts taken for the euros already stored."""
        from terraplan.io.checker import RAW
        from terraplan.io.readers import ROW

        if money + RAW not in checker.ctx.columns:
            self._remember(checker.ctx, self._count_unnamed(checker.ctx, money), None)
            return
        symbol = pl.col(money + RAW).str.extract(f"([{SYMBOLS}])", 1)
        names = {s: symbol_currency(s, currencies) for s in SYMBOL_CURRENCIES}
        checker.ctx = checker.ctx.with_columns(
            symbol.replace_strict(names, default=None, return_dtype=pl.String).alias("currency")
        )
        self._remember(checker.ctx, self._count_unnamed(checker.ctx, money), symbol)
        found = (
            checker.ctx.select(symbol.alias("symbol"), pl.col(ROW))
            .drop_nulls("symbol")
            .group_by("symbol")
            .agg(pl.len().alias("n"), pl.col(ROW).min().alias("first"))
        )
        for sign, count, first in found.iter_rows():
            self.symbols[sign] = self.symbols.get(sign, 0) + count
            self.symbol_first.setdefault(sign, (checker.table.file, first))
            code = self.symbol_codes.setdefault(sign, names.get(sign))
            if code is None:
                continue
            self.column = self.column or checker.table.columns.fields.get(money)
            self.counts[code] = self.counts.get(code, 0) + count
            self.first.setdefault(code, (checker.table.file, first))
        if currencies.rates and currencies.reporting is not None:
            self._convert(checker, currencies, money)

    def _count_unnamed(self, ctx: pl.DataFrame, money: str) -> pl.Series:
        """Count the rows with an amount and no currency (a row with no amount has none
        to read); returns the row mask."""
        missing = pl.col("currency").is_null() if "currency" in ctx.columns else pl.lit(True)
        if money in ctx.columns:
            missing = missing & pl.col(money).is_not_null()
        mask = ctx.select(missing.alias("unnamed")).to_series()
        self.blank += int(mask.sum() or 0)
        return mask

    def _remember(self, ctx: pl.DataFrame, unnamed: pl.Series, symbol: pl.Expr | None) -> None:
        from terraplan.io.readers import ROW

        currency = pl.col("currency") if "currency" in ctx.columns else pl.lit(None, pl.String)
        self.batch = ctx.select(
            pl.col(ROW),
            currency.alias("currency"),
            (symbol if symbol is not None else pl.lit(None, pl.String)).alias("symbol"),
        ).with_columns(unnamed)

    def settle(self, refused: pl.Series) -> None:
        """Take the last batch's rows that a later check refused out of the counts, so the
        notes count rows imported ("3 rows with no currency read as USD" when one of the
        three is refused for its ZIP would count a row that is not imported)."""
        from terraplan.io.readers import ROW

        batch, self.batch = self.batch, None
        if batch is None or refused.is_empty():
            return
        gone = batch.filter(pl.col(ROW).is_in(refused.implode()))
        self.blank -= int(gone["unnamed"].sum() or 0)
        _uncount(self.counts, self.first, gone["currency"])
        _uncount(self.symbols, self.symbol_first, gone["symbol"])
        for sign in set(self.symbol_codes) - set(self.symbols):
            del self.symbol_codes[sign]

    def _convert(self, checker: Checker, currencies: Currencies, money: str) -> None:
        assert currencies.reporting is not None
        table = {currencies.reporting: 1.0, **currencies.rates}
        factor = pl.col("currency").replace_strict(table, default=None, return_dtype=pl.Float64)
        missing = pl.col("currency").is_not_null() & factor.is_null()
        reason = pl.concat_str(
            pl.lit("no exchange rate for "),
            pl.col("currency"),
            pl.lit(f" in {currencies.source}; add a line "),
            pl.col("currency"),
            pl.lit(",rate"),
        )
        checker.add(missing, "currency", reason)
        converted = (pl.col(money) * factor).round(CONVERTED_DECIMALS)
        checker.ctx = checker.ctx.with_columns(
            pl.when(factor.is_not_null()).then(converted).otherwise(pl.col(money)).alias(money)
        )

    def finish(self, report: ImportReport, currencies: Currencies) -> None:
        """Judge the currencies of every batch: file-level errors and notes into ``report``;
        ``report.details["currencies"]`` gets the rows of each currency code (before
        conversion), ``details["reporting_currency"]`` the reporting currency when named, and
        ``details["amounts_currency"]`` (when the file maps the amount field) the currency the
        stored amounts are in, or None when nothing names it."""
        if self.file is None:
            return
        codes = sorted(self.counts)
        reporting = currencies.reporting
        report.details["currencies"] = {code: self.counts[code] for code in codes}
        if reporting is not None:
            report.details["reporting_currency"] = reporting
        if self.amount_column is not None:
            stored = self._stored_currency(codes, currencies)
            report.details["amounts_currency"] = stored
            if stored is not None and stored in self.first:
                report.details["amounts_where"] = self._first_of(stored)
            unnamed = [s for s, code in self.symbol_codes.items() if code is None]
            if stored is None and len(self.symbols) == 1 and unnamed:
                # ¥: the cross-import check still tells it from the euros already stored
                report.details["amounts_symbol"] = unnamed[0]
                report.details["amounts_where"] = self._first_of(unnamed[0])
        if len(self.symbols) > 1:
            listed = "; ".join(
                f"{symbol}: {_rows(self.symbols[symbol])}, first at"
                f" {self._where(*self.symbol_first[symbol])}"
                for symbol in sorted(self.symbols)
            )
            self._error(
                report,
                f"amounts carry {len(self.symbols)} currency symbols (column"
                f" {short(str(self.amount_column))!r}: {listed}) and no currency column says"
                " which currency each is in; export the currency column (Salesforce:"
                " CurrencyIsoCode) with the amounts, or the amounts converted to one currency"
                " ('Amount (converted)')",
            )
            return
        if self.converted:
            self._converted_note(report, codes)
        if currencies.rates and reporting is not None:
            self._rates_notes(report, codes, currencies)
            return
        if len(codes) > 1:
            self._error(report, f"amounts in {len(codes)} currencies ({self._listing(codes)})"
                        f"; summed as one they would be wrong: {_WAYS_OUT}")  # fmt: skip
            return
        if codes and reporting is not None and codes[0] != reporting:
            self._error(
                report,
                f"amounts are in {codes[0]} ({self._listing(codes)}), not in the reporting"
                f" currency {reporting}: give a rate for {codes[0]} (--rates), or export the"
                f" amounts converted to {reporting}",
            )
            return
        if codes and not self.converted and codes[0] not in self.symbol_codes.values():
            # (a symbol is no news: `status` and any refusal say what it was read as)
            report.warnings.append(
                f"amounts are in {codes[0]} (column {short(str(self.column))!r})"
            )
        for sign, code in sorted(self.symbol_codes.items()):
            if code is None:
                options = " or ".join(SYMBOL_CURRENCIES[sign])
                report.warnings.append(
                    f"amounts written with {sign} (column {short(str(self.amount_column))!r})"
                    f" may be in {options}: name which with --currency"
                )
        read_as = reporting or (codes[0] if codes else None)
        if self.blank and self.column is not None and read_as is not None:
            which = "the reporting currency" if reporting else "the file's one currency"
            report.warnings.append(
                f"{_rows(self.blank)} with no currency read as {read_as} ({which})"
            )

    def _stored_currency(self, codes: list[str], currencies: Currencies) -> str | None:
        """The one currency the amounts are stored in once read: the reporting currency
        when rates convert them or no row names another, else the file's one code; None
        when nothing names it (no currency column, or converted amounts of an unnamed
        corporate currency) or several remain (the import is refused then)."""
        if currencies.reporting is not None and (currencies.rates or not codes):
            return currencies.reporting
        return codes[0] if len(codes) == 1 else None

    def _first_of(self, name: str) -> str:
        """``column 'Amount', first at row 2`` for a currency code or a symbol."""
        file, row = self.first[name] if name in self.first else self.symbol_first[name]
        column = self.amount_column if name in self.symbol_codes else self.column
        signs = [s for s, code in self.symbol_codes.items() if code == name]
        written = f", written with {signs[0]}" if signs else ""
        return f"column {short(str(column))!r}, first at {self._where(file, row)}{written}"

    def _listing(self, codes: list[str]) -> str:
        parts = []
        for code in codes:
            parts.append(
                f"{code}: {_rows(self.counts[code])}, first at {self._where(*self.first[code])}"
            )
        if self.blank and self.column is not None:
            parts.append(f"no currency: {_rows(self.blank)}")
        column = f"column {short(str(self.column))!r}: " if self.column else ""
        return column + "; ".join(parts)

    def _where(self, file: str, row: int) -> str:
        return f"row {row}" if file == self.file else f"{file} row {row}"

    def _converted_note(self, report: ImportReport, codes: list[str]) -> None:
        if len(codes) == 1:
            currency = f" in {codes[0]}"
        elif not codes:
            currency = " in the corporate currency (the file does not name it)"
        else:
            currency = ""
        note = f"amounts read from column {short(str(self.amount_column))!r}{currency}"
        if self.replaced is not None:
            note += f" (converted amounts; column {short(self.replaced)!r} is not used)"
        report.warnings.append(note)

    def _rates_notes(self, report: ImportReport, codes: list[str], currencies: Currencies) -> None:
        reporting = currencies.reporting
        converted = [c for c in codes if c != reporting and c in currencies.rates]
        if converted:
            parts = ", ".join(
                f"{c} at {currencies.rates[c]:g} ({_rows(self.counts[c])})" for c in converted
            )
            report.warnings.append(
                f"amounts converted to {reporting} with {currencies.source}: {parts}"
            )
        elif self.column is None:
            what = "the converted amounts are" if self.converted else "no currency column: amounts"
            report.warnings.append(f"{what} read as {reporting}; {currencies.source} not used")
        elif not [c for c in codes if c != reporting]:
            report.warnings.append(f"every amount is in {reporting}: {currencies.source} not used")
        if self.blank and self.column is not None:
            report.warnings.append(
                f"{_rows(self.blank)} with no currency read as {reporting} (the reporting currency)"
            )

    def _error(self, report: ImportReport, reason: str) -> None:
        # the reason names the column (a refusal message shows the reason alone)
        report.issues.append(
            ImportIssue(self.file or report.file, None, None, "currency", None, reason)
        )


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _uncount(counts: dict[str, int], first: dict[str, tuple[str, int]], refused: pl.Series) -> None:
    """Subtract the refused rows of each value; a value left with no row is forgotten."""
    for value, n in refused.drop_nulls().value_counts().iter_rows():
        counts[value] -= n
        if counts[value] <= 0:
            del counts[value]
            first.pop(value, None)
