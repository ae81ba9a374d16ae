"""Salesforce ids in 15 and 18 characters name the same record; other 18-character ids are
never cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from terraplan.domain.salesforce_ids import (
    is_long_form,
    match_id_forms,
    other_form,
    record_key,
    suffix,
)
from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage.database import Database

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def test_the_suffix_encodes_the_case_of_each_block() -> None:
    assert suffix("001A0000006Vm9r") == "IAC"  # Salesforce's documented example
    assert suffix("001Ax000001abcD") == "IAQ"
    assert suffix("001Ax000001ABCD") == "IA4"
    assert suffix("000000000000000") == "AAA"
    assert suffix("AAAAAAAAAAAAAAA") == "555"


@given(st.text(alphabet=ALNUM, min_size=15, max_size=15))
def test_every_long_form_maps_back_and_forth(short_id: str) -> None:
    long_id = short_id + suffix(short_id)
    assert is_long_form(long_id)
    assert match_id_forms([long_id], [short_id]) == {long_id: short_id}
    assert match_id_forms([short_id], [long_id]) == {short_id: long_id}
    assert match_id_forms([short_id], [short_id]) == {}  # already stored: nothing to map


def test_a_wrong_suffix_or_another_system_id_is_not_cut() -> None:
    assert match_id_forms(["001Ax000001abcDAAA"], ["001Ax000001abcD"]) == {}
    assert match_id_forms(["ORDER-0000000000001"], ["ORDER-0000000000"]) == {}


def test_opportunities_naming_accounts_by_their_18_character_ids(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "Account.csv").write_text(
        "Id,Name\n001Ax000001abcD,Lower Co\n001Ax000001ABCD,Upper Co\n", encoding="utf-8"
    )
    import_file(db, tmp_path / "Account.csv", "accounts")
    (tmp_path / "Opportunity.csv").write_text(
        "Id,AccountId,StageName,Amount,CreatedDate\n"
        "006A,001Ax000001abcDIAQ,Prospecting,50,2025-01-01\n"
        "006B,001Ax000001ABCDIA4,Prospecting,70,2025-01-01\n"
        "006C,001Ax000001abcD,Prospecting,90,2025-01-01\n",
        encoding="utf-8",
    )
    outcome = import_file(db, tmp_path / "Opportunity.csv", "opportunities")
    notes = [w for w in outcome.report.warnings if "Salesforce id" in w]
    assert notes == [
        "2 rows name the account by its 18-character Salesforce id"
        " (e.g. 001Ax000001ABCDIA4 -> 001Ax000001ABCD): matched to the stored id"
    ]
    with db.engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT id, account_id FROM opportunities")).all())
    # the case-distinct accounts stay apart
    assert rows == {"006A": "001Ax000001abcD", "006B": "001Ax000001ABCD", "006C": "001Ax000001abcD"}

    # an 18-character id whose suffix does not match is still an unknown account
    (tmp_path / "bad.csv").write_text(
        "Id,AccountId,StageName,Amount,CreatedDate\n006D,001Ax000001abcDAAA,Prospecting,1,2025-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="unknown account '001Ax000001abcDAAA'"):
        import_file(db, tmp_path / "bad.csv", "opportunities")


def test_other_forms_are_added_once_and_only_for_salesforce_shapes() -> None:
    from terraplan.domain.salesforce_ids import with_other_forms

    short, other_system = "001Dn00000AbCdE", "ACME-000123456789"  # 17 characters: not an id
    once = with_other_forms([short, short + suffix(short), other_system, "x" * 18])
    assert once == (short, short + suffix(short), other_system, "x" * 18)
    assert with_other_forms([short]) == (short, short + suffix(short))
    assert with_other_forms(with_other_forms([short])) == with_other_forms([short])


def test_other_form_and_record_key_name_one_record_in_either_form() -> None:
    short_id = "001A0000006Vm9r"
    assert other_form(short_id) == short_id + "IAC"
    assert other_form(short_id + "IAC") == short_id
    assert record_key(short_id + "IAC") == record_key(short_id) == short_id
    # another system's ids: no other form, their own key
    for value in ("001A0000006Vm9rAAA", "ORDER-000000001", "A1", "001A0000006Vm9r1"):
        assert other_form(value) is None
        assert record_key(value) == value
    assert record_key(short_id.lower()) != record_key(short_id)  # case tells two records
