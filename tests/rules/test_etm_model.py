"""A whole Salesforce ETM model: import an org's export, export a plan, round trip, diff."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest

from terraplan.data.counties import load_zip_counties
from terraplan.data.demo import generate_demo
from terraplan.domain import OwnerRole, Plan, RecordKind, Territory, TerritoryOwner, TerritoryType
from terraplan.errors import DataError
from terraplan.rules import route, rules_from_alignment
from terraplan.rules.etm_diff import ModelSnapshot, diff_models
from terraplan.rules.etm_fit import etm_ties, fit_for_etm, zip_prefixes
from terraplan.rules.etm_model import read_etm_model, unique_developer_names, write_etm_model


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return "\ufeff" + out.getvalue()  # Data Loader writes a BOM and CRLF


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


ORG = {
    "Territory2Model.csv": _csv(
        ["Id", "DeveloperName", "Name", "State"],
        [
            ["0MA000000000001AAA", "FY26", "FY26 model", "Active"],
            ["0MA000000000002AAA", "FY27_draft", "FY27 draft", "Planning"],
        ],
    ),
    "Territory2Type.csv": _csv(
        ["Id", "DeveloperName", "MasterLabel", "Priority"],
        [
            ["0M5000000000001AAA", "Geo", "Geography", "2"],
            ["0M5000000000002AAA", "Named_Accounts", "Named accounts", "1"],
        ],
    ),
    "Territory2.csv": _csv(
        [
            "Id",
            "DeveloperName",
            "Name",
            "Territory2ModelId",
            "Territory2TypeId",
            "ParentTerritory2Id",
        ],
        [
            ["0MI01", "West", "West", "0MA000000000001AAA", "0M5000000000001AAA", ""],
            [
                "0MI02",
                "NorCal",
                "Northern California",
                "0MA000000000001AAA",
                "0M5000000000001AAA",
                "0MI01",
            ],
            ["0MI03", "Oregon", "Oregon", "0MA000000000001AAA", "0M5000000000001AAA", "0MI01"],
            [
                "0MI04",
                "Key_West",
                "Key accounts West",
                "0MA000000000001AAA",
                "0M5000000000002AAA",
                "0MI01",
            ],
            ["0MI99", "Other_Model", "Other", "0MA000000000002AAA", "0M5000000000001AAA", ""],
        ],
    ),
    "UserTerritory2Association.csv": _csv(
        ["Id", "UserId", "Territory2Id", "RoleInTerritory2", "IsActive"],
        [
            ["1", "005A", "0MI02", "Owner", "true"],
            ["2", "005B", "0MI02", "Sales Manager", "true"],
            ["3", "005C", "0MI03", "", "true"],
            ["4", "005D", "0MI03", "Owner", "false"],
            ["5", "005E", "0MI04", "Account Executive", "true"],
        ],
    ),
    "ObjectTerritory2Association.csv": _csv(
        ["Id", "ObjectId", "Territory2Id", "AssociationCause"],
        [
            ["1", "001X", "0MI04", "Territory2Manual"],
            ["2", "001Y", "0MI04", "Territory2Manual"],
            ["3", "001Y", "0MI02", "Territory2Manual"],
            ["4", "001Z", "0MI02", "Territory2AssignmentRule"],
        ],
    ),
    "ObjectTerritory2AssignmentRule.csv": _csv(
        [
            "Id",
            "DeveloperName",
            "MasterLabel",
            "BooleanFilter",
            "ObjectType",
            "IsActive",
            "Territory2ModelId",
        ],
        [
            [
                "0OH1",
                "NorCal_Zips",
                "NorCal ZIPs",
                "1 OR 2",
                "Account",
                "true",
                "0MA000000000001AAA",
            ],
            ["0OH2", "Oregon_State", "Oregon", "", "Account", "true", "0MA000000000001AAA"],
            ["0OH3", "Odd", "Odd", "", "Account", "true", "0MA000000000001AAA"],
        ],
    ),
    "ObjectTerritory2AssignmentRuleItem.csv": _csv(
        ["Id", "RuleId", "SortOrder", "Field", "Operation", "Value"],
        [
            ["1", "0OH1", "1", "Account.BillingPostalCode", "startsWith", "94,95"],
            ["2", "0OH1", "2", "Account.BillingState", "equals", "CA"],
            ["3", "0OH2", "1", "Account.BillingState", "equals", "OR"],
            ["4", "0OH3", "1", "Account.Industry", "includes", "Retail"],
        ],
    ),
    "RuleTerritory2Association.csv": _csv(
        ["Id", "RuleId", "Territory2Id", "IsInherited"],
        [
            ["1", "0OH1", "0MI02", "false"],
            ["2", "0OH2", "0MI03", "false"],
            ["3", "0OH3", "0MI03", "false"],
        ],
    ),
}


def test_import_an_org_export() -> None:
    model = read_etm_model(ORG)
    assert (model.name, model.developer_name, model.state) == ("FY26 model", "FY26", "Active")
    by_id = {t.id: t for t in model.territories}
    assert sorted(by_id) == ["Key_West", "NorCal", "Oregon", "West"]  # other model left out
    assert by_id["NorCal"].parent_id == "West" and by_id["West"].level == "region"
    assert by_id["NorCal"].name == "Northern California"
    assert by_id["Key_West"].type is TerritoryType.NAMED
    assert [(o.rep_id, o.role) for o in by_id["NorCal"].owners] == [
        ("005A", OwnerRole.PRIMARY),
        ("005B", OwnerRole.MANAGER),
    ]
    assert [o.rep_id for o in by_id["Oregon"].owners] == ["005C"]  # 005D inactive
    assert model.named_accounts == {"001X": "Key_West", "001Y": "Key_West"}
    assert model.rule_accounts == {"001Z": ("NorCal",)}
    rules = model.rule_set
    assert {r.id for r in rules.rules if not r.pinned} == {"NorCal ZIPs", "Oregon"}
    assert rules.named_accounts == {"Key_West": ("001X", "001Y")}
    assert route({"id": "a", "postal_code": "94105", "state": "NV"}, rules).territory_id == "NorCal"
    assert route({"id": "b", "postal_code": "10001", "state": "OR"}, rules).territory_id == "Oregon"
    assert route({"id": "001Y", "state": "OR"}, rules).territory_id == "Key_West"
    reasons = " | ".join(p.reason for p in model.problems)
    assert "FY27_draft" in reasons  # the other model is listed, not dropped silently
    assert "inactive association of 005D" in reasons
    assert "001Y is assigned to Key_West and NorCal" in reasons
    assert "'includes' is not supported" in reasons
    plan = model.plan("p1")
    assert plan.alignment_map(RecordKind.ACCOUNT) == {"001X": "Key_West", "001Y": "Key_West"}


def test_bad_territory_rows_name_file_row_and_field() -> None:
    files = dict(ORG)
    files["Territory2.csv"] = _csv(
        ["Id", "DeveloperName", "Name", "ParentTerritory2Id"],
        [["1", "A", "A", ""], ["2", "B", "B", "0MI77"]],
    )
    with pytest.raises(DataError) as info:
        read_etm_model(files)
    assert "Territory2.csv: row 3: ParentTerritory2Id '0MI77'" in info.value.message
    files["Territory2.csv"] = _csv(["DeveloperName", "Name"], [["A", "A"], ["A", "again"]])
    with pytest.raises(DataError, match="row 3: DeveloperName 'A' appears twice"):
        read_etm_model(files)


def test_developer_names_are_valid_and_unique() -> None:
    names = unique_developer_names(["1-west", "west", "WEST", "a" * 100, "é/ü", "__x__"])
    pattern = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)$")
    assert all(pattern.match(n) and len(n) <= 80 for n in names.values()), names
    assert len({n.lower() for n in names.values()}) == 6
    assert names["1-west"] == "T_1_west" and names["WEST"] == "WEST_2"


def test_zip_prefixes_are_exact() -> None:
    universe = ["94101", "94102", "94110", "94111", "95001"]
    assert zip_prefixes(["94101", "94102"], universe) == ["9410"]
    assert zip_prefixes(["94101", "94102", "94110", "94111"], universe) == ["94"]
    assert zip_prefixes(["94101"], universe) == ["94101"]


@pytest.fixture(scope="module")
def county_plan() -> tuple[Plan, list[object], dict[str, str]]:
    demo = generate_demo(seed=5, n_accounts=400, with_polygons=False)
    accounts = list(demo.accounts)
    counties = sorted({a.county_fips for a in accounts if a.county_fips})
    states = sorted({c[:2] for c in counties})
    leaves = [f"t{i}" for i in range(8)]
    territories = [
        Territory("east", "East", level="region"),
        Territory("west", "West & Central", level="region"),
        *(
            Territory(
                t,
                f"Territory {i}",
                parent_id="east" if i < 4 else "west",
                owners=(TerritoryOwner(f"005U{i}"),),
            )
            for i, t in enumerate(leaves)
        ),
        Territory(
            "named",
            "Key accounts",
            TerritoryType.NAMED,
            parent_id="east",
            owners=(TerritoryOwner("005K"),),
        ),
    ]
    alignment = {c: leaves[states.index(c[:2]) % 8] for c in counties}
    plan = Plan("p1", "FY27 plan", territories=tuple(territories))
    rules = rules_from_alignment(plan.leaves(), "county", alignment, name="FY27")
    from terraplan.rules import parse_rule_set, rule_set_to_dict

    data = rule_set_to_dict(rules)
    data["named_accounts"] = [{"territory": "named", "accounts": [accounts[0].id, accounts[1].id]}]
    data.pop("territories", None)
    rule_set = parse_rule_set(data, territories=plan.territories)
    return plan, accounts, {"rules": rule_set}  # type: ignore[dict-item]


def test_round_trip_keeps_every_account_in_its_territory(county_plan) -> None:  # type: ignore[no-untyped-def]
    plan, accounts, holder = county_plan
    rule_set = holder["rules"]
    zip_counties = load_zip_counties()
    exported = write_etm_model(plan, rule_set, zip_counties)
    files = exported.files
    # ETM's limits and naming rules hold for every row
    items = _rows(files["ObjectTerritory2AssignmentRuleItem.csv"])
    assert max(len(r["Value"]) for r in items) <= 255
    assert max(Counter(r["RuleId"] for r in items).values()) <= 10
    assert exported.fitted.split  # county lists needed several rules per territory
    assert "County_FIPS__c" not in "".join(files.values())
    assert {r["State"] for r in _rows(files["Territory2Model.csv"])} == {"Planning"}
    # items are created while the rule's BooleanFilter is empty; the filters come after
    assert {r["BooleanFilter"] for r in _rows(files["ObjectTerritory2AssignmentRule.csv"])} == {""}
    filters = _rows(files["ObjectTerritory2AssignmentRule_BooleanFilter.csv"])
    assert any(" OR " in r["BooleanFilter"] for r in filters)
    assert list(files)[-3:] == [
        "ObjectTerritory2AssignmentRuleItem.csv",
        "ObjectTerritory2AssignmentRule_BooleanFilter.csv",
        "RuleTerritory2Association.csv",
    ]
    devs = [r["DeveloperName"] for r in _rows(files["Territory2.csv"])]
    devs += [r["DeveloperName"] for r in _rows(files["ObjectTerritory2AssignmentRule.csv"])]
    assert all(re.match(r"^[A-Za-z]\w{0,79}$", d) and "__" not in d for d in devs)
    assert len(set(devs)) == len(devs)
    # no account matches rules of two territories; the pinned ones are also in their
    # county's territory in ETM (a manual assignment does not stop rules), and are said
    ties = etm_ties(exported.fitted.rule_set, accounts)
    pinned = exported.fitted.rule_set.named_accounts
    assert ties and all(
        t.record_id in pinned[t.territory_ids[0]] and len(t.territory_ids) == 2 for t in ties
    )

    back = read_etm_model(files)
    assert back.problems == ()
    assert {t.id: (t.name, t.parent_id) for t in back.territories} == {
        t.id: (t.name, t.parent_id) for t in plan.territories
    }
    assert {t.id: t.primary_owner_ids for t in back.territories} == {
        t.id: t.primary_owner_ids for t in plan.territories
    }
    before = {a.id: route(a, rule_set).territory_id for a in accounts}
    after = {a.id: route(a, back.rule_set).territory_id for a in accounts}
    assert before[accounts[0].id] == after[accounts[0].id] == "named"
    others = {
        a.id: f"ZIP {a.postal_code} lies in county {zip_counties.get((a.postal_code or '')[:5])}, "
        f"the account says {a.county_fips}"
        for a in accounts
        if before[a.id] != after[a.id]
    }
    same = len(accounts) - len(others)
    assert same / len(accounts) >= 0.999, others
    assert all(before[a] for a in before)  # every account was assigned before


def test_fit_reports_unknown_counties_and_ties() -> None:
    plan = Plan("p", "P", territories=(Territory("a", "A"), Territory("b", "B")))
    rules = rules_from_alignment(plan.territories, "county", {"06075": "a", "99999": "b"})
    fitted = fit_for_etm(rules, {"94105": "06075", "94110": "06075"})
    assert [(p.rule, p.reason.split(" (")[0].split(";")[0]) for p in fitted.problems] == [
        ("b-county", "its counties have no ZIP in the ZIP-county table"),
        (None, "1 county has no ZIP in the ZIP-county table"),  # was "1 counties"
    ]
    assert [r.id for r in fitted.rule_set.rules] == ["a-county"]  # never an empty startsWith
    from terraplan.rules import parse_rule_set

    overlapping = parse_rule_set(
        {
            "rules": [
                {
                    "id": "ca",
                    "territory": "a",
                    "when": {"field": "state", "op": "equals", "value": "CA"},
                },
                {
                    "id": "sf",
                    "territory": "b",
                    "when": {"field": "postal_code", "op": "starts_with", "value": "941"},
                },
            ]
        },
        territories=plan.territories,
    )
    ties = etm_ties(
        overlapping,
        [{"id": "x", "state": "CA", "postal_code": "94105"}, {"id": "y", "state": "CA"}],
    )
    assert [(t.record_id, t.territory_ids) for t in ties] == [("x", ("a", "b"))]
    # y pinned to b while rule ca (territory a) matches it: in ETM it is in both
    pinned = parse_rule_set(
        {
            "rules": [
                {
                    "id": "ca",
                    "territory": "a",
                    "when": {"field": "state", "op": "equals", "value": "CA"},
                }
            ],
            "named_accounts": [{"territory": "b", "accounts": ["y"]}],
        },
        territories=plan.territories,
    )
    both = etm_ties(pinned, [{"id": "y", "state": "CA"}, {"id": "z", "state": "NV"}])
    assert [(t.record_id, t.territory_ids) for t in both] == [("y", ("b", "a"))]
    # pinned to b and matched by two rules of other territories: counted once
    third = Territory("c", "C")
    plan3 = Plan("p", "P", territories=(*plan.territories, third))
    once = parse_rule_set(
        {
            "rules": [
                {
                    "id": "ca",
                    "territory": "a",
                    "when": {"field": "state", "op": "equals", "value": "CA"},
                },
                {
                    "id": "sf",
                    "territory": "c",
                    "when": {"field": "postal_code", "op": "starts_with", "value": "941"},
                },
            ],
            "named_accounts": [{"territory": "b", "accounts": ["x"]}],
        },
        territories=plan3.territories,
    )
    counted = etm_ties(once, [{"id": "x", "state": "CA", "postal_code": "94105"}])
    assert [(t.record_id, t.territory_ids) for t in counted] == [("x", ("b", "a", "c"))]


def test_diff_lists_what_the_admin_deploys() -> None:
    before = ModelSnapshot(
        names={"A": "Alpha", "B": "Beta", "C": "Gamma"},
        parents={"A": None, "B": "A", "C": "A"},
        accounts={"001": "B", "002": "C", "003": "C"},
        users={"u1": frozenset({"B"}), "u2": frozenset({"C"})},
    )
    after = ModelSnapshot(
        names={"A": "Alpha", "B": "Beta North", "D": "Delta"},
        parents={"A": None, "B": None, "D": "A"},
        accounts={"001": "B", "002": "D", "003": None},
        users={"u1": frozenset({"B"}), "u2": frozenset({"D"}), "u3": frozenset({"A"})},
    )
    diff = diff_models(before, after)
    assert diff.added == ("D",) and diff.removed == ("C",)
    assert diff.renamed == (("B", "Beta", "Beta North"),)
    assert diff.moved == (("B", "A", None),)
    assert diff.accounts == (("002", "C", "D"), ("003", "C", None))
    assert diff.users == (("u2", ("C",), ("D",)), ("u3", (), ("A",)))
    assert not diff.empty and diff_models(before, before).empty


def test_a_catch_all_territory_comes_back_as_the_catch_all() -> None:
    """ETM has no catch-all: a model whose one territory is of a catch-all type gives it the
    accounts no rule places again on import (they were gaps after a round trip)."""
    org = dict(ORG)
    org["Territory2Type.csv"] = _csv(
        ["Id", "DeveloperName", "MasterLabel", "Priority"],
        [
            ["0M5000000000001AAA", "Geo", "Geography", "2"],
            ["0M5000000000002AAA", "Named_Accounts", "Named accounts", "1"],
            ["0M5000000000003AAA", "Catch_all", "Catch-all", "9"],
        ],
    )
    org["Territory2.csv"] = ORG["Territory2.csv"].rstrip("\n") + (
        "\n0MI05,Pool,Pool,0MA000000000001AAA,0M5000000000003AAA,\n"
    )
    model = read_etm_model(org)
    assert model.rule_set.catch_all == "Pool"
    assert route(
        {"id": "c", "postal_code": "10001", "state": "NY"}, model.rule_set
    ).territory_id == ("Pool")


def test_two_owners_of_a_territory_both_stay_primary() -> None:
    """A territory two reps own (a plan's shared territory, exported as two Owners) comes
    back with both as primary reps (the second was made secondary, losing its share)."""
    org = dict(ORG)
    org["UserTerritory2Association.csv"] = _csv(
        ["Id", "UserId", "Territory2Id", "RoleInTerritory2", "IsActive"],
        [
            ["1", "005A", "0MI02", "Owner", "true"],
            ["2", "005F", "0MI02", "Owner", "true"],
            ["3", "005G", "0MI02", "", "true"],
        ],
    )
    model = read_etm_model(org)
    norcal = next(t for t in model.territories if t.id == "NorCal")
    assert norcal.primary_owner_ids == ("005A", "005F")
    # a user with no role beside the owners supports them
    assert [o.rep_id for o in norcal.owners if o.role is OwnerRole.SECONDARY] == ["005G"]


def test_closed_named_accounts_are_left_out_of_the_manual_associations() -> None:
    """A churned or merged named account may no longer exist in the org: loading it as a
    manual association would fail or re-associate a dead record."""
    model = read_etm_model(ORG)
    plan = Plan(id="P", name="From the org", territories=model.territories)
    named = {a for ids in model.rule_set.named_accounts.values() for a in ids}
    assert {"001X", "001Y"} <= named
    exported = write_etm_model(plan, model.rule_set, load_zip_counties(), closed_accounts={"001X"})
    rows = list(csv.DictReader(io.StringIO(exported.files["ObjectTerritory2Association.csv"])))
    objects = {r["ObjectId"] for r in rows}
    assert "001X" not in objects and "001Y" in objects
    assert any("1 closed named account(s) are left out" in p.reason for p in exported.problems)


def test_county_prefixes_leave_out_zips_of_no_county_table() -> None:
    """Suffolk County NY's 00501 and 00544 made the prefix "00", which also holds Puerto
    Rico's 006-009 ZIPs: in Salesforce those accounts went to a Long Island territory."""
    plan = Plan("p", "P", territories=(Territory("a", "A"), Territory("b", "B")))
    rules = rules_from_alignment(plan.territories, "county", {"36103": "a", "44005": "b"})
    zip_counties = {"00501": "36103", "00544": "36103", "02840": "44005"}
    alone = fit_for_etm(rules, zip_counties)
    with_pr = fit_for_etm(rules, zip_counties, other_zips=["00601", "00901"])
    starts = {r.id: r.when.values for r in alone.rule_set.rules}  # type: ignore[attr-defined]
    fenced = {r.id: r.when.values for r in with_pr.rule_set.rules}  # type: ignore[attr-defined]
    assert starts["a-county"] == ("00",)
    assert fenced["a-county"] == ("005",)
    assert fenced["b-county"] == starts["b-county"]
