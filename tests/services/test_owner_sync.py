"""Owners in sync: each assigned account owned by its territory's primary rep, changes logged,
exported for Salesforce Data Loader."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from tests.conftest import TerraplanCli

from terraplan.domain import Account, Plan, Rep, Territory, TerritoryOwner
from terraplan.errors import NotFoundError
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services.owner_sync import assignment_rows, export_assignments, sync_account_owners
from terraplan.services.ownership import apply_rules
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

RULES = """
territories:
  - {id: W, name: West, type: geo}
  - {id: E, name: East, type: geo}
  - {id: V, name: Vacant, type: geo}
rules:
  - {id: west, territory: W, when: {field: state, op: equals, value: CA}}
  - {id: east, territory: E, when: {field: state, op: equals, value: NY}}
  - {id: vac, territory: V, when: {field: state, op: equals, value: TX}}
"""


def _seed(db: Database) -> Plan:
    plan = Plan(
        id="P",
        name="FY27",
        territories=(
            Territory(id="W", name="West", owners=(TerritoryOwner("R1"),)),
            Territory(id="E", name="East", owners=(TerritoryOwner("R2"),)),
            Territory(id="V", name="Vacant"),
        ),
    )
    accounts = [Account(id=f"W{i}", name=f"West {i}", state="CA", owner_id="OLD") for i in range(6)]
    accounts += [Account(id="E0", name="East 0", state="NY", owner_id="R2")]
    accounts += [Account(id="T0", name="Texan", state="TX", owner_id="R9")]
    accounts += [Account(id="X0", name="Nowhere", state="IL", owner_id="R9")]
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id=f"R{i}", name=f"Rep {i}") for i in range(1, 10)])
        uow.accounts.add_many(accounts)
        stored = uow.plans.add(plan)
        uow.rule_sets.add(
            "P",
            dump_rule_set(load_rule_set(RULES, territories=plan.territories)),
            plan_version=stored.version,
        )
        uow.commit()
    return stored


def _seed_active(db: Database) -> None:
    """:func:`_seed`, its rules applied, reviewed and activated as the README orders it."""
    from sqlalchemy import text

    from terraplan.services.plan_lifecycle import activate_plan, change_status

    _seed(db)
    with db.connect() as connection:  # the account no rule places would refuse activation
        connection.execute(text("DELETE FROM accounts WHERE id = 'X0'"))
    apply_rules(db, "P")
    change_status(db, "P", "in_review")
    change_status(db, "P", "approved")
    activate_plan(db, "P")


def _owners(db: Database) -> dict[str, str | None]:
    with UnitOfWork(db) as uow:
        return {a.id: a.owner_id for a in uow.accounts.list()}


def test_apply_gives_each_assigned_account_its_primary_rep_and_logs_it(db: Database) -> None:
    _seed(db)
    outcome = apply_rules(db, "P")
    owners = _owners(db)
    assert [owners[f"W{i}"] for i in range(6)] == ["R1"] * 6
    assert owners["E0"] == "R2"  # already right: no change
    assert owners["T0"] == "R9"  # vacant territory: the owner is kept
    assert owners["X0"] == "R9"  # gap: untouched
    assert (outcome.owners.changed, outcome.owners.vacant) == (6, 1)
    assert outcome.run.owner_changes == 6
    with UnitOfWork(db) as uow:
        stored = {a.record_id: a.owner_id for a in uow.assignments.current("P")}
        log = uow.assignments.changes("P", run_id=outcome.run.run_id)
    assert stored["W3"] == "R1" and stored["E0"] == "R2" and stored["T0"] is None
    assert sorted((c["record_id"], c["old_owner_id"], c["new_owner_id"]) for c in log) == [
        (f"W{i}", "OLD", "R1") for i in range(6)
    ]
    # applying again changes nothing
    again = apply_rules(db, "P")
    assert (again.run.owner_changes, again.owners.changed) == (0, 0)
    assert outcome.notes == again.notes == ()  # every owner is active


def test_apply_says_once_which_inactive_reps_it_gave_accounts_to(db: Database) -> None:
    from dataclasses import replace

    _seed(db)
    with UnitOfWork(db) as uow:
        uow.reps.add_many([replace(uow.reps.get("R1"), active=False)])
        uow.commit()
    outcome = apply_rules(db, "P")
    assert outcome.notes == (
        "Rep 1 is inactive and now owns 6 accounts of this run: give the territory another "
        "owner (`terraplan plans owners` or `match --apply`) before the owners reach the CRM",
    )


def test_new_primaries_after_matching_are_synced_by_weight(db: Database) -> None:
    plan = _seed(db)
    first = apply_rules(db, "P")
    # as `match --apply` does: West now has two primaries, R3 weighted twice R4
    west = Territory(
        id="W",
        name="West",
        owners=(TerritoryOwner("R3", share=1.0), TerritoryOwner("R4", share=0.5)),
    )
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(plan, territories=(west, *plan.territories[1:])))
        uow.commit()
    synced = sync_account_owners(db, "P")
    owners = _owners(db)
    west_owners = [owners[f"W{i}"] for i in range(6)]
    assert sorted(west_owners) == ["R3", "R3", "R3", "R3", "R4", "R4"]
    assert synced.changed == 6 and synced.run_id == first.run.run_id
    assert sync_account_owners(db, "P").changed == 0  # deterministic and stable
    with UnitOfWork(db) as uow:
        stored = {a.record_id: a.owner_id for a in uow.assignments.current("P")}
    assert [stored[f"W{i}"] for i in range(6)] == west_owners
    # the export shows the owner before the run (OLD) and the owner now
    _, rows = assignment_rows(db, "P")
    by_id = {r["account_id"]: r for r in rows}
    assert by_id["W0"]["old_owner_id"] == "OLD"
    assert by_id["W0"]["new_owner_name"] in ("Rep 3", "Rep 4")
    assert by_id["E0"]["old_owner_id"] == by_id["E0"]["new_owner_id"] == "R2"
    assert by_id["W0"]["territory_name"] == "West" and by_id["W0"]["rule_id"] == "west"


def test_export_assignments_full_and_salesforce(db: Database, tmp_path: Path) -> None:
    _seed(db)
    with pytest.raises(NotFoundError, match="no assignments yet"):
        export_assignments(db, tmp_path / "none.csv", plan_id="P")
    apply_rules(db, "P")
    plan_id, count = export_assignments(db, tmp_path / "all.csv", plan_id="P")
    assert (plan_id, count) == ("P", 9)
    with (tmp_path / "all.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "account_id",
        "account_name",
        "territory_id",
        "territory_name",
        "old_owner_id",
        "old_owner_name",
        "new_owner_id",
        "new_owner_name",
        "rule_id",
    ]
    w0 = next(r for r in rows if r["account_id"] == "W0")
    assert (w0["old_owner_id"], w0["new_owner_id"], w0["new_owner_name"]) == ("OLD", "R1", "Rep 1")
    _, changed = export_assignments(db, tmp_path / "owners.csv", plan_id="P", salesforce=True)
    text = (tmp_path / "owners.csv").read_text(encoding="utf-8").splitlines()
    assert changed == 6
    assert text[0] == "Id,OwnerId"
    assert sorted(text[1:]) == [f"W{i},R1" for i in range(6)]
    _, xlsx = export_assignments(db, tmp_path / "all.xlsx", plan_id="P")
    assert xlsx == 9 and (tmp_path / "all.xlsx").stat().st_size > 0


def test_a_plan_never_applied_has_nothing_to_sync(db: Database) -> None:
    _seed(db)
    synced = sync_account_owners(db, "P")
    assert (synced.run_id, synced.changed) == (None, 0)
    assert _owners(db)["W0"] == "OLD"


def test_cli_apply_then_export_for_data_loader(
    db: Database, tmp_path: Path, terraplan_cli: TerraplanCli
) -> None:
    import subprocess

    _seed(db)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return terraplan_cli(*args, database_url=db.url, env={"COLUMNS": "120"})

    applied = cli("rules", "apply", "--plan", "P")
    assert applied.returncode == 0, applied.stderr
    said = " ".join(applied.stdout.split())
    assert "6 owner changes" in said
    # gaps are not counted as assigned: 9 accounts, the gap(s) apart
    with UnitOfWork(db) as uow:
        run = uow.assignments.latest_run("P")
    assert run is not None
    assert (
        f"9 accounts run through rule set v1: {9 - run.gaps - run.conflicts} placed by a rule"
        in said
    )
    # no account has a potential: the column is empty, not a row of zeros
    table = [line for line in applied.stdout.splitlines() if line.startswith("│")]
    assert table and all(line.split("│")[-2].strip() == "" for line in table), table
    assert "note: 1 account is in 1 territory without a primary rep" in applied.stderr
    exported = cli("export", "assignments", "loader.csv", "--plan", "P", "--salesforce")
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 6 owner changes of plan P" in exported.stdout
    lines = (tmp_path / "loader.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Id,OwnerId" and len(lines) == 7


def test_the_loader_file_after_activation_still_lists_every_owner_change(
    db: Database, tmp_path: Path
) -> None:
    """The README order: apply the draft's rules, review, activate, export for Data Loader.
    Activation re-applies the rules and changes no owner itself; the file must still hold the
    six accounts whose owner the CRM has as OLD (it used to be empty after activation)."""
    _seed_active(db)
    with UnitOfWork(db) as uow:
        assert uow.assignments.latest_run("P").owner_changes == 0  # type: ignore[union-attr]
    _, changed = export_assignments(db, tmp_path / "owners.csv", plan_id="P", salesforce=True)
    lines = (tmp_path / "owners.csv").read_text(encoding="utf-8").splitlines()
    assert changed == 6 and sorted(lines[1:]) == [f"W{i},R1" for i in range(6)]
    _, rows = assignment_rows(db, "P")
    assert {r["account_id"]: r["old_owner_id"] for r in rows}["W0"] == "OLD"
    # The Texan sits in a territory with no primary rep and keeps Rep 9: so says the history
    # (it said "vacant", and Rep 9's sales went to nobody by rep).
    from terraplan.services.ownership_periods import ownership_history

    periods, _ = ownership_history(db, "T0")
    assert [(p.territory_id, p.owner_id) for p in periods] == [("V", "R9")]


def test_revenue_before_the_plan_is_credited_to_the_crms_owner(db: Database) -> None:
    """The West accounts belonged to Rep 5 in the CRM export; the plan gives them to Rep 1.
    Their sales before the activation are Rep 5's in KPIs by rep (they were all Rep 1's: the
    plan's new owner was credited with a year he never sold in)."""
    from datetime import date

    from sqlalchemy import text

    from terraplan.domain import SalesLine
    from terraplan.services.monitoring import plan_kpis
    from terraplan.services.plan_lifecycle import activate_plan, change_status

    _seed(db)
    with db.connect() as connection:
        connection.execute(text("DELETE FROM accounts WHERE id = 'X0'"))
        connection.execute(text("UPDATE accounts SET owner_id = 'R5' WHERE id LIKE 'W%'"))
    with UnitOfWork(db) as uow:
        uow.sales_lines.add_many(
            [
                SalesLine("S1", "W0", date(2025, 6, 1), 1000.0),
                SalesLine("S2", "E0", date(2025, 6, 1), 300.0),
            ]
        )
        uow.commit()
    apply_rules(db, "P")
    change_status(db, "P", "in_review")
    change_status(db, "P", "approved")
    activate_plan(db, "P")
    _, kpis = plan_kpis(db, "P", periods=["2025"], dimensions=["rep"])
    revenue = dict(zip(kpis["key"], kpis["revenue"], strict=True))
    assert revenue.get("R5") == pytest.approx(1000.0)
    assert revenue.get("R2") == pytest.approx(300.0)  # the plan kept East's owner
    assert not revenue.get("R1")


