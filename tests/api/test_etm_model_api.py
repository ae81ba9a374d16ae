"""An integrator downloads an approved plan as a Salesforce territory model through the API:
the same files, byte for byte, as ``terraplan crm export-etm`` writes, and the same notes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from terraplan.domain import Plan, Territory
from terraplan.services.crm_etm import OWNER_FILE, build_model, export_model
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_the_archive_holds_what_the_cli_writes(
    active_p1: Database, client: TestClient, tmp_path: Path
) -> None:
    from dataclasses import replace

    with UnitOfWork(active_p1) as uow:  # a name a spreadsheet would run as a formula
        plan = uow.plans.get("P1")
        first = replace(plan.territories[0], name="=2+5+cmd")
        uow.plans.save(replace(plan, territories=(first, *plan.territories[1:])))
        uow.commit()
    answer = client.get("/plans/P1/etm-model")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert 'filename="P1-etm.zip"' in answer.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    written = export_model(active_p1, "P1", tmp_path / "etm")
    # the archive lists the files in the folder's load order, model first, owners last
    assert archive.namelist() == [p.name for p in written.files]
    assert archive.namelist()[0] == "Territory2Model.csv"
    assert archive.namelist()[-1] == OWNER_FILE
    for path in written.files:
        assert archive.read(path.name) == path.read_bytes(), path.name
    territories = archive.read("Territory2.csv").decode("utf-8")
    assert "'=2+5+cmd" in territories and ",=2+5+cmd" not in territories
    # the same plan gives the same bytes (no clock in the archive)
    assert client.get("/plans/P1/etm-model").content == answer.content

    shown = client.get("/plans/P1/etm-model", params={"format": "json"}).json()
    assert [f["name"] for f in shown["files"]] == archive.namelist()
    assert {f["name"]: f["content"].encode() for f in shown["files"]} == {
        n: archive.read(n) for n in archive.namelist()
    }
    owners = next(f["content"] for f in shown["files"] if f["name"] == OWNER_FILE)
    assert owners.splitlines()[0] == "Id,OwnerId"
    assert shown["owner_rows"] == len(owners.splitlines()) - 1
    assert shown["notes"] == build_model(active_p1, "P1").notes()


def test_only_approved_plans_and_only_for_planners(
    active_p1: Database, as_user: Callable[[str], TestClient]
) -> None:
    with UnitOfWork(active_p1) as uow:
        uow.plans.add(Plan("D1", "Draft", territories=(Territory("a", "A"),)))
        uow.commit()
    planner = as_user("planner")
    draft = planner.get("/plans/D1/etm-model")
    assert draft.status_code == 409
    assert "is draft; export an approved or active plan" in draft.json()["error"]["message"]
    assert planner.get("/plans/NOPE/etm-model").status_code == 404
    for role in ("manager", "rep"):
        refused = as_user(role).get("/plans/P1/etm-model")
        assert refused.status_code == 403, role
        assert "ask a planner" in refused.json()["error"]["message"]


def test_a_plan_never_run_says_there_is_no_owner_file(db: Database) -> None:
    from tests.conftest import seed_region_plan

    from terraplan.services.plan_lifecycle import change_status

    seed_region_plan(db, n_accounts=100, seed=3)
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    model = build_model(db, "P1")
    assert OWNER_FILE not in model.files and model.owner_rows is None
    (said,) = [n for n in model.notes() if OWNER_FILE in n]
    assert "is not written" in said
    assert "rules were never run" in said and "rules apply --plan P1" in said
