"""Ordinary CRM exports: owners before reps, states as typed, value mappings, role words,
thousands separators and decimal commas, report-style Salesforce headers.

Files are built in code; each behaviour runs on CSV, XLSX and Parquet (text cells) where the
format can carry it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from terraplan.errors import DataError
from terraplan.io import iter_records, load_file

FORMATS = ["csv", "xlsx", "parquet"]


def _records(result: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in iter_records(result.frame)}


# --- owners imported before reps ------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_owner_is_kept_with_one_warning(make_file: Any, fmt: str) -> None:
    rows = "".join(f"A{i},Acct {i},005xx{i % 3}\n" for i in range(1234))
    path = make_file("id,name,owner_id\n" + rows + "B1,Known,R1\n", fmt)
    result = load_file(path, "accounts", known_ids={"reps": ["R1"]}, geocode=False)
    report = result.report
    assert report.ok and report.accepted == 1235 and report.issues == []
    assert report.warnings == [
        "1,234 accounts name an owner that is not among the 1 stored rep (3 distinct owners,"
        " e.g. 005xx0): kept; import them as reps (a user file of active users leaves out those"
        " who left) or map them to stored reps (mapping file: values: {owner_id: {OLD_ID:"
        " REP_ID}})"
    ]
    records = _records(result)
    assert records["A2"]["owner_id"] == "005xx2" and records["B1"]["owner_id"] == "R1"


def test_unknown_opportunity_owner_is_kept(make_file: Any) -> None:
    text = (
        "Opportunity ID,Account ID,Created Date,Amount,Stage,Close Date,Opportunity Owner\n"
        "O1,A1,2024-01-01,100,Prospecting,2024-02-01,005Q\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"reps": [], "accounts": ["A1"]})
    assert result.report.ok
    assert [w for w in result.report.warnings if "owner" in w] == [
        "1 opportunity names an owner that is not a known rep yet (e.g. 005Q): kept;"
        " import reps to resolve"
    ]
    assert _records(result)["O1"]["owner_id"] == "005Q"
    assert result.report.columns["Close Date"] == "close_date"


def test_unknown_manager_is_still_an_error(make_file: Any) -> None:
    text = "id,name,manager_id\nR1,Ann,\nR2,Bob,R9\n"
    report = load_file(make_file(text), "reps", known_ids={}).report
    assert [(i.row, i.field, i.reason) for i in report.errors] == [
        (3, "manager_id", "unknown rep 'R9'")
    ]


def test_a_refused_manager_is_named_by_row_not_called_unknown(make_file: Any) -> None:
    """One bad row (an unknown role) must read as one fix, not a cascade of unknown reps."""
    text = "id,name,role,manager_id\nM1,Ann,Wizard,\nR1,Bob,,M1\nR2,Cy,,R1\nR3,Di,,ZZ\n"
    report = load_file(make_file(text), "reps", known_ids={}).report
    got = [(i.row, i.field, i.reason) for i in report.errors]
    assert got[0][:2] == (2, "role")
    assert got[1:] == [
        (3, "manager_id", "rep 'M1' is on row 2, which is refused: fix that row first"),
        (4, "manager_id", "rep 'R1' is on row 3, which is refused: fix that row first"),
        (5, "manager_id", "unknown rep 'ZZ'"),
    ]


# --- states, countries, ZIPs ------------------------------------------------------------

PLACES = (
    "id,name,state,postal_code,country\n"
    "A1,Acme,California,94107-1234,United States\n"
    "A2,Beta,ca,94107,USA\n"
    "A3,Gamma, CA ,,US\n"
    "A4,Delta,Mass.,2134,U.S.\n"
    "A5,Eps,N.Y.,,\n"
    "A6,Zeta,new  york,10001,united states of america\n"
    "A7,Eta,NY,94107,US\n"
    "A8,Theta,ON,M5V 2T6,Canada\n"
    "A9,Iota,,M5V 2T6,\n"
    "A10,Kappa,Bavaria,80331,Deutschland\n"
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_states_and_countries_become_codes(make_file: Any, zips: Any, fmt: str) -> None:
    result = load_file(make_file(PLACES, fmt), "accounts", geocoder=zips)
    report = result.report
    assert report.ok and report.accepted == 10
    records = _records(result)
    got = {i: (r["state"], r["postal_code"], r["country"]) for i, r in records.items()}
    assert got == {
        "A1": ("CA", "94107", "US"),
        "A2": ("CA", "94107", "US"),
        "A3": ("CA", None, "US"),
        "A4": ("MA", "02134", "US"),
        "A5": ("NY", None, None),
        "A6": ("NY", "10001", "US"),
        "A7": ("CA", "94107", "US"),
        "A8": ("ON", "M5V 2T6", "CA"),
        "A9": (None, "M5V 2T6", "CA"),
        "A10": ("Bavaria", "80331", "DE"),
    }
    assert records["A4"]["county_fips"] == "25025" and records["A1"]["latitude"] is not None
    for foreign in ("A8", "A9", "A10"):
        assert records[foreign]["latitude"] is None and records[foreign]["county_fips"] is None
    first = 2 if fmt != "parquet" else 1  # CSV line / sheet row, or record number
    warnings = [(i.row - first + 2, i.field, i.value, i.reason) for i in report.issues]
    assert warnings == [
        (8, "state", "NY", "contradicts ZIP 94107 (in CA): the ZIP wins, state set to CA"),
        (
            9,
            "country",
            "Canada",
            "account outside the US (country CA): kept, not geocoded; ZIP, county and"
            " state rules will not place it, rules on its coordinates (custom areas) or other"
            " fields can",
        ),
        (
            10,
            "country",
            None,
            "account outside the US (country CA): kept, not geocoded; ZIP, county and"
            " state rules will not place it, rules on its coordinates (custom areas) or other"
            " fields can",
        ),
        (
            11,
            "country",
            "Deutschland",
            "account outside the US (country DE): kept, not geocoded; ZIP, county and"
            " state rules will not place it, rules on its coordinates (custom areas) or other"
            " fields can",
        ),
    ]
    assert all(i.severity == "warning" for i in report.issues)


def test_states_are_normalised_without_geocoding(make_file: Any) -> None:
    text = "id,company,state,country\nL1,X,texas,usa\nL2,Y,Tx.,\nL3,Z,Kalifornia,US\n"
    result = load_file(make_file(text), "leads", geocode=False)
    got = {i: (r["state"], r["country"]) for i, r in _records(result).items()}
    assert got == {"L1": ("TX", "US"), "L2": ("TX", None), "L3": ("Kalifornia", "US")}
    assert [(i.row, i.reason, i.severity) for i in result.report.issues] == [
        (4, "not a US state: kept as typed", "warning")
    ]


def test_one_postal_code_rule_for_accounts_and_leads(make_file: Any, zips: Any) -> None:
    text = (
        "id,name,postal_code,latitude,longitude\n"
        "A1,Ok,02134,,\nA2,Unknown,99999,,\nA3,Malformed,ABCDE,,\nA4,Located,99999,40.1,-75.2\n"
    )
    report = load_file(make_file(text), "accounts", geocoder=zips).report
    assert [(i.row, i.severity, i.reason.split(";")[0]) for i in report.issues] == [
        (3, "error", "unknown US postal code (not in the ZIP table)"),
        (4, "error", "not a US ZIP code (5 digits or ZIP+4)"),
        (5, "warning", "unknown US postal code: kept, located by its coordinates"),
    ]


# --- value mappings and role words ------------------------------------------------------


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_mapping_file_maps_columns_and_values(make_file: Any, tmp_path: Path, suffix: str) -> None:
    mapping = {
        "columns": {"Job Title": "role", "Team": None},
        "values": {"role": {"Regional Sales Manager": "manager", "Wizard": "specialist"}},
    }
    path = tmp_path / f"map.{suffix}"
    path.write_text(json.dumps(mapping), encoding="utf-8")  # JSON is valid YAML
    text = (
        "User ID,Full Name,Job Title,Team\nR1,Ann,regional  sales manager,x\nR2,Bob,WIZARD,y\n"
        "R3,Cy,AE,z\n"
    )
    result = load_file(make_file(text), "reps", mapping=path, geocode=False)
    assert result.report.ok, result.report.summary()
    roles = {i: r["role"] for i, r in _records(result).items()}
    assert roles == {"R1": "manager", "R2": "specialist", "R3": "account_executive"}


def test_flat_mapping_file_still_works(make_file: Any, tmp_path: Path) -> None:
    path = tmp_path / "flat.yaml"
    path.write_text("Rep Code: id\nRep: name\n", encoding="utf-8")
    result = load_file(make_file("Rep Code,Rep\nR1,Ann\n"), "reps", mapping=path, geocode=False)
    assert _records(result)["R1"]["name"] == "Ann"


def test_bad_value_mapping_names_the_file(make_file: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"columns": {}, "values": {"colour": {"a": "b"}}}))
    with pytest.raises(DataError, match=r"bad\.json: maps values of 'colour'"):
        load_file(make_file("id,name\nR1,Ann\n"), "reps", mapping=path)
    path.write_text(json.dumps({"columns": {}, "values": {"role": ["manager"]}}))
    with pytest.raises(DataError, match="values"):
        load_file(make_file("id,name\nR1,Ann\n"), "reps", mapping=path)


ROLE_WORDS = {
    "rep": "account_executive",
    "Sales Rep": "account_executive",
    "AE": "account_executive",
    "Account Executive": "account_executive",
    "account-executive": "account_executive",
    "Sr. Account Executive": "account_executive",
    "SDR": "sales_development",
    "BDR": "sales_development",
    "AM": "account_manager",
    "Manager": "manager",
    "Sales Manager": "manager",
    "sales_manager": "manager",
    "RVP": "director",
    "Director": "director",
    "VP, Sales": "director",
    "Sales Engineer": "specialist",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_role_words_people_use(make_file: Any, fmt: str) -> None:
    lines = "".join(f'R{i},Rep {i},"{word}"\n' for i, word in enumerate(ROLE_WORDS))
    result = load_file(make_file("id,name,role\n" + lines, fmt), "reps", geocode=False)
    assert result.report.ok, result.report.summary()
    roles = [r["role"] for r in iter_records(result.frame)]
    assert roles == list(ROLE_WORDS.values())


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_thousands_separators_and_currency(make_file: Any, fmt: str) -> None:
    text = (
        "id,name,annual_revenue,employees,potential\n"
        'A1,Acme,"1,200,000","1,200",$1.5\n'
        'A2,Beta,"$1,200,000.50",12,"€ 3,000"\n'
    )
    result = load_file(make_file(text, fmt), "accounts", geocode=False)
    assert result.report.ok, result.report.summary()
    got = {
        i: (r["annual_revenue"], r["employees"], r["potential"])
        for i, r in _records(result).items()
    }
    assert got == {"A1": (1_200_000.0, 1200, 1.5), "A2": (1_200_000.5, 12, 3000.0)}


def test_semicolon_cp1252_file_with_decimal_commas(make_file: Any) -> None:
    text = (
        "Id;Name;AnnualRevenue;Potential__c;NumberOfEmployees\n"
        "001A;Caf\u00e9 \u201cM\u00fcller\u201d \u20ac;1.200,50;1.200;1.200\n"
        "001B;B\u00e4r;1.200;3,5;12\n"
    )
    path = make_file(text, encoding="cp1252")
    result = load_file(path, "accounts", geocode=False)
    report = result.report
    assert report.ok, report.summary()
    assert report.details["encoding"] == "cp1252" and report.details["decimal"] == "comma"
    got = {
        i: (r["name"], r["annual_revenue"], r["potential"], r["employees"])
        for i, r in _records(result).items()
    }
    assert got == {
        "001A": ("Caf\u00e9 \u201cM\u00fcller\u201d \u20ac", 1200.5, 1200.0, 1200),
        "001B": ("B\u00e4r", 1200.0, 3.5, 12),
    }


def test_ambiguous_number_is_an_error_naming_the_row(make_file: Any) -> None:
    text = "id;name;annual_revenue\nA1;Acme;12\nA2;Beta;1,200\nA3;Gamma;1.200\n"
    path = make_file(text)
    report = load_file(path, "accounts", geocode=False).report
    assert report.details["decimal"] == "unknown"
    assert [(i.file, i.row, i.field, i.value) for i in report.errors] == [
        (str(path), 3, "annual_revenue", "1,200"),
        (str(path), 4, "annual_revenue", "1.200"),
    ]
    assert report.errors[0].reason.startswith("ambiguous number")
    comma = _records(load_file(path, "accounts", geocode=False, decimal="comma"))
    point = _records(load_file(path, "accounts", geocode=False, decimal="point"))
    assert [comma[i]["annual_revenue"] for i in ("A2", "A3")] == [1.2, 1200.0]
    assert [point[i]["annual_revenue"] for i in ("A2", "A3")] == [1200.0, 1.2]


def test_comma_delimited_file_reads_1_200_as_twelve_hundred(make_file: Any) -> None:
    result = load_file(make_file('id,name,employees\nA1,Acme,"1,200"\n'), "accounts")
    assert _records(result)["A1"]["employees"] == 1200


# --- Salesforce report headers ------------------------------------------------------------


def test_salesforce_report_headers(make_file: Any, zips: Any) -> None:
    text = (
        "Account ID,Account Name,Billing City,Billing State/Province,Billing Zip/Postal Code,"
        "Billing Country,Industry,Type,Annual Revenue,Employees,Account Owner\n"
        'A1,Acme,Boston,Massachusetts,02134,USA,Tech,Customer,"1,200,000",50,005X\n'
    )
    result = load_file(make_file(text), "accounts", geocoder=zips, known_ids={"reps": []})
    report = result.report
    assert report.ok and not [w for w in report.warnings if "ignored" in w]
    record = _records(result)["A1"]
    assert (record["name"], record["state"], record["postal_code"], record["country"]) == (
        "Acme",
        "MA",
        "02134",
        "US",
    )
    assert (record["annual_revenue"], record["employees"], record["owner_id"]) == (
        1_200_000.0,
        50,
        "005X",
    )
    assert record["potential"] is None  # no potential column: fine for import


def test_owner_names_from_a_report_export_resolve_to_rep_ids(make_file: Any) -> None:
    text = (
        "Account ID,Account Name,Account Owner\n"
        "A1,Acme,ann  lee\nA2,Beta,R2\nA3,Gamma,Sam Smith\nA4,Delta,Unknown Person\n"
    )
    names = {"R1": "Ann Lee", "R2": "Bob Roe", "R3": "Sam Smith", "R4": "Sam Smith"}
    result = load_file(
        make_file(text), "accounts", known_ids={"reps": list(names)}, rep_names=names
    )
    owners = {i: r["owner_id"] for i, r in _records(result).items()}
    assert owners == {"A1": "R1", "A2": "R2", "A3": "Sam Smith", "A4": "Unknown Person"}
    assert result.report.warnings == [
        "1 row names the owner by a name several reps share (e.g. Sam Smith: reps R3, R4):"
        " kept as written; give the rep's id",
        "1 row names the owner by name (e.g. ann  lee -> R1): replaced by the rep id",
        "1 account names an owner that is not among the 4 stored reps (1 distinct owner, e.g."
        " Unknown Person): kept; import it as a rep (a user file of active users leaves out"
        " those who left) or map it to a stored rep (mapping file: values: {owner_id: {OLD_ID:"
        " REP_ID}})",
    ]


def test_owner_names_spelt_without_accents_or_with_another_apostrophe_resolve(
    make_file: Any,
) -> None:
    """A HubSpot export writes "Sophia Garcia" and "Liam O’Brien" for the reps "Sophia García"
    and "Liam O'Brien": one rep each, so they are theirs; an exact name wins over a folded
    one ("Jose" and "José" are two reps), and a spelling two reps share stays unknown."""
    text = (
        "Record ID,Company name,Company owner\n"
        "C1,Acme,Sophia Garcia\nC2,Beta,liam o’brien\nC3,Gamma,Jose\nC4,Delta,José\n"
        "C5,Epsilon,Rene Roy\nC6,Zeta,Sophia García\n"
    )
    names = {
        "R1": "Sophia García",
        "R2": "Liam O'Brien",
        "R3": "Jose",
        "R4": "José",
        "R5": "René Roy",
        "R6": "Rène Roy",
    }
    result = load_file(
        make_file(text), "accounts", known_ids={"reps": list(names)}, rep_names=names
    )
    owners = {i: r["owner_id"] for i, r in _records(result).items()}
    assert owners == {
        "C1": "R1", "C2": "R2", "C3": "R3", "C4": "R4", "C5": "Rene Roy", "C6": "R1"
    }  # fmt: skip
    assert (
        "2 rows name the owner by a name spelt without its accents or apostrophe (e.g."
        " Sophia Garcia -> Sophia García (R1)): replaced by the rep id"
    ) in result.report.warnings
    assert any("Rene Roy" in w and "not among" in w for w in result.report.warnings)


def test_an_owner_name_written_without_its_apostrophe_resolves(make_file: Any) -> None:
    # Pipedrive's export wrote "Tom OConnor" for the rep "Tom O'Connor": kept as written, the
    # KPIs by rep showed two Toms, 329,604 of 2025 revenue in the row of the one no rep is
    names = {"R4": "Tom O'Connor", "R7": "Dan O'Neil", "R8": "Dan ONeil"}
    text = "Record ID,Company name,Company owner\nC1,Acme,Tom OConnor\nC2,Beta,Dan O Neil\n"
    text += "C3,Gamma,dan o’neil\n"
    result = load_file(
        make_file(text), "accounts", known_ids={"reps": list(names)}, rep_names=names
    )
    owners = {i: r["owner_id"] for i, r in _records(result).items()}
    # a spelling two reps' names share once apostrophes go is not guessed
    assert owners == {"C1": "R4", "C2": "Dan O Neil", "C3": "dan o’neil"}


def test_value_mapping_by_file_column_and_on_text_fields(make_file: Any) -> None:
    mapping = {
        "columns": {"Sector": "industry"},
        "values": {
            "Sector": {"Tech": "Software", "n/a": None},
            "customer_type": {"Cust": "Customer"},
        },
    }
    text = "id,name,Sector,customer_type\nA1,Acme,tech,Cust\nA2,Beta,N/A,Prospect\n"
    result = load_file(make_file(text), "accounts", mapping=mapping, geocode=False)
    got = {i: (r["industry"], r["customer_type"]) for i, r in _records(result).items()}
    assert got == {"A1": ("Software", "Customer"), "A2": (None, "Prospect")}


def test_each_column_may_show_its_own_decimal_separator(make_file: Any) -> None:
    text = (
        "id;name;latitude;longitude;annual_revenue;potential\n"
        "A1;Acme;48.1372;11.5756;1.200,50;1.200\n"
        "A2;Beta;48.137;11.575;1.200;7\n"
    )
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.ok, result.report.summary()
    got = {
        i: (r["latitude"], r["longitude"], r["annual_revenue"], r["potential"])
        for i, r in _records(result).items()
    }
    # Coordinates show a decimal point, revenue a decimal comma; potential shows nothing
    # and follows the file's other amounts (a decimal comma).
    assert got == {
        "A1": (48.1372, 11.5756, 1200.5, 1200.0),
        "A2": (48.137, 11.575, 1200.0, 7.0),
    }
    assert result.report.details["decimal"] == "comma"


def test_geo_unit_states_become_codes(make_file: Any) -> None:
    text = "id,kind,name,latitude,longitude,state\nG1,custom,North,40,-75,pennsylvania\n"
    result = load_file(make_file(text), "geo_units", geocode=False)
    assert _records(result)["G1"]["state"] == "PA"


# --- opportunities: closed and won from the stage -------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_stage_only_report_marks_closed_and_won(make_file: Any, fmt: str) -> None:
    # A Salesforce opportunity report with Stage but no Closed/Won column: the closed deals
    # used to read as open (counted as open pipeline, no win rate, no deal size).
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n"
        "O1,A1,Closed Won,100,2025-01-02,2025-02-01\n"
        "O2,A1,Closed Lost,200,2025-01-02,2025-02-01\n"
        "O3,A1,Prospecting,300,2025-01-02,2025-06-01\n"
        "O4,A1,closed - won,400,2025-01-02,2025-02-01\n"
        "O5,A1,Closed/Lost (no budget),500,2025-01-02,2025-02-01\n"
        "O6,A1,Negotiation/Review,600,2025-01-02,2025-06-01\n"
        "O7,A1,closedwon,700,2025-01-02,2025-02-01\n"
        "O8,A1,Closed Won - Renewal,800,2025-01-02,2025-02-01\n"
        "O9,A1,closedlost,900,2025-01-02,2025-02-01\n"
    )
    result = load_file(make_file(text, fmt), "opportunities", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    got = {i: (r["is_closed"], r["is_won"]) for i, r in _records(result).items()}
    assert got == {
        "O1": (True, True),
        "O2": (True, False),
        "O3": (False, False),
        "O4": (True, True),
        "O5": (True, False),
        "O6": (False, False),
        "O7": (True, True),  # HubSpot's stage id
        "O8": (True, True),
        "O9": (True, False),
    }
    assert result.report.warnings == [
        "7 opportunities read as closed from the stage: no is_closed or is_won column"
        " ('Won' or 'Closed Won' is won, a stage starting with 'Closed', 'Lost' or"
        " 'Disqualified' is closed)",
        # the stage values read each way, with counts: a wrong reading shows
        "4 opportunities read as won from the stage (e.g. 'Closed Won': 1, 'Closed Won -"
        " Renewal': 1, 'closed - won': 1, 'closedwon': 1)",
        "3 opportunities read as lost from the stage (e.g. 'Closed Lost': 1, 'Closed/Lost (no"
        " budget)': 1, 'closedlost': 1)",
        "2 opportunities read as open from the stage (e.g. 'Negotiation/Review': 1,"
        " 'Prospecting': 1): if one of these stages means closed, rename it to 'Closed Lost'"
        " or 'Closed Won' in a mapping file's values",
    ]


def test_stages_starting_with_lost_won_or_disqualified_are_closed(make_file: Any) -> None:
    # read as open, these inflated the pipeline for ever
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n"
        "O1,A1,Lost - No Decision,100,2025-01-02,2025-02-01\n"
        "O2,A1,Disqualified,200,2025-01-02,2025-02-01\n"
        "O3,A1,Won - Renewal,300,2025-01-02,2025-02-01\n"
        "O4,A1,WON,400,2025-01-02,2025-02-01\n"
        "O5,A1,disqualified: spam,500,2025-01-02,2025-02-01\n"
        "O6,A1,Closed,600,2025-01-02,2025-02-01\n"
        "O7,A1,Unqualified,700,2025-01-02,2025-02-01\n"  # may be a stage before qualifying: open
        "O8,A1,Lostwax Negotiation,800,2025-01-02,2025-02-01\n"  # a word starting with 'lost': open
        "O9,A1,Wonder Phase,900,2025-01-02,2025-02-01\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    got = {i: (r["is_closed"], r["is_won"]) for i, r in _records(result).items()}
    assert got == {
        "O1": (True, False),
        "O2": (True, False),
        "O3": (True, True),
        "O4": (True, True),
        "O5": (True, False),
        "O6": (True, False),
        "O7": (False, False),
        "O8": (False, False),
        "O9": (False, False),
    }


def test_the_stages_read_as_open_are_named_with_counts(make_file: Any) -> None:
    # a closed stage worded otherwise ('Abandoned') must be visible among the open ones
    stages = ["Negotiation"] * 12 + ["Abandoned"] * 3 + ["Proposal"] * 2
    stages += ["Discovery", "Qualify", "Closed Won"]
    body = "".join(f"O{i},A1,{stage},10,2025-01-02,2025-02-01\n" for i, stage in enumerate(stages))
    text = "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n" + body
    report = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]}).report
    notes = [w for w in report.warnings if "read as open from the stage" in w]
    assert notes == [
        "19 opportunities read as open from the stage (e.g. 'Negotiation': 12, 'Abandoned': 3,"
        " 'Proposal': 2, 'Discovery': 1, 'Qualify': 1): if one of these stages means closed,"
        " rename it to 'Closed Lost' or 'Closed Won' in a mapping file's values"
    ]
    # 'Abandoned' sounds closed: said on its own too
    assert [w for w in report.warnings if "sounds closed" in w] == [
        "3 opportunities with a stage that sounds closed read as open (e.g. 'Abandoned': 3):"
        " counted as open pipeline and left out of the win rate; if the stage means lost,"
        " rename it to 'Closed Lost' in a mapping file's values"
    ]


def test_open_stages_are_named_even_when_none_is_closed(make_file: Any) -> None:
    text = "Id,AccountId,StageName,Amount,CreatedDate\nO1,A1,Abandoned,10,2025-01-02\n"
    report = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]}).report
    assert report.warnings == [
        # said in the singular for one; a table's batches still add the counts up
        "1 opportunity read as open from the stage (e.g. 'Abandoned': 1): if one of these"
        " stages means closed, rename it to 'Closed Lost' or 'Closed Won' in a mapping"
        " file's values",
        "1 opportunity with a stage that sounds closed read as open (e.g. 'Abandoned': 1):"
        " counted as open pipeline and left out of the win rate; if the stage means lost,"
        " rename it to 'Closed Lost' in a mapping file's values",
    ]


def test_a_closed_column_leaves_the_open_stages_unnamed(make_file: Any) -> None:
    text = "Id,AccountId,StageName,Amount,CreatedDate,IsClosed\nO1,A1,Abandoned,10,2025-01-02,0\n"
    report = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]}).report
    assert not [w for w in report.warnings if "read as open" in w]


def test_won_column_without_closed_column_closes_the_won(make_file: Any) -> None:
    text = (
        "Id,AccountId,StageName,Amount,CreatedDate,IsWon,CloseDate\n"
        "O1,A1,Won - signed,100,2025-01-02,true,2025-02-01\n"
        "O2,A1,Closed Lost,200,2025-01-02,false,2025-02-01\n"
        "O3,A1,Prospecting,300,2025-01-02,false,2025-02-01\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    got = {i: (r["is_closed"], r["is_won"]) for i, r in _records(result).items()}
    assert got == {"O1": (True, True), "O2": (True, False), "O3": (False, False)}


def test_closed_and_won_columns_are_kept_as_given(make_file: Any) -> None:
    text = (
        "Id,AccountId,StageName,Amount,CreatedDate,IsClosed,IsWon\n"
        "O1,A1,Closed Won,100,2025-01-02,false,false\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert _records(result)["O1"]["is_closed"] is False
    assert result.report.warnings == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_hubspot_deal_export_imports_as_opportunities(make_file: Any, fmt: str) -> None:
    # HubSpot's deal export, headers as it writes them: every row used to be refused (no
    # account_id, created_date or stage column), and a deal of two companies lists both ids
    # in "Associated Company IDs"; the primary one has a column of its own.
    text = (
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,Pipeline,"
        "Associated Company IDs,Associated Company IDs (Primary)\n"
        "9001,Acme renewal,Closed won,2025-02-01 10:15,,1200,2025-01-02 09:00,Sales,A2;A1,A1\n"
        "9002,Beta new,Closed lost,2025-03-01 11:00,,800,2025-01-05 09:00,Sales,A1,A1\n"
        "9003,Gamma,Appointment scheduled,,,500,2025-02-10 09:00,Sales,A2,A2\n"
    )
    result = load_file(make_file(text, fmt), "opportunities", known_ids={"accounts": ["A1", "A2"]})
    assert result.report.ok, result.report.summary()
    got = {
        i: (r["account_id"], r["name"], r["created_date"], r["close_date"], r["is_won"])
        for i, r in _records(result).items()
    }
    assert got == {
        "9001": ("A1", "Acme renewal", date(2025, 1, 2), date(2025, 2, 1), True),
        "9002": ("A1", "Beta new", date(2025, 1, 5), date(2025, 3, 1), False),
        "9003": ("A2", "Gamma", date(2025, 2, 10), None, False),
    }
    assert (
        "columns 'Associated Company IDs (Primary)' and 'Associated Company IDs' both give field"
        " 'account_id': 'Associated Company IDs (Primary)' is read, 'Associated Company IDs' is"
        " ignored" in result.report.warnings
    )


def test_a_deal_listing_several_companies_says_so(make_file: Any) -> None:
    # an older HubSpot export has only the list of associated companies
    text = (
        "Record ID,Deal Name,Deal Stage,Amount,Create Date,Associated Company IDs,Close Date\n"
        "9001,Acme,Closed won,1200,2025-01-02,A2;A1,2025-02-01\n9002,Beta,Closed won,800,2025-01-05,A9,2025-02-01\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1", "A2"]})
    reasons = [(i.row, i.reason) for i in result.report.errors]
    assert reasons == [
        (2, "lists several accounts 'A2;A1' where a record has one (HubSpot's deal export"
            " gives the primary one in 'Associated Company IDs (Primary)')"),
        (3, "unknown account 'A9'"),
    ]  # fmt: skip


def test_opportunity_line_items_date_by_their_service_date(make_file: Any) -> None:
    text = "Id,OpportunityId,AccountId,ServiceDate,TotalPrice\nL1,O1,A1,2025-04-30,250.5\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    assert _records(result)["L1"]["date"] == date(2025, 4, 30)
    assert _records(result)["L1"]["amount"] == 250.5


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_day_first_dates_are_read_day_first_in_their_column(make_file: Any, fmt: str) -> None:
    # A UK export: 05/03/2025 used to be read as 3 May (only 25/03/2025 was refused, so
    # --on-error skip kept the early days of each month with month and day swapped).
    text = (
        "id,account_id,date,amount\n"
        "L1,A1,05/03/2025,100\n"
        "L2,A1,25/03/2025,200\n"
        "L3,A1,1/12/2024,300\n"
    )
    result = load_file(make_file(text, fmt), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    got = {i: r["date"] for i, r in _records(result).items()}
    assert got == {"L1": date(2025, 3, 5), "L2": date(2025, 3, 25), "L3": date(2024, 12, 1)}
    assert result.report.warnings == [
        "column 'date' writes dates day first (e.g. 25/03/2025): its slashed dates are read as"
        " day/month/year"
    ]


def test_slashed_dates_stay_month_first_unless_the_column_shows_otherwise(
    make_file: Any,
) -> None:
    text = "id,account_id,date,amount\nL1,A1,05/03/2025,1\nL2,A1,03/25/2025,2\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    got = {i: r["date"] for i, r in _records(result).items()}
    assert got == {"L1": date(2025, 5, 3), "L2": date(2025, 3, 25)}
    assert result.report.warnings == []
    both = "id,account_id,date,amount\nL1,A1,25/03/2025,1\nL2,A1,03/25/2025,2\n"
    report = load_file(make_file(both), "sales_lines", known_ids={"accounts": ["A1"]}).report
    assert [(i.row, i.field, i.reason) for i in report.errors] == [
        (
            2,
            "date",
            "not a date in this column's order: written day first (25 is no month), while"
            " the column reads slashed dates month first; write YYYY-MM-DD",
        )
    ]


def test_hubspot_company_export_and_billing_zip_headers(make_file: Any) -> None:
    # HubSpot's company export as it writes its headers; the owner is a rep's name
    text = (
        "Record ID,Company name,Company owner,Industry,Annual Revenue,City,State/Region,"
        "Postal Code,Country/Region,Number of Employees\n"
        "1001,Hub One,Dana North,COMPUTER_SOFTWARE,1000000,Boston,Massachusetts,02108,"
        "United States,50\n"
    )
    names = {"005D": "Dana North"}
    result = load_file(
        make_file(text), "accounts", known_ids={"reps": list(names)}, rep_names=names
    )
    record = _records(result)["1001"]
    assert (record["owner_id"], record["state"], record["postal_code"], record["country"]) == (
        "005D",
        "MA",
        "02108",
        "US",
    )
    assert not [w for w in result.report.warnings if "is ignored" in w or "attribute" in w]
    # a report's "Billing Zip" is the postal code (it used to become an attribute)
    zips = load_file(make_file("Id,Name,Billing Zip\nX1,Test,94107\n"), "accounts")
    assert _records(zips)["X1"]["postal_code"] == "94107"


def test_a_column_without_its_own_date_order_follows_the_files_other_dates(
    make_file: Any,
) -> None:
    # A day-first export: Close Date shows it (15/01), Created Date's days are all <= 12 and
    # used to be read month first with no warning (01/12/2024 as 12 January), so sales cycle
    # lengths came out months wrong with exit 0.
    text = (
        "Opportunity ID;Account ID;Stage;Amount;Close Date;Created Date\n"
        "O1;A1;Closed Won;1.500,00;15/01/2025;01/12/2024\n"
        "O2;A1;Closed Won;2.000,00;28/02/2026;01/01/2026\n"
        "O3;A1;Prospecting;3.000,00;05/03/2025;01/02/2025\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    got = {i: (r["created_date"], r["close_date"]) for i, r in _records(result).items()}
    assert got == {
        "O1": (date(2024, 12, 1), date(2025, 1, 15)),
        "O2": (date(2026, 1, 1), date(2026, 2, 28)),
        "O3": (date(2025, 2, 1), date(2025, 3, 5)),
    }
    notes = [w for w in result.report.warnings if "date" in w]
    assert notes == [
        "column 'Created Date' does not show its date order (every day and month is 12 or"
        " less): its slashed dates are read as day/month/year, like column 'Close Date'",
        "column 'Close Date' writes dates day first (e.g. 25/03/2025): its slashed dates are"
        " read as day/month/year",
    ]


def test_a_date_column_showing_both_orders_decides_nothing_for_the_others(
    make_file: Any,
) -> None:
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Close Date,Created Date\n"
        "O1,A1,Prospecting,1,15/01/2025,01/12/2024\n"
        "O2,A1,Prospecting,1,01/25/2025,01/11/2024\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    created = {i: r["created_date"] for i, r in _records(result).items()}
    assert created == {"O2": date(2024, 1, 11)}  # O1's close date is an error
    assert not any("date order" in w or "day first" in w for w in result.report.warnings)


def test_a_hubspot_deal_with_a_blank_primary_company_reads_its_only_associated_one(
    make_file: Any,
) -> None:
    """Deals made before HubSpot had primary companies leave the primary blank: one company
    listed is the deal's; several listed are refused (which one owns it is not written)."""
    text = (
        "Record ID,Deal Stage,Amount,Create Date,Close Date,"
        "Associated Company IDs (Primary),Associated Company IDs\n"
        "D1,Closed won,10,2025-01-02,2025-02-01,A1,A1;A2\n"
        "D2,Closed won,20,2025-01-02,2025-02-01,, A2 \n"
        "D3,Closed won,30,2025-01-02,2025-02-01,,A1;A2\n"
        "D4,Closed won,40,2025-01-02,2025-02-01,,\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1", "A2"]})
    report = result.report
    got = {r["id"]: r["account_id"] for r in iter_records(result.frame)}
    assert got == {"D1": "A1", "D2": "A2"}
    assert sorted(issue.row for issue in report.issues) == [4, 5]
    assert all(issue.field == "account_id" for issue in report.issues)
    assert (
        "1 opportunity with a blank 'Associated Company IDs (Primary)' read the one company"
        " 'Associated Company IDs' names, a column read only there (e.g. row 3: 'A2')"
        in report.warnings
    )
    assert not [w for w in report.warnings if "is ignored" in w]


