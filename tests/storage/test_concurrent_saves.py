"""Two saves from the same revision, at the same moment: one is stored, the other refused
(a territory's notes and a plan's rule set were both accepted and one text lost)."""

from __future__ import annotations

import threading

import pytest

from terraplan.domain import Plan, Territory
from terraplan.errors import ConflictError, TerraplanError
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def plan(db: Database) -> Database:
    with UnitOfWork(db) as uow:
        uow.plans.add(Plan(id="P1", name="Two", territories=(Territory("T1", "North"),)))
        uow.commit()
    return db


def _race(db: Database, save: object, first_holds: float = 0.4) -> list[object]:
    """Run ``save(uow, who)`` in two threads; the first keeps its transaction open a moment
    after writing, so the second writes while the first has not committed."""
    written = threading.Event()
    results: list[object] = [None, None]

    def one(who: int) -> None:
        try:
            with UnitOfWork(db) as uow:
                if who == 1:
                    written.wait(5)
                save(uow, who)  # type: ignore[operator]
                if who == 0:
                    written.set()
                    threading.Event().wait(first_holds)
                uow.commit()
            results[who] = "saved"
        except TerraplanError as exc:
            results[who] = exc
        finally:
            written.set()

    threads = [threading.Thread(target=one, args=(who,)) for who in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_of_two_notes_saves_from_one_revision_one_is_refused(plan: Database) -> None:
    with UnitOfWork(plan) as uow:
        uow.territory_notes.save("P1", "T1", 1, revision=0, texts={"strategy": "v1"}, by="ana")
        uow.commit()

    def save(uow: UnitOfWork, who: int) -> None:
        uow.territory_notes.save(
            "P1", "T1", 1, revision=1, texts={"strategy": f"writer {who}"}, by=f"w{who}"
        )

    first, second = _race(plan, save)
    assert first == "saved"
    assert isinstance(second, TerraplanError) and second.code in ("conflict", "storage_error")
    with UnitOfWork(plan) as uow:
        stored = uow.territory_notes.get("P1", "T1", 1)
    assert (stored.revision, stored.strategy) == (2, "writer 0")


def test_of_two_first_notes_saves_one_is_refused(plan: Database) -> None:
    def save(uow: UnitOfWork, who: int) -> None:
        uow.territory_notes.save(
            "P1", "T1", 1, revision=0, texts={"strategy": f"writer {who}"}, by=f"w{who}"
        )

    first, second = _race(plan, save)
    assert first == "saved"
    assert isinstance(second, ConflictError | TerraplanError)
    with UnitOfWork(plan) as uow:
        assert uow.territory_notes.get("P1", "T1", 1).strategy == "writer 0"


def test_of_two_rule_saves_from_one_version_one_is_refused(
    plan: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both planners loaded version 1; the second passes the version check while the first
    has not committed yet, then writes after it: it must be refused, not stored as v3."""
    from terraplan.services import rule_editing

    text = (
        "name: {who}\nterritories:\n  - {{id: T1, name: North}}\nrules:\n"
        "  - {{id: r, territory: T1, when: {{field: state, op: in, value: [CA]}}}}\n"
    )
    assert rule_editing.save_rule_text(plan, "P1", text.format(who="first"), by="ana") == 1
    checked = threading.Event()
    first_done = threading.Event()
    original = rule_editing._require_latest

    def slow_check(uow: UnitOfWork, plan_id: str, based_on: int, **kw: object) -> None:
        original(uow, plan_id, based_on, **kw)  # type: ignore[arg-type]
        if threading.current_thread().name == "second" and not kw:
            checked.set()
            first_done.wait(10)  # the first save commits in between

    monkeypatch.setattr(rule_editing, "_require_latest", slow_check)
    results: dict[str, object] = {}

    def save(who: str) -> None:
        try:
            saved = rule_editing.save_rule_text_noted(
                plan, "P1", text.format(who=who), by=who, based_on=1
            )
            results[who] = saved.version
        except TerraplanError as exc:
            results[who] = exc
        finally:
            if who == "first":
                first_done.set()

    second = threading.Thread(target=save, args=("second",), name="second")
    second.start()
    assert checked.wait(10)
    save("first")
    second.join(20)
    assert results["first"] == 2
    refused = results["second"]
    assert isinstance(refused, ConflictError), refused
    assert "were saved since you loaded them (version 2 by first" in refused.message
    with UnitOfWork(plan) as uow:
        assert uow.rule_sets.latest("P1").version == 2
        assert "name: first" in uow.rule_sets.latest("P1").document


def test_notes_saved_while_the_plan_is_deleted_answer_not_found(plan: Database) -> None:
    """A save racing the plan's delete broke the database's reference to the plan and
    answered 500 'the database refused the change'."""

    def act(uow: UnitOfWork, who: int) -> None:
        if who == 0:
            uow.plans.delete("P1")
        else:
            uow.territory_notes.save("P1", "T1", 1, revision=0, texts={"strategy": "x"}, by="w")

    deleted, saved = _race(plan, act)
    assert deleted == "saved"
    assert isinstance(saved, TerraplanError) and saved.code in ("not_found", "storage_error"), saved
