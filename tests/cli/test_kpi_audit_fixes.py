"""``terraplan kpis`` on the cases a fresh-eyes audit found wrong: a rep with targets of their
own named in the note on mixed attainment, the same period last year of a complete period
ending on the as-of date, and potential with no account carrying one."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

RULES = (
    "territories:\n  - {id: E, name: East}\n"
    "rules:\n  - {id: e, territory: E, when: {field: state, op: in, value: [NY]}}\n"
)


def _run(run_cli: Any, *steps: tuple[str, ...]) -> None:
    for step in steps:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)


def _write(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")


def _east_plan(run_cli: Any, plan_id: str = "P001") -> None:
    _run(
        run_cli,
        ("plans", "new", "P", "--plan-id", plan_id, "--territory", "E=East"),
        ("rules", "save", "rules.yaml", "--plan", plan_id),
    )


def _said(done: Any) -> str:
    return " ".join((done.stdout + done.stderr).split())


def test_a_rep_with_a_quota_of_their_own_is_not_said_to_get_the_territory_target(
    run_cli: Any, tmp_path: Path
) -> None:
    """Yan owned East in 2025, Xia from 2026 with a quota of her own for 2026 Q1: by rep she
    gets no 2025 target (only her own), so no note says East's 2025 target goes to her."""
    _write(tmp_path, {
        "reps.csv": "id,name,hire_date,home_postal_code\n"
        "RY,Yan Old,2020-01-01,10001\nRX,Xia New,2020-01-01,10001\n",
        "accounts.csv": "id,name,postal_code,owner_id\nA1,Acme,10001,RY\n",
        "lines.csv": "id,account_id,date,amount\nL1,A1,2025-03-10,500\nL2,A1,2026-02-10,700\n",
        "rules.yaml": RULES,
        "targets.csv": "id,territory_id,rep_id,period_start,period_end,amount,plan_id\n"
        "T25,E,,2025-01-01,2025-12-31,1200,P002\nT26,E,,2026-01-01,2026-12-31,1200,P002\n"
        "QX,,RX,2026-01-01,2026-03-31,900,P002\n",
    })  # fmt: skip
    _run(run_cli, ("import", "reps", "reps.csv"), ("import", "accounts", "accounts.csv"),
         ("import", "sales_lines", "lines.csv"))  # fmt: skip
    _east_plan(run_cli)
    _run(
        run_cli,
        ("plans", "owners", "P001", "E", "RY"),
        ("rules", "apply", "--plan", "P001"),
        ("plans", "status", "P001", "submit"),
        ("plans", "status", "P001", "approve"),
        ("plans", "activate", "P001", "--effective", "2025-01-01"),
        ("plans", "copy", "P001", "--plan-id", "P002"),
        ("plans", "owners", "P002", "E", "RX"),
        ("plans", "status", "P002", "submit"),
        ("plans", "status", "P002", "approve"),
        ("plans", "activate", "P002", "--effective", "2026-01-01"),
        ("import", "targets", "targets.csv"),
    )
    args = ("kpis", "--by", "rep", "--kpi", "revenue", "--kpi", "target", "--as-of", "2026-06-30")
    done = run_cli(*args, "--period", "2025", "-f", "csv")
    assert done.returncode == 0, done.stderr
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(done.stdout))}
    assert rows["RX"]["target"] == "" and rows["RY"]["revenue"] == "500.0"
    assert "its target goes to" not in _said(done)
    quarter = run_cli(*args, "--period", "2026Q1", "-f", "csv")
    assert "its target goes to" not in _said(quarter)


def test_february_as_of_its_last_day_compares_with_all_of_february(
    run_cli: Any, tmp_path: Path
) -> None:
    """One account with 1,000 sold on 29 February 2024: February 2025 as of the 28th (its
    last day) compares with all of February 2024, as it does a day later; so does FY2025
    with years from March."""
    _write(tmp_path, {
        "reps.csv": "id,name\nR1,Ana Ruiz\n",
        "accounts.csv": "id,name,postal_code\nA1,Acme,10001\n",
        "lines.csv": "id,account_id,date,amount\nL0,A1,2023-03-05,50\nL1,A1,2023-12-15,100\n"
        "L2,A1,2024-02-10,100\nL3,A1,2024-02-29,1000\nL4,A1,2025-02-10,300\n",
        "rules.yaml": RULES,
    })  # fmt: skip
    _run(run_cli, ("import", "reps", "reps.csv"), ("import", "accounts", "accounts.csv"),
         ("import", "sales_lines", "lines.csv"))  # fmt: skip
    _east_plan(run_cli)
    _run(run_cli, ("plans", "owners", "P001", "E", "R1"), ("rules", "apply", "--plan", "P001"))
    figures = ("--kpi", "revenue", "--kpi", "revenue_prior_year", "-f", "json")
    for as_of in ("2025-02-28", "2025-03-01"):
        (month,) = json.loads(
            run_cli("kpis", "--plan", "P001", "--period", "2025-02", "--as-of", as_of,
                    *figures).stdout
        )  # fmt: skip
        assert (month["revenue"], month["revenue_prior_year"]) == (300.0, 1100.0), as_of
        (year,) = json.loads(
            run_cli("kpis", "--plan", "P001", "--period", "FY2025", "--fiscal-year-start", "3",
                    "--as-of", as_of, *figures).stdout
        )  # fmt: skip
        assert (year["revenue"], year["revenue_prior_year"]) == (300.0, 1250.0), as_of


