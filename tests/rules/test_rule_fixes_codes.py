"""Unquoted ZIP and FIPS codes in rule values (README "Codes as typed": quoted or not), and
the names of the counties an ETM export cannot carry over."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terraplan.domain import Plan, Territory
from terraplan.errors import RuleError
from terraplan.rules import load_rule_set, parse_rule_set, route
from terraplan.rules.etm_fit import fit_for_etm
from terraplan.rules.model import Predicate
from terraplan.services.rule_values import rule_value_notes

YAML = """
territories:
  - {id: a, name: A, type: geo}
rules:
  - {id: z, territory: a, when: {field: %s, op: %s, value: %s}}
"""


def _values(field: str, op: str, value: str) -> tuple[object, ...]:
    when = load_rule_set(YAML % (field, op, value)).rules[0].when
    assert isinstance(when, Predicate)
    return when.values


def _data(field: str, op: str, value: Any) -> dict[str, Any]:
    return {
        "territories": [{"id": "a", "name": "A", "type": "geo"}],
        "rules": [
            {"id": "z", "territory": "a", "when": {"field": field, "op": op, "value": value}}
        ],
    }


def test_an_unquoted_zip_list_is_read_as_the_codes_typed() -> None:
    # the audit's r3.yaml: refused before ("quote codes in YAML")
    assert _values("postal_code", "in", "[94107, 10001]") == ("94107", "10001")
    assert _values("postal_code", "not_in", "[94107]") == ("94107",)
    assert _values("postal_code", "equals", "94107") == ("94107",)
    assert _values("postal_code", "not_equals", "94107") == ("94107",)


def test_an_unquoted_fips_list_reads_leading_zero_and_plain_codes_alike() -> None:
    # 09001 was accepted (kept as typed by the loader) and 36061 refused
    assert _values("county_fips", "in", "[09001, 36061]") == ("09001", "36061")
    assert _values("county_fips", "in", "['09001', '36061']") == ("09001", "36061")


def test_json_numbers_are_codes_too() -> None:
    text = json.dumps(_data("postal_code", "in", [94107, "10001"]))
    when = load_rule_set(text).rules[0].when
    assert isinstance(when, Predicate) and when.values == ("94107", "10001")


def test_an_unquoted_code_matches_the_records_its_quoted_form_matches() -> None:
    unquoted = load_rule_set(YAML % ("county_fips", "in", "[36061, 09001]"))
    quoted = load_rule_set(YAML % ("county_fips", "in", "['36061', '09001']"))
    assert unquoted.rules == quoted.rules
    for record in ({"county_fips": "36061"}, {"county_fips": 9001}, {"county_fips": "09001"}):
        assert route(record, unquoted).territory_id == "a"
    assert route({"county_fips": "36062"}, unquoted).gap


def test_a_four_digit_unquoted_code_is_padded_with_a_note() -> None:
    """A ZIP or FIPS code that lost its leading zero (a spreadsheet; a JSON number cannot
    keep one) is read as the 5-digit code, as imports pad it, and the note says so."""
    rule_set = load_rule_set(YAML % ("postal_code", "in", "[2134, 94107]"))
    when = rule_set.rules[0].when
    assert isinstance(when, Predicate) and when.values == ("02134", "94107")
    assert route({"postal_code": "02134"}, rule_set).territory_id == "a"
    (note,) = rule_set.notes
    assert note.startswith("rules[0].when.value[0]: postal_code 2134 has 4 digits")
    assert "ZIP 02134" in note and "'02134'" in note
    # rules check / save / PUT show it with the other value notes
    assert rule_value_notes(rule_set) == [note]
    fips = parse_rule_set(_data("county_fips", "equals", 1001))
    assert fips.rules[0].when == Predicate("county_fips", load_op("equals"), ("01001",))
    assert "county FIPS code 01001" in fips.notes[0]
    # typed with its zero: nothing to say
    assert load_rule_set(YAML % ("postal_code", "in", "[02134]")).notes == ()


def load_op(name: str) -> Any:
    from terraplan.rules.model import Op

    return Op(name)


@pytest.mark.parametrize(
    ("field", "op", "value", "message"),
    [
        (
            "postal_code",
            "in",
            "[941]",
            "postal_code 941 is not a 5-digit ZIP: write the whole ZIP as text (e.g. '00941'), "
            "or use starts_with: '941'",
        ),
        ("county_fips", "in", "[12]", "county_fips 12 is not a 5-digit county FIPS code"),
        (
            "postal_code",
            "in",
            "[941071234]",
            "postal_code 941071234 is not a 5-digit ZIP (a ZIP+4: the rule's ZIP is '94107')",
        ),
        ("postal_code", "in", "[941070]", "postal_code 941070 is not a 5-digit ZIP"),
        ("postal_code", "in", "[-2134]", "postal_code -2134 is not a 5-digit ZIP"),
        ("postal_code", "in", "[-213]", "postal_code -213 is not a 5-digit ZIP"),
        ("postal_code", "starts_with", "-94", "postal_code -94 is not a 5-digit ZIP"),
        ("postal_code", "in", "[true]", "expected a code for 'postal_code', got the boolean true"),
        ("county_fips", "equals", "false", "expected a code for 'county_fips', got the boolean"),
        ("postal_code", "equals", "[94107]", "expected one value for 'postal_code', got a list"),
        ("postal_code", "in", "[[94107]]", "expected one value for 'postal_code', got a list"),
        ("postal_code", "in", "[{a: 1}]", "expected one value for 'postal_code', got a mapping"),
        ("postal_code", "in", "[94107.5]", "got the number 94107.5 (codes are whole digits)"),
        ("industry", "in", "[5411]", "expected text for 'industry', got the number 5411"),
    ],
)
def test_a_wrong_kind_is_still_refused_clearly(
    field: str, op: str, value: str, message: str
) -> None:
    with pytest.raises(RuleError) as caught:
        load_rule_set(YAML % (field, op, value))
    assert message in str(caught.value)
    assert str(caught.value.details["path"]).startswith("rules[0].when.value")


def test_a_prefix_and_an_id_are_the_digits_as_typed() -> None:
    assert _values("postal_code", "starts_with", "941") == ("941",)
    assert _values("postal_code", "starts_with", "[941, 100]") == ("941", "100")
    assert _values("owner_id", "equals", "1042") == ("1042",)
    assert _values("parent_id", "in", "[77, 0042]") == ("77", "0042")


def test_a_range_of_unquoted_codes_is_unchanged() -> None:
    assert _values("postal_code", "between", "[7000, 7677]") == (7000, 7677)
    assert _values("postal_code", "between", "[07000, 07677]") == (7000, 7677)


@given(st.integers(min_value=10_000, max_value=99_999))
def test_any_five_digit_code_reads_the_same_quoted_or_not(code: int) -> None:
    for field in ("postal_code", "county_fips"):
        unquoted = parse_rule_set(_data(field, "in", [code]))
        quoted = parse_rule_set(_data(field, "in", [str(code)]))
        assert unquoted.rules == quoted.rules
        assert unquoted.notes == ()


@given(st.integers(min_value=1_000, max_value=9_999))
def test_any_four_digit_code_is_its_padded_code(code: int) -> None:
    rule_set = parse_rule_set(_data("postal_code", "in", [code]))
    assert rule_set.rules == parse_rule_set(_data("postal_code", "in", [f"{code:05d}"])).rules
    assert len(rule_set.notes) == 1


def test_etm_names_the_counties_without_zips() -> None:
    from terraplan.rules import rules_from_alignment

    plan = Plan("p", "P", territories=(Territory("a", "A"), Territory("b", "B")))
    counties = {"06075": "a", **{f"5157{i}": "b" for i in range(7)}}
    rules = rules_from_alignment(plan.territories, "county", counties)
    names = {"51570": "Colonial Heights city, VA", "51571": "Somewhere County, VA"}
    fitted = fit_for_etm(rules, {"94105": "06075"}, county_names=names)
    reason = fitted.problems[-1].reason
    assert reason.startswith(
        "7 counties have no ZIP in the ZIP-county table (Colonial Heights city, VA (51570); "
        "Somewhere County, VA (51571); county FIPS 51572; county FIPS 51573; "
        "county FIPS 51574; and 2 more)"
    ), reason
    one = fit_for_etm(
        rules_from_alignment(plan.territories, "county", {"06075": "a", "51570": "b"}),
        {"94105": "06075"},
        county_names=names,
    )
    assert one.problems[-1].reason == (
        "1 county has no ZIP in the ZIP-county table (Colonial Heights city, VA (51570)); "
        "no postal-code criterion covers it"
    )