def test_an_owner_changed_back_is_sent_again(db: Database, tmp_path: Path) -> None:
    """West goes from OLD to Rep 1 (a file loaded), then back to OLD: the CRM now says Rep 1,
    so the next file must carry OLD again (it left the account out: OLD was the CRM's first
    owner, so nothing looked changed)."""
    plan = _seed(db)
    apply_rules(db, "P")
    back = Territory(id="W", name="West", owners=(TerritoryOwner("OLD"),))
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep(id="OLD", name="Old Owner")])
        uow.plans.save(replace(plan, territories=(back, *plan.territories[1:])))
        uow.commit()
    assert sync_account_owners(db, "P").changed == 6
    _, count = export_assignments(db, tmp_path / "back.csv", plan_id="P", salesforce=True)
    lines = (tmp_path / "back.csv").read_text(encoding="utf-8").splitlines()
    assert count == 6 and sorted(lines[1:]) == [f"W{i},OLD" for i in range(6)]


def test_files_from_an_older_rule_run_say_so(db: Database) -> None:
    """Rules saved after the latest run (not applied: another plan is active, say): the
    assignment files are that run's, and the note says the rules are newer."""
    from terraplan.services.rule_editing import save_rule_text
    from terraplan.services.rules_follow import stale_run_note

    _seed(db)
    apply_rules(db, "P")
    assert stale_run_note(db, "P") is None
    save_rule_text(db, "P", RULES.replace("value: TX", "value: IL"), by="analyst")
    note = stale_run_note(db, "P")
    assert note is not None and "rules (version 2) are not applied yet" in note


