"""A large, messy Salesforce export: ZIP+4 codes that lost their leading zero, read the same
way on import as by routing, and owners the reps file left out.

Files are built in code; each import runs on CSV, XLSX and Parquet (text cells).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import pytest

from terraplan.domain.places import US_ZIP_SHAPE
from terraplan.io import iter_records, load_file
from terraplan.io.geocoding import normalize_us_postal_code
from terraplan.rules.fields import zip5 as routing_zip5
from terraplan.rules.place_columns import zip5 as zip5_expression

FORMATS = ["csv", "xlsx", "parquet"]

#: The shapes a real export's postal codes take: 5 digits, ZIP+4 with and without its dash,
#: lost leading zeros with and without a +4, spreadsheet floats, spaces, 8 digits (not
#: guessed), foreign codes, typos.
SHAPES = [
    "94107",
    "94107-1234",
    "941071234",
    "2134",
    "2134-1234",
    "213",
    "501-1234",
    "2134.0",
    "94107.0",
    "94107.00",
    "941071234.0",
    " 02134 ",
    " 2134-1234 ",
    "02134-1234",
    "21341234",
    "2134-12",
    "94107-12345",
    "94107 1234",
    "94",
    "123456",
    "ABCDE",
    "M5V 3L9",
    "SW1A 1AA",
    "80331",
    "2134-ABCD",
    "-2134",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_zip_plus_4_that_lost_its_leading_zero_is_read_as_its_zip(
    make_file: Any, zips: Any, fmt: str
) -> None:
    text = (
        "Id,Name,BillingPostalCode,BillingCountry\n"
        "001A00000000001,Boston One,2134-1234,US\n"
        "001A00000000002,Boston Two,2134,US\n"
        "001A00000000003,Boston Three,02134-1234,US\n"
    )
    result = load_file(make_file(text, fmt), "accounts", geocoder=zips)
    report = result.report
    assert report.ok and report.accepted == 3 and report.rejected == 0
    records = {r["id"]: r for r in iter_records(result.frame)}
    got = {i: (r["postal_code"], r["state"], r["county_fips"]) for i, r in records.items()}
    assert set(got.values()) == {("02134", "MA", "25025")}
    # The padded 4-digit ZIP and the ZIP+4 without its zero are said the same way (no row
    # note for either).
    assert [i for i in report.issues if i.field == "postal_code"] == []


def test_a_zip_plus_4_cut_short_is_refused_as_a_4_digit_zip_is(make_file: Any, zips: Any) -> None:
    """Oregon ``9720-1234`` is 97201 cut short, not APO 09720, as ``9720`` is."""
    text = (
        "Id,Name,BillingState,BillingPostalCode\n"
        "A1,Ok,MA,2134-1234\nA2,Cut,OR,9720-1234\nA3,Cut too,OR,9720\n"
    )
    report = load_file(make_file(text), "accounts", geocoder=zips).report
    assert [(i.row, i.field, i.reason) for i in report.errors] == [
        (
            3,
            "postal_code",
            "only 4 digits before the dash: read as ZIP 09720, which is in AE, not OR as the "
            "row's state says; write the ZIP's 5 digits",
        ),
        (
            4,
            "postal_code",
            "only 4 digits: read as ZIP 09720, which is in AE, not OR as the row's state says; "
            "write the ZIP's 5 digits",
        ),
    ]


@pytest.mark.parametrize("raw", SHAPES)
def test_import_and_routing_read_a_postal_code_alike(raw: str) -> None:
    routed = routing_zip5(raw)
    assert normalize_us_postal_code(raw) == routed
    frame = pl.DataFrame({"p": [raw]}).select(zip5_expression(pl.col("p")).alias("z"))
    assert frame["z"][0] == routed
    # the importer's shape check accepts exactly what it can read
    assert (re.search(US_ZIP_SHAPE, raw.strip()) is not None) is (routed is not None)


@pytest.mark.parametrize("raw", ["2134-1234", "501-1234", "2134.00", "941071234.0"])
def test_the_importer_accepts_what_routing_reads(make_file: Any, zips: Any, raw: str) -> None:
    text = f"Id,Name,BillingPostalCode\nA1,Acme,{raw}\n"
    result = load_file(make_file(text), "accounts", geocoder=zips)
    assert result.report.ok, result.report.issues
    assert next(iter_records(result.frame))["postal_code"] == routing_zip5(raw)


# --- owners the reps file left out ---------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_owners_not_among_the_stored_reps_are_not_told_to_import_reps(
    make_file: Any, fmt: str
) -> None:
    rows = "".join(f"A{i},Acct {i},005GONE{i % 3}\n" for i in range(30))
    path = make_file("Id,Name,OwnerId\n" + rows + "B1,Known,R1\n", fmt)
    result = load_file(path, "accounts", known_ids={"reps": ["R1", "R2"]}, geocode=False)
    report = result.report
    assert report.ok and report.accepted == 31
    assert report.warnings == [
        "30 accounts name an owner that is not among the 2 stored reps (3 distinct owners,"
        " e.g. 005GONE0): kept; import them as reps (a user file of active users leaves out"
        " those who left) or map them to stored reps (mapping file: values: {owner_id:"
        " {OLD_ID: REP_ID}})"
    ]
    assert not any("import reps to resolve" in w for w in report.warnings)


def test_one_owner_not_among_one_stored_rep(make_file: Any) -> None:
    text = (
        "Opportunity ID,Account ID,Created Date,Amount,Stage,Close Date,Opportunity Owner\n"
        "O1,A1,2024-01-01,100,Prospecting,2024-02-01,005Q\n"
    )
    result = load_file(
        make_file(text), "opportunities", known_ids={"reps": ["R1"], "accounts": ["A1"]}
    )
    assert [w for w in result.report.warnings if "owner" in w] == [
        "1 opportunity names an owner that is not among the 1 stored rep (1 distinct owner, e.g."
        " 005Q): kept; import it as a rep (a user file of active users leaves out those who"
        " left) or map it to a stored rep (mapping file: values: {owner_id: {OLD_ID: REP_ID}})"
    ]
