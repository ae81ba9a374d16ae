"""The ETM export names the counties it cannot carry over (README: they are "named")."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TerraplanCli

from terraplan.domain import Plan, PlanStatus, Territory
from terraplan.rules import dump_rule_set, rules_from_alignment
from terraplan.services.crm_etm import build_model
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: Virginia's independent cities with no ZIP of their own in the ZIP-county table.
MISSING = (
    "2 counties have no ZIP in the ZIP-county table (Colonial Heights city, VA (51570); "
    "Covington city, VA (51580)); no postal-code criterion covers them"
)


def _approved(db: Database) -> None:
    plan = Plan(
        id="P1",
        name="FY27",
        territories=(Territory("a", "West"), Territory("b", "Virginia")),
        status=PlanStatus.APPROVED,
    )
    rules = rules_from_alignment(
        plan.territories, "county", {"06075": "a", "51570": "b", "51580": "b", "51760": "b"}
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        uow.rule_sets.add("P1", dump_rule_set(rules), plan_version=stored.version)
        uow.commit()


def test_the_model_export_names_counties_without_zips(db: Database) -> None:
    _approved(db)
    assert build_model(db, "P1").problems == (MISSING,)


def test_rules_export_etm_names_counties_without_zips(
    db: Database, terraplan_cli: TerraplanCli, tmp_path: Path
) -> None:
    _approved(db)
    result = terraplan_cli(
        "rules", "export-etm", "--plan", "P1", "--out", str(tmp_path / "etm"), database_url=db.url
    )
    assert result.returncode == 0, result.stderr
    assert MISSING in " ".join(result.stderr.split())
