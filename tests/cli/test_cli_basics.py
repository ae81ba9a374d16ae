from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_init_status_and_schema_commands(run_cli: RunCli) -> None:
    result = run_cli("init")
    assert result.returncode == 0, result.stderr
    assert "Database ready" in result.stdout
    status = json.loads(run_cli("status", "--format", "json").stdout)
    assert status["up_to_date"] is True
    assert status["counts"]["accounts"] == 0
    current = run_cli("db", "current")
    assert current.stdout.split()[1] == status["head"]


def test_errors_are_one_line_with_exit_codes_and_no_traceback(
    run_cli: RunCli, tmp_path: Path
) -> None:
    missing = run_cli("import", "accounts", str(tmp_path / "nope.csv"))
    assert missing.returncode == 3
    assert missing.stderr.strip().startswith("Error:")
    assert "nope.csv" in missing.stderr
    assert "Traceback" not in missing.stderr

    bad_url = run_cli("status", database_url="mysql://somewhere/db")
    assert bad_url.returncode == 2
    assert "not supported" in bad_url.stderr

    unreachable = run_cli("status", database_url="postgresql://nobody@127.0.0.1:1/x")
    assert unreachable.returncode == 8
    assert "Traceback" not in unreachable.stderr

    usage = run_cli("no-such-command")
    assert usage.returncode == 2


def test_debug_shows_the_traceback(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("--debug", "import", "accounts", str(tmp_path / "nope.csv"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_import_report_json_and_export_round_trip(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "Account.csv"
    source.write_text(
        "Id,Name,BillingPostalCode,Industry,Potential__c\n001A,Acme,94107,Software,5000\n001B,Beta,10001,Retail,x\n",
        encoding="utf-8",
    )
    refused = run_cli("import", "accounts", str(source), "--format", "json")
    assert refused.returncode == 3
    report = json.loads(refused.stdout)
    assert [(i["row"], i["column"], i["field"]) for i in report["issues"]] == [
        (3, "Potential__c", "potential")
    ]
    assert json.loads(run_cli("status", "-f", "json").stdout)["counts"]["accounts"] == 0

    skipped = run_cli("import", "accounts", str(source), "--on-error", "skip")
    assert skipped.returncode == 0, skipped.stderr
    assert "Imported 1 account (1 new, 0 updated); 1 bad row skipped." in skipped.stdout

    for suffix in ("csv", "xlsx", "parquet"):
        out = tmp_path / f"accounts.{suffix}"
        exported = run_cli("export", "accounts", str(out))
        assert exported.returncode == 0, exported.stderr
        again = run_cli("import", "accounts", str(out))
        assert again.returncode == 0, again.stderr
    assert json.loads(run_cli("status", "-f", "json").stdout)["counts"]["accounts"] == 1
