"""The README is checked against the code it documents."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_kpi_table_is_generated_from_the_registry() -> None:
    generated = runpy.run_path(str(ROOT / "scripts" / "kpi_docs.py"))["kpi_table"]()
    match = re.search(r"<!-- kpi-table:start -->\n(.*?)\n<!-- kpi-table:end -->", README, re.S)
    assert match is not None
    assert match.group(1) == generated


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in README and "make test" in ci
    assert "make demo" in README


def test_every_documented_command_exists() -> None:
    shell = "\n".join(re.findall(r"```bash\n(.*?)```", README, re.S))
    documented = set(re.findall(r"^terraplan ([a-z][a-z-]*)", shell, re.M))
    result = subprocess.run(
        [sys.executable, "-m", "terraplan", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    listed = set(re.findall(r"│ ([a-z][a-z-]*) ", result.stdout))
    assert documented, "README documents no commands"
    assert documented <= listed, documented - listed
