"""``terraplan design --keep-together / --window / --travel-costs`` on the bundled counties."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from tests.cli.conftest import RunCli

from terraplan.data.counties import load_counties

NYC = ("36005", "36047", "36061", "36081", "36085")


def test_keep_together_and_windows_from_files(run_cli: RunCli, tmp_path: Path) -> None:
    metros = tmp_path / "metros.csv"
    metros.write_text("unit,group\n" + "".join(f"{fips},New York City\n" for fips in NYC))
    result = run_cli(
        "design", "--states", "NY", "-k", "5", "--balance", "population:10%", "--contiguous",
        "--keep-together", str(metros), "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["all_within_tolerance"] and summary["all_contiguous"]
    (group,) = summary["keep_together"]
    assert (group["group"], group["units"], round(group["share"], 2)) == ("New York City", 5, 2.15)
    assert any("'New York City'" in note for note in summary["diagnosis"])

    windows = tmp_path / "windows.csv"
    windows.write_text("territory,metric,lower,upper\nT01,households,,900k\n")
    table = run_cli(
        "design", "--states", "NY", "-k", "4", "--window", "population:3M:6.5M",
        "--window", str(windows), "--method", "heuristic", "--time-limit", "30",
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "population" in table.stdout and "(window)" in table.stdout


def test_a_group_over_every_window_exits_6_naming_the_group(
    run_cli: RunCli, tmp_path: Path
) -> None:
    metros = tmp_path / "metros.csv"
    metros.write_text("unit,group\n" + "".join(f"{fips},New York City\n" for fips in NYC))
    result = run_cli(
        "design", "--states", "NY", "-k", "4", "--window", "population:3M:6M",
        "--keep-together", str(metros),
    )  # fmt: skip
    assert result.returncode == 6, result.stderr
    message = " ".join(result.stderr.split())
    assert "keep-together group 'New York City' (1.72x an equal share of population)" in message


def test_travel_costs_to_reps_home_bases(run_cli: RunCli, tmp_path: Path) -> None:
    reps = {"R1": (40.92, -74.17), "R2": (40.35, -74.66), "R3": (39.70, -75.00)}
    (tmp_path / "reps.csv").write_text(
        "id,name,role,home_latitude,home_longitude\n"
        + "".join(f"{r},Rep {r},account_executive,{la},{lo}\n" for r, (la, lo) in reps.items())
    )
    assert run_cli("import", "reps", str(tmp_path / "reps.csv")).returncode == 0
    with (tmp_path / "minutes.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", "rep", "minutes"])
        for unit in (u for u in load_counties() if u.state == "NJ"):
            for rep, (la, lo) in reps.items():
                far = math.hypot((unit.latitude - la) * 111, (unit.longitude - lo) * 85)
                writer.writerow([unit.id, rep, round(10 + far / 1.1)])
    result = run_cli(
        "design", "--states", "NJ", "--centers", "reps", "--balance", "population:10%",
        "--travel-costs", str(tmp_path / "minutes.csv"), "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["territories"] == 3 and summary["all_within_tolerance"]
    travel = summary["travel_minutes"]
    assert 10 <= travel["mean"] <= 200 and 10 <= travel["weighted"] <= 200

    (tmp_path / "bad.csv").write_text("unit,rep,minutes\n34001,R9,12\n")
    bad = run_cli(
        "design", "--states", "NJ", "--centers", "reps", "--travel-costs", str(tmp_path / "bad.csv")
    )
    assert bad.returncode == 3
    assert "bad.csv, row 2: rep: 'R9' is not one of the 3 reps" in " ".join(bad.stderr.split())
    no_reps = run_cli("design", "--states", "NJ", "-k", "3", "--travel-costs", "x.csv")
    assert no_reps.returncode == 2 and "--centers reps" in no_reps.stderr


def test_max_moved_reads_counts_and_shares() -> None:
    """`--max-moved 100%` capped the realignment at one unit (1.0 read as a count)."""
    from terraplan.cli.design import _moved_cap

    assert [_moved_cap(v) for v in ("12", "10%", "0.25", "100%", "150%", None)] == [
        12, 0.1, 0.25, None, None, None,
    ]  # fmt: skip
