"""``terraplan plans``: the scenario verbs on a real SQLite file, as a user types them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import seed_region_plan

from terraplan.storage import migrate
from terraplan.storage.database import Database

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/plans.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=300, seed=3)
    db.dispose()
    return url


def _owned_and_active(url: str) -> dict[str, str]:
    """P1 gets one rep per territory and targets, and is active from 2024-01-01 (set up
    in-process: the CLI verbs for these are tested elsewhere). Returns territory -> rep id."""
    from datetime import date

    from terraplan.services.plan_edits import edit_plan
    from terraplan.services.plan_lifecycle import activate_plan, change_status
    from terraplan.services.reps_targets import plan_targets
    from terraplan.storage.unit_of_work import UnitOfWork

    db = Database(url)
    with UnitOfWork(db) as uow:
        territories = [t.id for t in uow.plans.get("P1").territories]
    rep_of = {tid: f"REP-{i + 1:03d}" for i, tid in enumerate(territories)}
    for tid, rep_id in rep_of.items():
        edit_plan(db, "P1", {"op": "set_owners", "territory": tid, "reps": [rep_id]})
    plan_targets(db, "P1", company_target=2_000_000, period=2026)
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1", effective_from=date(2024, 1, 1))
    db.dispose()
    return rep_of


def _revenue(tmp_path: Path, year: str) -> float:
    import sqlite3

    with sqlite3.connect(tmp_path / "plans.db") as connection:
        (total,) = connection.execute(
            "SELECT SUM(s.amount) FROM sales_lines s JOIN accounts a ON a.id = s.account_id "
            "WHERE a.county_fips = '06037' AND s.date LIKE ?",
            (f"{year}-%",),
        ).fetchone()
    return float(total or 0.0)


def test_plans_verbs(run_cli: RunCli, tmp_path: Path) -> None:
    url = _database(tmp_path)
    rep_of = _owned_and_active(url)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, database_url=url)

    copied = cli("plans", "copy", "P1", "--plan-id", "P2", "--name", "What if")
    assert copied.returncode == 0, copied.stderr
    assert "P2" in copied.stdout and "draft copy of P1" in copied.stdout
    scoped = cli("plans", "copy", "--plan-id", "P3", "--scope", "West")
    assert scoped.returncode == 0, scoped.stderr
    assert "West" in scoped.stdout and "copy of P1" in scoped.stdout  # the active plan
    # at 80 columns the table keeps every word of a name whole and the dates in one column
    table = run_cli("plans", "list", database_url=url, env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in table.splitlines()) <= 80
    cells = " ".join(table.replace("│", " ").split())
    assert "What if" in cells and "from 2024-01-01" in cells
    listed = json.loads(cli("plans", "list", "-f", "json").stdout)
    assert [(p["plan"], p["status"], p["scope"]) for p in listed] == [
        ("P1", "active", None),
        ("P2", "draft", None),
        ("P3", "draft", "West"),
    ]

    compared = json.loads(cli("plans", "compare", "P1", "P2", "-f", "json").stdout)
    assert compared["accounts"] == 300
    assert (compared["accounts_moved"], compared["units_moved"]) == (0, 0)
    # The copy carries P1's targets (activated, it keeps the quotas) ...
    assert compared["target_base"] > 0 and compared["target_other"] == compared["target_base"]
    # ... which a planner may remove: then compare says the copy sets none (below).
    import sqlite3

    with sqlite3.connect(tmp_path / "plans.db") as connection:
        connection.execute("DELETE FROM targets WHERE plan_id = 'P2'")

    shown = json.loads(cli("plans", "show", "P2", "-f", "json").stdout)
    assert shown["based_on_plan_id"] == "P1"
    assert len(shown["territories"]) == 3

    import sqlite3

    with sqlite3.connect(tmp_path / "plans.db") as connection:
        (current,) = connection.execute(
            "SELECT territory_id FROM alignments WHERE plan_id = 'P2' AND record_id = '06037'"
        ).fetchone()
    territories = [t["territory"] for t in shown["territories"] if t["territory"] != current]
    moved = cli("plans", "move", "P2", "--units", "06037", "--to", territories[0], "-f", "json")
    assert moved.returncode == 0, moved.stderr
    effects = json.loads(moved.stdout)["effects"]
    assert {e["territory"] for e in effects} == {territories[0], current}
    assert any(e["units_moved"] == 1 for e in effects)
    compared = json.loads(cli("plans", "compare", "P1", "P2", "-f", "json").stdout)
    assert compared["units_moved"] == 1
    # reps and territories by name beside their ids (JSON gave the reps' ids only)
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(Database(url)) as uow:
        rep_names = {r.id: r.name for r in uow.reps.list()}
        territory_names = {t.id: t.name for t in uow.plans.get("P2").territories}
    assert compared["reps_gaining"] == [rep_of[territories[0]]]
    for side in ("gaining", "losing"):
        ids, names = compared[f"reps_{side}"], compared[f"reps_{side}_names"]
        assert names == [rep_names[r] for r in ids] and set(names).isdisjoint(ids)
    first = compared["moved"][0]
    assert first["new_territory_name"] == territory_names[territories[0]]
    assert first["old_territory_name"] == territory_names[current]
    as_csv = list(
        csv.DictReader(io.StringIO(cli("plans", "compare", "P1", "P2", "-f", "csv").stdout))
    )
    assert {(r["new owner id"], r["new owner"]) for r in as_csv} == {
        (rep_of[territories[0]], rep_names[rep_of[territories[0]]])
    }
    undone = cli("plans", "undo", "P2", "-f", "json")
    assert undone.returncode == 0, undone.stderr
    assert json.loads(undone.stdout)["can_redo"] is True
    assert cli("plans", "redo", "P2", "-f", "json").returncode == 0
    neither = cli("plans", "move", "P2", "--to", territories[0])
    assert neither.returncode == 2

    # Compare shows each plan's targets per territory and in total, at 80 columns.
    table = cli("plans", "compare", "P1", "P2")
    assert table.returncode == 0, table.stderr
    assert "targets (P1 -> P2)" in table.stdout and "2.0M -> none" in table.stdout
    # P2 has not set targets yet: no "-2.0M" change, and a note says how to set them.
    assert "-2.0M" not in table.stdout
    assert "no targets are stored for plan P2" in " ".join(table.stderr.split())
    assert "targets of P1 and P2" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80

    assert cli("plans", "status", "P2", "submit").returncode == 0
    assert cli("plans", "status", "P2", "reopen", "--reason", "LA again").returncode == 0
    assert "LA again" in cli("plans", "show", "P2").stdout  # "Sent back to draft ...: LA again"
    assert cli("plans", "status", "P2", "submit").returncode == 0
    stale = cli("plans", "status", "P2", "approve", "--version", "1")
    assert stale.returncode == 5
    assert "was changed since you loaded it" in stale.stderr and "What if" in stale.stderr
    assert cli("plans", "status", "P2", "approve").returncode == 0
    expected = json.loads(cli("plans", "compare", "P1", "P2", "-f", "json").stdout)
    activated = cli("plans", "activate", "P2", "--effective", "2026-01-01")
    assert activated.returncode == 0, activated.stderr
    said = " ".join(activated.stdout.split())
    assert "active from 2026-01-01" in said
    # how many accounts the activation gave another owner, as the comparison predicted
    assert f"{expected['owner_changes']:,} changed owner" in said
    assert expected["owner_changes"] > 0

    # KPIs by rep: LA's 2025 revenue stays with its old rep after the realignment.
    def by_rep(period: str) -> dict[str, float]:
        answer = cli("kpis", "--by", "rep", "--period", period, "-f", "json")
        assert answer.returncode == 0, answer.stderr
        return {row["key"]: row["revenue"] for row in json.loads(answer.stdout)}

    from terraplan.services.monitoring import plan_kpis

    db = Database(url)
    _, frame = plan_kpis(db, "P2", periods=["2025"], dimensions=["territory"])
    db.dispose()
    terr = dict(zip(frame["key"], frame["revenue"], strict=True))
    la_2025 = _revenue(tmp_path, "2025")
    old_rep, new_rep = rep_of[current], rep_of[territories[0]]
    reps = by_rep("2025")
    assert la_2025 > 0
    assert reps[old_rep] == pytest.approx(terr[current] + la_2025)
    assert reps[new_rep] == pytest.approx(terr[territories[0]] - la_2025)
    shown = cli("kpis", "--by", "rep", "--period", "2025")
    # 2023 precedes the history (P1's activation): those dates go to the owner the CRM data
    # gave each account whose owner P1 changed, else to its first recorded owner
    said = " ".join(shown.stdout.split())
    assert said.count("before 2024-01-01") == 1
    assert said.count("credited to the owner the CRM gave each account") == 1

    refused = cli("plans", "delete", "P2")
    assert refused.returncode == 5
    assert "Traceback" not in refused.stderr
    bad_date = cli("plans", "activate", "P1", "--effective", "tomorrow")
    assert bad_date.returncode == 2
    assert cli("plans", "delete", "P1").returncode == 0
    missing = cli("plans", "show", "P1")
    assert missing.returncode == 4


def test_the_cli_refuses_what_would_bypass_activation(run_cli: RunCli, tmp_path: Path) -> None:
    """With P1 active: a copy's rules are not applied (exit 5, accounts untouched), the active
    plan's rules are not replaced (exit 5), and a scope or id that names nothing exits 2."""
    import sqlite3

    url = _database(tmp_path)
    _owned_and_active(url)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, database_url=url)

    def owners() -> list[tuple[str, str]]:
        with sqlite3.connect(tmp_path / "plans.db") as connection:
            return connection.execute("SELECT id, owner_id FROM accounts ORDER BY id").fetchall()

    assert cli("plans", "copy", "P1", "--plan-id", "P2").returncode == 0
    before = owners()
    applied = cli("rules", "apply", "--plan", "P2")
    assert applied.returncode == 5, applied.stdout
    assert "plan P1 (Regions) is active for the whole market" in applied.stderr
    assert owners() == before

    assert cli("rules", "export", str(tmp_path / "r.yaml"), "--plan", "P1").returncode == 0
    saved = cli("rules", "save", str(tmp_path / "r.yaml"), "--plan", "P1")
    assert saved.returncode == 5
    assert "only a draft's rules can change" in saved.stderr
    assert cli("rules", "save", str(tmp_path / "r.yaml"), "--plan", "P2").returncode == 0

    nowhere = cli("plans", "copy", "P1", "--plan-id", "P3", "--scope", "Nowhere")
    assert nowhere.returncode == 2
    assert "names no part of the market" in nowhere.stderr and "West" in nowhere.stderr
    odd = cli("plans", "new", "Odd", "--territory", "a/b?c#d=X")
    assert odd.returncode == 2
    assert "not a usable id" in odd.stderr