def test_no_potential_anywhere_is_empty_in_csv_and_null_in_json(
    run_cli: Any, tmp_path: Path
) -> None:
    """A CRM export with no potential column: potential, penetration and whitespace are
    empty (not 0.0, which read "nothing left to sell"), and a note says why, once; with a
    potential on one account of two, the note counts them."""
    _write(tmp_path, {
        "accounts.csv": "id,name,postal_code\nA1,Acme,10001\nA2,\"Beta, Inc.\",10002\n",
        "lines.csv": "id,account_id,date,amount\nL1,A1,2026-03-01,\"1,000\"\nL2,A2,2026-04-01,250\n",
        "rules.yaml": RULES,
    })  # fmt: skip
    _run(run_cli, ("import", "accounts", "accounts.csv"), ("import", "sales_lines", "lines.csv"))
    _east_plan(run_cli)
    _run(run_cli, ("rules", "apply", "--plan", "P001"))
    args = ("kpis", "--plan", "P001", "--period", "2026", "--as-of", "2026-06-30")
    done = run_cli(*args, "-f", "csv")
    assert done.returncode == 0, done.stderr
    (row,) = csv.DictReader(io.StringIO(done.stdout))
    assert (row["potential"], row["penetration"], row["whitespace"]) == ("", "", "")
    assert row["revenue"] == "1250.0"
    assert _said(done).count("no account carries a potential") == 1
    (record,) = json.loads(run_cli(*args, "-f", "json").stdout)
    assert (record["potential"], record["whitespace"]) == (None, None)
    # the plain table shows no potential figure: no note
    assert "potential" not in _said(run_cli(*args))
    _write(tmp_path, {"pot.csv": 'id,name,postal_code,potential\nA1,Acme,10001,"4,000"\n'})
    _run(run_cli, ("import", "accounts", "pot.csv"))
    mixed = run_cli(*args, "-f", "json")
    (record,) = json.loads(mixed.stdout)
    assert record["potential"] == 2000.0 and record["whitespace"] == 1000.0
    assert _said(mixed).count("1 of 2 accounts have no potential") == 1


def _report_data(tmp_path: Path, first_day: str) -> None:
    """Sales from ``first_day`` to 2 December 2026 (fiscal years from February), monthly on
    the 3rd and the 20th, a credit note, and lines on 1-3 December 2025 and 1-2 December 2026."""
    from datetime import date, timedelta

    lines = ["id,account_id,date,amount"]
    day, n = date.fromisoformat(first_day), 0
    while day <= date(2026, 11, 30):
        for when, account, amount in ((day, "A1", "1,200.50"), (day + timedelta(17), "A2", "800")):
            if when <= date(2026, 11, 30):
                n += 1
                lines.append(f'L{n},{account},{when.isoformat()},"{amount}"')
        day = date(day.year + (day.month == 12), day.month % 12 + 1, day.day)
    lines += [
        "X1,A1,2025-12-01,100", "X2,A2,2025-12-02,20", "X3,A2,2025-12-03,5000",
        "X4,A1,2026-12-01,70", "X5,A2,2026-12-02,-10",
    ]  # fmt: skip
    _write(tmp_path, {
        "accounts.csv": "id,name,postal_code,potential\nA1,Acme,10001,50000\nA2,Beta,10002,\n",
        "lines.csv": "\n".join(lines) + "\n",
        "rules.yaml": RULES,
    })  # fmt: skip


def test_the_report_notes_speak_of_the_figures_it_shows(run_cli: Any, tmp_path: Path) -> None:
    """History from 3 February 2024, fiscal years from February: the report shows FY2027
    to date (growth known) and FY2027 against FY2026 by month (both covered), so it says
    nothing of growth being unknown in 2024's months (it said "growth is empty for 2024-02,
    2024-03, ..."); December 2026 is two days long in its chart, and marked."""
    _report_data(tmp_path, "2024-02-03")
    _run(run_cli, ("import", "accounts", "accounts.csv"), ("import", "sales_lines", "lines.csv"))
    _east_plan(run_cli)
    _run(run_cli, ("rules", "apply", "--plan", "P001"))
    out = tmp_path / "report.html"
    _run(run_cli, ("report", "--plan", "P001", "--out", str(out), "--fiscal-year-start", "2"))
    from html import unescape

    page = " ".join(unescape(out.read_text(encoding="utf-8")).split())
    assert "growth is empty" not in page and "2024-02" not in page
    assert "1 of 2 accounts have no potential" in page  # the table shows penetration
    assert ">to 2 Dec</text>" in page
    assert "Dec 2026 runs to 2 Dec (the reporting day): 60, against 120 on 1–2 Dec 2025" in page
    assert "no sales history" not in page


def test_a_short_history_is_said_for_the_table_and_for_the_chart(
    run_cli: Any, tmp_path: Path
) -> None:
    """History from 14 May 2025: FY2027 to date has no known prior year (its note names the
    report's period only), and the chart says FY2026's line starts in May 2025."""
    _report_data(tmp_path, "2025-05-14")
    _run(run_cli, ("import", "accounts", "accounts.csv"), ("import", "sales_lines", "lines.csv"))
    _east_plan(run_cli)
    _run(run_cli, ("rules", "apply", "--plan", "P001"))
    out = tmp_path / "report.html"
    _run(run_cli, ("report", "--plan", "P001", "--out", str(out), "--fiscal-year-start", "2"))
    from html import unescape

    page = " ".join(unescape(out.read_text(encoding="utf-8")).split())
    assert page.count("growth is empty for YTD: the sales history starts on 2025-05-14") == 1
    assert "2025-05," not in page and "2025-06" not in page  # no months the report does not show
    assert "FY2026's line starts in May 2025: there is no sales history before it." in page