def test_after_the_crm_is_imported_again_the_file_holds_only_what_changed_since(
    db: Database, tmp_path: Path
) -> None:
    """Year two: the first file was loaded into the CRM and its accounts imported again.
    The next file holds the owners changed since (it held every change since year one, and
    named year one's owner as the old one)."""
    from terraplan.services.imports import import_file

    plan = _seed(db)
    apply_rules(db, "P")
    _, first = export_assignments(db, tmp_path / "y1.csv", plan_id="P", salesforce=True)
    assert first == 6  # West: OLD -> R1
    crm = tmp_path / "Account.csv"
    with crm.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "OwnerId"])
        writer.writerows(sorted(_owners(db).items()))
    outcome = import_file(db, crm, "accounts")
    assert (outcome.written, outcome.new, outcome.absent) == (9, 0, 0)
    _, none = export_assignments(db, tmp_path / "same.csv", plan_id="P", salesforce=True)
    assert none == 0
    # Year two: West goes to Rep 3.
    west = Territory(id="W", name="West", owners=(TerritoryOwner("R3"),))
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(plan, territories=(west, *plan.territories[1:])))
        uow.commit()
    assert sync_account_owners(db, "P").changed == 6
    _, second = export_assignments(db, tmp_path / "y2.csv", plan_id="P", salesforce=True)
    lines = (tmp_path / "y2.csv").read_text(encoding="utf-8").splitlines()
    assert second == 6 and sorted(lines[1:]) == [f"W{i},R3" for i in range(6)]
    _, rows = assignment_rows(db, "P")
    assert {r["account_id"]: r["old_owner_id"] for r in rows}["W0"] == "R1"


