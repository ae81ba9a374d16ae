"""Saving a rule text through the API says which territories it added to the plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fastapi.testclient import TestClient

from terraplan.domain import PlanStatus
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .test_access_matrix import _seed

TEXT = """\
territories:
  - {id: TW1, name: West One, type: geo}
  - {id: TWX, name: West Extra, type: geo}
rules:
  - {id: a, territory: TW1, when: {field: state, op: equals, value: CA}}
  - {id: b, territory: TWX, when: {field: state, op: equals, value: OR}}
"""


def test_a_saved_rule_text_names_the_territories_it_added(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    client = as_user("planner")
    refused = client.put("/plans/PW/rules", json={"document": TEXT})
    assert refused.status_code == 409, refused.text  # in review: only drafts' rules change
    assert "only a draft's rules can change" in refused.json()["error"]["message"]
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("PW"), status=PlanStatus.DRAFT))
        uow.commit()
    saved = client.put("/plans/PW/rules", json={"document": TEXT})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["version"] == 1
    added = [n for n in body["notes"] if "was not in plan" in n]
    assert len(added) == 1 and added[0].startswith("territory West Extra was not in plan")
    # the seed's plan calls TW1 "TW1", the text "West One": said, as two names would show
    assert "territory TW1 is 'TW1' in plan PW and 'West One' in the rule set" in body["notes"][0]
    again = client.put("/plans/PW/rules", json={"document": TEXT})
    assert not [n for n in again.json()["notes"] if "was not in plan" in n]  # in the plan now


def test_a_save_based_on_an_older_version_is_refused_naming_who_saved(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """Two planners edit the same rules: the second save silently dropped the first one's
    change. A save now says which version it was based on."""
    _seed(db)
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("PW"), status=PlanStatus.DRAFT))
        uow.commit()
    ana, admin = as_user("planner"), as_user("admin")
    first = ana.put("/plans/PW/rules", json={"document": TEXT, "version": 0})
    assert first.status_code == 200, first.text
    loaded = ana.get("/plans/PW/rules").json()["version"]
    assert loaded == first.json()["version"] == 1
    theirs = admin.put("/plans/PW/rules", json={"document": TEXT.replace("OR", "WA"), "version": 1})
    assert theirs.status_code == 200, theirs.text
    stale = ana.put("/plans/PW/rules", json={"document": TEXT.replace("CA", "NV"), "version": 1})
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert error["message"] == (
        "the rules of plan PW were saved since you loaded them (version 2 by admin; yours was "
        "based on version 1); reload them and apply your change again"
    )
    assert "WA" in ana.get("/plans/PW/rules").json()["document"]
    unchecked = ana.put("/plans/PW/rules", json={"document": TEXT})  # no version: no check
    assert unchecked.status_code == 200 and unchecked.json()["version"] == 3


def test_a_state_written_as_a_name_is_named_when_saved(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """Stored states are codes: ``Texas`` and ``Texs`` never match; the save says so, once
    per rule and value, with the code meant."""
    _seed(db)
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("PW"), status=PlanStatus.DRAFT))
        uow.commit()
    text = TEXT.replace("value: OR}", "value: Texas}") + (
        "  - {id: c, territory: TW1, when: {field: state, op: in, value: [Texs, WA, Texs]}}\n"
    )
    client = as_user("planner")
    saved = client.put("/plans/PW/rules", json={"document": text})
    assert saved.status_code == 200, saved.text
    notes = saved.json()["notes"]
    assert notes[:2] == [
        "state 'Texas' in rule b is not a state code and never matches (stored states are "
        "codes): write TX",
        "state 'Texs' in rule c is no US state or state code: no account or lead can match it",
    ]
    assert not any("'CA'" in n or "'WA'" in n for n in notes)


def test_a_catch_all_territory_without_the_catch_all_key_is_said_at_its_line(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("PW"), status=PlanStatus.DRAFT))
        uow.commit()
    text = TEXT.replace(
        "  - {id: TWX, name: West Extra, type: geo}\n",
        "  - {id: TWX, name: West Extra, type: geo}\n  - {id: pool, name: Unassigned, type: catch_all}\n",
    )
    client = as_user("planner")
    said = "line 4: territory Unassigned (pool) is of type catch_all but the rule set has no"
    checked = client.post("/plans/PW/rules/validate", json={"document": text}).json()
    assert [n for n in checked["notes"] if n.startswith(said)], checked["notes"]
    saved = client.put("/plans/PW/rules", json={"document": text})
    assert saved.status_code == 200, saved.text
    assert [n for n in saved.json()["notes"] if n.startswith(said)], saved.json()["notes"]
