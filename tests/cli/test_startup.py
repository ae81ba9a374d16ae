"""``terraplan --help`` and ``--version`` start without the database, data-frame or API stacks.

Timing is not tested (benchmarks/cli_startup.py prints it); what makes start-up slow is: the
heavy modules must not be imported until a command needs them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "polars", "pyarrow", "numpy", "scipy", "fastapi", "uvicorn")

PROBE = """
import sys
sys.argv = ["terraplan", *sys.argv[1:]]
from terraplan.cli.main import run
code = 0
try:
    run()
except SystemExit as exc:
    code = exc.code
print("HEAVY=" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
print("EXIT=" + str(code), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["design", "--help"], ["serve", "--help"], ["rules", "--help"]],
)
def test_help_and_version_do_not_import_heavy_modules(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = dict(line.split("=", 1) for line in result.stderr.splitlines() if "=" in line)
    assert lines.get("EXIT") == "0", result.stderr
    assert lines.get("HEAVY") == "", f"{args} imported {lines.get('HEAVY')}"
    assert "terraplan" in result.stdout
