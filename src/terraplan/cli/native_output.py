"""What native libraries print while the CLI's long work runs.

SciPy's bundled HiGHS (the MILP solver of the exact designs) writes a debug line now and
then (``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();``) with
``printf``, whatever its output options say. On stdout it would break ``-f json`` for
whoever parses it; on stderr it reads like an error to a planner who asked for a design.
So while long work runs, file descriptor 1 is a pipe: a thread passes what arrives on to
stderr, line by line, and leaves out the lines a solver prints for its developers only.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

#: Lines native solvers print for their own developers, never meant for a user. A line is
#: left out only when it matches one of these whole (other native output passes through).
SOLVER_DEBUG_LINES = (re.compile(rb"\s*HighsMipSolverData::\w+ \w+\.run\(\);\s*"),)

#: How long the end of the work waits for the thread to pass on the last lines (seconds).
_DRAIN_SECONDS = 5.0


def is_solver_debug_line(line: bytes) -> bool:
    """True for a line (bytes, newline included or not) a solver prints for its developers."""
    return any(pattern.fullmatch(line) for pattern in SOLVER_DEBUG_LINES)


@contextmanager
def native_output_on_stderr() -> Iterator[None]:
    """While the block runs, pass what is written to file descriptor 1 on to stderr,
    without the solvers' debug lines.

    The C library's buffers are flushed before file descriptor 1 is given back, so nothing
    written meanwhile reaches stdout later. Nothing changes where there is no real stdout
    (an embedding program, a closed descriptor).
    """
    try:
        sys.stdout.flush()
        saved_stdout = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    read_end, write_end = os.pipe()
    forward = threading.Thread(
        target=_forward_lines, args=(read_end, 2), name="native-output", daemon=True
    )
    forward.start()
    try:
        os.dup2(write_end, 1)
        os.close(write_end)
        yield
    finally:
        _flush_c_streams()
        with suppress(ValueError, OSError):
            sys.stdout.flush()
        # Giving fd 1 back closes the pipe's last write end: the thread reads to the end.
        os.dup2(saved_stdout, 1)
        os.close(saved_stdout)
        forward.join(_DRAIN_SECONDS)


def _forward_lines(read_end: int, target: int) -> None:
    pending = b""
    try:
        while chunk := os.read(read_end, 65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            _write(
                target, b"".join(line + b"\n" for line in lines if not is_solver_debug_line(line))
            )
        if pending and not is_solver_debug_line(pending):
            _write(target, pending)
    finally:
        os.close(read_end)


def _write(target: int, data: bytes) -> None:
    with suppress(OSError):  # stderr closed: nothing left to tell
        while data:
            data = data[os.write(target, data) :]


def _flush_c_streams() -> None:
    with suppress(OSError, AttributeError, TypeError):  # no C library to ask (not POSIX)
        ctypes.CDLL(None).fflush(None)
