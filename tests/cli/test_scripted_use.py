"""The command line as scripts, pipes and CI jobs use it: no terminal, output read by programs,
exit codes tested with ``set -e``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_an_output_encoding_without_the_names_letters_does_not_fail_the_command(
    tmp_path: Path,
) -> None:
    """A Latin-1 or ASCII output (PYTHONIOENCODING, a locale, a Windows code page) used to end
    an import that had already written its rows with exit 1 and a UnicodeEncodeError."""
    source = tmp_path / "équipe-日本.csv"
    source.write_text(
        "id,name,role,region\nR1,Renée Müller 山田,account_executive,West\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "PYTHONIOENCODING": "ascii",
        "TERRAPLAN_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
    }
    done = subprocess.run(
        [sys.executable, "-m", "terraplan", "import", "reps", str(source)],
        capture_output=True,
        env=env,
        check=False,
        timeout=300,
    )
    out, err = done.stdout.decode("ascii"), done.stderr.decode("ascii")
    assert done.returncode == 0, err
    assert "Imported 1 rep" in out
    assert "?quipe-??.csv" in out  # what the encoding lacks prints as "?"
    assert "Error" not in err and "Traceback" not in err
