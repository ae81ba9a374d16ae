"""Accounts a design's units cannot hold are counted and named, with why: PO-Box ZIPs, ZIPs
with no residents and postal codes outside the US in a ZIP design; accounts outside the US
are said to be outside the US (not to have "no ZIP code") in every design's words."""

from __future__ import annotations

from terraplan.domain import Account, AlignmentEntry, GeoKind, GeoUnit, Plan, RecordKind, Territory
from terraplan.io.geocoding import ZipDirectory
from terraplan.io.zip_units import LOWER_48_AND_DC
from terraplan.planning.unit_metrics import (
    sum_account_metrics,
    unlocated_accounts_message,
)
from terraplan.planning.unit_metrics import unplaced_accounts_note as note_of
from terraplan.rules import route
from terraplan.services.locations import zip_locator
from terraplan.services.ownership import rules_for_design


def unplaced_accounts_note(units: list[GeoUnit], accounts: list[Account]) -> str | None:
    """The note as the design service asks for it: with the ZIP table and the market."""
    return note_of(units, accounts, locate=ZipDirectory().lookup, market=LOWER_48_AND_DC)


def _zip(code: str, state: str = "AL", county: str = "01073") -> GeoUnit:
    return GeoUnit(code, GeoKind.ZIP, f"{code} Birmingham", 33.5, -86.8, state, county)


def _county(fips: str, state: str) -> GeoUnit:
    return GeoUnit(fips, GeoKind.COUNTY, f"County {fips}", 35.0, -90.0, state)


#: Two Birmingham, AL ZIPs as the design's units.
AL_UNITS = [_zip("35203"), _zip("35205")]
#: Every state of the contiguous US and DC: a design of the whole market.
US_UNITS = [*AL_UNITS, *(_zip(f"9{i:04d}", s) for i, s in enumerate(sorted(LOWER_48_AND_DC)))]


def _acc(i: str, name: str, postal: str | None, **kw: object) -> Account:
    return Account(i, name, postal_code=postal, potential=100.0, **kw)  # type: ignore[arg-type]


ACCOUNTS = [
    _acc("a1", "Held One", "35203", state="AL", county_fips="01073"),
    _acc("a2", "Held Two", "35205", state="AL", county_fips="01073"),
    _acc("p1", "Box One", "35201", state="AL", county_fips="01073"),  # PO-Box ZIP
    _acc("p2", "Box Two", "35202", state="AL", county_fips="01073"),  # PO-Box ZIP
    _acc("z1", "Empty Zip", "36008", state="AL", county_fips="01001"),  # no residents
    _acc("b1", "Blank", None, state="AL"),
    _acc("f1", "Maple Co", "M5V 3L9", country="CA"),
    _acc("f2", "Bier GmbH", "80331", country="DE"),
    _acc("w1", "West Coast", "94107", state="CA", county_fips="06075"),  # another state
]


def test_a_zip_design_names_po_box_and_empty_zips_with_why() -> None:
    note = unplaced_accounts_note(AL_UNITS, ACCOUNTS)
    assert note is not None
    assert note.startswith(
        "4 accounts are in none of the design's ZIP units and are left out of the design "
        "(potential 400): 2 accounts are at PO-Box ZIPs: Box One (ZIP 35201 is a PO-Box ZIP, "
        "not one of the design's units), Box Two (ZIP 35202 is a PO-Box ZIP, not one of the "
        "design's units); 1 account is at a ZIP with no residents: Empty Zip (ZIP 36008 has "
        "no residents, not one of the design's units); 1 account has no postal code: Blank."
    )
    assert "a county design (--units counties) holds them" in note
    # a design of Alabama is not asked to hold a Californian or a Canadian account
    assert "West Coast" not in note and "Maple Co" not in note
    # the totals leave the same accounts out
    counts = sum_account_metrics(AL_UNITS, ACCOUNTS, ["count"])
    assert sum(u.attributes["count"] for u in counts) == 2


