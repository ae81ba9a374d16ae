"""Hostile command-line arguments: output paths that are folders, links or existing files,
bad numbers, percentages and dates, unknown ids. Each exits with its documented code and a
message naming the parameter or the file, no traceback, and the database unchanged. The
cases run in this process through the real entry point; a representative subset runs the
installed command in a subprocess too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from security_corpus import CliResult, Seeded, assert_clean_refusal

pytestmark = pytest.mark.timeout(30)

# (id, arguments ({t} is the case's folder), exit code, fragments of stderr)
CASES: list[tuple[str, tuple[str, ...], int, tuple[str, ...]]] = [
    # --- output paths ----------------------------------------------------------------------------
    ("export-existing", ("export", "accounts", "{t}/existing.csv"), 5, ("existing.csv", "--force")),
    (
        "export-existing-xlsx",
        ("export", "reps", "{t}/existing.xlsx"),
        5,
        ("existing.xlsx", "--force"),
    ),
    ("export-link-out", ("export", "accounts", "{t}/out/link.csv"), 5, ("link.csv",)),
    ("export-dangling-link", ("export", "accounts", "{t}/out/dangling.csv"), 5, ("dangling.csv",)),
    ("export-folder", ("export", "accounts", "{t}/folder.csv"), 2, ("folder.csv",)),
    (
        "export-folder-force",
        ("export", "accounts", "{t}/folder.csv", "--force"),
        2,
        ("folder.csv",),
    ),
    ("export-bad-suffix", ("export", "accounts", "{t}/accounts.exe"), 2, (".exe",)),
    ("export-unknown-kind", ("export", "spaceships", "{t}/s.csv"), 2, ("spaceships",)),
    (
        "export-assignments-unknown-plan",
        ("export", "assignments", "{t}/a.csv", "--plan", "NOPE"),
        4,
        ("NOPE",),
    ),
    ("kpis-existing", ("kpis", "--plan", "P", "--out", "{t}/existing.csv"), 5, ("existing.csv",)),
    ("kpis-xlsx-without-out", ("kpis", "--plan", "P", "--format", "xlsx"), 2, ()),
    (
        "report-existing",
        ("report", "--plan", "P", "--out", "{t}/existing.html"),
        5,
        ("existing.html",),
    ),
    (
        "report-link-out",
        ("report", "--plan", "P", "--out", "{t}/out/report.html"),
        5,
        ("report.html",),
    ),
    (
        "capacity-existing",
        ("capacity", "--plan", "P", "--out", "{t}/existing.csv"),
        5,
        ("existing.csv",),
    ),
    ("capacity-bad-suffix", ("capacity", "--plan", "P", "--out", "{t}/c.txt"), 2, ("c.txt",)),
    (
        "targets-existing",
        (
            "targets",
            "--plan",
            "P",
            "--period",
            "2025",
            "--method",
            "potential",
            "--out",
            "{t}/existing.xlsx",
        ),
        5,
        ("existing.xlsx",),
    ),
    ("match-existing", ("match", "--plan", "P", "--out", "{t}/existing.csv"), 5, ("existing.csv",)),
    (
        "compare-existing",
        ("plans", "compare", "P", "P", "--out", "{t}/existing.csv"),
        5,
        ("existing.csv",),
    ),
    ("compare-bad-suffix", ("plans", "compare", "P", "P", "--out", "{t}/c.txt"), 2, ("c.txt",)),
    (
        "etm-out-is-a-file",
        ("rules", "export-etm", "--plan", "P", "--out", "{t}/existing.csv"),
        2,
        ("existing.csv",),
    ),
    (
        "design-out-existing",
        ("design", "--units", "accounts", "-k", "2", "--out", "{t}/existing.csv"),
        5,
        ("existing.csv",),
    ),
    ("demo-out-is-a-file", ("demo", "--out", "{t}/existing.csv"), 2, ("existing.csv",)),
    # --- input paths -----------------------------------------------------------------------------
    ("import-folder", ("import", "accounts", "{t}/folder.csv"), 3, ("folder.csv",)),
    ("import-missing", ("import", "accounts", "{t}/nothing.csv"), 3, ("nothing.csv",)),
    (
        "import-link-to-folder",
        ("import", "accounts", "{t}/out/to-folder.csv"),
        3,
        ("to-folder.csv",),
    ),
    (
        "import-mapping-folder",
        ("import", "accounts", "{t}/ok.csv", "--mapping", "{t}/folder.csv"),
        3,
        ("folder.csv",),
    ),
    (
        "import-mapping-missing",
        ("import", "accounts", "{t}/ok.csv", "--mapping", "{t}/nope.yaml"),
        3,
        ("nope.yaml",),
    ),
    (
        "import-bad-on-error",
        ("import", "accounts", "{t}/ok.csv", "--on-error", "maybe"),
        2,
        ("maybe",),
    ),
    (
        "import-bad-encoding",
        ("import", "accounts", "{t}/ok.csv", "--encoding", "klingon"),
        3,
        ("klingon",),
    ),
    ("import-bad-kind", ("import", "starships", "{t}/ok.csv"), 2, ("starships",)),
    ("import-bad-row", ("import", "accounts", "{t}/bad.csv"), 3, ("bad.csv:3", "potential")),
    ("rules-check-folder", ("rules", "check", "{t}/folder.csv"), 3, ("folder.csv",)),
    (
        "rules-compile-bad-dialect",
        ("rules", "compile", "--plan", "P", "--dialect", "cobol"),
        2,
        ("cobol",),
    ),
    # --- numbers, percentages, dates, ids ------------------------------------------------------
    ("route-employees-text", ("route", "--employees", "many"), 2, ("--employees",)),
    ("route-revenue-text", ("route", "--annual-revenue", "lots"), 2, ("--annual-revenue",)),
    ("route-field-no-equals", ("route", "--field", "industry"), 2, ("--field",)),
    ("route-unknown-plan", ("route", "--plan", "NOPE", "--postal-code", "94107"), 4, ("NOPE",)),
    ("route-bad-method", ("route", "--method", "lottery"), 2, ("lottery",)),
    ("capacity-hours-text", ("capacity", "--plan", "P", "--hours", "lots"), 2, ("--hours",)),
    ("capacity-hours-negative", ("capacity", "--plan", "P", "--hours", "-5"), 2, ("hours",)),
    (
        "capacity-utilization-over",
        ("capacity", "--plan", "P", "--utilization", "7"),
        2,
        ("utilization",),
    ),
    (
        "capacity-attrition-text",
        ("capacity", "--plan", "P", "--attrition", "a lot"),
        2,
        ("attrition",),
    ),
    (
        "capacity-attrition-over",
        ("capacity", "--plan", "P", "--attrition", "150%"),
        2,
        ("attrition",),
    ),
    (
        "capacity-hires-garbage",
        ("capacity", "--plan", "P", "--hires", "x:y"),
        2,
        ("hiring plan", "x"),
    ),
    ("capacity-ramp-negative", ("capacity", "--plan", "P", "--ramp-months", "-3"), 2, ("ramp",)),
    (
        "targets-growth-text",
        ("targets", "--plan", "P", "--period", "2025", "--method", "potential", "--growth", "fast"),
        2,
        ("growth",),
    ),
    (
        "targets-growth-nan",
        ("targets", "--plan", "P", "--period", "2025", "--method", "potential", "--growth", "nan%"),
        2,
        ("growth",),
    ),
    (
        "match-weights-garbage",
        ("match", "--plan", "P", "--weights", "skill=lots"),
        2,
        ("skill", "lots"),
    ),
    ("match-must-garbage", ("match", "--plan", "P", "--must", "no-colon"), 2, ("must",)),
    ("design-k-zero", ("design", "--units", "accounts", "-k", "0"), 2, ("--territories",)),
    (
        "design-max-moved-text",
        ("design", "-k", "2", "--from-plan", "P", "--max-moved", "some"),
        2,
        ("max-moved",),
    ),
    (
        "design-time-limit-negative",
        ("design", "--units", "accounts", "-k", "2", "--time-limit", "-1"),
        2,
        ("time",),
    ),
    ("alerts-bad-period", ("alerts", "--plan", "P", "--period", "2024-13"), 2, ("period",)),
    ("kpis-unknown-plan", ("kpis", "--plan", "NOPE"), 4, ("NOPE",)),
    (
        "priorities-top-zero",
        ("priorities", "--plan", "P", "--territory", "W", "--top", "0"),
        2,
        ("--top",),
    ),
    (
        "activate-bad-date",
        ("plans", "activate", "P", "--effective", "2024-02-30"),
        2,
        ("2024-02-30",),
    ),
    (
        "activate-year-zero",
        ("plans", "activate", "P", "--effective", "0000-01-01"),
        2,
        ("0000-01-01",),
    ),
    ("status-stale-version", ("plans", "status", "P", "archive", "--version", "99"), 5, ()),
    ("plan-unknown", ("plans", "show", "NOPE"), 4, ("NOPE",)),
    ("db-downgrade-bogus", ("db", "downgrade", "not-a-revision"), 2, ("not-a-revision",)),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Existing files, a folder named like a file, links out of the folder, small inputs."""
    for name in ("existing.csv", "existing.xlsx", "existing.html"):
        (tmp_path / name).write_text("precious", encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("keep me", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link.csv").symlink_to(outside / "secret.txt")
    (tmp_path / "out" / "report.html").symlink_to(outside / "secret.txt")
    (tmp_path / "out" / "dangling.csv").symlink_to(outside / "missing.csv")
    (tmp_path / "out" / "to-folder.csv").symlink_to(outside)
    (tmp_path / "ok.csv").write_text("id,name\nA9,Acme\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("id,name,potential\nA8,X,1\nA9,Y,-1\n", encoding="utf-8")
    return tmp_path


def _check_untouched(folder: Path) -> None:
    for name in ("existing.csv", "existing.xlsx", "existing.html"):
        assert (folder / name).read_text(encoding="utf-8") == "precious"
    assert (folder / "outside" / "secret.txt").read_text(encoding="utf-8") == "keep me"
    assert not (folder / "outside" / "missing.csv").exists()


@pytest.mark.parametrize(
    ("args", "code", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_hostile_arguments_exit_with_their_code(
    args: tuple[str, ...], code: int, expected: tuple[str, ...], cli: Any, folder: Path
) -> None:
    result: CliResult = cli(*(a.format(t=folder) for a in args), cwd=folder)
    assert result.code == code, (result.code, result.stderr[-800:], result.stdout[-300:])
    assert_clean_refusal(result.stderr, *expected, limit=1_500)
    _check_untouched(folder)


SUBPROCESS_CASES = [
    "export-existing",
    "export-link-out",
    "import-folder",
    "route-employees-text",
    "capacity-attrition-over",
    "activate-bad-date",
    "import-bad-row",
    "rules-check-folder",
]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_the_installed_command_agrees(case_id: str, unchanged: Seeded, folder: Path) -> None:
    """The same cases through ``python -m terraplan`` in a subprocess (time-limited)."""
    _, args, code, expected = next(c for c in CASES if c[0] == case_id)
    env = {**os.environ, "TERRAPLAN_DATABASE_URL": unchanged.url, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "terraplan", *(a.format(t=folder) for a in args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=25,
        check=False,
    )
    assert result.returncode == code, result.stderr[-800:]
    assert_clean_refusal(result.stderr, *expected, limit=1_500)
    _check_untouched(folder)
