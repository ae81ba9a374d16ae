"""Postal code shapes that tell a record is abroad when its country is empty.

States, countries and US ZIPs read as people type them (``"California"``, ``"U.S."``,
``2134-1234``) are turned into codes by :mod:`terraplan.rules.place_columns`, on the spelling
tables and ZIP shapes of :mod:`terraplan.domain.places`: routing one record, assigning a table at once and
importing a file read a state, a country or a ZIP alike.
"""

from __future__ import annotations

#: Canadian postal codes: ``A1A 1A1`` (space optional).
CANADIAN_POSTAL = r"^[ABCEGHJ-NPRSTVXYabceghj-nprstvxy]\d[A-Za-z]\s?\d[A-Za-z]\d$"
#: British postcodes: ``SW1A 1AA``, ``M1 1AE`` (space optional).
BRITISH_POSTAL = r"^[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}$"
#: Country of a postal code shape that is clearly not a US ZIP.
FOREIGN_POSTAL: dict[str, str] = {"CA": CANADIAN_POSTAL, "GB": BRITISH_POSTAL}
