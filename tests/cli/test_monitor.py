"""``terraplan kpis``, ``alerts`` and ``report`` under a fiscal year (``--fiscal-year-start``
or ``TERRAPLAN_FISCAL_YEAR_START``)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from terraplan.storage import migrate
from terraplan.storage.database import Database


def _demo_plan(url: str) -> None:
    path = Path(__file__).parents[1] / "services" / "warehouse_demo.py"
    if "warehouse_demo" not in sys.modules:
        spec = importlib.util.spec_from_file_location("warehouse_demo", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["warehouse_demo"] = module
        spec.loader.exec_module(module)
    db = Database(url)
    migrate.upgrade(db)
    sys.modules["warehouse_demo"].demo_plan(db, n_accounts=300, seed=5)
    db.dispose()


def _same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    """Equal rows; floats within 1e-9 relative (sums may differ in the last digits)."""
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        for name, value in a.items():
            if isinstance(value, float) and isinstance(b[name], float):
                assert math.isclose(value, b[name], rel_tol=1e-9, abs_tol=1e-6), name
            else:
                assert value == b[name], name


def test_fiscal_quarters_from_the_option_and_the_setting(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _demo_plan(f"sqlite:///{tmp_path}/cli.db")
    args = ("kpis", "--plan", "PW", "--by", "region", "--period", "quarter", "-f", "json")
    by_option = run_cli(*args, "--fiscal-year-start", "2")
    assert by_option.returncode == 0, by_option.stderr
    rows = json.loads(by_option.stdout)
    assert rows and all(r["period"].startswith("FY") for r in rows)
    # the same figures as the library gives for the same fiscal quarters
    from terraplan.planning.fiscal import FiscalCalendar
    from terraplan.services.monitoring import plan_kpis

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    _, frame = plan_kpis(
        db, "PW", periods=["quarter"], dimensions=["region"], fiscal=FiscalCalendar(2)
    )
    db.dispose()
    assert set(frame["period_start"].dt.month().to_list()) <= {2, 5, 8, 11}
    want = {(r["key"], r["period"]): r["revenue"] for r in frame.iter_rows(named=True)}
    assert len(want) == len(rows)
    for r in rows:
        assert math.isclose(r["revenue"], want[r["key"], r["period"]], abs_tol=1e-6)

    monkeypatch.setenv("TERRAPLAN_FISCAL_YEAR_START", "2")
    by_setting = run_cli(*args)
    assert by_setting.returncode == 0, by_setting.stderr
    _same_rows(json.loads(by_setting.stdout), rows)
    table = run_cli("kpis", "--plan", "PW", "--period", "YTD")
    assert table.returncode == 0, table.stderr
    assert "KPIs by territory, YTD (20" in table.stdout  # the dates of the fiscal YTD
    latest = frame.sort("period_start")["period"][-1]
    one = run_cli("kpis", "--plan", "PW", "--period", latest)
    assert one.returncode == 0, one.stderr
    assert f"{latest[:6]} {latest[6:]} (" in one.stdout  # FY2027 Q1 (Feb–Apr 2026)

    alerts = run_cli("alerts", "--plan", "PW", "-f", "json")
    assert alerts.returncode == 0, alerts.stderr
    assert json.loads(alerts.stdout)["period"] == latest  # the current fiscal quarter
    alert_table = run_cli("alerts", "--plan", "PW")
    assert alert_table.returncode == 0, alert_table.stderr
    assert f"Alerts, {latest[:6]} {latest[6:]} (" in alert_table.stdout
    report = run_cli("report", "--plan", "PW", "--out", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    assert "Monthly revenue, FY" in (tmp_path / "r.html").read_text(encoding="utf-8")

    # Without --plan: the plan in force (none yet, then PW once active), as `kpis` takes it.
    none_active = run_cli("alerts")
    assert none_active.returncode != 0 and "active" in none_active.stderr
    from terraplan.rules import dump_rule_set
    from terraplan.services.ownership import rules_for_design
    from terraplan.services.plan_lifecycle import activate_plan, change_status
    from terraplan.storage.unit_of_work import UnitOfWork

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("PW")
        rule_set = rules_for_design(plan, uow.geo_units.list())
        uow.rule_sets.add("PW", dump_rule_set(rule_set), plan_version=plan.version)
        uow.commit()
    for step in ("in_review", "approved"):
        change_status(db, "PW", step)
    activate_plan(db, "PW", effective_from=date(2024, 1, 1))
    db.dispose()
    by_default = run_cli("alerts", "-f", "json")
    assert by_default.returncode == 0, by_default.stderr
    assert json.loads(by_default.stdout)["period"] == latest
    assert run_cli("report", "--out", str(tmp_path / "d.html")).returncode == 0
    assert "Monthly revenue, FY" in (tmp_path / "d.html").read_text(encoding="utf-8")


def test_bad_fiscal_values_name_the_option_or_the_period(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for month in ("0", "13"):
        bad = run_cli("kpis", "--plan", "P", "--fiscal-year-start", month)
        assert bad.returncode == 2
        assert "--fiscal-year-start" in bad.stderr
    ambiguous = run_cli(
        "kpis", "--plan", "P", "--sql", "duckdb", "--period", "2026Q1", "--fiscal-year-start", "7"
    )
    assert ambiguous.returncode != 0
    assert "ambiguous" in ambiguous.stderr and "FY2026Q1" in ambiguous.stderr
    quarter5 = run_cli(
        "kpis", "--plan", "P", "--sql", "duckdb", "--period", "FY27Q5", "--fiscal-year-start", "7"
    )
    assert quarter5.returncode != 0 and "Q1 to Q4" in quarter5.stderr
    monkeypatch.setenv("TERRAPLAN_FISCAL_YEAR_START", "13")
    setting = run_cli("kpis", "--plan", "P")
    assert setting.returncode == 2
    assert "TERRAPLAN_FISCAL_YEAR_START" in setting.stderr


def test_fiscal_year_targets_then_attainment(run_cli: Any, tmp_path: Path) -> None:
    """``terraplan targets --period FY2027`` sets February-to-January targets; the KPIs of
    FY2027 then carry the whole company target, and FY2027Q1 its February-April months."""
    _demo_plan(f"sqlite:///{tmp_path}/cli.db")
    fy = ("--fiscal-year-start", "2")
    targets = run_cli(
        "targets",
        "--plan",
        "PW",
        "--company-target",
        "12M",
        "--period",
        "FY2027",
        *fy,
        "-f",
        "json",
    )
    assert targets.returncode == 0, targets.stderr
    body = json.loads(targets.stdout)
    assert (body["period_start"], body["period_end"]) == ("2026-02-01", "2027-01-31")
    q1_months = sum(
        value
        for row in body["monthly"]
        for month, value in row.items()
        if month in ("2026-02", "2026-03", "2026-04")
    )
    kpis = run_cli("kpis", "--plan", "PW", "--period", "FY2027", *fy, "-f", "json")
    assert kpis.returncode == 0, kpis.stderr
    year = json.loads(kpis.stdout)
    assert math.isclose(sum(r["target"] or 0.0 for r in year), 12e6, rel_tol=1e-9)
    quarter = run_cli("kpis", "--plan", "PW", "--period", "FY2027Q1", *fy, "-f", "json")
    assert quarter.returncode == 0, quarter.stderr
    got = sum(r["target"] or 0.0 for r in json.loads(quarter.stdout))
    assert math.isclose(got, q1_months, rel_tol=1e-9), (got, q1_months)
    # The calendar year 2026 has targets from February only: said, not left to a reader of
    # its pace; the fiscal year they were set for is covered whole.
    assert "cover only part" not in " ".join(kpis.stderr.split())
    calendar = run_cli("kpis", "--plan", "PW", "--period", "2026", "-f", "json")
    assert calendar.returncode == 0, calendar.stderr
    assert "revenue targets cover only part of 2026 (334 of 365 days)" in " ".join(
        calendar.stderr.split()
    )


def _flat_plan(url: str) -> None:
    """The demo with plan P1: one territory per region, no parent territories."""
    from tests.conftest import seed_region_plan

    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=100, seed=4)
    db.dispose()


def test_as_of_is_checked_used_and_shown(run_cli: Any, tmp_path: Path) -> None:
    _flat_plan(f"sqlite:///{tmp_path}/cli.db")
    for bad in ("banana", "2026-3-31", "2026-02-30"):
        refused = run_cli("kpis", "--plan", "P1", "--as-of", bad)
        assert refused.returncode != 0
        assert "--as-of" in refused.stderr
        # a day the calendar lacks is named as such; a wrong form gets the form to write
        if bad == "2026-02-30":
            assert "no such day (February 2026 has 28 days)" in refused.stderr
        else:
            assert "YYYY-MM-DD" in refused.stderr
        assert not refused.stdout.strip()
    latest = run_cli("kpis", "--plan", "P1", "--period", "year", "-f", "json")
    assert latest.returncode == 0, latest.stderr
    rows = json.loads(latest.stdout)
    default_day = rows[0]["as_of"]
    assert {r["as_of"] for r in rows} == {default_day}
    # a day before the latest sale: less revenue, and the figures say which day they are at
    from datetime import date, timedelta

    earlier = (date.fromisoformat(default_day) - timedelta(days=45)).isoformat()
    cut = run_cli("kpis", "--plan", "P1", "--period", "year", "-f", "json", "--as-of", earlier)
    assert cut.returncode == 0, cut.stderr
    cut_rows = json.loads(cut.stdout)
    assert {r["as_of"] for r in cut_rows} == {earlier}
    total = sum(r["revenue"] for r in rows if r["period"] == rows[-1]["period"])
    cut_total = sum(r["revenue"] for r in cut_rows if r["period"] == rows[-1]["period"])
    assert cut_total < total
    table = run_cli("kpis", "--plan", "P1", "--as-of", earlier)
    assert table.returncode == 0, table.stderr
    assert f"as of {earlier}" in " ".join(table.stdout.split())


def test_an_empty_grouping_says_why(run_cli: Any, tmp_path: Path) -> None:
    _flat_plan(f"sqlite:///{tmp_path}/cli.db")
    table = run_cli("kpis", "--plan", "P1", "--by", "region")
    assert table.returncode == 0, table.stderr
    text = " ".join(table.stdout.split())
    assert "has no regions: none of its territories has a parent territory" in text
    assert text.count("has no regions") == 1
    csv = run_cli("kpis", "--plan", "P1", "--by", "region", "-f", "csv")
    assert csv.returncode == 0
    assert not csv.stdout.strip()
    assert "has no regions" in " ".join(csv.stderr.split())


def _west_plan(
    run_cli: Any, tmp_path: Path, files: dict[str, str], steps: tuple[tuple[str, ...], ...]
) -> None:
    """Plan P1 ("FY") with one territory, West, taking the Californian accounts: ``files``
    written to ``tmp_path``, then ``steps`` run around the plan's creation and its rules
    (``"plan"`` in ``steps`` stands for them)."""
    files = {
        **files,
        "r.yaml": "territories:\n  - {id: w, name: West, type: geo}\n"
        "rules:\n  - {id: w, territory: w, when: {field: state, op: in, value: [CA]}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    plan = (
        ("plans", "new", "FY", "--territory", "w=West", "--plan-id", "P1"),
        ("rules", "save", "r.yaml", "--plan", "P1"),
    )
    for step in (s for part in steps for s in (plan if part == ("plan",) else (part,))):
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)


def test_growth_before_the_sales_history_is_empty_and_said_once(
    run_cli: Any, tmp_path: Path
) -> None:
    """An export whose sales start in November 2025: 2026 has no known prior year."""
    files = {
        "a.csv": "id,name,state\nA1,Acme,CA\nA2,Beta,TX\n",
        "s.csv": "id,account_id,date,amount\nS1,A1,2025-11-15,1000\nS2,A1,2026-06-01,1000\n"
        "S3,A2,2026-12-01,500\n",
    }
    _west_plan(run_cli, tmp_path, files, (
        ("import", "accounts", "a.csv"), ("import", "sales_lines", "s.csv"), ("plan",),
        ("rules", "apply", "--plan", "P1"),
    ))  # fmt: skip
    args = ("kpis", "--plan", "P1", "--period", "2026", "--as-of", "2026-12-31")
    rows = json.loads(run_cli(*args, "-f", "json").stdout)
    (west,) = rows
    assert west["revenue"] == 1000.0
    assert west["revenue_prior_year"] is None and west["revenue_growth"] is None
    table = run_cli(*args)
    said = " ".join(table.stdout.split())
    assert said.count("growth is empty for 2026: the sales history starts on 2025-11-15,") == 1
    # new customers count from the history's start: said where they are shown
    assert "new customers in" not in said
    shown = " ".join(run_cli(*args, "--kpi", "new_customers").stdout.split())
    assert (
        shown.count(
            "Note: the sales history starts on 2025-11-15: new customers in 2026 count accounts "
            "whose first sales in the history fall there, so an account that bought before the "
            "history starts counts as new in its first year."
        )
        == 1
    )
    assert "inactive accounts in" not in shown  # 2026's six months lie in the history
    # one row per quarter: the table names each row's period
    quarters = run_cli("kpis", "--plan", "P1", "--period", "quarter", "--as-of", "2026-12-31")
    lines = [line for line in quarters.stdout.splitlines() if "West" in line]
    assert [line.split("│")[2].strip() for line in lines][-4:] == [
        "2026Q1", "2026Q2", "2026Q3", "2026Q4"
    ]  # fmt: skip
    # Beta (Texas) sold in December but is in no territory: said, named, once
    assert (
        said.count("1 account with sales or opportunities is in no territory of plan FY (Beta)")
        == 1
    )


def test_a_territory_with_two_primary_reps_splits_by_rep(run_cli: Any, tmp_path: Path) -> None:
    """By rep, each of a shared territory's primary reps counts the accounts they own and half
    of its target; by territory the figures are whole. (Before, the first took it all.)"""
    files = {
        "reps.csv": "id,name,email\nR1,Ann Lee,ann@x.test\nR2,Raj Patel,raj@x.test\n",
        "a.csv": "id,name,state,owner_id\nA1,Acme,CA,R2\nA2,Beta,CA,R1\n",
        "s.csv": "id,account_id,date,amount\nS1,A1,2025-03-01,1000\nS2,A2,2025-04-01,300\n",
        "t.csv": "id,plan_id,territory_id,period_start,period_end,amount\n"
        "Q1,P1,w,2025-01-01,2025-12-31,1000\n",
    }
    _west_plan(run_cli, tmp_path, files, (
        ("import", "reps", "reps.csv"), ("import", "accounts", "a.csv"),
        ("import", "sales_lines", "s.csv"), ("plan",), ("plans", "owners", "P1", "w", "R1,R2"),
        ("rules", "apply", "--plan", "P1"), ("import", "targets", "t.csv"),
    ))  # fmt: skip
    args = ("kpis", "--plan", "P1", "--period", "2025", "--as-of", "2025-12-31")
    rows = json.loads(run_cli(*args, "--by", "rep", "-f", "json").stdout)
    got = {r["name"]: (r["revenue"], r["account_count"], r["target"]) for r in rows}
    assert got == {"Ann Lee": (300.0, 1, 500.0), "Raj Patel": (1000.0, 1, 500.0)}
    (west,) = json.loads(run_cli(*args, "-f", "json").stdout)
    assert (west["revenue"], west["account_count"], west["target"]) == (1300.0, 2, 1000.0)
    table = run_cli(*args, "--by", "rep")
    said = " ".join((table.stdout + table.stderr).split())
    assert said.count("West is shared by several primary reps (Ann Lee, Raj Patel)") == 1
    by_industry = run_cli(*args, "--by", "industry")
    assert "no account has an industry" in " ".join(
        (by_industry.stdout + by_industry.stderr).split()
    )


def test_a_typo_date_in_the_future_does_not_move_the_reporting_day(
    run_cli: Any, tmp_path: Path
) -> None:
    """One sales line dated 2052: the figures stay as of today, and a note says why."""
    files = {
        "a.csv": "id,name,state\nA1,Acme,CA\n",
        "s.csv": "id,account_id,date,amount\nS1,A1,2025-06-01,1000\nS2,A1,2052-03-01,500\n",
    }
    _west_plan(run_cli, tmp_path, files, (
        ("import", "accounts", "a.csv"), ("import", "sales_lines", "s.csv"), ("plan",),
        ("rules", "apply", "--plan", "P1"),
    ))  # fmt: skip
    rows = json.loads(run_cli("kpis", "--plan", "P1", "--period", "2025", "-f", "json").stdout)
    (west,) = rows
    assert west["as_of"] == date.today().isoformat()
    assert west["revenue"] == 1000.0
    table = run_cli("kpis", "--plan", "P1", "--period", "2025")
    said = " ".join((table.stdout + table.stderr).split())
    assert said.count("some records are dated after today, up to 2052-03-01") == 1
    named = run_cli("kpis", "--plan", "P1", "--period", "2025", "--as-of", "2025-12-31")
    assert "dated after today" not in named.stdout + named.stderr


def test_priorities_why_reads_at_80_columns(run_cli: Any, tmp_path: Path) -> None:
    """The score's parts, two decimals each, whole at 80 columns (every cell was cut to
    "0.…"); the parts add up to the score."""
    _flat_plan(f"sqlite:///{tmp_path}/cli.db")
    table = run_cli(
        "priorities", "--plan", "P1", "--territory", "T-R1", "--why", "--top", "5",
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "…" not in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in table.stdout.splitlines()
        if line.startswith("│") and line.split("│")[1].strip().isdigit()
    ]
    assert len(rows) == 5
    for row in rows:
        score, parts = float(row[2]), [float(x) for x in row[3:]]
        assert score == pytest.approx(sum(parts), abs=0.03)


def test_balance_rows_go_to_the_file_asked_for(run_cli: Any, tmp_path: Path) -> None:
    _flat_plan(f"sqlite:///{tmp_path}/cli.db")
    out = tmp_path / "balance.csv"
    done = run_cli("kpis", "--plan", "P1", "--balance", "--out", str(out))
    assert done.returncode == 0, done.stderr
    shown = json.loads(run_cli("kpis", "--plan", "P1", "--balance", "-f", "json").stdout)["rows"]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("territory,territory_id,metric,value")
    assert len(lines) - 1 == len(shown) > 0
    again = run_cli("kpis", "--plan", "P1", "--balance", "--out", str(out))
    assert again.returncode != 0 and "--force" in again.stderr  # an existing file is kept
    # JSON and CSV name each territory beside its id, as the table and the file do
    file_rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    named = {r["territory_id"]: r["territory"] for r in file_rows}
    assert {r["territory_id"]: r["territory"] for r in shown} == named
    assert all(name and not name.startswith("T-") for name in named.values())
    as_csv = run_cli("kpis", "--plan", "P1", "--balance", "-f", "csv").stdout
    assert {r["territory_id"]: r["territory"] for r in csv.DictReader(io.StringIO(as_csv))} == named


def test_a_territory_whose_accounts_all_closed_has_nothing_to_rank(
    run_cli: Any, tmp_path: Path
) -> None:
    """Every account of West churned: an empty ranking, said plainly (it exited 2, the code
    of a wrong option, "has no aligned accounts")."""
    from sqlalchemy import text
    from tests.services.test_owner_sync import _seed_active

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    _seed_active(db)
    with db.connect() as connection:
        connection.execute(text("UPDATE accounts SET closed_on = '2026-01-01' WHERE id LIKE 'W%'"))
    db.dispose()
    table = run_cli("priorities", "--territory", "West")
    assert table.returncode == 0, table.stderr
    assert "West (P) holds no open account to rank." in table.stdout
    assert json.loads(run_cli("priorities", "--territory", "W", "-f", "json").stdout) == []
    east = run_cli("priorities", "--territory", "East", "-f", "json")
    assert [row["account_id"] for row in json.loads(east.stdout)] == ["E0"]


def test_by_rep_says_which_territory_has_no_rep_to_hold_its_figures(
    run_cli: Any, tmp_path: Path
) -> None:
    """East has accounts and no primary rep (its rep left), and its accounts no owner in the
    CRM: by rep its accounts and its revenue are in no row, so the rows add up to less than
    the company; said once, naming East."""
    _west_east(run_cli, tmp_path, "id,name\nR1,Ann Lee\n", {"w": "R1"})
    owned = run_cli("plans", "owners", "P1", "w", "Ann Lee")  # by name, said by name
    assert "West (w) is owned by Ann Lee" in " ".join(owned.stdout.split())
    args = ("kpis", "--plan", "P1", "--period", "2025", "--as-of", "2025-12-31", "--by", "rep")
    rows = json.loads(run_cli(*args, "-f", "json").stdout)
    assert {r["name"]: r["revenue"] for r in rows} == {"Ann Lee": 1000.0}
    table = run_cli(*args)
    said = " ".join((table.stdout + table.stderr).split())
    assert (
        said.count("East has no primary rep (vacant): by rep, its open accounts and potential") == 1
    )
    assert "in no row where no rep did" in said
    by_territory = run_cli("kpis", "--plan", "P1", "--period", "2025", "--as-of", "2025-12-31")
    assert "no primary rep" not in by_territory.stdout + by_territory.stderr


def test_alerts_as_csv_name_the_subject_and_keep_the_notes(run_cli: Any, tmp_path: Path) -> None:
    """`alerts -f csv` gave the subject's id only, without the figures JSON has, and dropped
    the notes (the table printed them, twice when a criterion and the report both had one)."""
    files = {
        "a.csv": "id,name,state,potential\nA1,Acme,CA,1000\nA2,Beta,NY,900000\n",
        "r.yaml": "territories:\n  - {id: w, name: West, type: geo}\n  - {id: e, name: East, type: geo}\n"
        "rules:\n  - {id: w, territory: w, when: {field: state, op: in, value: [CA]}}\n"
        "  - {id: e, territory: e, when: {field: state, op: in, value: [NY]}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in (
        ("import", "accounts", "a.csv"),
        ("plans", "new", "FY", "--territory", "w=West", "--territory", "e=East", "--plan-id", "P1"),
        ("rules", "save", "r.yaml", "--plan", "P1"), ("rules", "apply", "--plan", "P1"),
    ):  # fmt: skip
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    as_csv = run_cli("alerts", "--plan", "P1", "-f", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    east = next(r for r in rows if r["kind"] == "balance" and r["subject_id"] == "e")
    assert (east["subject"], east["metric"], float(east["value"])) == ("East", "potential", 900000)
    workload = "no account carries a workload, so workload balance is not checked"
    assert as_csv.stderr.count(workload) == 1
    table = run_cli("alerts", "--plan", "P1")
    assert table.stderr.count(workload) == 1
    as_json_run = run_cli("alerts", "--plan", "P1", "-f", "json")
    as_json = json.loads(as_json_run.stdout)
    assert {a["subject"] for a in as_json["alerts"] if a["kind"] == "balance"} == {"East", "West"}
    # JSON carries the note in its answer (it had `notes: []` and nothing on stderr)
    assert as_json["notes"].count(workload) == 1
    assert as_json["balance_criteria"]["notes"] == [workload]
    assert workload not in as_json_run.stderr
    balance = json.loads(run_cli("kpis", "--plan", "P1", "--balance", "-f", "json").stdout)
    assert balance["notes"] == [workload]


def test_an_alert_about_an_account_names_the_account(run_cli: Any, tmp_path: Path) -> None:
    """The unowned-account alert named its subject by CRM id in the table, CSV and JSON."""
    from terraplan.domain import Account
    from terraplan.storage.unit_of_work import UnitOfWork

    url = f"sqlite:///{tmp_path}/cli.db"
    _flat_plan(url)
    db = Database(url)
    with UnitOfWork(db) as uow:
        # no county, no owner, the largest potential: in no territory and owned by nobody
        uow.accounts.add_many([Account("001ORPHAN", "Orphan Holdings", potential=9e9)])
        uow.commit()
    db.dispose()
    done = run_cli("alerts", "--plan", "P1", "-f", "json")
    assert done.returncode == 0, done.stderr
    unowned = [a for a in json.loads(done.stdout)["alerts"] if a["kind"] == "unowned_account"]
    assert [(a["subject_id"], a["subject"]) for a in unowned] == [("001ORPHAN", "Orphan Holdings")]
    table = run_cli("alerts", "--plan", "P1")
    assert "Orphan Holdings" in table.stdout and "001ORPHAN" not in table.stdout
    # the table says the kind in words, the files keep the code
    assert "unowned account" in table.stdout and "unowned_account" not in table.stdout
    # the HTML report names its subjects the same way (it showed the account's CRM id)
    written = run_cli("report", "--plan", "P1", "--out", str(tmp_path / "r.html"))
    assert written.returncode == 0, written.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "account Orphan Holdings" in html and "001ORPHAN" not in html


def test_kpi_counts_are_integers_in_json_and_csv(run_cli: Any, tmp_path: Path) -> None:
    """Counts came as floats in JSON and CSV (``529.0`` accounts), and so did an alert on
    an account count; null stays null."""
    COUNT_KPIS = ("new_customers", "account_count", "inactive_accounts")  # unit "count"
    _flat_plan(f"sqlite:///{tmp_path}/cli.db")
    rows = json.loads(run_cli("kpis", "--plan", "P1", "--period", "year", "-f", "json").stdout)
    assert rows and all(type(r[c]) is int for r in rows for c in COUNT_KPIS)
    assert all(type(r["revenue"]) is float for r in rows)
    as_csv = run_cli("kpis", "--plan", "P1", "--period", "year", "-f", "csv").stdout
    for row in csv.DictReader(io.StringIO(as_csv)):
        assert all(row[c].isdigit() for c in COUNT_KPIS), row
    written = run_cli("kpis", "--plan", "P1", "-f", "csv", "--out", str(tmp_path / "k.csv"))
    assert written.returncode == 0, written.stderr
    with (tmp_path / "k.csv").open(encoding="utf-8") as handle:
        assert all(r["account_count"].isdigit() for r in csv.DictReader(handle))
    balance = json.loads(
        run_cli(
            "kpis", "--plan", "P1", "--balance", "--balance-tolerance", "0.1", "-f", "json"
        ).stdout
    )
    counts = [r for r in balance["rows"] if r["metric"] == "account_count"]
    assert counts and all(type(r["value"]) is int for r in counts)
    alerts = json.loads(
        run_cli("alerts", "--plan", "P1", "--balance", "account_count:1%", "-f", "json").stdout
    )["alerts"]
    on_counts = [a for a in alerts if a["metric"] == "account_count"]
    assert on_counts and all(type(a["value"]) is int for a in on_counts)


def test_by_rep_tells_two_reps_of_one_name_apart(run_cli: Any, tmp_path: Path) -> None:
    """Two active reps called Alex Kim were two identical rows of `kpis --by rep`."""
    _west_east(run_cli, tmp_path, "id,name\nR1,Alex Kim\nR2,Alex  kim\n", {"w": "R1", "e": "R2"})
    args = ("kpis", "--plan", "P1", "--period", "2025", "--as-of", "2025-12-31", "--by", "rep")
    rows = json.loads(run_cli(*args, "-f", "json").stdout)
    assert {r["name"]: r["revenue"] for r in rows} == {
        "Alex Kim (R1)": 1000.0,
        "Alex  kim (R2)": 300.0,
    }
    assert "Alex Kim (R1)" in run_cli(*args).stdout


def _west_east(run_cli: Any, tmp_path: Path, reps: str, owners: dict[str, str]) -> None:
    """Plan P1: West (CA's Acme, 1,000 in 2025) and East (NY's Beta, 300) by state rules,
    ``reps`` (a reps CSV) imported and ``owners`` (territory -> rep id) set, rules applied."""
    files = {
        "reps.csv": reps,
        "a.csv": "id,name,state\nA1,Acme,CA\nA2,Beta,NY\n",
        "s.csv": "id,account_id,date,amount\nS1,A1,2025-03-01,1000\nS2,A2,2025-04-01,300\n",
        "r.yaml": "territories:\n  - {id: w, name: West, type: geo}\n  - {id: e, name: East, type: geo}\n"
        "rules:\n  - {id: w, territory: w, when: {field: state, op: in, value: [CA]}}\n"
        "  - {id: e, territory: e, when: {field: state, op: in, value: [NY]}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in (
        ("import", "reps", "reps.csv"), ("import", "accounts", "a.csv"),
        ("import", "sales_lines", "s.csv"),
        ("plans", "new", "FY", "--territory", "w=West", "--territory", "e=East", "--plan-id", "P1"),
        ("rules", "save", "r.yaml", "--plan", "P1"),
        *(("plans", "owners", "P1", t, rep) for t, rep in owners.items()),
        ("rules", "apply", "--plan", "P1"),
    ):  # fmt: skip
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)


def test_by_rep_says_which_reps_left(run_cli: Any, tmp_path: Path) -> None:
    """A rep marked inactive keeps the row of what they sold; a note says they left (their
    row's -100 % growth read as a rep who stopped selling)."""
    reps = "id,name,active\nR1,Ann Lee,true\nR2,Cara Diaz,true\n"
    _west_east(run_cli, tmp_path, reps, {"w": "R1", "e": "R2"})
    (tmp_path / "left.csv").write_text("id,name,active\nR2,Cara Diaz,false\n", encoding="utf-8")
    assert run_cli("import", "reps", "left.csv").returncode == 0
    args = ("kpis", "--plan", "P1", "--period", "2025", "--as-of", "2025-12-31", "--by", "rep")
    said = " ".join(run_cli(*args).stdout.split())
    assert said.count("Note: Cara Diaz is marked inactive (left): their rows hold what") == 1
    assert "Ann Lee is marked" not in said
