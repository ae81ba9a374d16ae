"""``GET /plans/{id}/map`` of a plan whose rules send the accounts outside its counties to a
catch-all: the catch-all's balance and dots hold them (KPIs count them there), and the map
built before the rules ran is not served after."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.domain import AlignmentEntry, GeoKind, Plan, RecordKind, Territory, TerritoryType
from terraplan.domain.territory import TerritoryOwner
from terraplan.services.demo import load_demo
from terraplan.services.ownership import apply_rules
from terraplan.services.rule_editing import save_rule_text
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _california_with_a_pool(db: Database) -> set[str]:
    """P1: California's counties north (T-N) and south (T-S) of 36° N, a catch-all POOL;
    rules naming the counties. Returns the ids of the open accounts outside California."""
    dataset, _ = load_demo(db, n_accounts=300, seed=4)
    ca = [u for u in dataset.geo_units if u.kind is GeoKind.COUNTY and u.state == "CA"]
    side = {u.id: "T-N" if u.latitude > 36 else "T-S" for u in ca}
    plan = Plan(
        id="P1",
        name="California",
        territories=(
            Territory("T-N", "North", owners=(TerritoryOwner("R1"),)),
            Territory("T-S", "South", owners=(TerritoryOwner("R3"),)),
            Territory("POOL", "Pool", type=TerritoryType.CATCH_ALL),
        ),
        alignment=tuple(AlignmentEntry(RecordKind.GEO_UNIT, u, t) for u, t in side.items()),
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()
    lists = {t: sorted(u for u, s in side.items() if s == t) for t in ("T-N", "T-S")}
    rules = "\n".join(
        [
            "territories:",
            "  - {id: T-N, name: North, type: geo}",
            "  - {id: T-S, name: South, type: geo}",
            "  - {id: POOL, name: Pool, type: catch_all}",
            "catch_all: POOL",
            "rules:",
            *(
                f"  - {{id: r-{t}, territory: {t}, when: {{field: county_fips, op: in, "
                f"value: [{', '.join(repr(u) for u in units)}]}}}}"
                for t, units in lists.items()
            ),
        ]
    )
    save_rule_text(db, "P1", rules, by="test")
    return {a.id for a in dataset.accounts if a.closed_on is None and a.county_fips not in side}


def test_the_catch_all_holds_the_accounts_the_rules_put_there(
    db: Database, as_user: Callable[[str], TestClient]
) -> None:
    outside = _california_with_a_pool(db)
    assert len(outside) > 100  # most of the demo's accounts are outside California
    client = as_user("planner")
    before = client.get("/plans/P1/map").json()
    balance = {t["id"]: t["balance"] for t in before["territories"]}
    assert balance["POOL"]["totals"]["count"] == 0  # no rule run yet: geography alone

    apply_rules(db, "P1")
    after = client.get("/plans/P1/map").json()
    balance = {t["id"]: t["balance"] for t in after["territories"]}
    assert balance["POOL"]["totals"]["count"] == len(outside)
    columns = after["accounts"]["columns"]
    rows = [dict(zip(columns, row, strict=True)) for row in after["accounts"]["rows"]]
    dots = {r["id"] for r in rows if r["territory"] == "POOL"}
    assert dots and dots <= outside
    inside = {r["id"] for r in rows if r["territory"] in ("T-N", "T-S")}
    assert not inside & outside
    assert balance["T-N"]["totals"]["count"] + balance["T-S"]["totals"]["count"] == len(inside)
