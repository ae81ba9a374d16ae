"""The one answer to "which territory is this account in", on hand-made plans and properties."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from terraplan.domain import Account, AlignmentEntry, Plan, RecordKind, Territory
from terraplan.planning.alignment import (
    account_territories,
    align_accounts,
    alignment_frame,
    geo_code_space,
    zip5,
)


def _plan(units: str | None, geo: dict[str, str], named: dict[str, str] | None = None) -> Plan:
    territories = (Territory("PA", "Pennsylvania"), Territory("IL", "Illinois"))
    alignment = tuple(AlignmentEntry(RecordKind.GEO_UNIT, u, t) for u, t in geo.items()) + tuple(
        AlignmentEntry(RecordKind.ACCOUNT, a, t) for a, t in (named or {}).items()
    )
    parameters: dict[str, object] = {"units": units} if units else {}
    return Plan("P", "Plan", territories=territories, alignment=alignment, parameters=parameters)


# ZIP 17003 (Annville, Lebanon County, PA: FIPS 42075) is also the FIPS code of Carroll
# County, Illinois: the old lookup sent this account to Illinois.
ANNVILLE = Account("A1", "Annville Feed", postal_code="17003", county_fips="42075")


def test_county_plan_never_reads_a_zip_as_a_county_code() -> None:
    plan = _plan("counties", {"42075": "PA", "17003": "IL"})
    assert account_territories(plan, [ANNVILLE]) == {"A1": "PA"}


def test_county_plan_leaves_an_account_without_county_unaligned() -> None:
    plan = _plan("counties", {"17003": "IL"})
    no_county = Account("A2", "No county", postal_code="17003")
    result = align_accounts(plan, [no_county])
    assert result.territory_of == {}
    assert result.unaligned == 1


def test_zip_plan_matches_zip_codes_and_zip_plus_four() -> None:
    plan = _plan("zips", {"17003": "PA", "42075": "IL"})
    plus_four = Account("A3", "Plus four", postal_code="17003-1234", county_fips="99999")
    result = align_accounts(plan, [ANNVILLE, plus_four])
    assert result.territory_of == {"A1": "PA", "A3": "PA"}
    assert "ZIP" in result.source


def test_named_accounts_come_before_geography() -> None:
    plan = _plan("counties", {"42075": "PA"}, named={"A1": "IL"})
    assert account_territories(plan, [ANNVILLE]) == {"A1": "IL"}


def test_the_latest_rule_run_decides_and_a_gap_stays_a_gap() -> None:
    plan = _plan("counties", {"42075": "PA"})
    later = Account("A9", "Imported after the run", county_fips="42075")
    gap = Account("A5", "Gap", county_fips="42075")
    result = align_accounts(plan, [ANNVILLE, gap, later], assignments={"A1": "IL", "A5": None})
    assert result.territory_of == {"A1": "IL", "A9": "PA"}
    assert result.unaligned == 1
    assert result.source == "the plan's latest rule run"


def test_a_rule_run_naming_an_unknown_territory_is_unaligned() -> None:
    plan = _plan("counties", {"42075": "PA"})
    result = align_accounts(plan, [ANNVILLE], assignments={"A1": "gone"})
    assert result.territory_of == {}
    assert result.unaligned == 1


def test_code_space_from_parameters_else_stored_kinds() -> None:
    assert geo_code_space(_plan("zips", {"17003": "PA"})) == "zip"
    assert geo_code_space(_plan("counties", {"17003": "PA"})) == "county"
    unknown = _plan(None, {"17003": "PA", "17011": "PA"})
    assert geo_code_space(unknown, {"17003": "zip", "17011": "zip"}) == "zip"
    assert geo_code_space(unknown) == "county"
    assert geo_code_space(_plan("counties", {})) is None


def test_zip5() -> None:
    assert zip5("94107-1234") == "94107"
    assert zip5(" 94107 ") == "94107"
    # read as routing and imports read a ZIP: anything else is no ZIP (no unit of a ZIP plan)
    assert zip5("M5V 2T6") is None
    assert zip5("0094107") is None and zip5("94107abc") is None
    assert zip5(None) is None


codes = st.text(alphabet="0123456789", min_size=5, max_size=5)


@given(
    geo=st.dictionaries(codes, st.sampled_from(["PA", "IL"]), max_size=12),
    rows=st.lists(st.tuples(codes, codes), max_size=20),
    units=st.sampled_from(["counties", "zips"]),
)
def test_one_code_space_and_frame_agrees(
    geo: dict[str, str], rows: list[tuple[str, str]], units: str
) -> None:
    plan = _plan(units, geo)
    accounts = [
        Account(f"A{i}", f"Account {i}", postal_code=z, county_fips=c)
        for i, (z, c) in enumerate(rows)
    ]
    mapping = account_territories(plan, accounts)
    for account in accounts:
        key = account.county_fips if units == "counties" else account.postal_code
        assert mapping.get(account.id) == geo.get(key or "")
    frame, source = alignment_frame(
        plan,
        pl.DataFrame(
            {
                "id": [a.id for a in accounts],
                "county_fips": [a.county_fips for a in accounts],
                "postal_code": [a.postal_code for a in accounts],
            },
            schema={"id": pl.String, "county_fips": pl.String, "postal_code": pl.String},
        ),
    )
    assert dict(zip(frame["account_id"], frame["territory_id"], strict=True)) == mapping
    assert source == align_accounts(plan, accounts).source
