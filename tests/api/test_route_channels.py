"""``POST /route`` and ``POST /route/batch`` read a lead as its import and the audit do: a lead
abroad is placed by no ZIP range, county or state rule; a no-break space at a value's edge
loses no match; employees are read as the import reads them; a lead with no field is refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import store_plan_with_rules

from terraplan.domain import Plan, PlanStatus, Territory, TerritoryOwner, TerritoryType
from terraplan.storage.database import Database

RULES = """
catch_all: pool
priority: [named, segment, vertical, geo, catch_all]
territories:
  - {id: key, name: Key Accounts, type: named}
  - {id: ent, name: Enterprise, type: segment}
  - {id: tech, name: Tech, type: vertical}
  - {id: nyc, name: New York City, type: geo}
  - {id: ne, name: Northeast, type: geo}
  - {id: pool, name: Unassigned, type: catch_all}
rules:
  - {id: key, territory: key, when: {field: company, op: in, value: [Acme Corporation]}}
  - {id: mail, territory: key, when: {field: email, op: ends_with, value: '@initech.com'}}
  - {id: ent, territory: ent, when: {field: employees, op: ge, value: 1000}}
  - {id: tech, territory: tech, when: {field: industry, op: in, value: [Software]}}
  - {id: nyc, territory: nyc, when: {field: postal_code, op: between, value: [10001, 10299]}}
  - {id: ne, territory: ne, order: 1, when: {field: postal_code, op: between, value: [01000, 08999]}}
"""


@pytest.fixture
def plan(db: Database) -> None:
    types = {"key": "named", "ent": "segment", "tech": "vertical", "pool": "catch_all"}
    territories = tuple(
        Territory(
            id=t,
            name=t,
            type=TerritoryType(types.get(t, "geo")),
            owners=(TerritoryOwner("R1"),),
        )
        for t in ("key", "ent", "tech", "nyc", "ne", "pool")
    )
    store_plan_with_rules(
        db, Plan(id="P", name="Live", status=PlanStatus.ACTIVE, territories=territories), RULES
    )


ABROAD = [
    ({"company": "Berlin GmbH", "postal_code": "10117", "country": "Germany"}, "DE"),
    ({"company": "Barcelona SL", "postal_code": "08001", "country": "Spain"}, "ES"),
    ({"company": "Mexico SA", "postal_code": "06600", "country": "Mexico"}, "MX"),
]


@pytest.mark.usefixtures("plan")
@pytest.mark.parametrize(("lead", "code"), ABROAD)
def test_a_lead_abroad_goes_where_the_rules_say_for_it(
    client: TestClient, lead: dict[str, Any], code: str
) -> None:
    single = client.post("/route", json=lead)
    assert single.status_code == 200, single.text
    body = single.json()
    assert (body["territory_id"], body["gap"]) == ("pool", True)
    assert f"outside the US, country {code}" in body["explanation"]
    batch = client.post("/route/batch", json={"leads": [lead, {"postal_code": "10117"}]})
    assert [a["territory_id"] for a in batch.json()["results"]] == ["pool", "nyc"]
    assert batch.json()["results"][0]["explanation"] == body["explanation"]


@pytest.mark.usefixtures("plan")
@pytest.mark.parametrize(
    ("lead", "territory"),
    [
        ({"company": "Acme Corporation\u00a0", "postal_code": "60601"}, "key"),
        ({"company": "X", "email": "bob@initech.com\u00a0", "postal_code": "60601"}, "key"),
        ({"company": "X", "industry": "\u00a0Software", "postal_code": "60601"}, "tech"),
        ({"company": "X", "industry": "Software\u202f", "postal_code": "\u00a010001"}, "tech"),
    ],
)
def test_a_no_break_space_at_an_edge_routes_as_the_imported_lead(
    client: TestClient, lead: dict[str, Any], territory: str
) -> None:
    assert client.post("/route", json=lead).json()["territory_id"] == territory
    batch = client.post("/route/batch", json={"leads": [lead]}).json()
    assert batch["results"][0]["territory_id"] == territory


@pytest.mark.usefixtures("plan")
@pytest.mark.parametrize("employees", [1000, "1000", "1,000", "1 000", "1\u00a0000", " 2,500 "])
def test_employees_are_read_as_an_import_reads_them(client: TestClient, employees: Any) -> None:
    lead = {"company": "Big", "employees": employees}
    answer = client.post("/route", json=lead)
    assert answer.status_code == 200, answer.text
    assert answer.json()["territory_id"] == "ent"
    batch = client.post("/route/batch", json={"leads": [lead]})
    assert batch.json()["results"][0]["territory_id"] == "ent"


@pytest.mark.usefixtures("plan")
@pytest.mark.parametrize(
    ("employees", "said"),
    [
        ("1.000", "could be two numbers"),
        ("1000+", "is not a whole number"),
        ("abc", "is not a whole number"),
        (True, "valid integer"),
        (-5, "greater than or equal to 0"),
    ],
)
def test_employees_no_import_reads_are_refused(
    client: TestClient, employees: Any, said: str
) -> None:
    answer = client.post("/route", json={"company": "Big", "employees": employees})
    assert answer.status_code == 422
    problem = answer.json()["error"]["details"]["problems"][0]
    assert problem["path"] == "body.employees"
    assert said in answer.json()["error"]["message"]


@pytest.mark.usefixtures("plan")
@pytest.mark.parametrize(
    "lead", [{}, {"id": "L1"}, {"company": "  "}, {"company": None, "postal_code": ""}]
)
def test_a_lead_with_no_field_is_refused_saying_so(
    client: TestClient, lead: dict[str, Any]
) -> None:
    answer = client.post("/route", json=lead)
    assert answer.status_code == 422, answer.text
    assert "the lead has no field" in answer.json()["error"]["message"]
    batch = client.post("/route/batch", json={"leads": [{"postal_code": "10001"}, lead]})
    assert batch.status_code == 422
    paths = [p["path"] for p in batch.json()["error"]["details"]["problems"]]
    assert paths == ["body.leads.1"]
    # a misspelt field is a field: routed with a note naming it, as before
    typo = client.post("/route", json={"postalCode": "10001"})
    assert typo.status_code == 200
    assert any("postalCode" in note for note in typo.json()["notes"])
