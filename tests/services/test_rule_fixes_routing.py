"""Routing reads a postal code as a US ZIP only when it is one (5 digits, ZIP+4, or a number
that is a ZIP), names what was sent when it is not, and says why a known ZIP outside the
plan's counties (Alaska, Puerto Rico) matched no rule."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import route_postal_code, store_plan_with_rules

from terraplan.domain import Plan, Rep, Territory, TerritoryOwner
from terraplan.services.routing import Routed
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: County rules, as a designed plan's (San Francisco and Manhattan), and a ZIP range.
COUNTY_RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
  - {id: R, name: Range, type: geo}
rules:
  - {id: w, territory: W, when: {field: county_fips, op: in, value: ['06075']}}
  - {id: e, territory: E, when: {field: county_fips, op: in, value: ['36061']}}
  - {id: r, territory: R, when: {field: postal_code, op: between, value: [33000, 33099]}}
"""

STATE_RULES = """
territories:
  - {id: W, name: West, type: geo}
rules:
  - {id: w, territory: W, when: {field: state, op: in, value: [CA]}}
"""

NOT_A_ZIP = "is not a US ZIP code"


def _plan(db: Database, text: str = COUNTY_RULES) -> None:
    plan = Plan(
        id="P",
        name="FY27",
        territories=(
            Territory(id="W", name="West", owners=(TerritoryOwner("R1"),)),
            Territory(id="E", name="East", owners=(TerritoryOwner("R1"),)),
            Territory(id="R", name="Range", owners=(TerritoryOwner("R1"),)),
        ),
    )
    store_plan_with_rules(db, plan, text)


def _route(db: Database, postal_code: Any, **more: Any) -> Routed:
    routed = route_postal_code(db, postal_code, **more)
    assert isinstance(routed, Routed)
    return routed


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("0094107", "'0094107'"),  # was cut to ZIP 00941, with a note about that ZIP
        ("94107abc", "'94107abc'"),  # was read as 94107: a gap with no note
        ("94107123456789", "'94107123456789'"),  # idem
        (99999999999999999999999, "99999999999999999999999"),  # was "ZIP 99999"
        ("94107-12", "'94107-12'"),
        ("M5V 2T6", "'M5V 2T6'"),
    ],
)
def test_a_postal_code_that_is_no_zip_is_named_in_a_note(
    db: Database, sent: Any, shown: str
) -> None:
    _plan(db)
    routed = _route(db, sent)
    assert routed.result.gap
    assert routed.notes == (
        f"postal code {shown} is not a US ZIP code, so no county or state could be found for it",
    )


def test_a_long_sent_code_is_shortened_in_the_note(db: Database) -> None:
    _plan(db)
    (note,) = _route(db, "9" * 60).notes
    assert f"postal code '{'9' * 39}…' {NOT_A_ZIP}" in note


@pytest.mark.parametrize(
    ("sent", "territory"),
    [
        ("94107", "W"),
        (" 94107 ", "W"),
        ("94107-1234", "W"),
        ("941071234", "W"),
        (941071234, "W"),
        (94107, "W"),
        ("10001", "E"),
        (10001, "E"),
    ],
)
def test_a_zip_in_any_accepted_form_routes_by_its_county(
    db: Database, sent: Any, territory: str
) -> None:
    _plan(db)
    routed = _route(db, sent)
    assert routed.result.territory_id == territory
    assert routed.notes == ()


def test_a_number_gets_its_leading_zeros_back(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id="R1", name="Rep 1")])
        uow.commit()
    text = COUNTY_RULES.replace("'36061'", "'25025'")  # Suffolk County, MA (Boston)
    _plan_with(db, text)
    assert _route(db, 2134).result.territory_id == "E"  # ZIP 02134
    assert _route(db, "02134").result.territory_id == "E"


def _plan_with(db: Database, text: str) -> None:
    plan = Plan(
        id="P",
        name="FY27",
        territories=tuple(
            Territory(id=t, name=t, owners=(TerritoryOwner("R1"),)) for t in ("W", "E", "R")
        ),
    )
    store_plan_with_rules(db, plan, text, reps=())


def test_a_routed_lead_whose_code_is_no_zip_still_gets_the_note(db: Database) -> None:
    """Placed by its state, the lead's postal code was still no ZIP: the CRM should hear it."""
    _plan(db, STATE_RULES)
    routed = _route(db, "94107abc", state="CA")
    assert routed.result.territory_id == "W"
    assert len(routed.notes) == 1 and NOT_A_ZIP in routed.notes[0]
    # a foreign record's code is its own country's: nothing to say
    assert _route(db, "M5V 2T6", state="CA", country="CA").notes == ()


def test_a_malformed_code_does_not_override_a_typed_state(db: Database) -> None:
    """``94107abc`` was read as ZIP 94107 and its state CA replaced the typed NY."""
    _plan(db, STATE_RULES)
    routed = _route(db, "94107abc", state="NY")
    assert routed.result.gap
    assert not any("contradicts" in n for n in routed.notes)


def test_an_unknown_zip_names_what_was_sent_when_read_otherwise(db: Database) -> None:
    _plan(db)
    assert _route(db, "99999").notes == (
        "ZIP 99999 is not in the ZIP table, so no county or state could be found for it",
    )
    # 3-4 digits lost their leading zeros, as an import reads them: the note says how read
    assert _route(db, "9410").notes == (
        "postal code '9410', read as ZIP 09410, is not in the ZIP table, so no county or "
        "state could be found for it",
    )


@pytest.mark.parametrize(
    ("sent", "where", "county"),
    [("99501", "Alaska", "02020"), ("00601", "Puerto Rico", "72001"), (96813, "Hawaii", "15003")],
)
def test_a_zip_outside_the_lower_48_says_so(
    db: Database, sent: Any, where: str, county: str
) -> None:
    _plan(db)
    routed = _route(db, sent)
    assert routed.result.gap
    code = str(sent).zfill(5)
    assert routed.notes == (
        f"ZIP {code} is in {where}, outside the lower-48 counties (and DC) the plan's "
        f"territories are drawn from: no rule of plan P names its county ({county})",
    )


def test_a_zip_in_a_county_no_rule_names_says_which_county(db: Database) -> None:
    _plan(db)
    routed = _route(db, "60601")  # Chicago
    assert routed.result.gap
    assert routed.notes == (
        "ZIP 60601 is in Cook County, IL (17031), a county no rule of plan P names",
    )
    # a ZIP range that places it: no note
    assert _route(db, "33010").notes == ()


def test_a_zip_in_a_state_no_rule_names_says_which_state(db: Database) -> None:
    _plan(db, STATE_RULES)
    routed = _route(db, "99501")
    assert routed.result.gap
    assert routed.notes == ("ZIP 99501 is in Alaska (AK), a state no rule of plan P names",)


def test_route_command_prints_the_notes(db: Database, terraplan_cli: Any) -> None:
    _plan(db)
    for sent, words in (("00601", "is in Puerto Rico"), ("0094107", "'0094107' is not a US ZIP")):
        result = terraplan_cli("route", "--postal-code", sent, "--plan", "P", database_url=db.url)
        assert result.returncode == 6, (result.stdout, result.stderr)
        assert "No territory" in result.stdout
        assert words in " ".join((result.stdout + result.stderr).split())
