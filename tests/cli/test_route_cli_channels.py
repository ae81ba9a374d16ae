"""``terraplan route`` reads a lead as ``POST /route`` and the import do: a lead abroad is no
US ZIP, a no-break space at an edge loses no match, employees as an import reads them, and a
lead with no field is refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.conftest import RunCli

RULES = """
catch_all: pool
territories:
  - {id: key, name: Key Accounts, type: named}
  - {id: ent, name: Enterprise, type: segment}
  - {id: nyc, name: New York City, type: geo}
  - {id: pool, name: Unassigned, type: catch_all}
rules:
  - {id: key, territory: key, when: {field: company, op: in, value: [Acme Corporation]}}
  - {id: ent, territory: ent, when: {field: employees, op: ge, value: 1000}}
  - {id: nyc, territory: nyc, when: {field: postal_code, op: between, value: [10001, 10299]}}
"""


@pytest.fixture
def plan(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    assert run_cli("init").returncode == 0
    made = run_cli("plans", "new", "FY", "--territory", "nyc=New York City", "--plan-id", "P1")
    assert made.returncode == 0, made.stderr
    saved = run_cli("rules", "save", "rules.yaml", "--plan", "P1")
    assert saved.returncode == 0, saved.stderr


def _route(run_cli: RunCli, *args: str) -> dict[str, object]:
    done = run_cli("route", "--plan", "P1", "-f", "json", *args)
    assert done.returncode == 0, (done.stdout, done.stderr)
    answer = json.loads(done.stdout)
    assert isinstance(answer, dict)
    return answer


@pytest.mark.usefixtures("plan")
def test_a_lead_abroad_is_no_us_zip(run_cli: RunCli) -> None:
    berlin = _route(
        run_cli, "--company", "Berlin GmbH", "--postal-code", "10117", "--country", "Germany"
    )
    assert (berlin["territory_id"], berlin["gap"]) == ("pool", True)
    assert "outside the US, country DE" in str(berlin["explanation"])
    assert _route(run_cli, "--postal-code", "10117")["territory_id"] == "nyc"


@pytest.mark.usefixtures("plan")
def test_a_no_break_space_and_employees_as_an_import_reads_them(run_cli: RunCli) -> None:
    assert _route(run_cli, "--company", "Acme Corporation\u00a0")["territory_id"] == "key"
    for employees in ("1,000", "1 000", "1000"):
        assert (
            _route(run_cli, "--company", "Big", "--employees", employees)["territory_id"] == "ent"
        )
    refused = run_cli("route", "--plan", "P1", "--company", "Big", "--employees", "1.000")
    assert refused.returncode == 2
    assert "could be two numbers" in refused.stderr


@pytest.mark.usefixtures("plan")
def test_a_lead_with_no_field_is_refused(run_cli: RunCli) -> None:
    done = run_cli("route", "--plan", "P1")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "the lead has no field" in done.stderr