def test_plans_comments_name_what_each_comment_is_about(run_cli: RunCli, tmp_path: Path) -> None:
    from terraplan.services.feedback import add_comment
    from terraplan.storage.unit_of_work import UnitOfWork

    url = _database(tmp_path)
    db = Database(url)
    with UnitOfWork(db) as uow:
        territory = uow.plans.get("P1").territories[0]
        account = uow.accounts.list(limit=1)[0]
    add_comment(db, "P1", "too big", author="ana", target_kind="territory", target_id=territory.id)
    add_comment(db, "P1", "LA belongs east", author="ana", target_kind="unit", target_id="06037")
    add_comment(db, "P1", "key account", author="ana", target_kind="account", target_id=account.id)
    add_comment(db, "P1", "looks good", author="bo")
    db.dispose()
    shown = run_cli("plans", "comments", "P1", database_url=url, env={"COLUMNS": "80"})
    assert shown.returncode == 0, shown.stderr
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    words = set(shown.stdout.replace("│", " ").replace(",", " ").split())
    assert "06037" not in words and territory.id not in words
    assert {"Angeles", "County"} <= words
    listed = json.loads(run_cli("plans", "comments", "P1", "-f", "json", database_url=url).stdout)
    on = {(c["target_kind"], c["target_id"]): c["on"] for c in listed}
    assert on == {
        ("territory", territory.id): territory.name,
        ("unit", "06037"): "Los Angeles County, CA",
        ("account", account.id): account.name,
        ("plan", None): "the plan",
    }


