from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from terraplan.domain import AlignmentEntry, GeoKind, Plan, PlanStatus, RecordKind, Territory
from terraplan.planning.kpi_registry import KPI_NAMES
from terraplan.services.demo import load_demo
from terraplan.services.monitoring import plan_kpis
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_kpis_and_alerts_of_a_plan(client: TestClient, db: Database) -> None:
    dataset, _ = load_demo(db, n_accounts=300, seed=5)
    region_of = {state: region.id for region in dataset.regions for state in region.states}
    plan = Plan(
        id="P",
        name="Regions",
        territories=tuple(Territory(id=r.id, name=r.name) for r in dataset.regions),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, region_of[u.state])
            for u in dataset.geo_units
            if u.kind is GeoKind.COUNTY and u.state in region_of
        ),
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()

    definitions = client.get("/kpis/definitions").json()
    assert [d["name"] for d in definitions] == list(KPI_NAMES)

    table = client.get("/plans/P/kpis", params={"by": "territory", "period": "2025"}).json()
    assert sorted(row["key"] for row in table["rows"]) == sorted(r.id for r in dataset.regions)
    total = sum(line.amount for line in dataset.sales_lines if line.date.year == 2025)
    assert abs(sum(row["revenue"] for row in table["rows"]) - total) < 1e-6 * abs(total)
    assert table["notes"] == []  # every account is in a territory
    assert {row["key"]: row["name"] for row in table["rows"]} == {
        r.id: r.name for r in dataset.regions
    }
    # counts as integers (they came as 529.0), amounts as numbers
    counts = [d["name"] for d in definitions if d["unit"] == "count"]
    assert counts and all(type(row[c]) is int for row in table["rows"] for c in counts)

    # as_of, as the notes name it: the year to date at mid-2025 counts that half year only
    half = client.get(
        "/plans/P/kpis", params={"by": "territory", "period": "YTD", "as_of": "2025-06-30"}
    ).json()
    assert half["as_of"] == "2025-06-30"
    first_half = sum(
        line.amount
        for line in dataset.sales_lines
        if date(2025, 1, 1) <= line.date <= date(2025, 6, 30)
    )
    assert abs(sum(row["revenue"] for row in half["rows"]) - first_half) < 1e-6 * abs(first_half)
    bad_day = client.get("/plans/P/kpis", params={"as_of": "2025-02-30"})
    assert bad_day.status_code == 422

    # inactive accounts over a longer look-back (annual billing), as `kpis --inactive-months`
    def inactive(months: int | None) -> dict[str, int]:
        params: dict[str, str | int] = {"period": "2025"}
        if months is not None:
            params["inactive_months"] = months
        rows = client.get("/plans/P/kpis", params=params).json()["rows"]
        return {row["key"]: row["inactive_accounts"] for row in rows}

    _, frame = plan_kpis(db, "P", periods=["2025"], dimensions=["territory"], inactive_months=24)
    expected = dict(zip(frame["key"].to_list(), frame["inactive_accounts"].to_list(), strict=True))
    assert inactive(24) == expected
    assert inactive(None) == inactive(6)
    assert sum(inactive(24).values()) < sum(inactive(6).values())
    assert client.get("/plans/P/kpis", params={"inactive_months": 0}).status_code == 422

    alerts = client.get("/plans/P/alerts").json()
    assert alerts["plan_id"] == "P"
    assert all(a["reason"] for a in alerts["alerts"])

    bad = client.get("/plans/P/kpis", params={"by": "planet"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["field"] == "by"
    assert client.get("/plans/NOPE/alerts").status_code == 404


def test_kpis_and_alerts_of_the_active_plan_of_a_scope(
    client: TestClient, anonymous: TestClient, db: Database
) -> None:
    """``/active-plan/kpis?scope=`` answers for the active plan of that part of the market,
    as ``/plans/{id}/kpis`` does; without a scope, the whole-market plan."""
    dataset, _ = load_demo(db, n_accounts=300, seed=5)
    region_of = {state: region.id for region in dataset.regions for state in region.states}
    west = next(r for r in dataset.regions if r.name == "West")

    def plan(plan_id: str, scope: str | None, regions: list[str]) -> Plan:
        return Plan(
            id=plan_id,
            name=plan_id,
            status=PlanStatus.ACTIVE,
            scope=scope,
            territories=tuple(Territory(id=r.id, name=r.name) for r in dataset.regions),
            alignment=tuple(
                AlignmentEntry(RecordKind.GEO_UNIT, u.id, region_of[u.state])
                for u in dataset.geo_units
                if u.kind is GeoKind.COUNTY and region_of.get(u.state) in regions
            ),
        )

    with UnitOfWork(db) as uow:
        uow.plans.add(plan("WHOLE", None, [r.id for r in dataset.regions]))
        uow.plans.add(plan("WEST", "West", [west.id]))
        uow.commit()

    assert anonymous.get("/active-plan/kpis", params={"scope": "West"}).status_code == 401
    for scope, plan_id in ((None, "WHOLE"), ("west", "WEST")):
        params = {"period": "2025", **({"scope": scope} if scope else {})}
        table = client.get("/active-plan/kpis", params=params).json()
        same = client.get(f"/plans/{plan_id}/kpis", params={"period": "2025"}).json()
        assert table["plan_id"] == plan_id
        assert table["rows"] == same["rows"]
        alerts = client.get(
            "/active-plan/alerts", params={k: v for k, v in params.items() if k == "scope"}
        )
        assert alerts.json()["plan_id"] == plan_id
    # the West plan reports on the West only (its accounts, their sales, its territory), and
    # its alignment source says so; the other regions' accounts are not "in no territory"
    assert [row["key"] for row in table["rows"]] == [west.id]
    assert table["alignment_source"].endswith(
        "over the accounts of its scope (West); 2 territories holding none of them left out"
    )
    assert table["notes"] == []
    whole = client.get("/plans/WHOLE/kpis", params={"period": "2025"}).json()
    assert whole["notes"] == []
    by_region = {row["key"]: row["revenue"] for row in whole["rows"]}
    assert table["rows"][0]["revenue"] == pytest.approx(by_region[west.id])
    industries = client.get("/plans/WEST/kpis", params={"period": "2025", "by": "industry"})
    assert sum(r["revenue"] for r in industries.json()["rows"]) == pytest.approx(by_region[west.id])

    missing = client.get("/active-plan/kpis", params={"scope": "Nowhere"})
    assert missing.status_code == 404
    assert missing.json()["error"]["details"]["scopes"] == ["West", "whole market"]
    bad = client.get("/active-plan/kpis", params={"scope": "West", "by": "planet"})
    assert bad.status_code == 422


def test_kpis_and_alerts_follow_the_fiscal_year_setting(
    db: Database, users: dict[str, str]
) -> None:
    """With TERRAPLAN_FISCAL_YEAR_START=2, ``FY2027Q1`` is February to April 2026, YTD and the
    alerts' quarter are fiscal, and the bodies say which months a period holds."""
    from datetime import date

    from fastapi.testclient import TestClient

    from terraplan.api.app import create_app
    from terraplan.config import Settings
    from terraplan.planning.fiscal import FiscalCalendar

    from .conftest import login

    dataset, _ = load_demo(db, n_accounts=300, seed=5)
    plan = Plan(
        id="P",
        name="All",
        territories=(Territory(id="T", name="Everything"),),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, "T")
            for u in dataset.geo_units
            if u.kind is GeoKind.COUNTY
        ),
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()
    settings = Settings(
        database_url=db.url, session_cookie_secure=True, job_workers=0, fiscal_year_start=2
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        login(client, "planner")
        ytd = client.get("/plans/P/kpis", params={"period": "YTD"}).json()
        assert ytd["fiscal_year_start"] == 2
        as_of = date.fromisoformat(ytd["as_of"])
        (row,) = ytd["rows"]
        assert date.fromisoformat(row["period_start"]).month == 2
        page = client.get("/plans/P/territories/T/page").json()  # its figures: fiscal YTD
        assert page["figures"]["revenue"] == row["revenue"]
        assert ytd["period_titles"]["YTD"] == f"YTD ({row['period_start']} to {as_of})"

        fiscal = FiscalCalendar(2)
        last_year = fiscal.year_of(as_of) - 1
        start, end = fiscal.quarter_bounds(last_year, 1)
        label = f"FY{last_year}Q1"
        quarter = client.get("/plans/P/kpis", params={"period": label}).json()
        (row,) = quarter["rows"]
        assert (row["period"], row["period_start"], row["period_end"]) == (
            label,
            start.isoformat(),
            end.isoformat(),
        )
        total = sum(
            line.amount
            for line in dataset.sales_lines
            if start <= line.date <= end and line.account_id in {a.id for a in dataset.accounts}
        )
        assert abs(row["revenue"] - total) < 1e-6 * max(1.0, abs(total))
        assert quarter["period_titles"][label].startswith(f"FY{last_year} Q1 (Feb")

        alerts = client.get("/plans/P/alerts").json()
        now = fiscal.quarter_of(as_of)
        assert alerts["period"] == f"FY{now[0]}Q{now[1]}"
        assert alerts["period_title"].startswith(f"FY{now[0]} Q{now[1]} (")

        ambiguous = client.get("/plans/P/kpis", params={"period": f"{last_year}Q1"})
        assert ambiguous.status_code == 422
        assert ambiguous.json()["error"]["details"]["field"] == "period"
        assert "ambiguous" in ambiguous.json()["error"]["message"]


def test_alerts_name_their_subject_by_its_kind(client: TestClient, db: Database) -> None:
    """The alerts carried subject ids only: a rep's, a territory's and an account's name
    (here a territory and a rep share the id T9) came from nowhere but the CLI."""
    from terraplan.domain import Account, OwnerRole, Rep, TerritoryOwner

    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep("T9", "Tia Nine", capacity_accounts=1)])
        uow.accounts.add_many(
            [
                Account("A1", "Acme", potential=10.0),
                Account("A2", "Beta", potential=10.0),
                # in no territory and owned by nobody, the largest potential
                Account("001ORPHAN", "Orphan Holdings", potential=9e9),
            ]
        )
        uow.plans.add(
            Plan(
                id="P",
                name="Shared ids",
                territories=(
                    Territory("T9", "Ninth", owners=(TerritoryOwner("T9", OwnerRole.PRIMARY),)),
                    Territory("T8", "Eighth"),
                ),
                alignment=(
                    AlignmentEntry(RecordKind.ACCOUNT, "A1", "T9"),
                    AlignmentEntry(RecordKind.ACCOUNT, "A2", "T9"),
                ),
            )
        )
        uow.commit()
    body = client.get("/plans/P/alerts").json()
    named = {(a["subject_kind"], a["subject_id"], a["subject"]) for a in body["alerts"]}
    assert ("rep", "T9", "Tia Nine") in named
    assert ("territory", "T9", "Ninth") in named
    assert ("account", "001ORPHAN", "Orphan Holdings") in named
    assert len(body["realignment_territory_names"]) == len(body["realignment_territories"])
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "subject" in schema["AlertPublic"]["required"]
    assert schema["AlertPublic"]["properties"]["subject"]["description"]
