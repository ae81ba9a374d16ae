"""Hot reads served from the per-process cache of response bodies: ETags and 304, bodies that
follow every change (plan edit, import, records written by hand), and bodies that never cross
from one visibility scope to another. One app serves every caller here (tokens), as in
production, so a leak between scopes would show."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from terraplan.api.warmer import MonitoringWarmer
from terraplan.domain import (
    AlignmentEntry,
    GeoKind,
    Plan,
    RecordKind,
    Rep,
    Territory,
    TerritoryOwner,
)
from terraplan.domain.user import Scope
from terraplan.services.demo import load_demo
from terraplan.services.imports import import_file
from terraplan.services.monitoring_data import MonitoringCache
from terraplan.services.reps_targets import plan_targets
from terraplan.services.users import create_token
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

READS = ("/plans/P", "/plans/P/kpis?period=2025", "/plans/P/alerts")


def _plan(db: Database) -> list[str]:
    """A draft plan "P" with one territory per demo region: the first owned by rep R1, the
    second by R2 (both West, manager M1), the others by R3 (East). Returns the territory ids."""
    dataset, _ = load_demo(db, n_accounts=300, seed=5)
    region_of = {state: region.id for region in dataset.regions for state in region.states}
    owners = ["R1", "R2"] + ["R3"] * (len(dataset.regions) - 2)
    plan = Plan(
        id="P",
        name="Regions",
        territories=tuple(
            Territory(id=r.id, name=r.name, owners=(TerritoryOwner(owner),))
            for r, owner in zip(dataset.regions, owners, strict=True)
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, region_of[u.state])
            for u in dataset.geo_units
            if u.kind is GeoKind.COUNTY and u.state in region_of
        ),
    )
    with UnitOfWork(db) as uow:
        known = {r.id for r in uow.reps.list()}
        # plan edits name stored reps only: the owners must exist as reps
        uow.reps.add_many(
            [Rep(id=r, name=f"Rep {r}") for r in ("R1", "R2", "R3") if r not in known]
        )
        uow.plans.add(plan)
        uow.commit()
    return [r.id for r in dataset.regions]


def _bearer(db: Database, username: str) -> dict[str, str]:
    _, secret = create_token(db, username, frozenset(Scope))
    return {"Authorization": f"Bearer {secret}"}


def _revenue(client: TestClient, auth: dict[str, str]) -> float:
    rows = client.get("/plans/P/kpis?period=2025", headers=auth).json()["rows"]
    return float(sum(row["revenue"] for row in rows))


def _targets(client: TestClient, auth: dict[str, str]) -> float:
    rows = client.get("/plans/P/kpis?period=2025", headers=auth).json()["rows"]
    return float(sum(row["target"] or 0 for row in rows))


def test_hot_reads_are_cached_revalidated_scoped_and_follow_every_change(
    anonymous: TestClient, users: dict[str, str], db: Database, tmp_path: Path
) -> None:
    territories = _plan(db)
    planner = _bearer(db, "planner")
    cache = anonymous.app.state.response_cache  # type: ignore[attr-defined]

    etags = {}
    for path in READS:
        first = anonymous.get(path, headers=planner)
        hits = cache.hits
        again = anonymous.get(path, headers=planner)
        assert first.status_code == again.status_code == 200, first.text
        assert cache.hits == hits + 1, path  # the second answer came from the cache
        assert again.content == first.content
        etag = first.headers["ETag"]
        assert again.headers["ETag"] == etag and etag.startswith('"')
        assert first.headers["Cache-Control"] == "private, no-cache"
        for header in (etag, f"W/{etag}", f'"other", {etag}'):
            not_modified = anonymous.get(path, headers={**planner, "If-None-Match": header})
            assert not_modified.status_code == 304, header
            assert not_modified.content == b""
            assert not_modified.headers["ETag"] == etag
        stale = anonymous.get(path, headers={**planner, "If-None-Match": '"other"'})
        assert stale.status_code == 200 and stale.content == first.content
        etags[path] = etag

    # A plan edit: the plan's body changes at once (new version), the old ETag no longer matches.
    _check_scopes(anonymous, db, territories)
    edit = {"edit": {"op": "rename", "territory": territories[0], "name": "Renamed"}, "version": 2}
    assert anonymous.post("/plans/P/edits", json=edit, headers=planner).status_code == 200
    changed = anonymous.get("/plans/P", headers={**planner, "If-None-Match": etags["/plans/P"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etags["/plans/P"]
    assert "Renamed" in [t["name"] for t in changed.json()["territories"]]

    # An import: new revenue shows in the next KPI table.
    before = _revenue(anonymous, planner)
    with UnitOfWork(db) as uow:
        account = uow.connection.execute(text("SELECT id FROM accounts ORDER BY id")).scalar()
    lines = tmp_path / "lines.csv"
    lines.write_text(f"id,account_id,date,amount\nNEW1,{account},2025-06-01,12345.5\n")
    import_file(db, lines, "sales_lines")
    assert _revenue(anonymous, planner) == pytest.approx(before + 12345.5)

    # Targets set through terraplan (no import, no plan edit): the next KPI table shows them.
    assert _targets(anonymous, planner) == 0
    plan_targets(db, "P", company_target=5_000_000, period=2025, as_of=date(2026, 1, 1))
    assert _targets(anonymous, planner) == pytest.approx(5_000_000, rel=0.01)

    # Records changed by hand (not through terraplan) do not move the change marker; the
    # warmer's check of the full fingerprint invalidates the plan's bodies.
    warmer = MonitoringWarmer(db, MonitoringCache(), responses=cache)
    warmer.check_responses()  # notes the fingerprint after the changes above
    assert warmer.check_responses() == []  # nothing changed since
    assert _revenue(anonymous, planner) == pytest.approx(before + 12345.5)  # cached again
    generation = cache.generation("P")
    with db.connect() as connection:
        connection.execute(text("UPDATE sales_lines SET amount = amount + 1000 WHERE id = 'NEW1'"))
    # The app's own warmer (every 10 s) may notice first; either way the bodies go, once.
    warmer.check_responses()
    assert cache.generation("P") == generation + 1
    assert _revenue(anonymous, planner) == pytest.approx(before + 13345.5)

    # A plan that does not exist is a 404, not a cached body.
    assert anonymous.get("/plans/NOPE/kpis", headers=planner).status_code == 404
    assert anonymous.get("/plans/NOPE", headers=planner).status_code == 404


def _check_scopes(anonymous: TestClient, db: Database, territories: list[str]) -> None:
    """Bodies never cross from one visibility scope to another; ends with plan version 2."""
    auth = {name: _bearer(db, name) for name in ("planner", "manager", "rep")}
    expected = {"planner": set(territories), "rep": {territories[0]}}  # the rep is R1

    def seen(name: str) -> dict[str, set[str]]:
        plan = anonymous.get("/plans/P", headers=auth[name])
        kpis = anonymous.get("/plans/P/kpis?period=2025", headers=auth[name])
        alerts = anonymous.get("/plans/P/alerts", headers=auth[name])
        statuses = (plan.status_code, kpis.status_code, alerts.status_code)
        assert statuses == (200, 200, 200), (name, statuses, plan.text, kpis.text, alerts.text)
        return {
            "plan": {t["id"] for t in plan.json()["territories"]},
            "kpis": {row["key"] for row in kpis.json()["rows"]},
            "alerts": {
                a["subject_id"] for a in alerts.json()["alerts"] if a["subject_kind"] == "territory"
            },
        }

    # Twice round, planner first: the second round is served from the cache. The West manager
    # may not see this plan (it has East territories): a 404, cached bodies or not.
    cache = anonymous.app.state.response_cache  # type: ignore[attr-defined]
    statements: list[str] = []
    engine = anonymous.app.state.database.engine  # type: ignore[attr-defined]

    def note(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    for round_ in range(2):
        hits = cache.hits
        for name in ("planner", "rep"):
            statements.clear()
            got = seen(name)
            assert got["plan"] == got["kpis"] == expected[name], name
            assert got["alerts"] <= expected[name], name
            if round_ == 1:
                # From the cache, with what the caller may see remembered too: nothing of the
                # plan's territories or alignment is read again.
                plan_reads = [s for s in statements if "alignments" in s or "territories" in s]
                assert plan_reads == [], (name, plan_reads)
        for path in READS:
            assert anonymous.get(path, headers=auth["manager"]).status_code == 404, path
        if round_ == 1:  # the planner's and the rep's three reads, each from the cache
            assert cache.hits - hits == 6
    event.remove(engine, "before_cursor_execute", note)

    # The planner hands the second territory to R1: the rep sees it from the next request on.
    edit = {"edit": {"op": "set_owners", "territory": territories[1], "reps": ["R1"]}, "version": 1}
    assert anonymous.post("/plans/P/edits", json=edit, headers=auth["planner"]).status_code == 200
    assert seen("rep")["plan"] == seen("rep")["kpis"] == set(territories[:2])
