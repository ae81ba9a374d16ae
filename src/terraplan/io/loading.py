"""One call from a file to accepted rows and a report: read, map, validate, geocode."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from terraplan.io.currency import Currencies
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.parsing import Decimal
from terraplan.io.readers import read_table
from terraplan.io.validation import ValidationResult, validate


def load_file(
    path: str | Path,
    kind: str,
    *,
    mapping: Mapping[str, Any] | str | Path | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    decimal: Decimal | None = None,
    known_ids: Mapping[str, Collection[str]] | None = None,
    geocoder: ZipDirectory | None = None,
    geocode: bool = True,
    rep_names: Mapping[str, str] | None = None,
    currencies: Currencies | None = None,
    account_names: Mapping[str, str] | None = None,
) -> ValidationResult:
    """:func:`read_table` then :func:`validate` (see both for the parameters).

    Raises :class:`DataError` only when the file cannot be read; row problems are in
    ``result.report``.
    """
    table = read_table(path, kind, mapping=mapping, encoding=encoding, sheet=sheet, decimal=decimal)
    return validate(
        table,
        known_ids=known_ids,
        geocoder=geocoder,
        geocode=geocode,
        rep_names=rep_names,
        currencies=currencies,
        account_names=account_names,
    )
