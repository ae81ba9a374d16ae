"""CRMs the README names no columns of: Pipedrive and Zoho CRM exports, as they come.

Pipedrive exports one file per entity with ``Entity - Field`` headers, a deal's outcome in
``Deal - Status`` (open, won, lost, deleted: deleted deals are kept in the export) apart from
its pipeline ``Deal - Stage``, owners by name and a deal's organization by name. Zoho CRM's
Accounts export gives the ZIP as ``Billing Code``, its Deals ``Closing Date``, ``Created Time``
and the account's id as ``Account Name.id``.
"""

from __future__ import annotations

from typing import Any

from terraplan.io import iter_records, load_file

PIPEDRIVE_DEALS = (
    "Deal - ID,Deal - Title,Deal - Owner,Deal - Value,Deal - Currency,Deal - Organization,"
    "Deal - Pipeline,Deal - Stage,Deal - Status,Deal - Deal created,Deal - Expected close date,"
    "Deal - Won time,Deal - Lost time,Deal - Close time\n"
    "5000,Acme deal,Jane Doe,41485,USD,A1,Sales pipeline,Negotiations Started,won,"
    "2026-01-23 17:54:51,2026-06-07,2026-04-24 09:45:17,,2026-04-24 09:45:17\n"
    "5001,Acme 2,Jane Doe,25208,USD,A1,Sales pipeline,Qualified,deleted,"
    "2024-12-25 10:40:35,2025-06-22,,,\n"
    "5002,Acme 3,Jane Doe,3939,USD,A1,Sales pipeline,Proposal Made,lost,"
    "2024-09-27 11:00:00,2024-12-01,,2024-12-23 10:00:00,2024-12-23 10:00:00\n"
    "5003,Acme 4,Jane Doe,1200,USD,A1,Renewals,Quote sent,open,2025-03-01 09:00:00,,,,\n"
)


def _records(result: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in iter_records(result.frame)}


def test_a_deleted_deal_is_left_out_not_read_as_open(make_file: Any) -> None:
    # Pipedrive's status "deleted" used to read as an open stage: 135 deleted deals of an
    # audit's export swelled a territory's open pipeline by 49 %.
    mapping = {
        "columns": {
            "Deal - Organization": "account_id",
            "Deal - Value": "amount",
            "Deal - Deal created": "created_date",
            "Deal - Close time": "close_date",
            "Deal - Status": "stage",
            "Deal - Stage": None,
        }
    }
    result = load_file(
        make_file(PIPEDRIVE_DEALS), "opportunities", mapping=mapping, known_ids={"accounts": ["A1"]}
    )
    report = result.report
    # left out, not refused: a weekly export holds them every time
    assert report.ok and (report.accepted, report.rejected) == (3, 0)
    assert report.details["removed_ids"] == ["5001"]
    kept = _records(result)
    assert sorted(kept) == ["5000", "5002", "5003"]
    assert (kept["5000"]["is_won"], kept["5002"]["is_closed"], kept["5003"]["is_closed"]) == (
        True,
        True,
        False,
    )
    assert (
        "1 deal the CRM marks as deleted (stage 'deleted': Pipedrive's exports keep deleted"
        " deals) left out: a deleted deal is neither open pipeline nor a loss"
    ) in report.warnings
    # the deal left out is in no reading's count
    assert any(w.startswith("1 opportunity read as open") for w in report.warnings)


def test_a_stage_starting_with_deleted_is_left_out_with_its_own_problems(
    make_file: Any,
) -> None:
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n"
        "O1,A1,Deleted - duplicate,-5,2025-01-02,\n"  # a bad amount: not said, left out
        "O2,A1,Undeleted review,100,2025-01-02,\n"
        "O3,A1,deleted,100,2025-01-02,\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert result.report.issues == []
    assert sorted(_records(result)) == ["O2"]
    assert result.report.details["removed_ids"] == ["O1", "O3"]
    assert result.report.warnings[0].startswith(
        "2 deals the CRM marks as deleted (stage 'Deleted - duplicate': "
    )


PIPEDRIVE_ORGANIZATIONS = (
    "Organization - ID,Organization - Name,Organization - Owner,Organization - Address,"
    "Organization - Address - City/town/village/locality,Organization - Address - State/county,"
    "Organization - Address - ZIP/Postal code,Organization - Address - Country,"
    "Organization - Label,Organization - Industry,Organization - Annual revenue,"
    "Organization - Number of employees\n"
    '1000,Northeast Tech Corp.,Jane Doe,"68 Main St, North Brunswick, NJ 8902, USA",'
    "North Brunswick,New Jersey,8902,United States,Customer,Technology,2216000,12\n"
    "1001,Beacon Systems LLC,Greg Hill,,Wantagh,New York,,United States,Hot lead,,,\n"
)


