"""``terraplan mappings save|list|show|delete`` and ``terraplan import --mapping-name``: the
mappings the API applies (``mapping=NAME``), kept in the database, read as ``--mapping`` reads
a file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import RunCli

REPS = "Employee #;Full Name;Job Title;Start\nE-7;Ana Núñez;Regional Sales Manager;05/03/2026\n"
MAPPING = """# our HR export
columns:
  "Employee #": id
  Full Name: name
  Job Title: role
  Start: hire_date
values:
  role: {Regional Sales Manager: manager}
dates: day first
"""


def test_a_saved_mapping_imports_as_the_file_does(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "team.csv").write_text(REPS, encoding="cp1252")
    (tmp_path / "hr.yaml").write_text(MAPPING, encoding="utf-8")
    saved = run_cli("mappings", "save", "hr-team", "hr.yaml")
    assert saved.returncode == 0, saved.stderr
    assert "Saved the import mapping 'hr-team'." in saved.stdout
    again = run_cli("mappings", "save", "hr-team", "hr.yaml")
    assert "Replaced the import mapping 'hr-team'." in again.stdout
    listed = json.loads(run_cli("mappings", "list", "-f", "json").stdout)
    assert [(m["name"], m["updated_by"]) for m in listed] == [("hr-team", "cli")]
    assert run_cli("mappings", "show", "hr-team").stdout == MAPPING
    shown = json.loads(run_cli("mappings", "show", "hr-team", "--json").stdout)
    assert shown["content"]["values"] == {"role": {"Regional Sales Manager": "manager"}}

    done = run_cli("import", "reps", "team.csv", "--mapping-name", "hr-team", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accepted"] == 1
    out = tmp_path / "reps.csv"
    assert run_cli("export", "reps", str(out)).returncode == 0
    exported = out.read_text(encoding="utf-8")
    assert exported.splitlines()[1].startswith("E-7,Ana Núñez,,manager,")
    assert exported.splitlines()[1].endswith(",2026-03-05,true")  # 5 March: day first

    both = run_cli(
        "import", "reps", "team.csv", "--mapping", "hr.yaml", "--mapping-name", "hr-team"
    )
    assert both.returncode == 2
    assert "--mapping and --mapping-name both name a mapping" in both.stderr
    assert run_cli("mappings", "delete", "hr-team").returncode == 0
    gone = run_cli("import", "reps", "team.csv", "--mapping-name", "hr-team")
    assert gone.returncode == 4
    assert "no stored import mapping named 'hr-team'" in gone.stderr
    assert run_cli("mappings", "show", "hr-team").returncode == 4


def test_a_bad_mapping_file_is_refused_naming_file_line_and_reason(
    run_cli: RunCli, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  Employee #: id\n  Title: [role\n", encoding="utf-8")
    refused = run_cli("mappings", "save", "hr", str(bad))
    assert refused.returncode == 3
    message = " ".join(refused.stderr.split())
    assert f"{bad}, line " in message and "not valid YAML" in message
    assert run_cli("mappings", "save", "no spaces", str(bad)).returncode == 2
    missing = run_cli("mappings", "save", "hr", "nowhere.yaml")
    assert missing.returncode == 3
    assert "nowhere.yaml: cannot read the column mapping" in " ".join(missing.stderr.split())
    assert json.loads(run_cli("mappings", "list", "-f", "json").stdout) == []
