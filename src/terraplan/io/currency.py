"""Currencies of the amount-bearing kinds: which columns name them, rates, one amount basis.

A CRM with several currencies exports each record's amount in the record's own currency,
with the currency in a column of its own (Salesforce ``CurrencyIsoCode`` or a report's
``Amount Currency``, HubSpot ``Currency``/``deal_currency_code``, Dynamics
``Currency``/``transactioncurrencyid``); reports may add the amount converted to the
corporate currency (``Amount (converted)``, Dynamics ``Amount (Base)``, HubSpot ``Amount in
company currency``) and that currency (``Amount (converted) Currency``). Summing amounts of
several currencies gives wrong revenue, pipeline, targets and attainment, so an import of
:data:`MONEY_KINDS` reads them like this (:class:`CurrencyTally`):

1. a converted amount column, when the file has one, is the amount (the plain amount column
   is then not used); its currency is the converted currency column's, else the corporate
   currency the file does not name;
2. otherwise the amount is in the record's currency: amounts of one currency are fine; amounts
   of several are converted with the rates the caller gives (:class:`Currencies`, from a file
   ``currency,rate`` read by :func:`read_currencies`: one unit of ``currency`` is worth
   ``rate`` units of the reporting currency), else the import is refused with the currencies
   found and their row counts;
3. amounts of one currency other than the reporting currency the caller named are refused
   too, unless a rate converts them;
4. without a currency column, amount cells written with their code (``EUR 1,000.00``, as
   Salesforce's formatted reports write them) name the row's currency, and so do cells
   written with one symbol (``€ 1,200``: EUR; ``$300``: USD unless the import names another
   dollar, see :func:`symbol_currency`), so that a later import in another currency is told
   apart; amount cells written with two currency symbols (``€ 1,200`` and ``$300``) are
   refused: number parsing drops the symbols, and would sum them as one.

A currency cell is a 3-letter ISO 4217 code in any case (``eur`` is ``EUR``); anything else is
an error naming the row. A blank cell means the reporting currency when one is named, else
the file's one currency. The counts run over every batch of an import (a currency first seen
in a later batch counts too): :class:`terraplan.io.currency_tally.CurrencyTally` decides
once all were read.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.report import short

if TYPE_CHECKING:
    from terraplan.io.readers import SourceTable

#: The kinds whose amounts are money and may carry a currency -> the field holding them (an
#: account's annual revenue is exported in the account's currency, as a deal's amount is).
MONEY_FIELDS: dict[str, str] = {
    "sales_lines": "amount",
    "opportunities": "amount",
    "targets": "amount",
    "acquisition_costs": "amount",
    "accounts": "annual_revenue",
}
MONEY_KINDS: tuple[str, ...] = tuple(MONEY_FIELDS)

#: Fields a file of a money kind may map besides those of its domain class (read, never stored).
CURRENCY_FIELDS: tuple[str, ...] = ("currency", "amount_converted", "converted_currency")

CODE = r"^[A-Z]{3}$"

#: Currency names as CRMs show them (Dynamics 365's currency lookup shows "US Dollar",
#: "Euro"), lower case, single spaces -> ISO 4217 code. Names only; a bare "Dollar" or
#: "Krone" is ambiguous and stays an error.
CURRENCY_NAMES: dict[str, str] = {
    "us dollar": "USD", "u.s. dollar": "USD", "united states dollar": "USD",
    "euro": "EUR", "pound sterling": "GBP", "british pound": "GBP",
    "british pound sterling": "GBP", "canadian dollar": "CAD", "australian dollar": "AUD",
    "new zealand dollar": "NZD", "japanese yen": "JPY", "swiss franc": "CHF",
    "indian rupee": "INR", "chinese yuan": "CNY", "yuan renminbi": "CNY",
    "chinese yuan renminbi": "CNY", "swedish krona": "SEK", "norwegian krone": "NOK",
    "danish krone": "DKK", "mexican peso": "MXN", "brazilian real": "BRL",
    "singapore dollar": "SGD", "hong kong dollar": "HKD", "south african rand": "ZAR",
    "polish zloty": "PLN", "czech koruna": "CZK", "hungarian forint": "HUF",
    "israeli new shekel": "ILS", "south korean won": "KRW", "korean won": "KRW",
    "turkish lira": "TRY", "uae dirham": "AED", "united arab emirates dirham": "AED",
    "saudi riyal": "SAR",
}  # fmt: skip
#: Currency symbols number parsing drops (see :mod:`terraplan.io.parsing`).
SYMBOLS = "$€£¥"

#: The currencies an amount written with a symbol may be in, the one it names when nothing
#: else tells first: ``$`` is the US dollar unless the import names another dollar; ``¥``
#: is the yen or the yuan alike, so it names one only when the import does.
SYMBOL_CURRENCIES: dict[str, tuple[str, ...]] = {
    "€": ("EUR",),
    "£": ("GBP",),
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"),
    "¥": ("JPY", "CNY"),
}
#: Symbols that name no currency unless the import picks one of theirs.
AMBIGUOUS_SYMBOLS = frozenset("¥")

#: Normalized headers (see :func:`terraplan.io.mapping.normalize_header`) naming a record's currency.
CURRENCY_HEADERS: tuple[str, ...] = (
    "currencyisocode",
    "currencycode",
    "isocurrencycode",
    "dealcurrencycode",
    "dealcurrency",  # Pipedrive: "Deal - Currency"
    "transactioncurrencyid",
    "transactioncurrency",
    "opportunitycurrency",
)

# Suffixes and prefixes that turn a header of the amount (``Amount``, ``Total Price``, ``Quota``)
# into the header of its converted amount, its currency or the converted amount's currency.
_CONVERTED_SUFFIXES = (
    "(converted)",
    "converted",
    "(base)",
    "base",
    "inhomecurrency",
    "incompanycurrency",
    "incorporatecurrency",
)
_CURRENCY_SUFFIXES = ("currency", "currencycode", "currencyisocode")


def amount_headers(amount_keys: set[str]) -> dict[str, str]:
    """Normalized header -> currency field, derived from the normalized headers of the amount.

    ``{"amount"}`` gives ``amount(converted)`` and ``convertedamount`` -> ``amount_converted``,
    ``amountcurrency`` -> ``currency``, ``amount(converted)currency`` -> ``converted_currency``.
    """
    found: dict[str, str] = dict.fromkeys(CURRENCY_HEADERS, "currency")
    for key in sorted(amount_keys):
        for suffix in _CONVERTED_SUFFIXES:
            found.setdefault(key + suffix, "amount_converted")
            for currency in _CURRENCY_SUFFIXES:
                found.setdefault(key + suffix + currency, "converted_currency")
        found.setdefault("converted" + key, "amount_converted")
        for currency in _CURRENCY_SUFFIXES:
            found.setdefault(key + currency, "currency")
    return found


def normalize_code(text: str, what: str = "currency") -> str:
    """``text`` as an upper-case 3-letter code, or :class:`InvalidParameterError`."""
    code = text.strip().upper()
    if not re.match(CODE, code):
        raise InvalidParameterError(
            f"{what} {short(text)!r} is not a 3-letter currency code (ISO 4217, e.g. USD, EUR)",
            details={"parameter": what, "value": short(text)},
        )
    return code


#: An amount cell written with its currency code, as Salesforce's formatted reports do:
#: ``EUR 1,000.00`` (or ``1,000.00 EUR``). Upper case only: ``1.5 Mio`` is no amount in "MIO".
_CODED_AMOUNT = r"^(?:[A-Z]{3}\s*[-+(]?[\d.,]|[-+(]?[\d.,].*\d\)?\s*[A-Z]{3}$)"
_LEADING_CODE = r"^([A-Z]{3})\s*([-+(]?[\d.,].*)$"
_TRAILING_CODE = r"^([-+(]?[\d.,].*?)\s*([A-Z]{3})$"


def with_codes_in_amounts(table: SourceTable) -> SourceTable:
    """``table``, its amount column also read as ``currency`` when its cells carry currency
    codes (``EUR 1,000.00``) and no column names the currency (see :func:`split_codes`)."""
    fields = table.columns.fields
    money = MONEY_FIELDS.get(table.kind)
    if money is None or "currency" in fields or money not in fields:
        return table
    column = fields[money]
    if column not in table.frame.columns or table.frame.schema[column] != pl.String:
        return table
    coded = table.frame[column].str.strip_chars().str.contains(_CODED_AMOUNT).fill_null(False)
    if not coded.any():
        return table
    columns = replace(table.columns, fields={**fields, "currency": column})
    return replace(table, columns=columns)


def split_codes(text: pl.DataFrame, money: str = "amount") -> pl.DataFrame:
    """``money`` (the amount field) and ``currency`` of cleaned cells that both hold
    ``EUR 1,000.00``: the number in ``money``, the code (or null) in ``currency``."""
    amount = pl.col(money)
    leading = amount.str.extract_groups(_LEADING_CODE)
    trailing = amount.str.extract_groups(_TRAILING_CODE)
    return text.with_columns(
        pl.coalesce(leading.struct.field("2"), trailing.struct.field("1"), amount).alias(money),
        pl.coalesce(leading.struct.field("1"), trailing.struct.field("2")).alias("currency"),
    )


def symbol_currency(symbol: str, currencies: Currencies) -> str | None:
    """The currency of amounts written with ``symbol`` (``$300``): the one of its currencies
    the import names as reporting currency, else the one its rates name, else the symbol's
    usual one (``$``: USD); ``None`` for ``¥`` when the import names neither JPY nor CNY."""
    options = SYMBOL_CURRENCIES.get(symbol, ())
    if currencies.reporting in options:
        return currencies.reporting
    rated = [code for code in options if code in currencies.rates]
    if len(rated) == 1:
        return rated[0]
    if not options or symbol in AMBIGUOUS_SYMBOLS:
        return None
    return options[0]


@dataclass(frozen=True, slots=True)
class Currencies:
    """How an import reads the currencies of its amounts.

    ``reporting`` is the ISO code of the currency amounts are stored in (``None``: not named);
    ``rates`` maps a currency to the units of the reporting currency one unit of it is worth
    (``{"EUR": 1.08}``: 100 EUR are stored as 108; empty: no conversion); ``source`` names
    where the rates came from, for messages.
    """

    reporting: str | None = None
    rates: Mapping[str, float] = field(default_factory=dict)
    source: str = "the rates"

    @classmethod
    def of(
        cls,
        reporting: str | None = None,
        rates: Mapping[str, float] | None = None,
        source: str = "the rates",
    ) -> Currencies:
        """Checked settings: codes of 3 letters (any case), rates finite and > 0.

        The reporting currency is ``reporting``, else the one currency whose rate is 1;
        rates without a reporting currency that can be told raise :class:`InvalidParameterError`.
        """
        code = None if reporting is None else normalize_code(reporting, "reporting currency")
        table: dict[str, float] = {}
        for name, rate in (rates or {}).items():
            key = normalize_code(str(name))
            if isinstance(rate, bool) or not isinstance(rate, int | float):
                raise _bad_rate(source, key, rate)
            if not (math.isfinite(rate) and rate > 0):
                raise _bad_rate(source, key, rate)
            if key in table:
                raise InvalidParameterError(
                    f"{source}: {key} is given twice", details={"parameter": "rates", "value": key}
                )
            table[key] = float(rate)
        if table and code is None:
            ones = [name for name, rate in table.items() if rate == 1.0]
            if len(ones) != 1:
                raise InvalidParameterError(
                    f"{source}: name the reporting currency the rates convert to (--currency"
                    " USD, or a line USD,1 in the rates file)",
                    details={"parameter": "currency"},
                )
            code = ones[0]
        if code is not None and code in table and table[code] != 1.0:
            raise InvalidParameterError(
                f"{source}: the reporting currency {code} has rate {table[code]:g}; it must be 1",
                details={"parameter": "rates", "value": code},
            )
        table.pop(code or "", None)
        return cls(code, table, source)

    def rate(self, code: str) -> float | None:
        """Units of the reporting currency per unit of ``code`` (1 for the reporting currency)."""
        if code == self.reporting:
            return 1.0
        return self.rates.get(code)


def _bad_rate(source: str, code: str, rate: object) -> InvalidParameterError:
    return InvalidParameterError(
        f"{source}: the rate of {code} must be a number > 0, got {short(str(rate))!r}",
        details={"parameter": "rates", "value": code},
    )


def read_currencies(rates: str | Path | None = None, reporting: str | None = None) -> Currencies:
    """:class:`Currencies` from a rates file (CSV ``currency,rate``, header optional; ``,``
    ``;`` or tab; a decimal point, or a comma when ``;`` or tab delimits) and the reporting
    currency's code.

    A line ``EUR,1.08`` says one euro is worth 1.08 units of the reporting currency. Raises
    :class:`DataError` naming the file and line for a file that cannot be read or a bad line.
    """
    if rates is None:
        return Currencies.of(reporting)
    path = Path(rates)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = f"cannot read the rates file ({short(str(exc), 200)})"
        raise DataError(
            f"{path}: {reason}", details={"file": str(path), "reason": reason}
        ) from None
    sample = text.splitlines()[0] if text.strip() else ""
    delimiter = max((";", "\t", ","), key=sample.count)
    table: dict[str, float] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) < 2:
            raise _rates_error(path, number, "give currency,rate")
        if len([c for c in cells if c]) > 2:
            # EUR,1,08: a decimal comma in a comma-separated line reads as rate 1
            shown = delimiter.join(cells)
            raise _rates_error(
                path,
                number,
                f"{short(shown)!r} has more than two cells; write currency,rate with a decimal "
                "point (EUR,1.08), or separate with ; for a decimal comma (EUR;1,08)",
            )
        code, value = cells[0], cells[1]
        if delimiter != ",":  # EUR;1,08: a decimal comma
            value = value.replace(",", ".")
        try:
            rate = float(value)
        except ValueError:
            if number == 1 and not table:  # the header
                continue
            raise _rates_error(path, number, f"rate {short(value)!r} is not a number") from None
        if not re.match(CODE, code.upper()):
            reason = f"{short(code)!r} is not a 3-letter currency code"
            raise _rates_error(path, number, reason)
        if not (math.isfinite(rate) and rate > 0):
            raise _rates_error(path, number, f"the rate of {code.upper()} must be > 0")
        if code.upper() in table:
            raise _rates_error(path, number, f"{code.upper()} is given twice")
        table[code.upper()] = rate
    if not table:
        raise _rates_error(path, None, "no rates (give lines currency,rate)")
    try:
        return Currencies.of(reporting, table, source=path.name)
    except InvalidParameterError as exc:
        raise DataError(exc.message, details={"file": str(path), "reason": exc.message}) from None


def _rates_error(path: Path, line: int | None, reason: str) -> DataError:
    where = f"{path}:{line}" if line is not None else str(path)
    return DataError(
        f"{where}: {reason}", details={"file": str(path), "row": line, "reason": reason}
    )


def parse_rates(text: str) -> dict[str, float]:
    """Rates written inline, ``EUR:1.08,GBP=1.27`` -> ``{"EUR": 1.08, "GBP": 1.27}``."""
    table: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;\s]+", text))):
        code, sep, value = part.replace("=", ":").partition(":")
        try:
            table[code.strip().upper()] = float(value) if sep else math.nan
        except ValueError:  # named as written ('abc'), not as the nan it would become
            raise _bad_rate("rates", code.strip().upper(), value.strip()) from None
    return table