def test_a_whole_market_zip_design_names_accounts_outside_the_us() -> None:
    note = unplaced_accounts_note(US_UNITS, ACCOUNTS)
    assert note is not None
    assert "7 accounts are in none of the design's ZIP units" in note
    assert (
        "1 account is at a ZIP that is not a design unit: West Coast (ZIP 94107 is not one of "
        "the design's units)"
    ) in note
    assert (
        "2 accounts are outside the US: Maple Co (postal code M5V 3L9 is not a US postal code: "
        "country CA), Bier GmbH (postal code 80331 is not a US postal code: country DE)"
    ) in note
    assert "no ZIP code" not in note


def test_one_group_reads_as_one_sentence() -> None:
    note = unplaced_accounts_note(AL_UNITS, [ACCOUNTS[0], ACCOUNTS[2]])
    assert note == (
        "1 account is in none of the design's ZIP units (at PO-Box ZIPs) and is left out of the "
        "design: Box One (ZIP 35201 is a PO-Box ZIP, not one of the design's units) (potential "
        "100). The accounts at PO-Box ZIPs have a known county: a county design (--units "
        "counties) holds them; rules generated from this design leave them unassigned (gaps) "
        "unless a rule names their ZIPs"
    )


def test_rules_generated_from_a_zip_design_leave_po_box_accounts_unassigned() -> None:
    """Why the note does not place PO-Box accounts in a nearby unit of their county: the
    rules generated from the design would not route them there (they name the design's
    ZIPs only), so the design's totals would promise what the rules do not do."""
    plan = Plan(
        "P1",
        "ZIPs",
        territories=(Territory("T1", "One"), Territory("T2", "Two")),
        alignment=(
            AlignmentEntry(RecordKind.GEO_UNIT, "35203", "T1"),
            AlignmentEntry(RecordKind.GEO_UNIT, "35205", "T2"),
        ),
    )
    rules = rules_for_design(plan, list(AL_UNITS))
    locate = zip_locator()
    assert route(ACCOUNTS[0], rules, locate=locate).territory_id == "T1"
    assert route(ACCOUNTS[2], rules, locate=locate).territory_id is None  # PO-Box: a gap
    assert route(ACCOUNTS[4], rules, locate=locate).territory_id is None  # no residents


def test_a_county_design_says_outside_the_us_not_no_zip_code() -> None:
    counties = [
        _county("01073", "AL"),
        *(_county(f"9{i:04d}", s) for i, s in enumerate(sorted(LOWER_48_AND_DC))),
    ]
    accounts = [ACCOUNTS[0], ACCOUNTS[5], ACCOUNTS[6], ACCOUNTS[7]]
    note = unplaced_accounts_note(counties, accounts)
    assert note is not None
    assert note.startswith("3 accounts have no county and are left out of the design")
    assert "2 accounts are outside the US: Maple Co (postal code M5V 3L9 is not a US" in note
    assert "1 account has no ZIP code or coordinates to find its county: Blank" in note
    only_foreign = unplaced_accounts_note(counties, accounts[2:])
    assert only_foreign is not None and "no ZIP code" not in only_foreign
    assert only_foreign.startswith("2 accounts have no county (outside the US)")


def test_an_account_design_names_the_country_and_offers_states() -> None:
    message = unlocated_accounts_message([ACCOUNTS[6], ACCOUNTS[7], ACCOUNTS[6]])
    assert message.startswith(
        "3 accounts are outside the US (CA 2, DE 1), without latitude/longitude; a postal code "
        "outside the US is not a US postal code, so nothing places them: Maple Co (f1, postal "
        "code M5V 3L9, country CA), Bier GmbH (f2, postal code 80331, country DE)"
    )
    assert "--states" in message and "no ZIP code" not in message
    mixed = unlocated_accounts_message([ACCOUNTS[5], ACCOUNTS[6]])
    assert "1 account is outside the US (CA 1)" in mixed
    assert "1 account has no latitude/longitude and no ZIP code to place them: Blank (b1)" in mixed