def test_an_import_that_leaves_stored_accounts_out_says_so(db: Database, tmp_path: Path) -> None:
    """A full export without the accounts closed since: they are kept, and a note says how
    many (a partial file, such as a web form's, leaves most out on purpose: no note)."""
    from terraplan.services.imports import import_file

    _seed(db)
    full = tmp_path / "Account.csv"
    kept = ["W0", "W1", "W2", "W3", "W4", "E0", "T0"]
    with full.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Name", "BillingState"])
        writer.writerows([[a, f"Account {a}", "CA"] for a in kept] + [["N1", "New one", "CA"]])
    outcome = import_file(db, full, "accounts")
    assert (outcome.written, outcome.new, outcome.absent) == (8, 1, 2)
    assert outcome.absent_sample == ("W5", "X0")
    assert outcome.absent_note("accounts") == (
        "2 stored accounts are not in this file (e.g. W5, X0); they are kept as they were, "
        "and still count in designs, balance and KPIs"
    )
    web = tmp_path / "webform.csv"
    web.write_text("Id,Name,BillingState\nN2,Web lead,CA\n", encoding="utf-8")
    partial = import_file(db, web, "accounts")
    assert (partial.new, partial.absent) == (1, 10)
    assert partial.absent_note("accounts") is None


def test_a_rep_who_leaves_while_owning_a_territory_is_said(db: Database, tmp_path: Path) -> None:
    """The reps import made Rep 1 inactive without a word while he owned West in the active
    plan; the owner file then gave his accounts to an inactive user, which Salesforce
    refuses."""
    from terraplan.services.imports import import_file
    from terraplan.services.owner_sync import inactive_owner_note

    _seed_active(db)
    users = tmp_path / "User.csv"
    users.write_text("Id,Name,IsActive\nR1,Rep 1,false\n", encoding="utf-8")
    outcome = import_file(db, users, "reps")
    assert outcome.notes == (
        "Rep 1 is inactive and owns West in the active plan P (FY27): its accounts and leads "
        "go to them until a copy with another owner is activated (`terraplan plans copy P`, "
        "then `plans owners` or `match --apply`)",
    )
    path = tmp_path / "owners.csv"
    _, count = export_assignments(db, path, plan_id="P", salesforce=True)
    assert count == 6
    assert inactive_owner_note(db, "P", path) == (
        "6 account(s) of the file go to inactive reps (Rep 1): Salesforce refuses an inactive "
        "owner, so those rows will fail to load; name active owners in plan P first"
    )


