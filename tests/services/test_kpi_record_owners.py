"""KPIs by rep on a plan no activation has recorded owners for (next year's draft, matched
to the reps in November): this year's sales went to the reps the draft gives the
territories. A rep who left in August read 0 revenue and 0 % attainment against their quota
(their accounts' sales went to the rep the draft gives their territory, at 236 %), and a rep
whose accounts the draft left vacant read 23 %. The owner each account's record (the CRM
export) gives is credited instead, as after an activation; the CRM's owner hired in the year
still gets nothing before the hire date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from terraplan.domain import Plan, Territory, TerritoryOwner
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services.imports import import_file
from terraplan.services.monitoring import plan_kpis
from terraplan.services.ownership import apply_rules
from terraplan.services.ownership_periods import kpi_credit
from terraplan.services.reps_targets import plan_targets
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
  - {id: S, name: South, type: geo}
rules:
  - {id: west, territory: W, when: {field: state, op: in, value: [CA]}}
  - {id: east, territory: E, when: {field: state, op: in, value: [NY]}}
  - {id: south, territory: S, when: {field: state, op: in, value: [TX]}}
"""
# a Salesforce user export: Hal left in August (IsActive false), Max was hired on 15 June
USERS = (
    "Id,Name,Title,PostalCode,IsActive,Hire_Date__c\n"
    "005Hu00000HALLLIA2,Hal Hart,Account Executive,94107-1234,false,2018-04-02\n"
    "005Hu00000CALLLIA2,Cal Cruz,AE,10001,true,3/15/2021\n"
    "005Hu00000MAXXXIA2,Max Moss,Account Executive,,true,6/15/2026\n"
    "005Hu00000AVAAAIA2,Ava Archer,AE,78701,true,2022-09-12\n"
)
ACCOUNTS = (
    "Id,Name,BillingPostalCode,BillingState,OwnerId\n"
    "001Hu00000AAAA1IAA,Bay Surgical,94107,CA,005Hu00000HALLLIA2\n"
    "001Hu00000AAAA2IAA,Hudson Ortho,10001,NY,005Hu00000MAXXXIA2\n"
    "001Hu00000AAAA3IAA,Austin Cardio,78701,TX,005Hu00000AVAAAIA2\n"
    "001Hu00000AAAA4IAA,Unknown Owner Clinic,94110,CA,005Hu00000GONE0IA2\n"
)
# one sale a month from January 2025 to November 2026 for each account, 1,000 each
SALES = "Invoice Line ID,Account ID,Invoice Date,Amount\n" + "".join(
    f"L{a}{y}{m:02d},001Hu00000AAAA{a}IAA,{y}-{m:02d}-20,1000\n"
    for a in range(1, 5)
    for y in (2025, 2026)
    for m in range(1, 13)
    if (y, m) < (2026, 12)
)
QUOTAS = (
    "Rep Name,Quota,Start Date,End Date\n"
    'Hal Hart,"$8,000",1/1/2026,8/14/2026\n'
    'Cal Cruz,"$11,000",1/1/2026,12/31/2026\n'
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _draft(db: Database, tmp_path: Path) -> None:
    """Next year's draft: Cal gets the West (Hal's accounts), Max the East, the South vacant."""
    import_file(db, _write(tmp_path, "User.csv", USERS), "reps")
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    import_file(db, _write(tmp_path, "sales.csv", SALES), "sales_lines")
    plan = Plan(
        id="P",
        name="FY27",
        territories=(
            Territory(id="W", name="West", owners=(TerritoryOwner("005Hu00000CALLLIA2"),)),
            Territory(id="E", name="East", owners=(TerritoryOwner("005Hu00000MAXXXIA2"),)),
            Territory(id="S", name="South"),
        ),
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        rules = dump_rule_set(load_rule_set(RULES, territories=plan.territories))
        uow.rule_sets.add("P", rules, plan_version=stored.version)
        uow.commit()
    apply_rules(db, "P")
    mapping = _write(tmp_path, "quota.yaml", '"Rep Name": rep_id\n')
    import_file(db, _write(tmp_path, "quotas.csv", QUOTAS), "targets", mapping=mapping)


def test_a_draft_credits_the_crm_owner_of_each_account_not_the_draft_owner(
    db: Database, tmp_path: Path
) -> None:
    _draft(db, tmp_path)
    data, kpis = plan_kpis(db, "P", periods=["2026"], dimensions=["rep"])
    rows = {
        k: (r, a) for k, r, a in zip(kpis["key"], kpis["revenue"], kpis["attainment"], strict=True)
    }
    # Hal sold January to November on his account (the CRM still names him); his quota
    # ends on the day he left
    hal_revenue, hal_attainment = rows["005Hu00000HALLLIA2"]
    assert hal_revenue == pytest.approx(11_000.0)
    assert hal_attainment == pytest.approx(11_000.0 / 8_000.0)
    # Cal owns the West only in next year's draft: this year he sold nothing there; the
    # unknown owner's account stays with the territory's owner today, as before
    cal_revenue, _ = rows["005Hu00000CALLLIA2"]
    assert cal_revenue == pytest.approx(11_000.0)
    # Max, hired on 15 June, gets his account's sales from the hire on (June 20 onwards)
    max_revenue, _ = rows["005Hu00000MAXXXIA2"]
    assert max_revenue == pytest.approx(6_000.0)
    # Ava's account is in the vacant South: still hers, as the CRM says
    ava_revenue, _ = rows["005Hu00000AVAAAIA2"]
    assert ava_revenue == pytest.approx(11_000.0)
    note = data.crediting_note or ""
    assert "3 account(s) with no recorded owner" in note
    assert "credited to the owner the CRM gives each account" in note
    assert "1 other account(s), whose CRM owner is no stored rep" in note


def test_owners_says_whom_kpis_credit(db: Database, tmp_path: Path) -> None:
    _draft(db, tmp_path)
    credit = kpi_credit(db, "001Hu00000AAAA1IAA")
    assert credit is not None
    assert (credit.source, credit.owner_id) == ("record", "005Hu00000HALLLIA2")
    unknown = kpi_credit(db, "001Hu00000AAAA4IAA")
    assert unknown is not None
    assert unknown.source == "today"
    hired = kpi_credit(db, "001Hu00000AAAA2IAA", date(2026, 3, 1))
    assert hired is not None
    assert hired.hired == date(2026, 6, 15)


def test_targets_for_a_year_begun_go_to_the_reps_kpis_credit(db: Database, tmp_path: Path) -> None:
    """Targets set in December for the year begun gave every month to the draft's reps (Cal
    for the West, nobody for the South) while KPIs credit the CRM's owners: each rep's
    attainment compared one rep's target with another's revenue."""
    _draft(db, tmp_path)
    result = plan_targets(
        db, "P", company_target=None, method="history", growth=0, period=2026,
        as_of=date(2026, 12, 1),
    )  # fmt: skip
    totals = {r["name"]: r["total"] for r in result.rep_rows()}
    # the West's months begun go to the owner KPIs credit with their sales, Hal, who left
    # (he carries none after that; Cal, its owner in the draft, keeps the account whose
    # CRM owner is no stored rep); before the fix Cal had all 24,000
    assert totals["Hal Hart"] == pytest.approx(11_000.0)
    assert totals["Cal Cruz"] == pytest.approx(12_000.0)
    (note,) = [w for w in result.warnings if w.startswith("West: ")]
    assert (
        "Hal Hart 2026-01 to 2026-11; no rep 2026-12 (its owner then was not hired yet, or had left)"
        in note
    )


def test_the_vacant_territory_note_says_what_is_in_no_row(db: Database, tmp_path: Path) -> None:
    """The note said "what is credited to today's owner there is in no row", while the South's
    sales are Ava's (the CRM's owner): only its accounts and potential are in no row."""
    from terraplan.services.kpi_notes import grouping_notes

    _draft(db, tmp_path)
    data, kpis = plan_kpis(db, "P", periods=["2026"], dimensions=["rep"])
    rows = {k: i for i, k in enumerate(kpis["key"])}
    assert kpis["revenue"][rows["005Hu00000AVAAAIA2"]] == pytest.approx(11_000.0)
    # of 4 open accounts, Austin Cardio (South) is in no row
    assert sum(v or 0 for v in kpis["account_count"]) == 3
    (note,) = [n for n in grouping_notes(data, "rep", list(kpis["key"])) if "South" in n]
    assert note.startswith("South has no primary rep (vacant): by rep, its open accounts and ")
    assert "the sales and pipeline there stay with the rep who owned each account" in note
    assert "credited to today's owner" not in note
