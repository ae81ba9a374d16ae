"""DataFrames in the library (terraplan.frames): pandas/Polars in, validation, frames out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import polars as pl
import pytest

import terraplan.frames as tf
from terraplan.domain import Account
from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.readers import read_table
from terraplan.io.validation import validate


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return tf.demo_frames(seed=7, n_accounts=300)


@pytest.fixture(scope="module")
def oregon(demo: dict[str, pd.DataFrame]) -> pd.DataFrame:
    units = demo["geo_units"]
    return units[units["state"].isin(["OR", "WA"])]


@pytest.fixture(scope="module")
def design(oregon: pd.DataFrame, demo: dict[str, pd.DataFrame]) -> tf.Design:
    return tf.design_territories(
        oregon,
        accounts=demo["accounts"],
        n_territories=4,
        balance={"population": 0.2, "count": 0.5},
        contiguous=True,
        seed=3,
        method="heuristic",
        time_limit=10,
    )


def test_a_bad_row_names_the_index_and_field() -> None:
    frame = pd.DataFrame(
        {
            "Id": ["A1", "A2", "A3"],
            "Name": ["Acme", "Beta", None],
            "BillingPostalCode": ["94107", "10001", "60601"],
            "potential": [10.0, -1.0, 3.0],
        },
        index=[100, 101, 102],
    )
    with pytest.raises(DataError) as caught:
        tf.records(frame, "accounts")
    assert caught.value.message.startswith(
        "accounts DataFrame: row 101, column 'potential': value '-1': must be >= 0"
    )
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["column"], i["field"]) for i in issues] == [
        (101, "potential", "potential"),
        (102, "Name", "name"),
    ]
    # Polars frames are named by position from 0; the report reads as a frame too.
    result = tf.validate_frame(pl.from_pandas(frame), "accounts")
    report = tf.to_frame(result.report, library="polars")
    assert report.select("row", "field").rows() == [(1, "potential"), (2, "name")]
    assert result.frame["id"].to_list() == ["A1"]
    # as the README writes it: the validation itself reads as its problems
    assert tf.to_frame(result, library="polars").equals(report)


def test_frames_read_like_files_and_round_trip(demo: dict[str, pd.DataFrame]) -> None:
    accounts = tf.records(demo["accounts"], "accounts")
    assert len(accounts) == 300 and all(isinstance(a, Account) for a in accounts)
    again = tf.records(tf.to_frame(accounts), "accounts")
    assert again == accounts
    # Salesforce column names and messy values: the file import's rules apply.
    crm = pd.DataFrame(
        {
            "Id": ["001A"],
            "Account Name": ["Acme"],
            "BillingPostalCode": ["94107-1234"],
            "Billing State/Province": ["California"],
            "AnnualRevenue": ["$1,200,000"],
        }
    )
    (acme,) = tf.records(crm, "accounts")
    assert (acme.postal_code, acme.state, acme.annual_revenue, acme.county_fips) == (
        "94107",
        "CA",
        1_200_000.0,
        "06075",
    )


def test_a_mixed_column_reads_as_the_same_cells_in_a_file(tmp_path: Path) -> None:
    # A German CRM export: amounts typed in by hand are text cells ("1.234,56", "2,500"),
    # the others number cells. pandas.read_excel gives one column of str and float; the
    # floats' Python text (3000.0) must not decide that the column writes a decimal point.
    header = ["Id", "Account Name", "BillingCountry", "BillingPostalCode", "AnnualRevenue"]
    rows: list[list[object]] = [
        ["001A", "Müller GmbH", "US", "02134", "1.234,56"],
        ["001B", "Beta AG", "US", "10001", "2,500"],
        ["001C", "Gamma KG", "US", "60601", 3000],
        ["001D", "Delta SE", "US", "94107", 12.5],
        ["001E", "Epsilon", "US", "30301", None],
        [4711, "Zeta", "US", "73301", " 7.000 "],
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    path = tmp_path / "accounts.xlsx"
    book.save(path)
    frame = pd.read_excel(path, dtype={"BillingPostalCode": str})
    assert frame["AnnualRevenue"].dtype == object and frame["Id"].dtype == object

    from_frame = tf.validate_frame(frame, "accounts", geocode=False)
    from_file = validate(read_table(path, "accounts"), geocode=False)
    revenue = from_frame.frame.select("id", "annual_revenue").rows()
    assert revenue == [
        ("001A", 1234.56),
        ("001B", 2.5),
        ("001C", 3000.0),
        ("001D", 12.5),
        ("001E", None),
        ("4711", 7000.0),
    ]
    assert revenue == from_file.frame.select("id", "annual_revenue").rows()
    assert from_frame.report.issues == from_file.report.issues == []
    # as_polars reads the mixed column's numbers as a number column's cells; an integer
    # id beside text ids keeps all its digits (a float would not)
    frame.loc[5, "Id"] = 1234567890123456789
    data, _ = tf.as_polars(frame)
    assert data["Id"].to_list()[4:] == ["001E", "1234567890123456789"]
    assert data["AnnualRevenue"].to_list() == ["1.234,56", "2,500", "3000", "12.5", None, " 7.000 "]


def test_design_from_frames(design: tf.Design, oregon: pd.DataFrame, demo: Any) -> None:
    alignment = design.to_frame()
    assert list(alignment.columns) == ["unit_id", "unit", "territory_id", "territory"]
    entries = tf.to_frame(design.plan, library="polars")
    assert dict(entries.select("record_id", "territory_id").rows()) == design.territory_of
    assert sorted(alignment["unit_id"]) == sorted(oregon["id"])
    assert alignment["unit"].str.endswith((", OR", ", WA")).all()
    balance = design.balance()
    assert set(balance["metric"]) == {"population", "count"}
    counts = balance[balance["metric"] == "count"]
    accounts = demo["accounts"]
    in_area = accounts["county_fips"].isin(oregon["id"]).sum()
    assert counts["total"].sum() == pytest.approx(in_area)
    assert counts["units"].sum() == len(oregon)
    population = balance[balance["metric"] == "population"]
    assert population["total"].sum() == pytest.approx(oregon["population"].sum())
    within = (population["deviation"].abs() <= population["tolerance"] + 1e-9).tolist()
    assert within == population["within_tolerance"].tolist()


def test_rules_of_a_design_assign_accounts_as_the_alignment(design: tf.Design, demo: Any) -> None:
    rules = design.rules()
    assigned = tf.assign_accounts(demo["accounts"], rules, library="polars")
    county = dict(zip(demo["accounts"]["id"], demo["accounts"]["county_fips"], strict=True))
    territory_of = design.territory_of
    for account_id, territory in assigned.select("id", "territory_id").rows():
        assert territory == territory_of.get(county[account_id])


def test_kpis_and_geodataframe(design: tf.Design, demo: Any) -> None:
    kpis = tf.compute_kpis(
        design.plan,
        sales_lines=demo["sales_lines"],
        accounts=demo["accounts"],
        periods=["2025"],
        dimensions=["territory"],
        library="polars",
    )
    assert isinstance(kpis, pl.DataFrame)
    assert set(kpis["key"]) <= {t.id for t in design.plan.territories}
    revenue = kpis["revenue"].sum()
    lines = demo["sales_lines"]
    in_area = set(demo["accounts"]["id"][demo["accounts"]["county_fips"].isin(design.territory_of)])
    dates = pd.to_datetime(lines["date"])
    mine = lines[lines["account_id"].isin(in_area) & (dates.dt.year == 2025)]
    assert revenue == pytest.approx(mine["amount"].sum())
    fiscal = tf.compute_kpis(  # FY2026 of a July start: 2025-07-01 to 2026-06-30
        design.plan,
        sales_lines=demo["sales_lines"],
        accounts=demo["accounts"],
        periods=["FY2026"],
        dimensions=["territory"],
        library="polars",
        fiscal=7,
    )
    start, end = pd.Timestamp(2025, 7, 1), pd.Timestamp(2026, 6, 30)
    mine = lines[lines["account_id"].isin(in_area) & (dates >= start) & (dates <= end)]
    assert fiscal["revenue"].sum() == pytest.approx(mine["amount"].sum())

    gdf = design.to_geodataframe()
    assert gdf.crs.to_epsg() == 4326
    assert sorted(gdf["territory_id"]) == sorted(t.id for t in design.plan.territories)
    assert (~gdf.geometry.is_empty).all() and gdf.geometry.is_valid.all()
    assert gdf["population"].sum() == pytest.approx(design.balance()["total"][::2].sum())


def test_pandas_stays_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame({"a": [1]})
    assert tf.to_frame(frame, library="polars") is frame
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(InvalidParameterError, match="pandas is not installed"):
        tf.to_frame(frame)
    with pytest.raises(DataError, match="expected a pandas or Polars DataFrame"):
        tf.as_polars({"id": ["A1"]})


def test_planning_says_where_dataframes_go(demo: dict[str, pd.DataFrame]) -> None:
    from terraplan.planning.design import design_territories

    with pytest.raises(InvalidParameterError, match=r"use terraplan\.frames\.design_territories"):
        design_territories(demo["geo_units"], n_territories=3)


def _grid_neighbours(ids: list[str], i: int) -> list[str]:
    """Rook neighbours of cell ``i`` of a 3x4 grid."""
    near = [i - 4, i + 4, i - 1 if i % 4 else -1, i + 1 if i % 4 < 3 else -1]
    return [ids[j] for j in near if 0 <= j < len(ids)]


@pytest.mark.parametrize("kind", ["custom", "zip"])
def test_kpis_of_a_postal_area_design_place_accounts_by_postal_code(kind: str) -> None:
    """Sales areas with 5-digit postcode ids (German PLZ): KPIs placed the accounts by county
    code (the ids read as FIPS), and every territory's revenue was 0."""
    ids = [f"{10000 + 100 * i}" for i in range(12)]
    units = pd.DataFrame(
        {
            "id": ids,
            "name": [f"Gebiet {i}" for i in range(12)],
            "kind": kind,
            "latitude": [52.0 + (i // 4) * 0.1 for i in range(12)],
            "longitude": [10.0 + (i % 4) * 0.1 for i in range(12)],
            "neighbours": [",".join(_grid_neighbours(ids, i)) for i in range(12)],
        }
    )
    accounts = pd.DataFrame(
        {
            "id": [f"A{i}" for i in range(24)],
            "name": [f"Firma {i}" for i in range(24)],
            "postal_code": [ids[i % 12] for i in range(24)],
            "country": "DE",
            "potential": [100.0 + 10 * i for i in range(24)],
        }
    )
    design = tf.design_territories(
        units, accounts=accounts, n_territories=3, balance={"potential": 0.3}, seed=1,
        units_kind="geo_units",
    )  # fmt: skip
    lines = pd.DataFrame(
        {
            "id": [f"S{i}" for i in range(24)],
            "account_id": accounts["id"],
            "date": "2025-05-01",
            "amount": accounts["potential"],
        }
    )
    kpis = tf.compute_kpis(
        design.plan, sales_lines=lines, accounts=accounts, periods=["2025"],
        dimensions=["territory"], library="polars",
    )  # fmt: skip
    territory_of = design.territory_of
    want: dict[str, float] = {}
    for code, amount in zip(accounts["postal_code"], accounts["potential"], strict=True):
        want[territory_of[code]] = want.get(territory_of[code], 0.0) + amount
    got = dict(zip(kpis["key"], kpis["revenue"], strict=True))
    assert got == pytest.approx(want)


def test_windows_come_from_the_frames_module(oregon: pd.DataFrame, demo: Any) -> None:
    """``tf.BalanceWindow`` (and ``tf.TravelCost``) are what windows and travel times take;
    they had to be found in terraplan.planning."""
    design = tf.design_territories(
        oregon, accounts=demo["accounts"], n_territories=4, balance={"population": 0.3},
        windows=[tf.BalanceWindow("count", upper=120)], seed=3, method="heuristic",
        time_limit=10,
    )  # fmt: skip
    counts = design.balance()
    rows = counts[counts["metric"] == "count"]
    assert len(rows) == 4 and (rows["total"] <= 120).all()
    assert tf.TravelCost("41001", "R1", 30.0).minutes == 30.0
