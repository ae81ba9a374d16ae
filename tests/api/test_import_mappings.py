"""Stored import mappings: ``/import-mappings`` and ``POST /imports/{kind}?mapping=NAME``
read a file as ``terraplan import --mapping FILE`` does (columns, values, ``dates``,
``time_zone``), on SQLite and PostgreSQL; bad mappings are one 422 naming line and reason;
only those who may import manage them; every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.api.test_hardening import _wait_for
from tests.conftest import TerraplanCli

from terraplan.storage.database import Database

#: A HubSpot deals export from a German portal: ``;``, Windows-1252, a ``Betrag`` column with
#: decimal commas, German stages, day-first close dates and UTC creation times.
DEALS = (
    "Record ID;Deal Name;Associated Company IDs (Primary);Deal Stage;Betrag;Create Date;"
    "Close Date\n"
    "5001;Müller Ärzte;9001;Gewonnen;19.224,50;2026-03-31T23:30:00Z;05/04/2026\n"
    "5002;Café Olé;9002;Verloren;1.000,00;2026-01-10T09:00:00Z;13/02/2026\n"
    "5003;Señor Taco;9001;Verhandlung;7.500,25;2026-02-01T12:00:00Z;\n"
    "5004;Zoë;9002;Gewonnen;250,75;2026-06-30T22:15:00Z;01/07/2026\n"
).encode("cp1252")
MAPPING = """# the HubSpot portal's deals
columns:
  Betrag: amount
  Deal Name: null
values:
  stage:
    Gewonnen: Closed Won
    Verloren: Closed Lost
