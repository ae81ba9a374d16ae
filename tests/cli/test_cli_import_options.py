"""``terraplan import`` options for ordinary CRM exports: decimal separator, value mappings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.cli.conftest import RunCli


def test_decimal_comma_option_and_value_mapping(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text("id;name;potential\nA1;Acme;1.200\nA2;Beta;7\n", encoding="utf-8")
    refused = run_cli("import", "accounts", str(source), "-f", "json")
    assert refused.returncode == 3
    issues = json.loads(refused.stdout)["issues"]
    assert [(i["row"], i["field"], i["value"]) for i in issues] == [(2, "potential", "1.200")]
    assert "--decimal-comma" in issues[0]["reason"]
    imported = run_cli("import", "accounts", str(source), "--decimal-comma", "-f", "json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["details"]["decimal"] == "comma"
    out = tmp_path / "out.csv"
    assert run_cli("export", "accounts", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "A1,Acme" in text and ",1200.0," in text and ",7.0," in text

    reps = tmp_path / "users.csv"
    reps.write_text("Id,Name,Title\nR1,Ann,Regional Sales Manager\nR2,Bob,AE\n", encoding="utf-8")
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps({"values": {"role": {"Regional Sales Manager": "manager"}}}), encoding="utf-8"
    )
    done = run_cli("import", "reps", str(reps), "--mapping", str(mapping), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accepted"] == 2


def test_close_missing_closes_what_a_full_export_leaves_out(
    run_cli: RunCli, tmp_path: Path
) -> None:
    rows = "".join(f"A{i},Account {i},94107,{i + 1}00\n" for i in range(6))
    book = tmp_path / "book.csv"
    book.write_text("id,name,postal_code,potential\n" + rows, encoding="utf-8")
    assert run_cli("import", "accounts", str(book)).returncode == 0
    later = tmp_path / "later.csv"
    later.write_text(
        "id,name,postal_code,potential\n" + "".join(rows.splitlines(keepends=True)[1:]),
        encoding="utf-8",
    )
    done = run_cli("import", "accounts", str(later), "--close-missing")
    assert done.returncode == 0, done.stderr
    notes = " ".join(done.stderr.split())
    assert "1 account(s) closed (1 because the file leaves them out) (e.g. Account 0 (A0))" in notes
    out = tmp_path / "out.csv"
    assert run_cli("export", "accounts", str(out)).returncode == 0
    exported = {line.split(",")[0]: line for line in out.read_text(encoding="utf-8").splitlines()}
    assert "closed_on" in exported["id"]
    assert exported["A0"].count(date.today().isoformat()) == 1
    again = run_cli("import", "accounts", str(book), "-f", "json")
    assert json.loads(again.stdout)["outcome"] | {"notes": []} == {
        "written": 6, "new": 0, "updated": 6, "absent": 0, "closed": 0, "reopened": 1,
        "notes": [],
    }  # fmt: skip
    refused = run_cli("import", "reps", str(book), "--close-missing")
    assert refused.returncode != 0 and "accounts only" in refused.stderr