def test_a_pipedrive_organization_export_imports_without_a_mapping(
    make_file: Any, zips: Any
) -> None:
    result = load_file(make_file(PIPEDRIVE_ORGANIZATIONS), "accounts", geocoder=zips)
    assert result.report.ok, result.report.summary()
    got = _records(result)
    first = got["1000"]
    assert (first["name"], first["postal_code"], first["state"], first["country"]) == (
        "Northeast Tech Corp.",
        "08902",  # the leading zero Excel took is back
        "NJ",
        "US",
    )
    assert (first["annual_revenue"], first["employees"], first["industry"]) == (
        2216000.0,
        12,
        "Technology",
    )
    assert first["owner_id"] == "Jane Doe" and first["county_fips"] == "34023"
    assert got["1001"]["postal_code"] is None
    # the other form of the ZIP header reads the same
    other = PIPEDRIVE_ORGANIZATIONS.replace(
        "Organization - Address - ZIP/Postal code", "Organization - ZIP/Postal code of Address"
    )
    again = _records(load_file(make_file(other), "accounts", geocoder=zips))
    assert again["1000"]["postal_code"] == "08902"


def test_a_pipedrive_deal_export_reads_the_status_and_links_organizations_by_name(
    make_file: Any,
) -> None:
    names = {"A1": "Acme Corp.", "B1": "Bay Labs", "B2": "Bay  labs"}
    text = PIPEDRIVE_DEALS.replace(",A1,", ",acme corp. ,", 3).replace(
        "5003,Acme 4,Jane Doe,1200,USD,A1,", "5003,Acme 4,Jane Doe,1200,USD,Bay Labs,"
    )
    result = load_file(
        make_file(text),
        "opportunities",
        known_ids={"accounts": list(names)},
        account_names=names,
    )
    report = result.report
    kept = _records(result)
    assert sorted(kept) == ["5000", "5002"]
    assert {r["account_id"] for r in kept.values()} == {"A1"}
    assert (kept["5000"]["amount"], kept["5000"]["close_date"].isoformat()) == (
        41485.0,
        "2026-04-24",  # the close time, not the expected close date
    )
    assert kept["5000"]["created_date"].isoformat() == "2026-01-23"
    assert kept["5000"]["is_won"] and kept["5002"]["is_closed"] and not kept["5002"]["is_won"]
    refused = {e.row: (e.column, e.reason.split(":")[0]) for e in report.errors}
    assert refused == {5: ("Deal - Organization", "several stored accounts have this name")}
    assert report.details["removed_ids"] == ["5001"]  # deleted: left out
    assert (
        "2 rows name the account by its name (e.g. acme corp. -> A1): replaced by the account's id"
        in report.warnings
    )
    assert (
        "columns 'Deal - Status' and 'Deal - Stage' both give field 'stage': 'Deal - Status'"
        " is read, 'Deal - Stage' is ignored"
    ) in report.warnings
    assert report.columns["Deal - Value"] == "amount"
    assert report.columns["Deal - Close time"] == "close_date"


def test_an_account_name_that_is_no_stored_name_stays_unknown(make_file: Any) -> None:
    text = "Deal - ID,Deal - Organization,Deal - Value,Deal - Status,Deal - Deal created\n"
    text += "1,Nobody Inc,10,open,2025-01-01 10:00:00\n2,A1,10,open,2025-01-01 10:00:00\n"
    result = load_file(
        make_file(text),
        "opportunities",
        known_ids={"accounts": ["A1"]},
        account_names={"A1": "Acme"},
    )
    assert [(e.row, e.reason) for e in result.report.errors] == [
        (2, "unknown account 'Nobody Inc'")
    ]


ZOHO_ACCOUNTS = (
    "Record Id,Account Name,Account Owner,Billing Street,Billing City,Billing State,"
    "Billing Code,Billing Country,Industry,Annual Revenue,Employees,Account Type\n"
    "zcrm_48760002000000000,Pine Builders,Tom O'Connor,200 Market St,Massapequa,NY,11758,"
    'United States,Construction,"$2,243,000.00",36,Prospect\n'
    "zcrm_48760002000000037,Liberty Labs Corp.,Karen White,684 Market St,Ridgefield Park,"
    "New Jersey,7660,USA,Technology,,17,Partner\n"
)


