"""Long work in the CLI: native libraries' stray output stays off stdout."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import ctypes
from terraplan.cli.progress import progress_bar
libc = ctypes.CDLL(None)
with progress_bar(quiet=True) as report:
    report("design", 0, 1)
    libc.printf(b"HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();\\n")
print('{"plan_id": "P001"}')
"""


def test_a_solver_line_printed_by_native_code_goes_to_stderr_not_into_json() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"plan_id": "P001"}\n'  # parseable: the native line is not in it
    assert "tmpSolver.run();" in done.stderr
