"""The territory table beside the map (``plan_balance``) counts, as KPIs do, the accounts the
rules put in a territory from outside the plan's geography (a catch-all taking accounts whose
county is none of the plan's), not 0."""

from __future__ import annotations

from terraplan.domain import Account, AlignmentEntry, Plan, RecordKind, Territory, TerritoryType
from terraplan.services.alignment import plan_alignment
from terraplan.services.ownership import apply_rules
from terraplan.services.plan_edits import plan_balance
from terraplan.services.rule_editing import save_rule_text
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RULES = """\
territories:
  - {id: LA, name: Los Angeles, type: geo}
  - {id: OC, name: Orange, type: geo}
  - {id: POOL, name: Pool, type: catch_all}
catch_all: POOL
rules:
  - {id: la, territory: LA, when: {field: county_fips, op: in, value: ['06037']}}
  - {id: oc, territory: OC, when: {field: county_fips, op: in, value: ['06059']}}
"""

#: account id -> (county, potential): three in Los Angeles, two in Orange, four in Manhattan
#: (none of the plan's counties: the catch-all takes them) and one with no county at all.
ACCOUNTS = {
    "A1": ("06037", 100.0),
    "A2": ("06037", 200.0),
    "A3": ("06037", 300.0),
    "A4": ("06059", 400.0),
    "A5": ("06059", 500.0),
    "A6": ("36061", 10.0),
    "A7": ("36061", 20.0),
    "A8": ("36061", 30.0),
    "A9": ("36061", 40.0),
    "A10": (None, 50.0),
}


def _store(db: Database) -> Plan:
    plan = Plan(
        id="P",
        name="Southern California",
        territories=(
            Territory(id="LA", name="Los Angeles"),
            Territory(id="OC", name="Orange"),
            Territory(id="POOL", name="Pool", type=TerritoryType.CATCH_ALL),
        ),
        alignment=(
            AlignmentEntry(RecordKind.GEO_UNIT, "06037", "LA"),
            AlignmentEntry(RecordKind.GEO_UNIT, "06059", "OC"),
        ),
        parameters={"units": "counties"},
    )
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account(id=a, name=f"Account {a}", county_fips=c, potential=p, state="CA")
                for a, (c, p) in ACCOUNTS.items()
            ]
        )
        uow.plans.add(plan)
        uow.commit()
    save_rule_text(db, "P", RULES, by="test")
    return plan


def _balance(db: Database) -> dict[str, dict[str, float]]:
    with UnitOfWork(db) as uow:
        return {e.territory: dict(e.totals) for e in plan_balance(uow, uow.plans.get("P"))}


def _kpi_counts(db: Database) -> dict[str, int]:
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P")
        placed = plan_alignment(uow, plan, uow.accounts.list()).territory_of
    counts: dict[str, int] = {}
    for territory in placed.values():
        counts[territory] = counts.get(territory, 0) + 1
    return counts


def test_the_catch_all_counts_the_accounts_the_rules_put_there(db: Database) -> None:
    _store(db)
    apply_rules(db, "P")
    balance = _balance(db)
    assert _kpi_counts(db) == {"LA": 3, "OC": 2, "POOL": 5}
    assert balance["POOL"]["count"] == 5
    assert balance["POOL"]["potential"] == 150.0
    assert (balance["LA"]["count"], balance["LA"]["potential"]) == (3, 600.0)
    assert (balance["OC"]["count"], balance["OC"]["potential"]) == (2, 900.0)


def test_before_the_rules_run_the_catch_all_holds_what_geography_gives_it(
    db: Database,
) -> None:
    # no rule run yet: KPIs place accounts by the plan's counties, so neither counts the five
    _store(db)
    assert "POOL" not in _kpi_counts(db)
    assert _balance(db)["POOL"]["count"] == 0
