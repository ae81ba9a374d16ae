"""Good files of every kind and format load with the expected typed values."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from terraplan.domain import Account, GeoKind, GeoUnit, Opportunity, Rep, RepRole
from terraplan.io import iter_records, load_file, read_table, to_domain, validate


def records(result: Any) -> list[dict[str, Any]]:
    return list(iter_records(result.frame))


SF_ACCOUNTS = """Id,Name,BillingStreet,BillingCity,BillingState,BillingPostalCode,BillingCountry,BillingLatitude,BillingLongitude,Industry,Type,NumberOfEmployees,AnnualRevenue,OwnerId,ParentId,Potential__c,Workload__c,Segment__c,Tier__c,Score__c,Description
001A,Acme Corp,"1 Main St, Suite 5",Boston,,2134,United States,,,Software,Customer - Direct,250,"1,500,000.50",005X,,120000,40,Enterprise,Gold,7,"Long
description"
001B,Beta LLC,2 Oak Ave,San Francisco,CA,94107-1234,US,37.5,-122.5,Retail,Prospect,12,,005Y,001A,,,SMB,Silver,8,plain
001C,Gamma GmbH,Hauptstr. 1,Berlin,,10115,Germany,,,Manufacturing,Customer,,,,,,,,,,
"""


def test_salesforce_accounts_csv(make_file: Any, zips: Any) -> None:
    path = make_file(SF_ACCOUNTS)
    result = load_file(path, "accounts", geocoder=zips, known_ids={"reps": ["005X", "005Y"]})
    report = result.report
    assert report.ok, report.summary()
    assert (report.rows_read, report.accepted, report.rejected, report.geocoded) == (3, 3, 0, 1)
    acme, beta, gamma = records(result)
    # ZIP only: geocoded from the ZIP table, leading zero restored, county and state filled.
    assert acme["postal_code"] == "02134"
    assert acme["latitude"] == pytest.approx(42.36, abs=0.05)
    assert acme["county_fips"] == "25025" and acme["state"] == "MA"
    assert acme["street"] == "1 Main St, Suite 5"
    assert acme["customer_type"] == "Customer - Direct"
    assert acme["annual_revenue"] == 1_500_000.5 and acme["employees"] == 250
    assert acme["potential"] == 120000.0 and acme["workload"] == 40.0
    assert acme["segment"] == "Enterprise" and acme["owner_id"] == "005X"
    # Unmapped columns are custom attributes under their own names, typed per column.
    assert acme["attributes"] == {
        "Tier__c": "Gold",
        "Score__c": 7,
        "Description": "Long\ndescription",
    }
    # Coordinates given: kept; ZIP+4 stored as the 5-digit ZIP.
    assert (beta["latitude"], beta["longitude"]) == (37.5, -122.5)
    assert beta["postal_code"] == "94107" and beta["parent_id"] == "001A"
    # Not a US row: no lookup, no coordinates.
    assert gamma["postal_code"] == "10115" and gamma["latitude"] is None
    assert gamma["attributes"] == {}
    assert report.columns["Type"] == "customer_type"
    assert report.columns["Tier__c"] == "attributes.Tier__c"
    accounts = to_domain(result.frame, "accounts")
    assert isinstance(accounts[0], Account) and accounts[0].attributes["Score__c"] == 7


def test_multiline_records_keep_physical_line_numbers(make_file: Any, zips: Any) -> None:
    text = SF_ACCOUNTS + "001D,,x,,,,DE,,,,,,,,,,,,,,\n"
    result = load_file(make_file(text), "accounts", geocoder=zips)
    # Header line 1, Acme lines 2-3, Beta 4, Gamma 5, the nameless record 6.
    assert [(i.row, i.field) for i in result.report.errors] == [(6, "name")]


def test_blank_lines_are_skipped_and_counted(make_file: Any) -> None:
    text = "id,name,country\nA1,Acme,DE\n\nA2,,DE\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.rows_read == 2
    assert [(i.row, i.field) for i in result.report.errors] == [(4, "name")]
    path = make_file(text)
    path.write_text("\n\n" + text)  # blank lines before the header shift the numbers
    leading = load_file(path, "accounts", geocode=False)
    assert [(i.row, i.field) for i in leading.report.errors] == [(6, "name")]


def test_salesforce_leads(make_file: Any, zips: Any) -> None:
    text = (
        "Id,Company,PostalCode,Country,State,City,Industry,NumberOfEmployees,AnnualRevenue,"
        "LeadSource,Email,Latitude,Longitude,Rating\n"
        "00Q1,Lead Inc,10001,USA,,New York,Finance,40,2000000,Web,a@b.com,,,Hot\n"
        "00Q2,Other SA,75001,France,,Paris,Retail,,,,,48.86,2.35,\n"
    )
    result = load_file(make_file(text), "leads", geocoder=zips)
    assert result.report.ok, result.report.summary()
    first, second = records(result)
    assert first["source"] == "Web" and first["state"] == "NY"
    assert first["latitude"] is not None and first["attributes"] == {"Rating": "Hot"}
    assert (second["latitude"], second["longitude"]) == (48.86, 2.35)


def test_salesforce_users_as_reps(make_file: Any, zips: Any) -> None:
    text = (
        "Id,Name,Email,PostalCode,Latitude,Longitude,ManagerId,UserRole,Department,IsActive,"
        "skills_industries,FederationIdentifier\n"
        "005M,Mia Boss,mia@x.com,60601,,,,Sales Manager,Central,true,,\n"
        '005A,Al Rep,al@x.com,,41.9,-87.6,005M,Account Executive,Central,1,"Software; Retail",\n'
        "005S,Sue,sue@x.com,,,,005M,SDR,West,0,,\n"
    )
    result = load_file(make_file(text), "reps", geocoder=zips, known_ids={})
    report = result.report
    assert report.ok, report.summary()
    assert any("FederationIdentifier" in w for w in report.warnings)
    mia, al, sue = records(result)
    assert mia["role"] == "manager" and mia["home_latitude"] is not None
    assert al["role"] == "account_executive" and al["manager_id"] == "005M"
    assert al["skills_industries"] == ["Software", "Retail"] and al["region"] == "Central"
    assert (sue["role"], sue["active"], sue["skills_products"]) == ("sales_development", False, [])
    reps = to_domain(result.frame, "reps")
    assert isinstance(reps[1], Rep) and reps[1].role is RepRole.ACCOUNT_EXECUTIVE
    assert reps[1].skills_industries == ("Software", "Retail")


def test_hubspot_users_export_gives_each_rep_its_primary_team_as_region(
    make_file: Any, zips: Any
) -> None:
    text = (
        "User ID,Full Name,Email,Primary team,Job title,Zip\n"
        "51000109,Mia Wilson,mia@acme.io,East,Account Executive,10016\n"
        "51000102,Liam O'Brien,liam@acme.io,West,Account Executive,02116\n"
        "51000103,Ana Ruiz,ana@acme.io,,Account Executive,10016\n"
    )
    result = load_file(make_file(text), "reps", geocoder=zips, known_ids={})
    assert result.report.ok, result.report.summary()
    assert not [w for w in result.report.warnings if "Primary team" in w]
    assert [r["region"] for r in records(result)] == ["East", "West", None]


def test_salesforce_opportunities_with_datetimes(make_file: Any) -> None:
    text = (
        "Id,AccountId,OwnerId,Name,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon,"
        "LeadSource,Probability\n"
        "006A,001A,005A,Big deal,Closed Won,5000,2024-03-05T10:11:12.000+0000,2024-04-01,"
        "true,true,Web,100\n"
        "006B,001A,005A,Small,Prospecting,0,2024-03-05T23:59:59.000-0800,,false,false,,10\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["001A"]})
    assert result.report.ok, result.report.summary()
    big, small = records(result)
    assert big["created_date"] == date(2024, 3, 5) and big["close_date"] == date(2024, 4, 1)
    assert big["stage"] == "Closed Won" and big["is_won"] is True and big["lead_source"] == "Web"
    assert small["created_date"] == date(2024, 3, 5) and small["close_date"] is None
    assert any("Probability" in w for w in result.report.warnings)
    opportunity = to_domain(result.frame, "opportunities")[0]
    assert isinstance(opportunity, Opportunity) and opportunity.amount == 5000.0


def test_geo_units_attributes_neighbours_and_zip_centroids(make_file: Any, zips: Any) -> None:
    text = (
        "id,kind,name,latitude,longitude,state,population,households,median_income,label,neighbours,polygon\n"
        '02134,zip,Allston,,,,"19,000",8000,65000.5,a,02135;02163,\n'
        'C1,custom,Area,40,-75,PA,10,,,b,"C2, C3","{""type"": ""Polygon"", ""coordinates"": [[[0,0],[1,0],[1,1],[0,0]]]}"\n'
    )
    result = load_file(make_file(text), "geo_units", geocoder=zips)
    report = result.report
    assert report.ok, report.summary()
    assert any("'label'" in w for w in report.warnings)
    assert report.geocoded == 1
    allston, area = records(result)
    assert allston["latitude"] == pytest.approx(42.36, abs=0.05) and allston["state"] == "MA"
    assert allston["attributes"] == {
        "population": 19000.0,
        "households": 8000.0,
        "median_income": 65000.5,
    }
    assert allston["neighbours"] == ["02135", "02163"]
    assert area["attributes"] == {"population": 10.0}
    assert area["polygon"]["type"] == "Polygon"
    units = to_domain(result.frame, "geo_units")
    assert isinstance(units[1], GeoUnit) and units[1].kind is GeoKind.CUSTOM
    assert units[1].neighbours == ("C2", "C3")


def test_sales_lines_accept_negative_amounts_and_targets(make_file: Any) -> None:
    sales = load_file(
        make_file("id,account_id,date,amount\nS1,A1,2024-01-05,-20\nS2,A1,01/31/2024,5.5\n"),
        "sales_lines",
    )
    assert sales.report.ok
    assert [r["amount"] for r in records(sales)] == [-20.0, 5.5]
    assert records(sales)[1]["date"] == date(2024, 1, 31)
    targets = load_file(
        make_file("id,period_start,period_end,amount,rep_id\nT1,01.01.2024,31.12.2024,100,R1\n"),
        "targets",
    )
    assert targets.report.ok
    (target,) = records(targets)
    assert (target["period_start"], target["period_end"]) == (date(2024, 1, 1), date(2024, 12, 31))
    assert target["metric"] == "revenue" and target["territory_id"] is None


@pytest.mark.parametrize(
    ("delimiter", "number"), [(";", "1234,5"), ("\t", "1234.5"), ("|", "1,234.5")]
)
def test_delimiters_are_sniffed(make_file: Any, delimiter: str, number: str) -> None:
    text = delimiter.join(["id", "name", "country", "potential"]) + "\n"
    text += delimiter.join(["A1", "Acme, Inc", "DE", number]) + "\n"
    result = load_file(make_file(text.replace(",", ",") if delimiter != "," else text), "accounts")
    assert result.report.ok, result.report.summary()
    assert result.report.details["delimiter"] == delimiter
    assert records(result)[0]["potential"] == 1234.5
    assert records(result)[0]["name"] == "Acme, Inc"


def test_bom_is_ignored(make_file: Any) -> None:
    path = make_file("id,name,country\nA1,Acme,DE\n", bom=True)
    result = load_file(path, "accounts")
    assert result.report.ok and records(result)[0]["id"] == "A1"


@pytest.mark.parametrize("named", [None, "latin-1"])
def test_latin1_with_accents(make_file: Any, named: str | None) -> None:
    path = make_file("id;name;city;country\nA1;Société Générale;Besançon;FR\n", encoding="latin-1")
    result = load_file(path, "accounts", encoding=named)
    assert result.report.ok
    assert records(result)[0]["name"] == "Société Générale"
    assert records(result)[0]["city"] == "Besançon"
    assert result.report.details["encoding"] in ("latin-1", "cp1252")


def test_cp1252_punctuation_is_detected(make_file: Any) -> None:
    path = make_file("id,name,country\nA1,“Quoted” Ltd – Ø,DK\n", encoding="cp1252")
    result = load_file(path, "accounts")
    assert records(result)[0]["name"] == "“Quoted” Ltd – Ø"


def test_typed_xlsx_first_named_and_indexed_sheet(tmp_path: Path, xlsx_writer: Any) -> None:
    path = xlsx_writer(
        tmp_path / "opps.xlsx",
        [
            "Opportunity ID",
            "Account ID",
            "Stage",
            "Amount",
            "Created Date",
            "Is Closed",
            "Is Won",
            "Close Date",
        ],
        [
            [
                "O1",
                "A1",
                "Closed Won",
                1500.25,
                datetime(2024, 3, 5, 10, 11),
                True,
                True,
                date(2024, 4, 1),
            ],
            [None, None, None, None, None, None, None, None],
            ["O2", "A1", "Open", 10, date(2024, 3, 6), False, False, None],
        ],
        sheet="Opps",
    )
    result = load_file(path, "opportunities")
    assert result.report.ok, result.report.summary()
    first, second = records(result)
    assert first["amount"] == 1500.25 and first["created_date"] == date(2024, 3, 5)
    assert first["is_closed"] is True and second["amount"] == 10.0
    assert load_file(path, "opportunities", sheet="Opps").report.accepted == 2
    assert load_file(path, "opportunities", sheet=0).report.accepted == 2
    bad = xlsx_writer(
        tmp_path / "bad.xlsx", ["id", "name"], [["A1", "x"], [None, None], ["A2", None]]
    )
    assert [(i.row, i.field) for i in load_file(bad, "accounts").report.errors] == [(4, "name")]


def test_typed_parquet(tmp_path: Path) -> None:
    path = tmp_path / "reps.parquet"
    pl.DataFrame(
        {
            "id": ["R1", "R2"],
            "name": ["Ann", "Bob"],
            "capacity_hours": [1600.5, None],
            "capacity_accounts": [40, 50],
            "hire_date": [date(2020, 1, 2), None],
            "active": [True, False],
            "skills_products": [["a", "b"], []],
        }
    ).write_parquet(path)
    result = load_file(path, "reps")
    assert result.report.ok, result.report.summary()
    ann, bob = records(result)
    assert ann["capacity_hours"] == 1600.5 and ann["capacity_accounts"] == 40
    assert ann["hire_date"] == date(2020, 1, 2) and bob["active"] is False
    assert ann["skills_products"] == ["a", "b"] and bob["skills_products"] == []


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_user_mapping_file(make_file: Any, tmp_path: Path, suffix: str) -> None:
    mapping = {
        "Kunde": "id",
        "Firma": "name",
        "Land": "country",
        "Wert": "potential",
        "Notiz": None,
        "Stufe": "attributes.tier",
    }
    mapping_path = tmp_path / f"map{suffix}"
    if suffix == ".json":
        mapping_path.write_text(json.dumps(mapping))
    else:
        mapping_path.write_text(
            "".join(f"{k}: {'null' if v is None else v}\n" for k, v in mapping.items())
        )
    path = make_file("Kunde,Firma,Land,Wert,Notiz,Stufe\nK1,Müller AG,DE,7,egal,A\n")
    result = load_file(path, "accounts", mapping=mapping_path)
    assert result.report.ok
    (record,) = records(result)
    assert (record["id"], record["name"], record["potential"]) == ("K1", "Müller AG", 7.0)
    assert record["attributes"] == {"tier": "A"}


def test_headers_match_case_and_separator_insensitively(make_file: Any) -> None:
    text = "ID,ACCOUNT NAME,billing_country,Annual-Revenue\nA1,Acme,DE,5\n"
    table = read_table(make_file(text), "accounts")
    assert table.columns.fields == {
        "id": "ID",
        "name": "ACCOUNT NAME",
        "country": "billing_country",
        "annual_revenue": "Annual-Revenue",
    }
    result = validate(table)
    assert records(result)[0]["annual_revenue"] == 5.0