def test_a_crm_export_behind_the_active_plan_is_said_at_import(
    db: Database, tmp_path: Path
) -> None:
    """The daily CRM sync runs before the plan's owners were loaded into the CRM: the file
    still gives West's accounts their old owner. The import stores the CRM's owners, says
    how many accounts the CRM has with another owner than the active plan, and the plan's
    owner update file still lists them."""
    from terraplan.services.imports import import_file

    _seed_active(db)
    crm = tmp_path / "Account.csv"
    with crm.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Name", "BillingState", "OwnerId"])
        writer.writerows([[f"W{i}", f"West {i}", "CA", "OLD"] for i in range(6)])
        writer.writerow(["E0", "East 0", "NY", "R2"])
    outcome = import_file(db, crm, "accounts")
    behind = [n for n in outcome.notes if "another owner in this file" in n]
    assert behind == [
        "6 accounts of the active plan P have another owner in this file than in the plan"
        " (e.g. West 0: OLD in the file, Rep 1 in the plan): the CRM does not have the plan's"
        " owners yet; `terraplan export assignments owners.csv --plan P --salesforce` writes"
        " them for the CRM (the plan and its KPIs are unchanged)"
    ]
    _, sent = export_assignments(db, tmp_path / "owners.csv", plan_id="P", salesforce=True)
    assert sent == 6
    # once the CRM has the plan's owners, its next export is in step: nothing to say
    with crm.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Name", "BillingState", "OwnerId"])
        writer.writerows([[f"W{i}", f"West {i}", "CA", "R1"] for i in range(6)])
    again = import_file(db, crm, "accounts")
    assert not [n for n in again.notes if "another owner in this file" in n]


def test_accounts_the_crm_took_from_a_departed_rep_are_not_called_behind(
    db: Database, tmp_path: Path
) -> None:
    """Rep 1 left during the year (IsActive false) and the CRM gave his West accounts to Rep
    3. The December import said, of the realignment audit's 180 such accounts, 'the CRM does
    not have the plan's owners yet; `terraplan export assignments ... --salesforce` writes
    them for the CRM': a next step that hands them back to a departed rep. It now says the
    CRM reassigned them and what a rule run and the owner file would do with them; the other
    accounts behind the plan keep the usual note."""
    from terraplan.services.imports import import_file

    _seed_active(db)
    users = tmp_path / "User.csv"
    users.write_text("Id,Name,IsActive\nR1,Rep 1,false\n", encoding="utf-8")
    import_file(db, users, "reps")
    crm = tmp_path / "Account.csv"
    with crm.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Name", "BillingState", "OwnerId", "IsActive"])
        writer.writerows([[f"W{i}", f"West {i}", "CA", "R3", "true"] for i in range(4)])
        writer.writerow(["E0", "East 0", "New York", "R4", "true"])  # behind: R2 in the plan
    outcome = import_file(db, crm, "accounts")
    said = [n for n in outcome.notes if "another owner in this file" in n]
    assert said == [
        "4 accounts of the active plan P have another owner in this file than the inactive rep"
        " the plan gives them to (Rep 1; e.g. West 0: Rep 3 in the file): the CRM reassigned"
        " them; the plan's owner update file would send them back (Salesforce refuses those"
        " rows), and a rule run of P gives them back, until a plan with active owners is"
        " activated (`terraplan plans copy P`, then `match --apply` or `plans owners`)",
        "1 account of the active plan P has another owner in this file than in the plan (e.g."
        " East 0: Rep 4 in the file, Rep 2 in the plan): the CRM does not have the plan's"
        " owners yet; `terraplan export assignments owners.csv --plan P --salesforce` writes"
        " them for the CRM (the plan and its KPIs are unchanged)",
    ]
