"""States, countries and postal codes as people type them, turned into codes.

- US states (and DC and the inhabited territories) become their USPS code from the code, the
  full name or an AP-style abbreviation, in any case, with or without dots or extra spaces
  (``"California"``, ``" ca"``, ``"N.Y."``, ``"Mass."``, ``"new  york"``); an unknown spelling
  is kept as typed.
- Countries become ISO 3166 alpha-2 codes from the code, the alpha-3 code or a common name
  (``"United States"``, ``"USA"``, ``"U.S."``, ``"Canada"``, ``"Deutschland"``...); an unknown
  spelling is kept as typed.
- Postal codes: :data:`US_ZIP_SHAPE` (5 digits, ZIP+4 with or without its dash, or 3-4
  digits that lost their leading zeros in a spreadsheet, with or without a +4) and :data:`FOREIGN_POSTAL` (Canadian and British shapes, which tell
  a non-US record when its country is empty).

The spelling tables are :mod:`terraplan.domain.places`' (routing one record reads them there),
so that an import and a routed lead read a state or a country alike.
"""

from __future__ import annotations

import polars as pl

from terraplan.domain.places import COUNTRIES, STATE_KEYS

#: Canadian postal codes: ``A1A 1A1`` (space optional).
CANADIAN_POSTAL = r"^[ABCEGHJ-NPRSTVXYabceghj-nprstvxy]\d[A-Za-z]\s?\d[A-Za-z]\d$"
#: British postcodes: ``SW1A 1AA``, ``M1 1AE`` (space optional).
BRITISH_POSTAL = r"^[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}$"
#: Country of a postal code shape that is clearly not a US ZIP.
FOREIGN_POSTAL: dict[str, str] = {"CA": CANADIAN_POSTAL, "GB": BRITISH_POSTAL}
#: A ZIP with or without its +4: 5 digits, or 3-4 that lost their leading zeros in a
#: spreadsheet (``2134`` -> ``02134``, ``2134-1234`` -> ``02134``: the dash marks a ZIP+4, so
#: the part before it is the ZIP), or a spreadsheet float (``"2134.0"``). Group 1 is the ZIP
#: before padding. The same reading as routing's (:func:`terraplan.rules.fields.zip5`).
DASHED_ZIP = r"^([0-9]{3,5})(?:\.0+|-[0-9]{4})?$"
#: A ZIP+4 written without its dash (``941071234``: ZIP 94107; nine digits can only be 5 + 4).
UNDASHED_ZIP4 = r"^[0-9]{9}(?:\.0+)?$"
#: What a US ZIP may look like in a file: :data:`DASHED_ZIP` or :data:`UNDASHED_ZIP4`. Not
#: 6-8 digits: ``21341234`` may be ``02134-1234`` that lost its zero or a mistyped ZIP+4.
US_ZIP_SHAPE = f"{DASHED_ZIP}|{UNDASHED_ZIP4}"


def _key(text: pl.Expr) -> pl.Expr:
    """Lower case, dots and separators as single spaces, trimmed."""
    return (
        text.str.to_lowercase()
        .str.replace_all(r"[.\-_,]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def state_code(text: pl.Expr) -> pl.Expr:
    """The USPS code of a US state spelling, else null."""
    return _key(text).replace_strict(STATE_KEYS, default=None, return_dtype=pl.String)


def country_code(text: pl.Expr) -> pl.Expr:
    """The ISO alpha-2 code of a country spelling, else null."""
    return _key(text).replace_strict(COUNTRIES, default=None, return_dtype=pl.String)


def normalize_state(text: pl.Expr) -> pl.Expr:
    """The USPS code when ``text`` spells a US state, else ``text`` as typed (trimmed)."""
    return pl.coalesce(state_code(text), text.str.strip_chars())


def normalize_country(text: pl.Expr) -> pl.Expr:
    """The ISO code when ``text`` spells a known country, else ``text`` as typed (trimmed)."""
    return pl.coalesce(country_code(text), text.str.strip_chars())
