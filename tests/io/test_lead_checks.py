"""Leads a Salesforce export holds that lead conversion cannot count as the team expects: no
created date (in no period), or the same e-mail address twice (counted twice). Kept, with one
note each; a lead the CRM deleted is in neither count (the import leaves it out)."""

from __future__ import annotations

from typing import Any

from terraplan.io import load_file

HEADER = "Id,Company,Email,PostalCode,CreatedDate,IsDeleted\n"


def _notes(warnings: list[str], words: str) -> list[str]:
    return [w for w in warnings if words in w]


def test_leads_without_a_created_date_are_kept_with_a_note(make_file: Any) -> None:
    text = HEADER + (
        "00Q1,Acme,ann@acme.com,94107,2026-03-02T10:00:00.000+0000,false\n"
        "00Q2,Beta,bo@beta.com,10001,,false\n"
        "00Q3,Gamma,cy@gamma.com,60601,,false\n"
        "00Q4,asdf,test@test.com,,,true\n"  # deleted: left out by the import, not counted
    )
    result = load_file(make_file(text), "leads")
    assert result.report.ok and result.report.accepted == 3  # the deleted one is left out
    assert result.report.details["removed_ids"] == ["00Q4"]
    assert _notes(result.report.warnings, "no created date") == [
        "2 leads have no created date (e.g. row 3, column 'CreatedDate'): kept, but lead "
        "conversion counts a lead in the period it was created, so they count in no period"
    ]


def test_leads_sharing_an_email_address_are_kept_with_a_note(make_file: Any) -> None:
    text = HEADER + (
        "00Q1,Acme,Ann.Lee@Acme.com,94107,2026-03-02T10:00:00.000+0000,false\n"
        "00Q2,Acme Inc,ann.lee@acme.com ,94107,2026-04-11T10:00:00.000+0000,false\n"
        "00Q3,Beta,bo@beta.com,10001,2026-03-05T10:00:00.000+0000,false\n"
        "00Q4,Beta,bo@beta.com,10001,2026-03-06T10:00:00.000+0000,true\n"  # deleted
        "00Q5,Gamma,,60601,2026-03-07T10:00:00.000+0000,false\n"
        "00Q6,Delta,,60601,2026-03-08T10:00:00.000+0000,false\n"  # no address: no duplicate
    )
    result = load_file(make_file(text), "leads")
    assert result.report.ok
    assert _notes(result.report.warnings, "e-mail") == [
        "2 leads share their e-mail address with another lead of the file (e.g. row 2: "
        "'ann.lee@acme.com'): kept, each counts as a lead of its own in lead conversion; "
        "merge the duplicates in the CRM if they are one person"
    ]


def test_a_clean_export_says_nothing(make_file: Any) -> None:
    text = HEADER + (
        "00Q1,Acme,ann@acme.com,94107,2026-03-02T10:00:00.000+0000,false\n"
        "00Q2,Beta,bo@beta.com,10001,2026-03-05T10:00:00.000+0000,false\n"
    )
    result = load_file(make_file(text), "leads")
    assert result.report.ok and result.report.warnings == []
