"""Long work in the CLI: native libraries' stray output stays off stdout, and the solvers'
debug lines off the user's screen."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from terraplan.cli.native_output import is_solver_debug_line

SCRIPT = """
import ctypes
from terraplan.cli.progress import progress_bar
libc = ctypes.CDLL(None)
with progress_bar(quiet=True) as report:
    report("design", 0, 1)
    libc.printf(b"HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();\\n")
    libc.printf(b"native warning: matrix is ill-conditioned\\n")
    for _ in range(3000):  # more than a pipe holds: the thread must keep draining it
        libc.printf(b"HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();\\n")
    libc.printf(b"last native line without a newline")
print('{"plan_id": "P001"}')
"""


def test_native_output_goes_to_stderr_without_the_solver_debug_lines() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"plan_id": "P001"}\n'  # parseable: no native line in it
    assert "tmpSolver.run();" not in done.stderr
    assert "native warning: matrix is ill-conditioned\n" in done.stderr
    assert "last native line without a newline" in done.stderr


def test_only_the_solver_debug_line_itself_is_recognised() -> None:
    line = b"HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();"
    assert is_solver_debug_line(line)
    assert is_solver_debug_line(line + b"\r")
    assert not is_solver_debug_line(b"Error: " + line)
    assert not is_solver_debug_line(b"Running HiGHS 1.8.0: Copyright (c) 2024 HiGHS")


@given(st.binary(max_size=80))
def test_no_other_line_is_left_out(line: bytes) -> None:
    if is_solver_debug_line(line):
        assert b"HighsMipSolverData::" in line and line.strip().endswith(b".run();")
