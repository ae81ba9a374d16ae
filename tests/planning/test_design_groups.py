"""Keep-together families as a health-system CRM holds them: IDNs whose hospitals share
counties, two systems with one name, a sub-system closed (merged) with hospitals under it."""

from __future__ import annotations

from datetime import date

from terraplan.domain import Account, GeoKind, GeoUnit
from terraplan.planning.design_groups import merge_groupings, parent_families, unit_families


def _county(fips: str) -> GeoUnit:
    return GeoUnit(fips, GeoKind.COUNTY, fips, 41.0, -87.0)


def test_two_families_sharing_a_county_are_one_group() -> None:
    # both systems have a hospital in Cook County (17031): neither may be split around it
    accounts = [
        Account("CS", "CommonSpirit Health", county_fips="17031"),
        Account("CS1", "St. Joseph Denver", county_fips="08031", parent_id="CS"),
        Account("AD", "Advocate Health", county_fips="37119"),
        Account("AD1", "Advocate Christ", county_fips="17031", parent_id="AD"),
        Account("SOLO", "Solo Clinic", county_fips="17031"),
    ]
    units = [_county(f) for f in ("17031", "08031", "37119")]
    groups = unit_families(units, accounts)
    assert groups == dict.fromkeys(
        ("17031", "08031", "37119"), "CommonSpirit Health + Advocate Health"
    )


def test_two_systems_with_one_name_stay_two_families() -> None:
    accounts = [
        Account("M1", "Mercy Health System", city="Rochester", state="MN", county_fips="27109"),
        Account("M1a", "Mercy Hospital Tulsa", state="OK", county_fips="40143", parent_id="M1"),
        Account("M2", "Mercy Health System", city="Wheeling", state="WV", county_fips="54069"),
        Account("M2a", "Mercy Hospital Erie", state="PA", county_fips="42049", parent_id="M2"),
    ]
    families = parent_families(accounts)
    assert families == {
        "M1": "Mercy Health System (Rochester, MN)",
        "M1a": "Mercy Health System (Rochester, MN)",
        "M2": "Mercy Health System (Wheeling, WV)",
        "M2a": "Mercy Health System (Wheeling, WV)",
    }
    units = [_county(f) for f in ("27109", "40143", "54069", "42049")]
    assert len(set(unit_families(units, accounts).values())) == 2


def test_same_name_in_one_place_is_told_apart_by_id() -> None:
    accounts = [
        Account("A", "Mercy", city="Erie", state="PA"),
        Account("A1", "Mercy East", parent_id="A"),
        Account("B", "Mercy", city="Erie", state="PA"),
        Account("B1", "Mercy West", parent_id="B"),
    ]
    assert set(parent_families(accounts).values()) == {"Mercy (A)", "Mercy (B)"}


def test_a_closed_sub_system_keeps_its_hospitals_in_the_family() -> None:
    hq = Account("TEN", "Tenet Healthcare", county_fips="48113")
    merged = Account(
        "TEN-MD", "Tenet - MD Region", parent_id="TEN", closed_on=date(2026, 12, 7)
    )  # merged away in the CRM: closed, still the hospitals' parent
    hospitals = [
        Account("H1", "St. Mary's Baltimore", county_fips="24510", parent_id="TEN-MD"),
        Account("H2", "St. Mary's Seattle", county_fips="53033", parent_id="TEN-MD"),
    ]
    open_accounts = [hq, *hospitals]
    families = parent_families(open_accounts, hierarchy=[*open_accounts, merged])
    assert families == dict.fromkeys(("TEN", "H1", "H2"), "Tenet Healthcare")
    units = [_county(f) for f in ("48113", "24510", "53033")]
    groups = unit_families(units, open_accounts, hierarchy=[merged])
    assert groups == dict.fromkeys(("48113", "24510", "53033"), "Tenet Healthcare")


def test_a_parent_outside_the_accounts_still_names_the_family() -> None:
    accounts = [
        Account("E", "Orphan Sub", parent_id="GONE"),
        Account("F", "Orphan Sub 2", parent_id="GONE"),
    ]
    assert parent_families(accounts) == {"E": "GONE", "F": "GONE"}


def test_a_group_of_many_families_is_named_by_its_first_three() -> None:
    groupings = [{"shared": name, name: name} for name in ("A", "B", "C", "D", "E")]
    merged = merge_groupings(groupings)
    assert set(merged.values()) == {"A + B + C + 2 more"}
