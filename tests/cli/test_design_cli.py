"""``terraplan design`` at the edge: exit codes, notes said once, tables at 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from terraplan.domain import Account
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.unit_of_work import UnitOfWork


def _run(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TERRAPLAN_DATABASE_URL": url, "COLUMNS": "80"}
    env.pop("PYTHONWARNINGS", None)  # a Python warning would show; none may
    return subprocess.run(
        [sys.executable, "-m", "terraplan", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def _database(tmp_path: Path, accounts: list[Account]) -> str:
    url = f"sqlite:///{tmp_path}/design.db"
    db = Database(url)
    migrate.upgrade(db)
    with UnitOfWork(db) as uow:
        uow.accounts.upsert_records(to_record(a) for a in accounts)
        uow.commit()
    db.dispose()
    return url


def test_design_on_missing_potential_exits_3_and_names_the_remedy(tmp_path: Path) -> None:
    accounts = [
        Account(f"001{i:04d}", f"Co {i}", county_fips="44007", annual_revenue=1e6)
        for i in range(10)
    ]
    url = _database(tmp_path, accounts)
    result = _run(
        url, tmp_path, "design", "--states", "RI", "-k", "2", "--balance", "potential:10%"
    )
    assert result.returncode == 3, result.stderr
    assert "potential" in result.stderr and "annual_revenue" in result.stderr
    assert "within tolerance" not in result.stdout


def test_infeasible_design_exits_6_and_saves_nothing(tmp_path: Path) -> None:
    url = _database(tmp_path, [])
    result = _run(url, tmp_path, "design", "--states", "RI", "-k", "7")
    assert result.returncode == 6, result.stderr
    assert "nothing was saved" in result.stderr
    db = Database(url)
    with UnitOfWork(db) as uow:
        assert uow.plans.list() == []
    db.dispose()


def test_diagnosis_is_one_plain_note_and_the_table_fits_80_columns(tmp_path: Path) -> None:
    url = _database(tmp_path, [])
    result = _run(
        url, tmp_path, "design", "--states", "CA", "-k", "8", "--balance", "population:10%",
        "--time-limit", "5", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert sum("Los Angeles County, CA" in line for line in notes) == 1, result.stderr
    assert "Warning" not in result.stderr and ".py:" not in result.stderr
    assert "unit 1" not in result.stderr
    table = [line for line in result.stdout.splitlines() if line.startswith(("┃", "│"))]
    assert table and max(len(line) for line in table) <= 80
    csv_text = (tmp_path / "out" / "P001.csv").read_text()
    assert '06037,"Los Angeles County, CA",' in csv_text


def test_capacity_without_workload_exits_3_and_a_model_states_its_figures(
    tmp_path: Path,
) -> None:
    accounts = [
        Account(
            f"001{i:04d}",
            f"Co {i}",
            county_fips=("44001", "44003", "44005", "44007", "44009")[i % 5],
            latitude=41.7,
            longitude=-71.5,
        )
        for i in range(20)
    ]
    url = _database(tmp_path, accounts)
    designed = _run(url, tmp_path, "design", "--states", "RI", "-k", "2", "--balance", "count:40%")
    assert designed.returncode == 0, designed.stderr
    missing = _run(url, tmp_path, "capacity", "--plan", "P001")
    assert missing.returncode == 3, missing.stderr
    assert "stored workload" in missing.stderr and "--workload-model" in missing.stderr
    assert "Reps needed" not in missing.stdout
    modelled = _run(url, tmp_path, "capacity", "--plan", "P001", "--workload-model", "visits=12")
    assert modelled.returncode == 0, modelled.stderr
    out = " ".join(modelled.stdout.split())
    assert "Assumed:" in out
    assert "1,600 selling hours per rep per year x 80% utilisation = 1,280 hours" in out
    assert "workload estimated for 20 of 20 accounts by the visit model: 12 visits per year" in out


def test_the_clock_note_names_what_cut_the_run() -> None:
    from terraplan.cli.design import _clock_note

    limit = _clock_note({"status": "time_limit:balance"})
    assert limit.startswith("the time limit cut the search") and "--time-limit" in limit
    capped = _clock_note({"status": "converged:balance"})
    assert capped.startswith("an exact step of the search") and "own time cap" in capped
    assert "--time-limit" not in capped  # a longer limit would not change a sub-solve's cap


def test_the_hiring_forecast_reads_at_80_columns() -> None:
    from terraplan.cli.reps import _forecast_row

    row = _forecast_row(
        {
            "month": "2027-01",
            "hires": 1.5,
            "leavers": 0.0,
            "headcount": 4.0,
            "productive_fte": 3.5,
            "capacity_hours": 373.33,
            "workload_hours": 91.4,
            "coverage": 4.0845,
            "fte_gap": -2.6,
        }
    )
    assert row == {
        "month": "2027-01",  # was cut to "2027-…" among nine wide headings
        "hires": 1.5,
        "leavers": 0,
        "heads": 4,
        "FTE": 3.5,
        "hours": 373,
        "needed": 91,
        "cover": "408%",
        "FTE gap": -2.6,
    }
    assert all(len(key) <= 7 for key in row)


def test_accounts_with_no_county_are_named_as_left_out(tmp_path: Path) -> None:
    """Two accounts with only a state: nothing places them on a county, and the design says so."""
    accounts = [
        *(Account(f"001{i:04d}", f"Co {i}", county_fips="44007", potential=100.0) for i in range(6)),
        *(Account(f"001{i:04d}", f"Co {i}", county_fips="44009", potential=100.0) for i in range(6, 9)),
        Account("0019998", "Stateless One", state="RI", potential=500.0),
        Account("0019999", "Stateless Two", state="RI", potential=500.0),
    ]  # fmt: skip
    url = _database(tmp_path, accounts)
    result = _run(
        url, tmp_path, "design", "--states", "RI", "-k", "2", "--balance", "potential:50%",
        "--time-limit", "5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert said.count("2 accounts have no county") == 1, result.stderr
    assert "left out of the design: Stateless One, Stateless Two" in said


def test_a_county_design_says_how_many_accounts_lack_a_metric(tmp_path: Path) -> None:
    """Blank potentials count as 0 in their county's total: a county design says so, as a
    design on accounts does (it said nothing)."""
    accounts = [
        *(Account(f"001{i:04d}", f"Co {i}", county_fips="44007", potential=100.0) for i in range(6)),
        *(Account(f"001{i:04d}", f"Co {i}", county_fips="44009", potential=100.0) for i in range(6, 9)),
        Account("0019997", "Blank One", county_fips="44009"),
        Account("0019998", "Blank Two", county_fips="44007"),
    ]  # fmt: skip
    url = _database(tmp_path, accounts)
    result = _run(
        url, tmp_path, "design", "--states", "RI", "-k", "2", "--balance", "potential:50%",
        "--time-limit", "5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert said.count("2 of 11 accounts lack the metric 'potential'; counted as 0") == 1, said


def test_accounts_without_a_location_are_all_named_with_the_way_out(tmp_path: Path) -> None:
    placed = [
        Account(f"001{i:04d}", f"Co {i}", latitude=41.8 + i / 100, longitude=-71.4)
        for i in range(6)
    ]
    url = _database(
        tmp_path,
        [*placed, Account("0019998", "Nowhere One"), Account("0019999", "Nowhere Two")],
    )
    result = _run(url, tmp_path, "design", "--units", "accounts", "-k", "2")
    assert result.returncode == 3, result.stderr
    said = " ".join(result.stderr.split())
    assert "2 accounts have no latitude/longitude" in said
    assert "Nowhere One (0019998), Nowhere Two (0019999)" in said
    assert "--units counties" in said and "Traceback" not in said


def test_capacity_refuses_hours_and_utilisation_that_mean_nothing_by_their_option(
    tmp_path: Path,
) -> None:
    """``--hours -5`` was refused by the engine as "hours_per_rep must be > 0", a name the
    user never typed; each option now names itself, before any work."""
    url = f"sqlite:///{tmp_path}/none.db"
    for option, value in (("--hours", "-5"), ("--utilization", "1.5"), ("--utilization", "0")):
        done = _run(url, tmp_path, "capacity", "--plan", "P001", option, value)
        assert done.returncode == 2, done.stderr
        said = " ".join(done.stderr.split())
        assert f"Invalid value for '{option}'" in said and "hours_per_rep" not in said