def test_owners_says_a_plan_was_in_force_when_its_activation_recorded_none(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """After an upgrade from before ownership history, `owners` said "no plan was active
    then" while `plans list` showed the active plan."""
    import sqlite3

    url = _database(tmp_path)
    _owned_and_active(url)
    with sqlite3.connect(tmp_path / "plans.db") as connection:
        (account,) = connection.execute(
            "SELECT record_id FROM ownership_periods LIMIT 1"
        ).fetchone()
        connection.execute("DELETE FROM ownership_periods WHERE record_id = ?", (account,))
    said = run_cli("owners", account, database_url=url).stdout
    assert "plan P1 was in force" in " ".join(said.split())
    before = run_cli("owners", account, "--on", "2023-06-01", database_url=url).stdout
    assert "no plan was active then" in before


def test_json_and_csv_carry_values_not_what_the_table_shows(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """For programs: null (not ""), ids beside names, a comment's whole text, the audit's
    records as objects (not JSON text in JSON), and a CSV header row when there are no rows."""
    from terraplan.services.feedback import add_comment

    url = _database(tmp_path)
    rep_of = _owned_and_active(url)
    db = Database(url)
    with db.engine.connect() as connection:
        account, territory = connection.exec_driver_sql(
            "SELECT record_id, territory_id FROM ownership_periods LIMIT 1"
        ).one()
    empty = run_cli("plans", "comments", "P1", "-f", "csv", database_url=url)
    assert empty.stdout.splitlines() == ["id,on,by,when,status,text,target_kind,target_id"]
    add_comment(db, "P1", "LA needs a second rep: " + "x" * 80, author="ana")
    db.dispose()

    owners = json.loads(run_cli("owners", account, "-f", "json", database_url=url).stdout)
    assert owners[0]["to"] is None  # still the owner
    assert owners[0]["territory_id"] == territory and owners[0]["owner_id"] == rep_of[territory]
    assert owners[0]["owner"] != owners[0]["owner_id"]  # the rep's name too
    (comment,) = json.loads(
        run_cli("plans", "comments", "P1", "-f", "json", database_url=url).stdout
    )
    assert comment["text"] == "LA needs a second rep: " + "x" * 80 and comment["status"] is None
    audit = json.loads(
        run_cli("plans", "audit", "--plan", "P1", "-f", "json", database_url=url).stdout
    )
    activated = [e for e in audit if e["action"] == "activate"]
    assert activated and isinstance(activated[0]["after"], dict)
    assert all(e["before"] is None or isinstance(e["before"], dict) for e in audit)
    same = run_cli("plans", "compare", "P1", "P1", "-f", "csv", database_url=url)
    assert same.returncode == 0, same.stderr
    assert next(csv.reader(io.StringIO(same.stdout)))[:3] == ["account", "from", "to"]


def test_plans_list_and_show_give_programs_the_stored_values(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """`plans list -f json` said "in review" and "(whole market)" where `plans show` and the
    API say "in_review" and null; `plans show` gave owners by name only, "(vacant)" for none."""
    url = _database(tmp_path)
    rep_of = _owned_and_active(url)
    copied = run_cli("plans", "copy", "P1", "--plan-id", "P2", database_url=url)
    assert copied.returncode == 0, copied.stderr
    assert run_cli("plans", "status", "P2", "submit", database_url=url).returncode == 0
    listed = json.loads(run_cli("plans", "list", "-f", "json", database_url=url).stdout)
    assert [(p["plan"], p["status"], p["scope"]) for p in listed] == [
        ("P1", "active", None),
        ("P2", "in_review", None),
    ]
    shown = json.loads(run_cli("plans", "show", "P1", "-f", "json", database_url=url).stdout)
    owners = {t["territory"]: t["owner_ids"] for t in shown["territories"]}
    assert owners == {territory: [rep] for territory, rep in rep_of.items()}
    # a list of names beside the list of ids (a territory's reps, not one joined string)
    from terraplan.storage.unit_of_work import UnitOfWork

    with UnitOfWork(Database(url)) as uow:
        rep_names = {r.id: r.name for r in uow.reps.list()}
    assert all(
        t["owner_names"] == [rep_names[r] for r in t["owner_ids"]] for t in shown["territories"]
    )
    blank = run_cli("plans", "new", "Blank", "--territory", "W=West", "--plan-id", "P3",
                    database_url=url)  # fmt: skip
    assert blank.returncode == 0, blank.stderr
    vacant = json.loads(run_cli("plans", "show", "P3", "-f", "json", database_url=url).stdout)
    assert vacant["territories"][0]["owner"] is None
    assert vacant["territories"][0]["owner_ids"] == []
    assert vacant["territories"][0]["owner_names"] == []


def test_owners_names_whom_kpis_credit_before_the_first_activation(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """`owners --on` a day before any plan said only "no plan was active then", while KPIs
    credit that day's sales to the owner the CRM gave the account (no rep before their hire
    date): it names that owner now, or says no rep is credited."""
    url = _database(tmp_path)
    db = Database(url)
    with db.engine.connect() as connection:
        names = dict(connection.exec_driver_sql("SELECT id, name FROM reps").all())
        hired = dict(connection.exec_driver_sql("SELECT id, hire_date FROM reps").all())
        # an account whose owner has no hire date, or was hired before 2023
        account, owner = connection.exec_driver_sql(
            "SELECT a.id, a.owner_id FROM accounts a JOIN reps r ON r.id = a.owner_id "
            "WHERE r.hire_date IS NULL OR r.hire_date < '2023-01-01' ORDER BY a.id LIMIT 1"
        ).one()
    db.dispose()
    never = " ".join(run_cli("owners", account, database_url=url).stdout.split())
    assert "no plan was active then" in never
    # no plan ever activated: the CRM's owner, as KPIs by rep credit (not a draft's rep)
    assert f"to the owner the CRM gives it, {names[owner]}" in never

    _owned_and_active(url)
    db = Database(url)
    with db.engine.connect() as connection:
        # accounts whose owner the activation changed: the CRM's owner before it, from the
        # hire of that owner (one hired before 2023-06-01, one after)
        changed = connection.exec_driver_sql(
            "SELECT c.record_id, c.old_owner_id, c.new_owner_id, r.hire_date "
            "FROM owner_changes c JOIN reps r ON r.id = c.old_owner_id "
            "WHERE c.record_kind = 'account' AND c.old_owner_id <> c.new_owner_id "
            "ORDER BY c.id"
        ).all()
        # and one whose owner it kept: KPIs credit that owner before it too
        kept, kept_owner = connection.exec_driver_sql(
            "SELECT p.record_id, p.owner_id FROM ownership_periods p JOIN reps r "
            "ON r.id = p.owner_id WHERE p.record_id NOT IN "
            "(SELECT record_id FROM owner_changes WHERE old_owner_id <> new_owner_id) "
            "AND (r.hire_date IS NULL OR r.hire_date < '2023-06-01') "
            "ORDER BY p.record_id LIMIT 1"
        ).one()
    db.dispose()
    said = run_cli("owners", kept, "--on", "2023-06-01", database_url=url).stdout
    assert f"that day to its first recorded owner, {names[kept_owner]}." in " ".join(said.split())
    early = next(c for c in changed if c[3] is None or str(c[3]) < "2023-06-01")
    late = next(c for c in changed if c[3] is not None and str(c[3]) > "2023-06-01")
    account, crm_owner, new_owner, _ = early
    before = " ".join(
        run_cli("owners", account, "--on", "2023-06-01", database_url=url).stdout.split()
    )
    assert "no plan was active then" in before
    crm = names[crm_owner]
    assert f"KPIs credit its sales that day to the owner the CRM gave it, {crm}." in before
    history = " ".join(run_cli("owners", account, database_url=url).stdout.split())
    assert names[new_owner] in history
    assert f"KPIs credit its sales before 2024-01-01 to the owner the CRM gave it, {crm}" in (
        history
    )
    on_day = run_cli("owners", account, "--on", "2024-06-01", database_url=url).stdout
    assert names[new_owner] in on_day and "KPIs credit" not in on_day
    # the CRM's owner was hired after the day: no rep is credited (who sold then is unknown)
    account, crm_owner, _, hire = late
    unhired = " ".join(
        run_cli("owners", account, "--on", "2023-06-01", database_url=url).stdout.split()
    )
    assert (
        f"KPIs credit its sales that day to no rep: {names[crm_owner]} was hired on {hire}."
        in unhired
    ), (unhired, hired[crm_owner])


def test_a_copy_made_on_the_command_line_names_its_author_in_the_audit_log(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """Every CLI step is logged as by ``cli``; the copy was logged by nobody, so the audit
    log read "copied from FY27 as What if" with no one behind it."""
    import sqlite3

    url = _database(tmp_path)
    _owned_and_active(url)
    copied = run_cli(
        "plans", "copy", "P1", "--plan-id", "P2", "--name", "What if", database_url=url
    )
    assert copied.returncode == 0, copied.stderr
    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        actors = con.execute(
            "SELECT actor FROM audit_log WHERE plan_id = 'P2' AND action = 'copy'"
        ).fetchall()
        created_by = con.execute("SELECT created_by FROM plans WHERE id = 'P2'").fetchone()
    assert actors == [("cli",)]
    assert created_by == ("cli",)
