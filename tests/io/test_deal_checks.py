"""The opportunity's type from the CRMs' own headers, stored as one spelling; a type of no
known kind is kept with one warning naming the values."""

from __future__ import annotations

from typing import Any

from terraplan.io import iter_records, load_file


def test_hubspot_deal_type_is_read_as_its_label(make_file: Any) -> None:
    text = (
        "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal Type,"
        "Associated Company IDs (Primary)\n"
        "901,Acme,closedwon,1200,2026-01-05 10:00,2026-02-01 12:00,newbusiness,11\n"
        "902,Acme renewal,closedwon,900,2026-01-05 10:00,2026-03-01 12:00,existingbusiness,11\n"
        "903,Acme credit,closedwon,-150.25,2026-03-05 10:00,2026-03-06 12:00,existingbusiness,11\n"
        "904,Beta,appointmentscheduled,500,2026-04-05 10:00,,,12\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["11", "12"]})
    assert result.report.ok, result.report.issues
    types = {r["id"]: (r["deal_type"], r["amount"]) for r in iter_records(result.frame)}
    assert types == {
        "901": ("New Business", 1200.0),
        "902": ("Existing Business", 900.0),
        "903": ("Existing Business", -150.25),
        "904": (None, 500.0),
    }
    assert not [w for w in result.report.warnings if "Deal Type" in w]


def test_zoho_type_and_a_type_of_no_known_kind(make_file: Any) -> None:
    text = (
        "Record Id,Account Name.id,Stage,Amount,Created Time,Closing Date,Type\n"
        "1,7,Closed Won,100,2026-01-05,2026-01-20,Partner\n"
        "2,7,Closed Won,200,2026-01-05,2026-01-21,partner\n"
        "3,7,Closed Won,300,2026-01-05,2026-01-22,Existing Business\n"
        "4,7,Closed Lost,50,2026-01-05,2026-01-23,Channel\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["7"]})
    assert result.report.ok, result.report.issues
    types = {r["id"]: r["deal_type"] for r in iter_records(result.frame)}
    assert types == {"1": "Partner", "2": "partner", "3": "Existing Business", "4": "Channel"}
    said = [w for w in result.report.warnings if "no known type" in w]
    assert said == [
        "3 opportunities with a 'Type' of no known type ('Channel': 1, 'Partner': 1,"
        " 'partner': 1) kept as written: they count in neither new business nor renewals and"
        " expansion (rename them in a mapping file's values, e.g. to 'New Business' or"
        " 'Renewal')"
    ]