def test_a_primary_company_column_alone_is_read_as_before(make_file: Any) -> None:
    text = (
        "Record ID,Deal Stage,Amount,Create Date,Close Date,Associated Company IDs (Primary)\n"
        "D1,Closed won,10,2025-01-02,2025-02-01,A1\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert [r["account_id"] for r in iter_records(result.frame)] == ["A1"]
    assert not [w for w in result.report.warnings if "read the one company" in w]


def test_a_dynamics_guid_in_another_case_or_with_braces_names_the_stored_account(
    make_file: Any,
) -> None:
    """Dynamics writes a GUID upper case in one export and lower case with braces in
    another: it is one record. A Salesforce-like id differing in case stays another one."""
    stored = "4e86a1c2-0b3d-4f5e-9a7b-1c2d3e4f5a6b"
    text = (
        "opportunityid,parentaccountid,name,statecode,estimatedvalue,createdon,actualclosedate\n"
        f"O1,{{{stored.upper()}}},Big,Won,100,2025-01-02,2025-02-01\n"
        f"O2,{stored.upper()},Small,Lost,50,2025-01-02,2025-02-01\n"
        f"O3,{stored},Same,Open,10,2025-01-02,\n"
        "O4,001abc,Other,Open,10,2025-01-02,\n"
    )
    result = load_file(
        make_file(text),
        "opportunities",
        known_ids={"accounts": [stored, "001ABC"]},
        mapping={
            "parentaccountid": "account_id",
            "statecode": "stage",
            "estimatedvalue": "amount",
            "actualclosedate": "close_date",
            "createdon": "created_date",
        },
    )
    got = {r["id"]: r["account_id"] for r in iter_records(result.frame)}
    assert got == {"O1": stored, "O2": stored, "O3": stored}
    assert [(i.row, i.value) for i in result.report.issues] == [(5, "001abc")]
    assert (
        "2 rows name the account by its GUID in another case or with braces (e.g. "
        f"{stored.upper()} -> {stored}): matched to the stored id"
    ) in result.report.warnings