dates: day first
time_zone: Europe/Berlin
"""
COMPANIES = "Record ID,Company name,Postal Code\n9001,Müller Holz,10001\n9002,Café Olé,60601\n"


def _stored(db: Database) -> list[tuple[Any, ...]]:
    query = (
        "SELECT id, account_id, stage, amount, is_closed, is_won, created_date, close_date "
        "FROM opportunities ORDER BY id"
    )
    with db.engine.connect() as connection:
        rows = connection.execute(text(query)).all()
    # the same on SQLite (1/0) and PostgreSQL (true/false)
    return [(*map(str, r[:3]), float(r[3]), bool(r[4]), bool(r[5]), *map(str, r[6:])) for r in rows]


def _send(client: TestClient, kind: str, body: bytes, **params: str) -> dict[str, Any]:
    sent = client.post(f"/imports/{kind}", params=params, content=body)
    assert sent.status_code == 202, sent.text
    job = _wait_for(client, sent.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    return dict(job["result"])


def test_the_api_with_a_stored_mapping_stores_what_the_cli_does(
    as_user: Callable[..., TestClient],
    db: Database,
    tmp_path: Path,
    terraplan_cli: TerraplanCli,
) -> None:
    deals, mapping = tmp_path / "deals.csv", tmp_path / "hubspot.yaml"
    deals.write_bytes(DEALS)
    mapping.write_text(MAPPING, encoding="utf-8")
    (tmp_path / "companies.csv").write_text(COMPANIES, encoding="utf-8")
    url = db.url
    assert terraplan_cli("import", "accounts", "companies.csv", database_url=url).returncode == 0
    by_cli = terraplan_cli(
        "import", "opportunities", "deals.csv", "--mapping", str(mapping), database_url=url
    )
    assert by_cli.returncode == 0, by_cli.stderr
    cli_rows = _stored(db)
    # won 19,224.50 + 250.75, lost 1,000, open 7,500.25; 31 March 23:30 UTC is 1 April in Berlin
    assert [(r[0], r[3], r[4], r[5], r[6], r[7]) for r in cli_rows] == [
        ("5001", 19224.5, True, True, "2026-04-01", "2026-04-05"),
        ("5002", 1000.0, True, False, "2026-01-10", "2026-02-13"),
        ("5003", 7500.25, False, False, "2026-02-01", "None"),
        ("5004", 250.75, True, True, "2026-07-01", "2026-07-01"),
    ]
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM opportunities"))

    client = as_user("planner", job_workers=1)
    saved = client.put(
        "/import-mappings/hubspot-deals",
        content=MAPPING.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["content"]["dates"] == "day first"
    result = _send(
        client, "opportunities", DEALS, mapping="hubspot-deals", encoding="cp1252", filename="d.csv"
    )
    assert result["written"] == 4
    assert _stored(db) == cli_rows


def test_mappings_are_listed_read_replaced_and_deleted_with_an_audit_trail(
    as_user: Callable[..., TestClient],
) -> None:
    client = as_user("planner")
    assert client.get("/import-mappings").json() == []
    first = client.put("/import-mappings/reps", content=b"Title: role\n")
    assert first.status_code == 201
    again = client.put(
        "/import-mappings/reps",
        content=b'{"columns": {"Title": "role", "Employee #": "id"}}',
        headers={"Content-Type": "application/json"},
    )
    assert again.status_code == 200
    listed = client.get("/import-mappings").json()
    assert [(m["name"], m["updated_by"]) for m in listed] == [("reps", "planner")]
    shown = client.get("/import-mappings/reps").json()
    assert shown["content"] == {
        "columns": {"Title": "role", "Employee #": "id"},
        "values": {},
        "dates": None,
        "time_zone": None,
    }
    assert shown["text"].startswith('{"columns"')
    assert client.delete("/import-mappings/reps").status_code == 204
    gone = client.get("/import-mappings/reps")
    assert gone.status_code == 404
    assert "no stored import mapping named 'reps'" in gone.json()["error"]["message"]
    assert client.delete("/import-mappings/reps").status_code == 404
    audit = client.get("/audit").json()
    mine = [
        (e["action"], e["actor"], e["summary"])
        for e in audit
        if e["object_kind"] == "import_mapping"
    ]
    assert mine == [
        ("mapping_created", "planner", "saved the import mapping 'reps'"),
        ("mapping_replaced", "planner", "replaced the import mapping 'reps'"),
        ("mapping_deleted", "planner", "deleted the import mapping 'reps'"),
    ]


def test_a_bad_mapping_is_one_422_naming_line_and_reason(
    as_user: Callable[..., TestClient],
) -> None:
    client = as_user("planner")

    def refused(body: bytes, **headers: str) -> dict[str, Any]:
        answer = client.put("/import-mappings/bad", content=body, headers=headers)
        assert answer.status_code == 422, answer.text
        return dict(answer.json()["error"])

    syntax = refused(b"columns:\n  Employee #: id\n  Title: [role\n")
    assert syntax["message"].startswith("mapping 'bad', line ")
    assert "not valid YAML" in syntax["message"]
    assert syntax["details"]["line"] >= 3
    dates = refused(b"columns: {Datum: close_date}\ndates: european\n")
    assert "'dates' must be 'day first' or 'month first'" in dates["message"]
    zone = refused(b"columns: {Datum: close_date}\ntime_zone: Berlin\n")
    assert "'time_zone' must be a time zone of the IANA database" in zone["message"]
    values = refused(b"values: {stage: [Won]}\n")
    assert '"values" must be' in values["message"]
    broken = refused(b'{"columns": {"A": "id"', **{"Content-Type": "application/json"})
    assert broken["message"].startswith("mapping 'bad', line 1, column ")
    assert "not valid JSON" in broken["message"]
    empty = client.put("/import-mappings/bad", content=b"")
    assert empty.status_code == 422
    assert "body is empty" in empty.json()["error"]["message"]
    assert client.put("/import-mappings/no%20spaces", content=b"A: id\n").status_code == 422
    # the route reads its body on the event loop: the app's body limit bounds it
    huge = client.put("/import-mappings/huge", content=b"# padding\n" * 120_000)
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "request_too_large"
    assert client.get("/import-mappings").json() == []


def test_an_unknown_mapping_or_a_misplaced_option_refuses_the_upload(
    as_user: Callable[..., TestClient],
) -> None:
    client = as_user("planner")
    unknown = client.post("/imports/reps", params={"mapping": "hubspot"}, content=b"Id\nR9\n")
    assert unknown.status_code == 404
    assert "no stored import mapping named 'hubspot'" in unknown.json()["error"]["message"]
    for params, field in (
        ({"mappings": "hubspot"}, "mappings"),  # misspelt: not dropped
        ({"sheet_name": "Team"}, "sheet_name"),
        ({"encoding": "klingon"}, "encoding"),
        ({"encoding": "cp1252", "format": "xlsx"}, "encoding"),
        ({"sheet": "Accounts"}, "sheet"),
    ):
        answer = client.post("/imports/reps", params=params, content=b"Id\nR9\n")
        assert answer.status_code == 422, params
        assert answer.json()["error"]["details"]["field"] == field


def test_utf16_files_and_a_named_sheet_are_read_as_the_cli_reads_them(
    as_user: Callable[..., TestClient], db: Database, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    client = as_user("planner", job_workers=1)
    body = "Id\tName\nR7\tJosé Núñez\n".encode("utf-16")
    assert _send(client, "reps", body, encoding="utf-16")["written"] == 1
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["nothing here"])
    sheet = book.create_sheet("Team")
    sheet.append(["Id", "Name"])
    sheet.append(["R8", "Zoë Brontë"])
    path = tmp_path / "team.xlsx"
    book.save(path)
    result = _send(client, "reps", path.read_bytes(), format="xlsx", sheet="Team")
    assert result["written"] == 1
    with db.engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM reps WHERE id IN ('R7', 'R8')"))
        assert sorted(n for (n,) in names) == ["José Núñez", "Zoë Brontë"]


def test_only_those_who_may_import_manage_mappings(
    as_user: Callable[..., TestClient],
) -> None:
    planner = as_user("planner")
    assert planner.put("/import-mappings/shared", content=b"Title: role\n").status_code == 201
    for role in ("manager", "rep"):
        client = as_user(role)
        assert client.get("/import-mappings").status_code == 403
        assert client.get("/import-mappings/shared").status_code == 403
        assert client.put("/import-mappings/shared", content=b"A: id\n").status_code == 403
        assert client.delete("/import-mappings/shared").status_code == 403
    admin = as_user("admin")
    assert admin.get("/import-mappings/shared").json()["content"]["columns"] == {"Title": "role"}


def test_a_token_needs_plan_write_for_mappings(
    users: dict[str, str], anonymous: TestClient, db: Database
) -> None:
    from terraplan.domain.user import Scope
    from terraplan.services.users import create_token

    _, reader = create_token(db, "planner", frozenset({Scope.READ}))
    _, writer = create_token(db, "planner", frozenset({Scope.PLAN_WRITE}))
    as_reader = {"Authorization": f"Bearer {reader}"}
    as_writer = {"Authorization": f"Bearer {writer}"}
    assert anonymous.get("/import-mappings").status_code == 401
    assert anonymous.get("/import-mappings", headers=as_reader).status_code == 403
    put = anonymous.put("/import-mappings/nightly", content=b"Title: role\n", headers=as_reader)
    assert put.status_code == 403
    put = anonymous.put("/import-mappings/nightly", content=b"Title: role\n", headers=as_writer)
    assert put.status_code == 201
    assert put.json()["updated_by"] == "planner"
    assert anonymous.get("/import-mappings", headers=as_writer).status_code == 200


def test_a_stored_mapping_naming_no_field_fails_the_job_naming_the_mapping(
    as_user: Callable[..., TestClient],
) -> None:
    client = as_user("planner", job_workers=1)
    assert client.put("/import-mappings/hr", content=b"Title: job_title\n").status_code == 201
    sent = client.post("/imports/reps", params={"mapping": "hr"}, content=b"Id,Title\nR9,AE\n")
    job = _wait_for(client, sent.json()["id"])
    assert job["status"] == "failed"
    assert job["error"]["message"].startswith("mapping 'hr'"), job["error"]
    assert "job_title" in job["error"]["message"]


def test_date_messages_name_the_stored_mapping_and_a_resend_without_it_is_refused(
    as_user: Callable[..., TestClient],
) -> None:
    client = as_user("planner", job_workers=1)
    assert client.put("/import-mappings/hubspot-deals", content=MAPPING.encode()).status_code == 201
    companies = _send(client, "accounts", COMPANIES.encode(), filename="companies.csv")
    assert companies["written"] == 2
    result = _send(
        client, "opportunities", DEALS, mapping="hubspot-deals", encoding="cp1252", filename="d.csv"
    )
    warnings = result["warnings"]
    assert (
        "slashed dates are read as day/month/year, as the stored mapping 'hubspot-deals'"
        " declares (dates: day first)" in warnings
    )
    assert any(
        w.endswith("as the stored mapping 'hubspot-deals' declares (time_zone: Europe/Berlin)")
        for w in warnings
    )
    assert not any("mapping file declares" in w for w in warnings)
    # the same deals sent again without ?mapping=: Gewonnen and Verloren would read as open
    again = DEALS.decode("cp1252").replace("Betrag", "Amount").encode("cp1252")
    sent = client.post(
        "/imports/opportunities",
        params={"encoding": "cp1252", "filename": "d.csv", "decimal": "comma"},
        content=again,
    )
    job = _wait_for(client, sent.json()["id"])
    assert job["status"] == "failed"
    message = job["error"]["message"]
    assert "3 opportunities stored as won or lost would change" in message, message
    assert "the stored mapping 'hubspot-deals'" in message
    assert "?mapping=hubspot-deals" in message