def test_a_zoho_accounts_export_reads_the_billing_code_as_the_zip(
    make_file: Any, zips: Any
) -> None:
    # "Billing Code" used to be kept as a custom attribute: 200 accounts imported without a
    # ZIP, "0 geocoded" and no warning, and no design or geographic rule placed any of them.
    result = load_file(make_file(ZOHO_ACCOUNTS), "accounts", geocoder=zips)
    assert result.report.ok, result.report.summary()
    assert result.report.geocoded == 2
    got = _records(result)
    assert [got[i]["postal_code"] for i in sorted(got)] == ["11758", "07660"]
    assert got["zcrm_48760002000000037"]["state"] == "NJ"
    assert got["zcrm_48760002000000000"]["annual_revenue"] == 2243000.0
    assert "Billing Code" not in (got["zcrm_48760002000000000"]["attributes"] or {})


def test_a_zoho_deals_export_imports_without_a_mapping(make_file: Any) -> None:
    text = (
        "Record Id,Deal Name,Account Name,Account Name.id,Amount,Stage,Closing Date,"
        "Created Time,Deal Owner,Probability (%),Type,Lead Source,Expected Revenue\n"
        "zcrm_1,Pine - New,Pine Builders,zcrm_A,21345.04,Closed-Lost to Competition,03/20/2026,"
        "10/01/2025 10:00 AM,Dave Kowalski,0,New Business,Cold Call,0\n"
        "zcrm_2,Pine - Upsell,Pine Builders,zcrm_A,1000,Closed Won,04/02/2026,"
        "01/05/2026 09:15 AM,Dave Kowalski,100,Existing Business,,1000\n"
        "zcrm_3,Pine - Renewal,Pine Builders,zcrm_A,500,Negotiation/Review,08/26/2026,"
        "08/15/2025 10:00 AM,Dave Kowalski,75,New Business,Web Site,375\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["zcrm_A"]})
    assert result.report.ok, result.report.summary()
    got = _records(result)
    assert {r["account_id"] for r in got.values()} == {"zcrm_A"}
    assert [(got[i]["is_closed"], got[i]["is_won"]) for i in sorted(got)] == [
        (True, False),
        (True, True),
        (False, False),
    ]
    assert got["zcrm_2"]["close_date"].isoformat() == "2026-04-02"
    assert got["zcrm_2"]["created_date"].isoformat() == "2026-01-05"


def test_a_zip_column_under_an_unknown_header_is_pointed_at(make_file: Any) -> None:
    # an unknown CRM's ZIP header was kept as a custom attribute without a word: the accounts
    # were imported with no location and "0 geocoded"
    text = "id,name,Shipping Code,Region Code\nA1,Acme,02139,NE\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.warnings == [
        "no column gives the accounts' postal code, coordinates or county (a column such as"
        " 'Shipping Code', 'Region Code' may hold it): they are imported without a location,"
        " so no county, ZIP or area design, geographic rule or map places them; map the ZIP"
        " column to postal_code in a mapping file (--mapping)"
    ]
    # a list of names and owners has nothing to point at, and a ZIP column is read
    assert load_file(make_file("id,name\nA1,Acme\n"), "accounts").report.warnings == []
    mapped = load_file(
        make_file(text), "accounts", mapping={"Shipping Code": "postal_code"}, geocode=False
    )
    assert mapped.report.warnings == []


def test_a_zoho_leads_export_imports_without_a_mapping(make_file: Any, zips: Any) -> None:
    text = (
        "Record Id,First Name,Last Name,Company,Lead Source,Industry,No. of Employees,"
        "Annual Revenue,State,Zip Code,Country,Created Time,Lead Owner\n"
        'zcrm_9001,Ann,Lee,Foo Labs,Web Site,Technology,45,"$1,200,000.00",NJ,7102,'
        "United States,03/14/2025 09:12 AM,Priya Nair\n"
    )
    result = load_file(make_file(text), "leads", geocoder=zips)
    assert result.report.ok, result.report.summary()
    (lead,) = _records(result).values()
    assert (lead["company"], lead["postal_code"], lead["employees"], lead["source"]) == (
        "Foo Labs",
        "07102",
        45,  # "No. of Employees" was kept as a custom attribute
        "Web Site",
    )
    assert lead["created_date"].isoformat() == "2025-03-14"


def test_sales_lines_may_name_their_account_by_name_too(make_file: Any) -> None:
    text = "Line ID,Account,Date,Amount\nL1,Acme,2025-01-02,10\nL2,Bay Labs,2025-01-02,5\n"
    result = load_file(
        make_file(text),
        "sales_lines",
        mapping={"Account": "account_id"},
        known_ids={"accounts": ["A1", "B1", "B2"]},
        account_names={"A1": "ACME", "B1": "Bay Labs", "B2": "Bay Labs"},
    )
    assert {r["id"]: r["account_id"] for r in _records(result).values()} == {"L1": "A1"}
    assert [e.row for e in result.report.errors] == [3]
