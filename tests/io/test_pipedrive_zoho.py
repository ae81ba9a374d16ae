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


def test_a_deleted_deal_is_refused_not_read_as_open(make_file: Any) -> None:
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
    errors = result.report.errors
    assert [(e.row, e.column, e.value) for e in errors] == [(3, "Deal - Status", "deleted")]
    assert errors[0].reason.startswith("the deal was deleted in the CRM: it is no opportunity")
    kept = _records(result)
    assert sorted(kept) == ["5000", "5002", "5003"]
    assert (kept["5000"]["is_won"], kept["5002"]["is_closed"], kept["5003"]["is_closed"]) == (
        True,
        True,
        False,
    )
    # the refused row is in no reading's count
    assert any(w.startswith("1 opportunity read as open") for w in result.report.warnings)


def test_a_stage_starting_with_deleted_is_refused_too(make_file: Any) -> None:
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n"
        "O1,A1,Deleted - duplicate,100,2025-01-02,\n"
        "O2,A1,Undeleted review,100,2025-01-02,\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert [e.row for e in result.report.errors] == [2]
    assert sorted(_records(result)) == ["O2"]
