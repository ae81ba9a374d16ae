"""Plan and territory ids given by users reach every route; a plan id is never given twice."""

from __future__ import annotations

import pytest
from tests.conftest import seed_region_plan

from terraplan.errors import ConflictError, InvalidParameterError
from terraplan.services.demo import load_demo
from terraplan.services.new_plans import copy_plan, create_plan
from terraplan.services.plan_ids import check_id
from terraplan.services.plan_lifecycle import activate_plan, change_status, delete_plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.mark.parametrize(
    "value",
    ["P001", "T01", "T-West", "West_Coast_Tech", "Territory_North_America_2", "a.b-c_D9", "x" * 64],
)
def test_ids_of_designs_demos_and_salesforce_pass(value: str) -> None:
    assert check_id(value, "plan_id") == value


@pytest.mark.parametrize(
    "value", ["../x", "a/b?c#d", " P1", "P1 ", "", ".hidden", "x" * 65, "Zürich", "a b"]
)
def test_ids_no_route_can_reach_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidParameterError) as refused:
        check_id(value, "territories[1].id")
    assert refused.value.message.startswith("territories[1].id ")
    assert "letters, digits, '-', '_' or '.'" in refused.value.message
    assert refused.value.details["field"] == "territories[1].id"


def test_plans_and_territories_from_user_input_are_checked(db: Database) -> None:
    seed_region_plan(db, n_accounts=200, seed=5)
    with pytest.raises(InvalidParameterError, match=r"plan_id '\.\./x'"):
        copy_plan(db, "P1", new_id="../x")
    with pytest.raises(InvalidParameterError, match=r"territories\[1\]\.id 'a/b\?c#d'"):
        create_plan(db, "Odd", [{"id": "W", "name": "West"}, {"id": "a/b?c#d", "name": "X"}])
    with pytest.raises(InvalidParameterError, match="plan_id ' P9'"):
        create_plan(db, "Spaced", [{"id": "W", "name": "West"}], plan_id=" P9")
    with UnitOfWork(db) as uow:
        assert [p.id for p in uow.plans.list()] == ["P1"]


def test_a_deleted_plans_id_is_never_given_again(db: Database) -> None:
    """P001 archived and deleted: its audit entries and ownership history stay, so the next
    plan is P003 (P002 still exists), and asking for P001 by name is refused with the reason."""
    seed_region_plan(db, n_accounts=200, seed=5)
    first = copy_plan(db, "P1", name="First")
    second = copy_plan(db, "P1", name="Second")
    assert (first.id, second.id) == ("P001", "P002")
    for step in ("in_review", "approved"):
        change_status(db, "P001", step)
    activate_plan(db, "P001")
    change_status(db, "P001", "archived")
    delete_plan(db, "P001")

    third = create_plan(db, "Third", [{"id": "W", "name": "West"}])
    assert third.id == "P003"
    with pytest.raises(ConflictError, match="belonged to a plan that was deleted") as refused:
        create_plan(db, "Again", [{"id": "W", "name": "West"}], plan_id="P001")
    assert refused.value.details == {"id": "P001", "reason": "used before"}
    with pytest.raises(ConflictError, match="already exists"):
        copy_plan(db, "P1", new_id="P002")


def test_the_demo_reset_starts_plan_ids_over(db: Database) -> None:
    """The demo's reset empties plans and their history, so a re-run designs P001 again."""
    seed_region_plan(db, n_accounts=200, seed=5)
    assert copy_plan(db, "P1").id == "P001"
    load_demo(db, n_accounts=200, seed=5)
    assert create_plan(db, "Fresh", [{"id": "W", "name": "West"}]).id == "P001"
