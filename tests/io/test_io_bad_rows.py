"""A corpus of bad rows: each case names the exact row and field its issue must carry.

Every case runs as CSV, XLSX and Parquet. ``line`` is the CSV line of the bad record (header
= line 1); XLSX reports the same sheet row, Parquet the record index + 1 (= line - 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from terraplan.io import load_file


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    text: str
    line: int
    field: str
    reason: str
    column: str | None = None
    known_ids: dict[str, list[str]] | None = field(default=None)
    value: str | None = None


ACC = "id,name,country,latitude,longitude,employees,annual_revenue,potential,workload\n"
ACC_OK = "A1,Acme,DE,50.1,8.6,10,1000,5,3\n"
LEAD = "id,company,country,employees,annual_revenue,postal_code\n"
LEAD_OK = "L1,Lead Co,FR,5,100,75001\n"
REP = "id,name,email,role,home_latitude,home_longitude,capacity_hours,capacity_accounts,manager_id,hire_date,active\n"
REP_OK = "R1,Ann,ann@x.com,manager,40.1,-75.2,1600,50,,2020-01-02,true\n"
GEO = "id,kind,name,latitude,longitude,population,neighbours\n"
GEO_OK = "G1,custom,North,40.0,-75.0,1000,G2\n"
SALE = "id,account_id,date,amount,quantity\n"
SALE_OK = "S1,A1,2024-01-05,-20.5,1\n"
OPP = "id,account_id,created_date,amount,stage,close_date,is_closed,is_won,owner_id\n"
OPP_OK = "O1,A1,2024-01-01,100,Prospecting,2024-02-01,false,false,R1\n"
TGT = "id,period_start,period_end,amount,territory_id,rep_id\n"
TGT_OK = "T1,2024-01-01,2024-12-31,1000,TER1,\n"

CASES = [
    # accounts
    Case(
        "acc-missing-id", "accounts", ACC + ACC_OK + ",Nameless,DE,,,,,,\n", 3, "id", "is required"
    ),
    Case("acc-missing-name", "accounts", ACC + ACC_OK + "A2,,DE,,,,,,\n", 3, "name", "is required"),
    Case(
        "acc-employees-text",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,,,abc,,,\n",
        3,
        "employees",
        "not a whole number",
        value="abc",
    ),
    Case(
        "acc-employees-fraction",
        "accounts",
        ACC + "A2,B,DE,,,12.5,,,\n" + ACC_OK,
        2,
        "employees",
        "not a whole number",
    ),
    Case(
        "acc-employees-negative",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,,,-3,,,\n",
        3,
        "employees",
        ">= 0",
        value="-3",
    ),
    Case(
        "acc-revenue-negative",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,,,,-1,,\n",
        3,
        "annual_revenue",
        ">= 0",
    ),
    Case(
        "acc-potential-text",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,,,,,ten,\n",
        3,
        "potential",
        "not a number",
    ),
    Case(
        "acc-workload-negative",
        "accounts",
        ACC + ACC_OK + ACC_OK.replace("A1", "A2").replace(",3\n", ",-2\n"),
        3,
        "workload",
        ">= 0",
    ),
    Case(
        "acc-latitude-range",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,95,8,,,,\n",
        3,
        "latitude",
        "outside [-90, 90]",
    ),
    Case(
        "acc-longitude-range",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,45,200,,,,\n",
        3,
        "longitude",
        "outside [-180, 180]",
    ),
    Case(
        "acc-latitude-alone",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,45,,,,,\n",
        3,
        "longitude",
        "go together",
    ),
    Case(
        "acc-longitude-alone",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,,8,,,,\n",
        3,
        "latitude",
        "go together",
    ),
    Case(
        "acc-latitude-text",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,north,8,,,,\n",
        3,
        "latitude",
        "not a number",
    ),
    Case(
        "acc-unknown-zip",
        "accounts",
        "id,name,postal_code,country\nA1,Acme,02134,US\nA2,B,99999,US\n",
        3,
        "postal_code",
        "unknown US postal code",
    ),
    Case(
        # Oregon "9720" is 97201 cut short, not APO 09720 (Armed Forces Europe): it used to
        # be padded and the state overwritten to AE, with only a warning.
        "acc-zip-cut-short",
        "accounts",
        "id,name,state,postal_code\nA1,Acme,MA,2134\nA2,B,Oregon,9720\n",
        3,
        "postal_code",
        "only 4 digits: read as ZIP 09720, which is in AE, not OR",
    ),
    Case(
        "acc-zip-not-digits",
        "accounts",
        "id,name,postal_code,country\nA1,Acme,02134,\nA2,B,ABC12,United States\n",
        3,
        "postal_code",
        "not a US ZIP code",
    ),
    Case(
        "acc-duplicate-id",
        "accounts",
        ACC + ACC_OK + "A2,B,DE,,,,,,\n" + ACC_OK,
        4,
        "id",
        "first at row",
    ),
    Case(
        "acc-own-parent",
        "accounts",
        "id,name,parent_id\nA1,Acme,\nA2,B,A2\n",
        3,
        "parent_id",
        "own parent",
    ),
    Case(
        "acc-salesforce-employees",
        "accounts",
        "Id,Name,BillingCountry,NumberOfEmployees\n001A,Acme,DE,12\n001B,B,DE,twelve\n",
        3,
        "employees",
        "not a whole number",
        column="NumberOfEmployees",
    ),
    Case(
        "acc-salesforce-potential",
        "accounts",
        "Id,Name,BillingCountry,Potential__c\n001A,Acme,DE,12\n001B,B,DE,-4\n",
        3,
        "potential",
        ">= 0",
        column="Potential__c",
    ),
    # leads
    Case(
        "lead-missing-company", "leads", LEAD + LEAD_OK + "L2,,FR,,,\n", 3, "company", "is required"
    ),
    Case(
        "lead-employees-text",
        "leads",
        LEAD + LEAD_OK + "L2,X,FR,lots,,\n",
        3,
        "employees",
        "not a whole number",
    ),
    Case(
        "lead-revenue-negative",
        "leads",
        LEAD + LEAD_OK + "L2,X,FR,,-5,\n",
        3,
        "annual_revenue",
        ">= 0",
    ),
    Case(
        "lead-unknown-zip",
        "leads",
        LEAD + LEAD_OK + "L2,X,USA,,,00000\n",
        3,
        "postal_code",
        "unknown US postal code",
    ),
    Case("lead-duplicate", "leads", LEAD + LEAD_OK + LEAD_OK, 3, "id", "first at row"),
    # reps
    Case(
        "rep-role",
        "reps",
        REP + REP_OK + "R2,Bob,b@x.com,wizard,,,,,,,\n",
        3,
        "role",
        "unknown role",
        value="wizard",
    ),
    Case("rep-email", "reps", REP + REP_OK + "R2,Bob,nope,,,,,,,,\n", 3, "email", "not an e-mail"),
    Case(
        "rep-capacity-hours",
        "reps",
        REP + REP_OK + "R2,Bob,,,,,-1,,,,\n",
        3,
        "capacity_hours",
        ">= 0",
    ),
    Case(
        "rep-capacity-accounts",
        "reps",
        REP + REP_OK + "R2,Bob,,,,,,2.5,,,\n",
        3,
        "capacity_accounts",
        "not a whole number",
    ),
    Case(
        "rep-hire-date",
        "reps",
        REP + REP_OK + "R2,Bob,,,,,,,,yesterday,\n",
        3,
        "hire_date",
        "not a date",
    ),
    Case(
        "rep-active", "reps", REP + REP_OK + "R2,Bob,,,,,,,,,maybe\n", 3, "active", "not a boolean"
    ),
    Case(
        "rep-unknown-manager",
        "reps",
        REP + REP_OK + "R2,Bob,,,,,,,R1,,\nR3,Cy,,,,,,,R9,,\n",
        4,
        "manager_id",
        "unknown rep 'R9'",
        known_ids={},
    ),
    Case(
        "rep-own-manager",
        "reps",
        REP + REP_OK + "R2,Bob,,,,,,,R2,,\n",
        3,
        "manager_id",
        "own manager",
    ),
    Case(
        "rep-latitude-alone",
        "reps",
        REP + REP_OK + "R2,Bob,,,45.0,,,,,,\n",
        3,
        "home_longitude",
        "go together",
    ),
    # geo units
    Case(
        "geo-kind",
        "geo_units",
        GEO + GEO_OK + "G2,planet,South,41,-75,5,\n",
        3,
        "kind",
        "unknown kind",
    ),
    Case(
        "geo-population",
        "geo_units",
        GEO + GEO_OK + "G2,custom,South,41,-75,many,\n",
        3,
        "attributes.population",
        "not a number",
        column="population",
    ),
    Case(
        "geo-missing-latitude",
        "geo_units",
        GEO + GEO_OK + "G2,custom,South,,-75,5,\n",
        3,
        "latitude",
        "is required",
    ),
    Case(
        "geo-own-neighbour",
        "geo_units",
        GEO + GEO_OK + "G2,custom,South,41,-75,5,G1;G2\n",
        3,
        "neighbours",
        "own neighbour",
    ),
    Case(
        "geo-polygon",
        "geo_units",
        'id,kind,name,latitude,longitude,polygon\nG1,custom,N,40,-75,\nG2,custom,S,41,-75,{"type": "Point"}\n',
        3,
        "polygon",
        "GeoJSON",
    ),
    Case(
        "geo-unknown-parent",
        "geo_units",
        GEO.replace("neighbours", "parent_id")
        + GEO_OK.replace("G2", "")
        + "G2,custom,South,41,-75,5,C9\n",
        3,
        "parent_id",
        "unknown geo unit 'C9'",
        known_ids={"geo_units": ["C1"]},
    ),
    # sales lines
    Case(
        "sale-date",
        "sales_lines",
        SALE + SALE_OK + "S2,A1,2024-13-45,5,\n",
        3,
        "date",
        "not a date",
    ),
    Case(
        "sale-amount",
        "sales_lines",
        SALE + SALE_OK + "S2,A1,2024-01-05,abc,\n",
        3,
        "amount",
        "not a number",
    ),
    Case(
        "sale-missing-amount",
        "sales_lines",
        SALE + SALE_OK + "S2,A1,2024-01-05,,\n",
        3,
        "amount",
        "is required",
    ),
    Case(
        "sale-unknown-account",
        "sales_lines",
        SALE + SALE_OK + "S2,A7,2024-01-05,5,\n",
        3,
        "account_id",
        "unknown account 'A7'",
        known_ids={"accounts": ["A1"]},
    ),
    Case(
        "sale-missing-account",
        "sales_lines",
        SALE + SALE_OK + "S2,,2024-01-05,5,\n",
        3,
        "account_id",
        "is required",
    ),
    Case(
        "sale-quantity",
        "sales_lines",
        SALE + SALE_OK + "S2,A1,2024-01-05,5,two\n",
        3,
        "quantity",
        "not a number",
    ),
    # opportunities
    Case(
        "opp-close-before-create",
        "opportunities",
        OPP + OPP_OK + "O2,A1,2024-03-01,5,Won,2024-02-01,true,true,\n",
        3,
        "close_date",
        "before it was created",
    ),
    Case(
        "opp-won-not-closed",
        "opportunities",
        OPP + OPP_OK + "O2,A1,2024-03-01,5,Won,,false,true,\n",
        3,
        "is_won",
        "must be closed",
    ),
    Case(
        "opp-amount-negative",
        "opportunities",
        OPP + OPP_OK + "O2,A1,2024-03-01,-10,Open,,,,\n",
        3,
        "amount",
        "only a won deal may be negative",
    ),
    Case(
        "opp-missing-stage",
        "opportunities",
        OPP + OPP_OK + "O2,A1,2024-03-01,10,,,,,\n",
        3,
        "stage",
        "is required",
    ),
    Case(
        "opp-is-closed",
        "opportunities",
        OPP + OPP_OK + "O2,A1,2024-03-01,10,Open,,perhaps,,\n",
        3,
        "is_closed",
        "not a boolean",
    ),
    Case(
        "opp-created-date",
        "opportunities",
        OPP + OPP_OK + "O2,A1,03/32/2024,10,Open,,,,\n",
        3,
        "created_date",
        "not a date",
    ),
    # targets
    Case(
        "target-both",
        "targets",
        TGT + TGT_OK + "T2,2024-01-01,2024-12-31,5,TER1,R1\n",
        3,
        "territory_id",
        "both given",
    ),
    Case(
        "target-neither",
        "targets",
        TGT + TGT_OK + "T2,2024-01-01,2024-12-31,5,,\n",
        3,
        "territory_id",
        "neither given",
    ),
    # a quota sheet by rep name: the vacant territory's row has a blank rep and no
    # territory column, so the error names the file's rep column, not territory_id
    Case(
        "target-blank-rep",
        "targets",
        "Quota ID,Start Date,End Date,Quota,Rep\nQ1,2024-01-01,2024-12-31,1000,R1\n"
        "Q2,2024-01-01,2024-12-31,400,\n",
        3,
        "rep_id",
        "no rep: the cell is blank and the file has no territory column",
        column="Rep",
        known_ids={"reps": ["R1"]},
    ),
    Case(
        "target-period",
        "targets",
        TGT + TGT_OK + "T2,2024-12-31,2024-01-01,5,TER1,\n",
        3,
        "period_end",
        "ends before it starts",
    ),
    Case(
        "target-amount",
        "targets",
        TGT + TGT_OK + "T2,2024-01-01,2024-12-31,-1,TER1,\n",
        3,
        "amount",
        ">= 0",
    ),
    Case(
        "target-unknown-territory",
        "targets",
        TGT + TGT_OK + "T2,2024-01-01,2024-12-31,5,TER9,\n",
        3,
        "territory_id",
        "unknown territory 'TER9'",
        known_ids={"territories": ["TER1"]},
    ),
    Case(
        "target-missing-start",
        "targets",
        TGT + TGT_OK + "T2,,2024-12-31,5,TER1,\n",
        3,
        "period_start",
        "is required",
    ),
]

ROW_OF = {"csv": lambda line: line, "xlsx": lambda line: line, "parquet": lambda line: line - 1}


def test_corpus_is_large_and_distinct() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({(c.kind, c.field, c.reason) for c in CASES}) >= 40


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_row_is_reported_exactly(case: Case, fmt: str, make_file: Any, zips: Any) -> None:
    path = make_file(case.text, fmt)
    result = load_file(path, case.kind, known_ids=case.known_ids, geocoder=zips)
    report = result.report
    row = ROW_OF[fmt](case.line)
    errors = [(i.row, i.field) for i in report.issues if i.severity == "error"]
    assert errors == [(row, case.field)], report.summary()
    issue = report.errors[0]
    assert case.reason in issue.reason
    assert issue.file == str(path)
    assert issue.column == (case.column or case.field)
    if case.value is not None:
        assert issue.value == case.value
    assert not report.ok
    assert report.rejected == 1
    assert report.accepted == report.rows_read - 1 == result.frame.height
