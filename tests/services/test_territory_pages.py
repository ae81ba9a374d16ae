"""Territory plan pages (notes per plan version, read-only when archived, audit-logged), rule
texts edited with problems at their line, and the report's map, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import seed_region_plan

from terraplan.domain import Plan, PlanStatus, Territory
from terraplan.errors import ConflictError, InvalidParameterError, RuleError
from terraplan.services.monitoring import plan_report_html
from terraplan.services.new_plans import copy_plan
from terraplan.services.rule_editing import (
    audit_rule_text,
    rule_text,
    save_rule_text,
    validate_rule_text,
)
from terraplan.services.territory_pages import save_territory_notes, territory_page
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def plan(db: Database) -> Database:
    """A plan of two territories with no data behind them: the notes need nothing more."""
    with UnitOfWork(db) as uow:
        uow.plans.add(
            Plan(
                id="P1",
                name="Two",
                territories=(Territory("T1", "North"), Territory("T2", "South")),
            )
        )
        uow.commit()
    return db


def _bump_version(db: Database) -> None:
    with UnitOfWork(db) as uow:
        stored = uow.plans.get("P1")
        uow.plans.save(stored)
        uow.commit()


def test_notes_are_kept_per_plan_version_and_refuse_stale_or_archived_saves(
    plan: Database,
) -> None:
    db = plan
    with UnitOfWork(db) as uow:
        territory = uow.plans.get("P1").territories[0].id
    page = territory_page(db, "P1", territory)
    assert page["notes"]["revision"] == 0 and page["notes"]["strategy"] == ""
    saved = save_territory_notes(
        db, "P1", territory, {"strategy": "Win the coast"}, revision=0, by="pat"
    )
    assert (saved.revision, saved.strategy, saved.updated_by) == (1, "Win the coast", "pat")
    # a second writer who read revision 0 is refused, and nothing changes
    with pytest.raises(ConflictError, match="saved by pat") as stale:
        save_territory_notes(db, "P1", territory, {"strategy": "Other"}, revision=0, by="lee")
    # said with the territory's name, when, and what to do; not a bare "reload"
    with UnitOfWork(db) as uow:
        name = next(t.name for t in uow.plans.get("P1").territories if t.id == territory)
    assert stale.value.message.startswith(f"the notes of {name} were saved by pat on ")
    assert stale.value.message.endswith(
        "UTC, after you opened them: load them again and add your text to theirs (yours was "
        "not saved)"
    )
    with pytest.raises(InvalidParameterError, match="unknown field"):
        save_territory_notes(db, "P1", territory, {"budget": "1"}, revision=1, by="pat")
    # a new plan version starts from the notes in force, keeping the old version's row
    _bump_version(db)
    carried = territory_page(db, "P1", territory)["notes"]
    assert (carried["strategy"], carried["revision"]) == ("Win the coast", 1)
    newer = save_territory_notes(
        db, "P1", territory, {"outreach": "Roadshow"}, revision=1, by="pat"
    )
    assert (newer.plan_version, newer.strategy, newer.outreach) == (2, "Win the coast", "Roadshow")
    with UnitOfWork(db) as uow:
        old = uow.territory_notes.get("P1", territory, 1)
        audit = [a for a in uow.audit.list(plan_id="P1") if a.action == "territory_notes"]
    assert (old.outreach, old.plan_version) == ("", 1)
    assert [a.after for a in audit] == [{"strategy": "Win the coast"}, {"outreach": "Roadshow"}]
    with UnitOfWork(db) as uow:
        stored = uow.plans.get("P1")
        from dataclasses import replace

        uow.plans.save(replace(stored, status=PlanStatus.ARCHIVED))
        uow.commit()
    assert territory_page(db, "P1", territory)["editable"] is False
    with pytest.raises(ConflictError, match="archived"):
        save_territory_notes(db, "P1", territory, {"strategy": "x"}, revision=1, by="pat")
    # a copied scenario starts with the territory pages in force in its source
    copy_plan(db, "P1", new_id="P2", created_by="lee")
    copied = territory_page(db, "P2", territory)["notes"]
    assert (copied["strategy"], copied["outreach"], copied["revision"]) == (
        "Win the coast",
        "Roadshow",
        1,
    )
    assert territory_page(db, "P2", "T2")["notes"]["revision"] == 0


@pytest.fixture
def sqlite_plan(tmp_path: Path) -> Iterator[Database]:
    """The plan on SQLite only (rule texts and the report add no storage of their own)."""
    db = Database(f"sqlite:///{tmp_path}/terraplan.db")
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=120, seed=5)
    yield db
    db.dispose()


def test_rule_texts_and_the_report_map(sqlite_plan: Database) -> None:
    db = sqlite_plan
    # the report: one map path per territory, named
    html = plan_report_html(db, "P1")
    with UnitOfWork(db) as uow:
        territories = uow.plans.get("P1").territories
    map_part = html[html.index('<section id="map">') : html.index('<section id="attainment">')]
    assert map_part.count("<path") == len(territories) == 3
    for territory in territories:
        assert territory.name in map_part
    assert "http://" not in html and "https://" not in html
    # rule texts: problems at their line, a save keeps the text as written
    stored = rule_text(db, "P1")
    assert stored["version"] == 1 and "\nname: Regions" in stored["document"]  # YAML, not JSON
    assert validate_rule_text(db, "P1", stored["document"])["ok"]
    broken = "name: x\nrules:\n  - id: a\n    territory: T-R1\n    when: {field: state, op: is, value: CA}\n"
    result = validate_rule_text(db, "P1", broken)
    assert not result["ok"]
    assert result["problems"][0]["line"] == 5
    assert "op" in result["problems"][0]["path"]
    syntax = validate_rule_text(db, "P1", "name: x\nrules: [\n")
    assert syntax["problems"][0]["line"] is not None
    with pytest.raises(RuleError):
        save_rule_text(db, "P1", broken, by="pat")
    text = "# only the West\nname: West only\nrules:\n  - {id: west, territory: T-R1, when: {field: state, op: in, value: [CA]}}\n"
    assert save_rule_text(db, "P1", text, by="pat") == 2
    assert rule_text(db, "P1") == {"version": 2, "document": text}  # comment kept
    audit = audit_rule_text(db, "P1")
    assert audit["accounts"]["gaps"] > 0 and not audit["ok"]
    assert {p["kind"] for p in audit["places"]} == {"gap"}
    assert all(p["state"] != "CA" for p in audit["places"])
