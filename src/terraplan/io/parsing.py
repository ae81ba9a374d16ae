"""Vectorised parsers: polars expressions turning text cells into typed values.

Each parser takes an expression of stripped, non-empty text (null for an empty cell) and
returns the typed value, or null where the text cannot be parsed; the validator reports
"text present, value null" as a bad cell.

Accepted spellings:

- numbers: ``1234.5``, ``-3``, ``1e6``, thousands separators ``1,234,567.89`` and
  ``1.234.567,89``, a decimal comma ``1234,5``, currency symbols and spaces (``$1,200.50``,
  ``1 200 €``; one symbol at most: ``$$5`` is no number); NaN and infinities are rejected.
  With a decimal point a comma only separates thousands, in groups of three: ``12,34`` and
  ``1,2345`` are no numbers then. ``1,200`` and ``1.200`` read by the file's
  decimal separator (:data:`Decimal`: declared, or see :func:`detect_decimal`): with a decimal
  point they are 1200 and 1.2, with a decimal comma 1.2 and 1200; when the separator is
  unknown they are *ambiguous* (:func:`ambiguous_number`) and reported;
- whole numbers: as numbers, with no fractional part (``12.0`` is 12);
- dates: ISO ``2024-03-05``, ISO date-times with any time zone (Salesforce
  ``2024-03-05T10:11:12.000+0000``; the date is taken as written, not converted), US
  ``3/5/2024`` (month first; day first in a column whose dates show it, ``25/03/2024``:
  :func:`slashed_day_first`, or when no date shows the order and the numbers have a decimal
  comma: :func:`guessed_order`) and ``05.03.2024`` (day first). Slashed and dotted dates may
  have a two-digit year (``3/5/24``: :func:`two_digit_year_limit`) and a time, taken off as
  for ISO: ``3/5/2024 10:30 AM``, ``3/5/2024, 10:30:00 PM``, ``3/5/2024 14:30``,
  ``05.03.2024 14:30`` (hours 0-23, or 1-12 with AM/PM; minutes and seconds 00-59);
- booleans: true/false, yes/no, y/n, t/f, 1/0 (any case);
- lists: items separated by ``;`` or ``,``, blanks dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Literal

import polars as pl

from terraplan.io.time_zones import zoned_day

#: The decimal separator of a file's numbers; ``None`` when it cannot be known.
Decimal = Literal["point", "comma"]

_SYMBOL = r"[$€£¥]"
_NOISE = r"[\s\u00a0\u202f'$€£¥]"
_PLAIN = r"^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$"
_AMBIGUOUS_COMMA = r"^[+-]?\d{1,3},\d{3}$"
_AMBIGUOUS_POINT = r"^[+-]?\d{1,3}\.\d{3}$"
_COMMA_GROUPS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_POINT_GROUPS = r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"
_DECIMAL_COMMA = r"^([+-]?\d*),(\d+)$"
_POINT_EVIDENCE = (
    r"^[+-]?\d{1,3}(,\d{3})+\.\d+$|^[+-]?\d{1,3}(,\d{3}){2,}$"
    r"|^[+-]?\d*\.(\d{1,2}|\d{4,})$|^[+-]?(\d{4,}|0)\.\d+$"
)
_COMMA_EVIDENCE = (
    r"^[+-]?\d{1,3}(\.\d{3})+,\d+$|^[+-]?\d{1,3}(\.\d{3}){2,}$"
    r"|^[+-]?\d*,(\d{1,2}|\d{4,})$|^[+-]?(\d{4,}|0),\d+$"
)
#: ISO dates, alone or with a time (24-hour, a zone or none), or a report's 12-hour time
#: (``2026-11-03 9:42 AM``).
_ISO_DATE = (
    r"(?i)^\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
    r"|\s+(0?[1-9]|1[0-2]):[0-5]\d(:[0-5]\d)?\s*[ap]\.?m\.?)?$"
)
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
_TIME = rf"(?:,?\s+(?:(?:0?[1-9]|1[0-2]):[0-5]\d(?::[0-5]\d)?\s*[ap]\.?m\.?|{_CLOCK}))?"
#: Groups: first number, second number, year (4 or 2 digits); then an optional time.
_SLASHED = rf"(?i)^(\d{{1,2}})/(\d{{1,2}})/(\d{{4}}|\d{{2}}){_TIME}$"
_DOTTED = rf"^(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}}|\d{{2}})(?:,?\s+{_CLOCK})?$"
_SHORT_YEAR = r"^(\d{1,2}[/.]\d{1,2}[/.]\d{2})\b"
_INT_TEXT = r"^[+-]?(0|[1-9]\d{0,17})$"
_FLOAT_TEXT = r"^[+-]?((0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|\.\d+)$"
#: An exponent not written the way a spreadsheet writes one (``1E5``, ``3e2``; not ``1.5E+07``).
_BARE_EXPONENT = r"^[+-]?\d+[eE]\d+$"

_TRUE = ("true", "yes", "y", "t", "1", "x", "active")
_FALSE = ("false", "no", "n", "f", "0", "inactive")

#: Spellings of enum values beside the value itself (keys normalised as by :func:`enum_key`).
ENUM_SYNONYMS: Mapping[str, Mapping[str, str]] = {
    "role": {
        "ae": "account_executive",
        "rep": "account_executive",
        "sales_rep": "account_executive",
        "sales_representative": "account_executive",
        "representative": "account_executive",
        "account_rep": "account_executive",
        "account_exec": "account_executive",
        "field_sales": "account_executive",
        "field_sales_rep": "account_executive",
        "field_rep": "account_executive",
        "territory_rep": "account_executive",
        "territory_manager": "account_executive",
        "salesperson": "account_executive",
        "am": "account_manager",
        "key_account_manager": "account_manager",
        "kam": "account_manager",
        "customer_success_manager": "account_manager",
        "csm": "account_manager",
        "sdr": "sales_development",
        "bdr": "sales_development",
        "sales_development_rep": "sales_development",
        "sales_development_representative": "sales_development",
        "business_development_rep": "sales_development",
        "business_development_representative": "sales_development",
        "inside_sales": "sales_development",
        "mgr": "manager",
        "sales_manager": "manager",
        "sales_mgr": "manager",
        "rsm": "manager",
        "regional_manager": "manager",
        "regional_sales_manager": "manager",
        "district_manager": "manager",
        "district_sales_manager": "manager",
        "area_manager": "manager",
        "area_sales_manager": "manager",
        "first_line_manager": "manager",
        "team_lead": "manager",
        "team_leader": "manager",
        "dir": "director",
        "sales_director": "director",
        "regional_director": "director",
        "rvp": "director",
        "avp": "director",
        "vp": "director",
        "vp_sales": "director",
        "vp_of_sales": "director",
        "regional_vice_president": "director",
        "area_vice_president": "director",
        "vice_president": "director",
        "vice_president_of_sales": "director",
        "head_of_sales": "director",
        "specialist": "specialist",
        "solution_specialist": "specialist",
        "sales_specialist": "specialist",
        "sales_engineer": "specialist",
        "se": "specialist",
        "solutions_engineer": "specialist",
        "solution_engineer": "specialist",
        "presales": "specialist",
        "overlay": "specialist",
    },
    "kind": {"zip_code": "zip", "zcta": "zip", "postal_code": "zip"},
}


def clean_text(column: str) -> pl.Expr:
    """Column ``column`` as stripped text, accents composed (Unicode NFC); empty cells become
    null.

    The apostrophe our CSV exports put before text a spreadsheet would run as a formula
    (``'=SUM(A1)``, see :mod:`terraplan.io.writers`) is taken off again.
    """
    # accents composed (NFC): "Société" typed with a combining accent is the stored one
    text = pl.col(column).cast(pl.String).str.normalize("NFC").str.strip_chars()
    text = pl.when(text.str.contains(r"^'+[=+\-@\t\r]")).then(text.str.slice(1)).otherwise(text)
    return pl.when(text != "").then(text)


def _number_text(text: pl.Expr) -> pl.Expr:
    """``text`` without currency symbols, spaces and apostrophes (``"$ 1'200"`` -> ``1200``)."""
    return text.str.replace_all(_NOISE, "")


def parse_float(text: pl.Expr, decimal: Decimal | None = "point") -> pl.Expr:
    """Float64 of ``text`` (null when not a finite number, or ambiguous; see the module doc)."""
    t = _number_text(text)
    no_commas = t.str.replace_all(",", "", literal=True)
    european = t.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    if decimal == "point":
        comma3, point3 = no_commas, t
    elif decimal == "comma":
        comma3, point3 = t.str.replace(",", ".", literal=True), european
    else:
        comma3 = point3 = pl.lit(None, dtype=pl.String)
    plain = (
        pl.when(t.str.contains(_AMBIGUOUS_COMMA))
        .then(comma3)
        .when(t.str.contains(_AMBIGUOUS_POINT))
        .then(point3)
        .when(t.str.contains(_PLAIN))
        .then(t)
        .when(t.str.contains(_COMMA_GROUPS))
        .then(no_commas)
        .when(t.str.contains(_POINT_GROUPS))
        .then(european)
    )
    if decimal != "point":  # with a decimal point a comma only groups thousands
        plain = plain.when(t.str.contains(_DECIMAL_COMMA)).then(
            t.str.replace(",", ".", literal=True)
        )
    value = plain.cast(pl.Float64, strict=False)
    one_symbol = text.str.count_matches(_SYMBOL) <= 1
    return pl.when(value.is_finite() & one_symbol).then(value)


def comma_in_point_number(text: pl.Expr) -> pl.Expr:
    """True where ``text`` would be a number with a decimal comma (``12,34``, ``1,2345``):
    not a number in a column whose decimal separator is a point."""
    return _number_text(text).str.contains(_DECIMAL_COMMA)


def ambiguous_number(text: pl.Expr) -> pl.Expr:
    """True where ``text`` reads differently with a decimal point and a decimal comma."""
    t = _number_text(text)
    return t.str.contains(_AMBIGUOUS_COMMA) | t.str.contains(_AMBIGUOUS_POINT)


def any_thousands_comma(texts: Iterable[pl.Series]) -> bool:
    """Does any value look like a whole number with thousands commas (``$10,000``,
    ``1,200``)? In a comma-separated file such a value contradicts a decimal comma shown by
    another cell (``"12,34"``, most likely a typo): then the separator is left unknown and
    each such value is reported rather than read as 10 or 1.2."""
    return any(
        bool(series.drop_nulls().str.replace_all(_NOISE, "").str.contains(_AMBIGUOUS_COMMA).any())
        for series in texts
    )


def detect_decimal(texts: Iterable[pl.Series]) -> Decimal | None:
    """The decimal separator the numbers in ``texts`` show, or ``None`` (none or both).

    A decimal point shows in ``1,200.50``, ``1,200,000``, ``12.5`` or ``0.125``; a decimal
    comma in ``1.200,50``, ``1.200.000``, ``12,5`` or ``0,125``. ``1,200`` and ``1.200``
    show nothing.
    """
    point = comma = False
    for series in texts:
        values = series.drop_nulls().str.replace_all(_NOISE, "")
        point = point or bool(values.str.contains(_POINT_EVIDENCE).any())
        comma = comma or bool(values.str.contains(_COMMA_EVIDENCE).any())
    if point == comma:
        return None
    return "point" if point else "comma"


def parse_int(text: pl.Expr, decimal: Decimal | None = "point") -> pl.Expr:
    """Int64 of ``text`` (null when not a whole number)."""
    value = parse_float(text, decimal)
    whole = (value == value.floor()) & (value.abs() < 2.0**62)
    return pl.when(whole).then(value.cast(pl.Int64, strict=False))


YEARS_AHEAD = 10
"""A two-digit year is read in the 2000s unless that is more than this many years ahead."""


def two_digit_year_limit(today: date | None = None) -> int:
    """The last year a two-digit year reads as: ``today``'s year + :data:`YEARS_AHEAD`.

    ``YY`` is ``20YY`` when that is at most the limit, else ``19YY``: imported in 2026,
    ``00``-``36`` are 2000-2036 and ``37``-``99`` are 1937-1999 (a quota period or a close
    date a few years ahead reads right, a hire date in the eighties too).
    """
    return (today or date.today()).year + YEARS_AHEAD


def _numbered_date(text: pl.Expr, shape: str, *, day_first: bool, year_limit: int) -> pl.Expr:
    """Date of ``text`` matching ``shape`` (groups: two numbers and the year), or null."""
    parts = text.str.extract_groups(shape)
    first, second = parts.struct.field("1"), parts.struct.field("2")
    year_text = parts.struct.field("3")
    year = year_text.cast(pl.Int64, strict=False)
    century = pl.when(year + 2000 <= year_limit).then(year + 2000).otherwise(year + 1900)
    year = pl.when(year_text.str.len_chars() == 2).then(century).otherwise(year)
    month, day = (second, first) if day_first else (first, second)
    iso = pl.concat_str(
        year.cast(pl.String).str.zfill(4), month.str.zfill(2), day.str.zfill(2), separator="-"
    )
    return iso.str.to_date("%Y-%m-%d", strict=False)


def parse_date(
    text: pl.Expr,
    *,
    day_first: bool = False,
    year_limit: int | None = None,
    time_zone: str | None = None,
) -> pl.Expr:
    """Date of ``text`` (null when not one of the accepted spellings).

    Slashed dates are month first (``3/5/2024`` is 5 March) unless ``day_first`` (see
    :func:`slashed_day_first`). A two-digit year is read up to ``year_limit`` (default:
    :func:`two_digit_year_limit` of today). With ``time_zone``, an ISO date-time that says its
    zone is read as its day there (:mod:`terraplan.io.time_zones`).
    """
    limit = two_digit_year_limit() if year_limit is None else year_limit
    iso: pl.Expr = pl.when(text.str.contains(_ISO_DATE)).then(
        text.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})", 1).str.to_date("%Y-%m-%d", strict=False)
    )
    if time_zone is not None:
        iso = pl.coalesce(zoned_day(text, time_zone), iso)
    us = _numbered_date(text, _SLASHED, day_first=day_first, year_limit=limit)
    dotted = _numbered_date(text, _DOTTED, day_first=True, year_limit=limit)
    return pl.coalesce(iso, us, dotted)


#: Why slashed dates are read in an order no date of the file shows (every day and month is
#: 12 or less): the file's numbers are written with a decimal comma (``1.000,00``, the
#: European way, whose dates are day first), or nothing tells (month first, the US way).
Guess = Literal["decimal comma", "month first"]


def guessed_order(decimal: Decimal | None) -> Guess:
    """The order slashed dates are read in when no date of the file shows it: day first in a
    file whose numbers have a decimal comma (a European export: ``01/12/2025;1.000,00`` is
    1 December), else month first."""
    return "decimal comma" if decimal == "comma" else "month first"


def guessed_order_note(columns: Sequence[str], guess: Guess) -> str:
    """The note saying which order the slashed dates of ``columns`` were read in, and how to
    have them read otherwise (no option names the order: the dates themselves must show it)."""
    names = ", ".join(repr(c) for c in columns)
    which = f"column{'s' if len(columns) > 1 else ''} {names}"
    if guess == "decimal comma":
        return (
            f"{which} do{'es' if len(columns) == 1 else ''} not show the date order (every day"
            " and month is 12 or less): slashed dates are read as day/month/year, as the"
            " file's numbers are written with a decimal comma (1.000,50); if they are"
            " month/day/year, write them as YYYY-MM-DD"
        )
    return (
        f"{which} do{'es' if len(columns) == 1 else ''} not show the date order (every day"
        " and month is 12 or less): slashed dates are read as month/day/year; if they are"
        " day/month/year, write them as YYYY-MM-DD"
    )


def column_dates(
    values: pl.Series,
    column: str,
    year_limit: int,
    *,
    day_first: bool | None = None,
    like: Sequence[str] = (),
    guess: Guess | None = None,
    time_zone: str | None = None,
) -> tuple[pl.Expr, list[str]]:
    """The date parser of the text ``values`` of ``column``, and warnings saying how its
    slashed dates are read: day first (:func:`slashed_day_first`, unless ``day_first`` is
    given: an earlier batch of the same import decided), two-digit years. ``like``: the
    other date columns of the file that decided a day-first order this column does not show
    (:func:`file_day_first`). ``guess``: no date of the file shows the order, which is read
    as :func:`guessed_order` says (the caller says so once for all such columns:
    :func:`guessed_order_note`)."""
    if guess is not None:
        day_first = guess == "decimal comma"
    elif day_first is None:
        day_first = slashed_day_first(values)
    notes = []
    if guess is not None:
        pass
    elif day_first and like:
        others = ", ".join(repr(c) for c in like)
        notes.append(
            f"column {column!r} does not show its date order (every day and month is 12 or"
            f" less): its slashed dates are read as day/month/year, like column"
            f"{'s' if len(like) > 1 else ''} {others}"
        )
    elif day_first:
        notes.append(
            f"column {column!r} writes dates day first (e.g. 25/03/2025):"
            " its slashed dates are read as day/month/year"
        )
    short = values.drop_nulls().str.extract(_SHORT_YEAR, 1).drop_nulls()
    if short.len():
        last = year_limit % 100
        notes.append(
            f"column {column!r} writes two-digit years (e.g. {short[0]!r}):"
            f" 00-{last:02d} are read as {year_limit - last}-{year_limit},"
            f" {last + 1:02d}-99 as {year_limit - 99}-{year_limit - last - 1}"
        )
    parser = parse_date(
        pl.col(values.name), day_first=day_first, year_limit=year_limit, time_zone=time_zone
    )
    return parser, notes


def slashed_orders(values: pl.Series) -> tuple[bool, bool, bool]:
    """What the slashed dates of ``values`` show: ``(day first, month first, any slashed)``
    (``25/03/2025`` shows the day first, ``03/25/2025`` the month first)."""
    parts = values.drop_nulls().str.extract_groups(_SLASHED)
    first = parts.struct.field("1").cast(pl.Int64, strict=False)
    second = parts.struct.field("2").cast(pl.Int64, strict=False)
    return bool((first > 12).any()), bool((second > 12).any()), bool(first.is_not_null().any())


def file_day_first(shown: Mapping[str, tuple[bool, bool]]) -> list[str]:
    """The date columns that decide a day-first order for the file's other date columns.

    ``shown``: per date column, ``(day first, month first)`` as :func:`slashed_orders` saw
    them. A column showing no order of its own (``01/12/2024``) follows the file when some
    columns show the day first (``15/01/2025``) and none shows the month first, in either
    column alone or mixed with day-first dates; the answer is then those columns, else
    empty (the columns disagree, or nothing decides: such a column reads month first).
    """
    if any(month for _, month in shown.values()):
        return []
    return [column for column, (day, _) in shown.items() if day]


def slashed_day_first(values: pl.Series) -> bool:
    """True when the slashed dates of ``values`` show the day first and never the month.

    ``25/03/2025`` shows the day first (no 25th month), ``03/25/2025`` the month first;
    ``05/03/2025`` shows nothing. A column showing both, or nothing, reads month first.
    Two-digit years and times count as for :func:`parse_date`.
    """
    parts = values.drop_nulls().str.extract_groups(_SLASHED)
    first = parts.struct.field("1").cast(pl.Int64, strict=False)
    second = parts.struct.field("2").cast(pl.Int64, strict=False)
    return bool((first > 12).any()) and not bool((second > 12).any())


def parse_bool(text: pl.Expr) -> pl.Expr:
    """Boolean of ``text`` (null when not a known spelling)."""
    table = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
    return text.str.to_lowercase().replace_strict(table, default=None, return_dtype=pl.Boolean)


def enum_key(text: pl.Expr) -> pl.Expr:
    """``"Account Executive"`` -> ``"account_executive"``; ``"Sr. AE"`` -> ``"ae"``.

    Case, spaces, dots, hyphens, slashes and underscores do not matter, nor a seniority
    word in front (senior, sr, junior, jr, principal, associate, lead).
    """
    key = text.str.to_lowercase().str.replace_all(r"[\s\-/._&,]+", "_").str.strip_chars("_")
    return key.str.replace(r"^(senior|sr|junior|jr|principal|associate|lead)_(.)", "$2")


def _squashed(key: str) -> str:
    """An enum key without its separators: ``"s_d_r"`` and ``"sdr"`` are one spelling."""
    return key.replace("_", "")


def parse_enum(text: pl.Expr, choices: Iterable[str], synonyms: Mapping[str, str]) -> pl.Expr:
    """The canonical enum value of ``text`` (null when unknown).

    Separators are compared away altogether (:func:`enum_key`, then without underscores),
    so that a word spelt with dots, spaces or hyphens between its letters (``S.D.R.``,
    ``A.E.``, ``V.P. Sales``, ``s-d-r``) is the same word as ``SDR``, ``AE`` or ``VP Sales``.
    """
    table = {_squashed(k): v for k, v in {**dict(synonyms), **{c: c for c in choices}}.items()}
    key = enum_key(text).str.replace_all("_", "", literal=True)
    return key.replace_strict(table, default=None, return_dtype=pl.String)


def parse_list(text: pl.Expr) -> pl.Expr:
    """List of the ``;``/``,``-separated items of ``text``; an empty cell is an empty list."""
    items = text.str.replace_all(",", ";", literal=True).str.split(";")
    stripped = items.list.eval(
        pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != "")
    )
    return stripped.fill_null(pl.lit([], dtype=pl.List(pl.String)))


def text_type(values: pl.Series) -> pl.DataType:
    """The narrowest type holding every non-null text in ``values``.

    Boolean when all are true/false, Int64 when all are whole numbers without leading
    zeros, Float64 when all are numbers, else String (so codes such as ``00123`` stay text).
    """
    present = values.drop_nulls()
    if present.len() == 0:
        return pl.String()
    lowered = present.str.to_lowercase()
    if lowered.is_in(["true", "false"]).all():
        return pl.Boolean()
    if present.str.contains(_INT_TEXT).all():
        return pl.Int64()
    # "1E5" or "12e4" are codes (part numbers), not numbers: an exponent counts only as a
    # spreadsheet writes one (1.23E+15)
    if present.str.contains(_FLOAT_TEXT).all() and not present.str.contains(_BARE_EXPONENT).any():
        return pl.Float64()
    return pl.String()


def cast_text(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``text`` as ``dtype`` (one of the types :func:`text_type` returns)."""
    if dtype == pl.Boolean:
        return text.str.to_lowercase() == "true"
    if dtype == pl.String:
        return text
    return text.cast(dtype, strict=False)
