"""The nightly job: a CRM delta moves an account to another state (or brings a new one),
`rules apply` on the active plan gives it the new territory's rep, and the owner update goes
to the CRM. Who owns it from that night is recorded as an activation records it, so
`terraplan owners` and KPIs by rep credit the new owner from then on (they kept crediting
the old territory's rep for good)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from terraplan.domain import Plan, Rep, Territory, TerritoryOwner
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services.imports import import_file
from terraplan.services.monitoring import plan_kpis
from terraplan.services.ownership import apply_rules
from terraplan.services.ownership_periods import ownership_history
from terraplan.services.plan_lifecycle import activate_plan, change_status
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
rules:
  - {id: west, territory: W, when: {field: state, op: in, value: [CA, OR]}}
  - {id: east, territory: E, when: {field: state, op: in, value: [NY, NJ]}}
"""
WEST, EAST = "005Hu00000WWWWWIA2", "005Hu00000EEEEEIA2"
ACCOUNTS = (
    "Id,Name,BillingPostalCode,BillingState,OwnerId\n"
    f"001Hu00000AAAA1IAA,Moving Co,10001,New York,{EAST}\n"
    f"001Hu00000AAAA2IAA,Staying Inc,94107,CA,{WEST}\n"
)
#: the night's delta, as Data Loader exports it: the account moved to San Francisco
DELTA = (
    "Id,Name,BillingPostalCode,BillingState,OwnerId,LastModifiedDate\n"
    f"001Hu00000AAAA1IAA,Moving Co,94107-1234,California,{EAST},2026-11-02T02:00:00.000Z\n"
    f"001Hu00000AAAA3IAA,Newcomer LLC,07030,NJ,{WEST},2026-11-02T02:00:00.000Z\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _active_plan(db: Database, tmp_path: Path, start: date) -> None:
    plan = Plan(
        id="P",
        name="FY27",
        territories=(
            Territory(id="W", name="West", owners=(TerritoryOwner(WEST),)),
            Territory(id="E", name="East", owners=(TerritoryOwner(EAST),)),
        ),
    )
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id=WEST, name="Wendy West"), Rep(id=EAST, name="Erin East")])
        stored = uow.plans.add(plan)
        rules = dump_rule_set(load_rule_set(RULES, territories=plan.territories))
        uow.rule_sets.add("P", rules, plan_version=stored.version)
        uow.commit()
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    apply_rules(db, "P")
    change_status(db, "P", "in_review")
    change_status(db, "P", "approved")
    activate_plan(db, "P", effective_from=start)


def _periods(db: Database, account_id: str) -> list[tuple[date, date | None, str | None]]:
    periods, _ = ownership_history(db, account_id)
    return [(p.valid_from, p.valid_to, p.owner_id) for p in periods]


def test_a_rule_run_of_the_active_plan_records_the_new_owners_from_today(
    db: Database, tmp_path: Path
) -> None:
    today = date.today()
    start = today - timedelta(days=60)
    _active_plan(db, tmp_path, start)
    import_file(db, _write(tmp_path, "Account_delta.csv", DELTA), "accounts")
    apply_rules(db, "P")
    yesterday = today - timedelta(days=1)
    assert _periods(db, "001Hu00000AAAA1IAA") == [(start, yesterday, EAST), (today, None, WEST)]
    assert _periods(db, "001Hu00000AAAA2IAA") == [(start, None, WEST)]  # unchanged: kept
    assert _periods(db, "001Hu00000AAAA3IAA") == [(today, None, EAST)]
    apply_rules(db, "P")  # the next night, nothing moved: nothing recorded again
    assert len(_periods(db, "001Hu00000AAAA1IAA")) == 2


def test_kpis_by_rep_credit_a_deal_opened_after_the_move_to_the_new_owner(
    db: Database, tmp_path: Path
) -> None:
    today = date.today()
    _active_plan(db, tmp_path, today - timedelta(days=60))
    import_file(db, _write(tmp_path, "Account_delta.csv", DELTA), "accounts")
    apply_rules(db, "P")
    opportunities = (
        "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon\n"
        f"006Hu00000OOOO1IAA,001Hu00000AAAA1IAA,Closed Won,99999,{today},{today},true,true\n"
    )
    import_file(db, _write(tmp_path, "Opportunity.csv", opportunities), "opportunities")
    _, kpis = plan_kpis(db, "P", periods=[today.strftime("%Y-%m")], dimensions=["rep"])
    revenue = dict(zip(kpis["key"], kpis["revenue"], strict=True))
    assert revenue.get(WEST) == pytest.approx(99999.0)
    assert not revenue.get(EAST)
