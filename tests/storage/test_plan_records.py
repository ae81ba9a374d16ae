from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from terraplan.domain import Plan, Territory
from terraplan.storage.database import Database
from terraplan.storage.plan_records import AssignmentRecord
from terraplan.storage.routing_reads import take_routing_turn
from terraplan.storage.unit_of_work import UnitOfWork


def _store_plan(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.plans.add(
            Plan(
                id="P",
                name="p",
                territories=(Territory(id="T1", name="a"), Territory(id="T2", name="b")),
            )
        )
        uow.commit()


def test_routing_turns_are_unique_under_concurrency_and_survive_restarts(db: Database) -> None:
    _store_plan(db)

    def turn(_: int) -> int:
        with db.connect() as connection:
            return take_routing_turn(connection, "P", "T1")

    with ThreadPoolExecutor(max_workers=8) as pool:
        turns = list(pool.map(turn, range(80)))
    assert sorted(turns) == list(range(1, 81))

    # A new engine (a restarted server) continues the count.
    restarted = Database(db.url)
    try:
        with restarted.connect() as connection:
            assert take_routing_turn(connection, "P", "T1") == 81
            assert take_routing_turn(connection, "P", "T2") == 1
    finally:
        restarted.dispose()


def test_assignment_runs_replace_current_owners_and_log_changes(db: Database) -> None:
    _store_plan(db)
    first = [
        AssignmentRecord("account", "A1", "T1", "R1", "r1", "assigned"),
        AssignmentRecord("account", "A2", "T2", "R2", "r2", "assigned"),
        AssignmentRecord("account", "A3", None, None, None, "gap"),
    ]
    with UnitOfWork(db) as uow:
        summary = uow.assignments.record_run(
            "P", plan_version=1, rule_set_version=1, assignments=first
        )
        uow.commit()
    assert (summary.records, summary.gaps, summary.conflicts, summary.owner_changes) == (3, 1, 0, 0)

    second = [
        AssignmentRecord("account", "A1", "T1", "R1", "r1", "assigned"),
        AssignmentRecord("account", "A2", "T1", "R1", "r1", "assigned"),
        AssignmentRecord("account", "A3", "T2", "R2", "r2", "assigned"),
    ]
    with UnitOfWork(db) as uow:
        summary = uow.assignments.record_run(
            "P", plan_version=1, rule_set_version=2, assignments=second
        )
        uow.commit()
    assert summary.owner_changes == 2
    with UnitOfWork(db) as uow:
        assert uow.assignments.current("P") == second
        changes = uow.assignments.changes("P", run_id=summary.run_id)
    assert [(c["record_id"], c["old_owner_id"], c["new_owner_id"]) for c in changes] == [
        ("A2", "R2", "R1"),
        ("A3", None, "R2"),
    ]


def test_rule_sets_are_versioned_per_plan_and_results_kept_per_kind(db: Database) -> None:
    _store_plan(db)
    with UnitOfWork(db) as uow:
        first = uow.rule_sets.add("P", '{"rules": []}', plan_version=1)
        second = uow.rule_sets.add("P", '{"rules": [1]}', plan_version=1, created_by="ops")
        uow.plan_results.put("P", "design", {"max_deviation": 0.04})
        uow.plan_results.put("P", "design", {"max_deviation": 0.03})
        uow.commit()
    assert (first.version, second.version) == (1, 2)
    with UnitOfWork(db) as uow:
        assert uow.rule_sets.latest("P").document == '{"rules": [1]}'
        assert uow.rule_sets.get("P", 1).document == '{"rules": []}'
        assert uow.plan_results.get("P", "design") == {"max_deviation": 0.03}
        assert uow.plan_results.get("P", "capacity") is None
