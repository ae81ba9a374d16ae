"""``set_regions_from_reps``: a designed plan gets its regions from its reps, in one
transaction with its audit entries, on drafts only; KPIs by region (in-process and the
warehouse query) then follow them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.conftest import seed_region_plan

from terraplan.domain import Plan, PlanStatus
from terraplan.errors import ConflictError, DataError, NotFoundError
from terraplan.planning.kpis import compute_kpis
from terraplan.services.monitoring_data import load_plan_data
from terraplan.services.plan_edits import edit_plan
from terraplan.services.plan_hierarchy import FROM_REPS, set_regions_from_reps
from terraplan.services.plan_lifecycle import change_status
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _owned(db: Database) -> dict[str, str]:
    """The seeded plan P1 (a territory per demo region), each territory owned by a rep of
    the region it covers; returns territory id -> region."""
    seed_region_plan(db, n_accounts=300, seed=4)
    with UnitOfWork(db) as uow:
        reps = uow.reps.list()
        territories = uow.plans.get("P1").territories
    region_of = {}
    version = 1
    for territory in territories:
        rep = next(r for r in reps if r.region == territory.name and r.role.value != "manager")
        edit = {"op": "set_owners", "territory": territory.id, "reps": [rep.id]}
        version = edit_plan(db, "P1", edit, version=version).plan.version
        region_of[territory.id] = territory.name
    return region_of


def _plan(db: Database) -> tuple[Plan, list[str]]:
    with UnitOfWork(db) as uow:
        return uow.plans.get("P1"), [e.action for e in uow.audit.list(plan_id="P1")]


def test_regions_from_reps_make_kpis_by_region(db: Database) -> None:
    region_of = _owned(db)
    before, audit_before = _plan(db)
    result = set_regions_from_reps(db, "P1", version=before.version, by="morgan")
    plan, audit = _plan(db)
    assert result.changed and plan.version == before.version + 1
    regions = {t.id: t for t in plan.territories if t.level == "region"}
    assert {t.name for t in regions.values()} == set(region_of.values())
    for leaf in plan.leaves():
        assert regions[leaf.parent_id or ""].name == region_of[leaf.id]
    assert audit[len(audit_before) :] == ["add_territories", "set_parents"]
    with UnitOfWork(db) as uow:
        (entry,) = uow.audit.list(plan_id="P1", action="set_parents")
    assert entry.actor == "morgan" and entry.after is not None
    assert entry.after["reason"] == FROM_REPS

    data = load_plan_data(db, "P1")
    assert data.as_of is not None
    kpis = compute_kpis(data.inputs, as_of=data.as_of, periods=["YTD"])
    by_region = kpis.filter(pl.col("dimension") == "region")
    assert set(by_region["key"]) == set(regions)
    by_territory = kpis.filter(pl.col("dimension") == "territory")
    for region_id in regions:
        leaves = [t.id for t in plan.leaves() if t.parent_id == region_id]
        want = by_territory.filter(pl.col("key").is_in(leaves))["revenue"].sum()
        got = by_region.filter(pl.col("key") == region_id)["revenue"].sum()
        assert got == pytest.approx(want)

    # the same again changes nothing: no version, no audit entry
    again = set_regions_from_reps(db, "P1", by="morgan")
    assert not again.changed and _plan(db)[0].version == plan.version
    assert _plan(db)[1] == audit


def test_the_warehouse_query_gives_the_same_region_figures(tmp_path: Path) -> None:
    from terraplan.services.warehouse import warehouse_kpis, write_kpi_tables
    from terraplan.storage import migrate

    db = Database(f"sqlite:///{tmp_path}/w.db")
    migrate.upgrade(db)
    _owned(db)
    set_regions_from_reps(db, "P1")
    data = load_plan_data(db, "P1")
    db.dispose()
    assert data.as_of is not None
    write_kpi_tables(data.inputs, tmp_path / "tables")
    expected = compute_kpis(data.inputs, as_of=data.as_of, periods=["YTD"], dimensions=["region"])
    run = warehouse_kpis("duckdb", str(tmp_path / "tables"), periods=["YTD"], dimensions=["region"])
    columns = ["key", "revenue", "target", "open_pipeline", "account_count", "potential"]
    got = run.frame.sort("key").select(columns)
    want = expected.sort("key").select(columns)
    assert got["key"].to_list() == want["key"].to_list() and got.height == 3
    for column in columns[1:]:
        for a, b in zip(got[column], want[column], strict=True):
            assert (a is None and b is None) or a == pytest.approx(b), column


def test_an_edit_after_regions_keeps_the_generated_rules_following_the_map(
    db: Database,
) -> None:
    _owned(db)
    county, source = _first_county(db)
    result = set_regions_from_reps(db, "P1")
    to = next(t.id for t in result.plan.leaves() if t.id != source)
    edited = edit_plan(
        db, "P1", {"op": "move_units", "units": [county], "to": to}, version=result.plan.version
    )
    assert not edited.notes  # no "saved by hand" note: the rules were regenerated
    with UnitOfWork(db) as uow:
        assert '"county_fips"' in uow.rule_sets.latest("P1").document
        assert uow.rule_sets.latest_version("P1") == 2


def _first_county(db: Database) -> tuple[str, str]:
    """A county of the seeded plan and its territory."""
    with UnitOfWork(db) as uow:
        alignment = uow.plans.get("P1").alignment
    entry = sorted(alignment, key=lambda e: e.record_id)[0]
    return entry.record_id, entry.territory_id


def test_only_a_draft_at_the_version_seen_gets_regions(db: Database) -> None:
    _owned(db)
    plan, audit = _plan(db)
    with pytest.raises(ConflictError, match="was changed since you loaded it"):
        set_regions_from_reps(db, "P1", version=plan.version - 1)
    change_status(db, "P1", PlanStatus.IN_REVIEW, by="morgan")
    with pytest.raises(ConflictError, match="is in review: only drafts can be edited"):
        set_regions_from_reps(db, "P1")
    with pytest.raises(NotFoundError):
        set_regions_from_reps(db, "P404")
    after, audit_after = _plan(db)
    assert all(t.level != "region" and t.parent_id is None for t in after.territories)
    assert audit_after == [*audit, "status"]  # the submission only


def test_no_rep_with_a_region_is_said_and_nothing_is_written(db: Database) -> None:
    from sqlalchemy import text

    _owned(db)
    with db.connect() as connection:
        connection.execute(text("UPDATE reps SET region = NULL"))
    before, audit = _plan(db)
    with pytest.raises(DataError, match="has a primary rep with a region") as caught:
        set_regions_from_reps(db, "P1")
    assert "has no region" in caught.value.message  # the reps by name
    assert _plan(db) == (before, audit)


def test_the_audit_log_says_it_in_words(db: Database) -> None:
    from terraplan.services.audit_summary import audit_summaries

    _owned(db)
    set_regions_from_reps(db, "P1", by="morgan")
    with UnitOfWork(db) as uow:
        entries = uow.audit.list(plan_id="P1")
    said = audit_summaries(db, entries)[-2:]
    assert said[0].startswith("added ") and said[0].endswith(": regions of the territories' reps")
    assert said[1].startswith("placed ") and said[1].endswith(" by its reps' regions")
    assert " under " in said[1]


def test_regions_that_remove_a_territory_end_the_edit_history_with_a_note(
    db: Database,
) -> None:
    from terraplan.services.plan_edits import undo_edit

    _owned(db)
    set_regions_from_reps(db, "P1")
    plan, _ = _plan(db)
    west = next(t for t in plan.territories if t.level == "region" and t.name == "West")
    # renamed, the region no longer matches its reps' region: setting the regions again
    # adds a new West and removes the renamed one, which the rename's undo would name
    edit = {"op": "rename", "territory": west.id, "name": "Pacific"}
    renamed = edit_plan(db, "P1", edit, version=plan.version).plan
    result = set_regions_from_reps(db, "P1", version=renamed.version)
    assert [t.name for t in result.hierarchy.removed] == ["Pacific"]
    assert any("can no longer be undone" in n and "Pacific" in n for n in result.notes)
    with pytest.raises(ConflictError, match="nothing to undo"):
        undo_edit(db, "P1")


def test_regions_that_remove_no_territory_keep_the_edit_history(db: Database) -> None:
    from terraplan.services.plan_edits import undo_edit

    _owned(db)  # three edits: each territory's owner
    before, _ = _plan(db)
    result = set_regions_from_reps(db, "P1", version=before.version)
    assert result.changed and result.hierarchy.added and not result.hierarchy.removed
    assert not any("undone" in n for n in result.notes)
    # the last owner edit is undone: its territory has no owner again, under its region still
    last = before.territories[-1]
    after = undo_edit(db, "P1", version=result.plan.version).plan
    undone = next(t for t in after.territories if t.id == last.id)
    assert undone.owners != last.owners and undone.parent_id is not None
