"""The README's first command, `terraplan demo`, runs the whole main job (on a smaller CRM)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.slow
def test_demo_runs_the_main_job(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("demo", "--accounts", "800", "--time-limit", "10", "--out", "out")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr
    for step in ("1. Demo data", "2. Design 40 territories", "3. Ownership rules",
                 "4. Reps, team size and targets", "5. Performance and alerts",
                 "6. Approve, activate", "7. Users"):  # fmt: skip
        assert step in out
    assert "potential (dev)" in out and "workload (dev)" in out
    assert "0 gaps, 0 conflicts" in out
    # words, not Python values ("contiguous: True")
    assert "every territory in one piece: yes" in " ".join(out.split())
    assert "True" not in out and "False" not in out
    assert "basis:" in out
    # the match summary prices pairs as `terraplan match` does (it used weight 1 for every
    # part, so one pair cost 1.31 in the demo and 0.57 from `match`), and says so
    why = " ".join(out[out.index("Why ") :].split())
    assert "distance" in why and "×0.5 + continuity" in why and "×2)" in why
    assert "the cost weights of terraplan match" in " ".join(out.split())
    # the plan's regions from its reps: KPIs by region answer on the demo
    assert "Regions from the reps: Central (" in " ".join(out.split())
    regions = run_cli("kpis", "--plan", "P001", "--by", "region", "-f", "csv")
    assert regions.returncode == 0, regions.stderr
    assert sorted(line.split(",")[1] for line in regions.stdout.splitlines()[1:]) == [
        "Central", "East", "West"
    ]  # fmt: skip
    assert "Plan P001 is active" in out
    for role in ("admin", "planner", "manager", "rep"):
        assert f" {role} " in out
    assert (tmp_path / "out" / "P001.geojson").exists()
    assert (tmp_path / "out" / "P001-report.html").exists()
    # Each line reads at 80 columns (the run uses COLUMNS=200, tables shrink to fit content).
    assert result.stderr.count("note:") == len(
        set(result.stderr.splitlines())
        & {line for line in result.stderr.splitlines() if line.startswith("note:")}
    )
