"""Closed accounts: how an import closes and reopens them, and what leaves them out since.

A real CRM drops churned accounts from its export, or flags them (``Active__c = No``, a churn
date); a closed account keeps its history and leaves designs, rules, balance and owner files.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.services.test_owner_sync import _seed_active

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.owner_sync import assignment_rows, export_assignments
from terraplan.services.ownership import apply_rules
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.record_repository import OPEN
from terraplan.storage.unit_of_work import UnitOfWork

BOOK = "id,name,state,potential\n" + "".join(
    f"A{i},Account {i},CA,{100 * (i + 1)}\n" for i in range(10)
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _closed(db: Database) -> dict[str, date]:
    with UnitOfWork(db) as uow:
        return {a.id: a.closed_on for a in uow.accounts.list() if a.closed_on is not None}


def _without(ids: set[int]) -> str:
    lines = BOOK.splitlines(keepends=True)
    return lines[0] + "".join(line for i, line in enumerate(lines[1:]) if i not in ids)


def test_a_full_export_without_some_accounts_closes_them_and_they_come_back(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "book.csv", BOOK), "accounts")
    outcome = import_file(
        db, _write(tmp_path, "later.csv", _without({3, 7})), "accounts", close_missing=True
    )
    assert _closed(db) == {"A3": date.today(), "A7": date.today()}
    assert (outcome.closed, outcome.reopened) == (2, 0)
    from terraplan.services.status import database_status

    status = database_status(db)  # `terraplan status` counts them apart
    assert (status.counts["accounts"], status.closed_accounts) == (10, 2)
    assert outcome.absent_note("accounts") is None  # closed, not "kept as they were"
    assert any(
        "2 account(s) closed (2 because the file leaves them out)" in n for n in outcome.notes
    )
    # Without the flag a file leaving them out closes nothing more and opens nothing.
    outcome = import_file(db, _write(tmp_path, "part.csv", _without({1, 3, 7})), "accounts")
    assert set(_closed(db)) == {"A3", "A7"} and outcome.closed == 0
    # An account back in an export is in the CRM again: it is open again.
    outcome = import_file(db, _write(tmp_path, "back.csv", _without({7})), "accounts")
    assert set(_closed(db)) == {"A7"}
    assert outcome.reopened == 1
    assert any("1 closed accounts are in this file again" in n for n in outcome.notes)


def test_closing_most_of_the_book_is_refused_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "book.csv", BOOK), "accounts")
    region = "id,name,state,potential\nA0,Renamed,CA,5\nA1,Account 1,CA,200\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "region.csv", region), "accounts", close_missing=True)
    assert "would close 8 of the 10 open accounts" in caught.value.message
    assert _closed(db) == {}
    with UnitOfWork(db) as uow:
        assert uow.accounts.get("A0").name == "Account 0"  # the rename was not written either


def test_close_missing_is_for_accounts_only(db: Database, tmp_path: Path) -> None:
    reps = _write(tmp_path, "reps.csv", "id,name\nR1,Ann\n")
    with pytest.raises(Exception, match="accounts only"):
        import_file(db, reps, "reps", close_missing=True)


def test_an_active_flag_and_a_churn_date_close_accounts(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "book.csv", BOOK), "accounts")
    flagged = (
        "Id,Account Name,Active__c\nA0,Account 0,Yes\nA1,Account 1,No\nA2,Account 2,Inactive\n"
    )
    outcome = import_file(db, _write(tmp_path, "flags.csv", flagged), "accounts")
    assert _closed(db) == {"A1": date.today(), "A2": date.today()}
    assert outcome.closed == 2
    dated = "id,name,Churn Date\nA4,Account 4,2026-03-31\nA1,Account 1,\n"
    import_file(db, _write(tmp_path, "churn.csv", dated), "accounts")
    # A row with an empty churn date is open; a dated one closed on its day.
    assert _closed(db) == {"A2": date.today(), "A4": date(2026, 3, 31)}


def test_an_inactive_row_keeps_the_day_it_was_closed(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "book.csv", BOOK), "accounts")
    import_file(
        db, _write(tmp_path, "churn.csv", "id,name,closed_on\nA5,A5,2025-01-31\n"), "accounts"
    )
    import_file(db, _write(tmp_path, "flags.csv", "id,name,active\nA5,A5,false\n"), "accounts")
    assert _closed(db) == {"A5": date(2025, 1, 31)}


def test_a_parquet_folder_closes_what_it_leaves_out(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "book.csv", BOOK), "accounts")
    folder = tmp_path / "export"
    folder.mkdir()
    frame = pl.read_csv(_write(tmp_path, "later.csv", _without({2})))
    frame.head(5).write_parquet(folder / "part-0.parquet")
    frame.tail(4).write_parquet(folder / "part-1.parquet")
    source = parse_source(str(folder))
    assert source is not None
    outcome = import_source(db, source, "accounts", batch_rows=3, close_missing=True)
    assert _closed(db) == {"A2": date.today()}
    assert outcome.closed == 1


def test_closed_accounts_leave_rules_owner_files_and_open_lists(
    db: Database, tmp_path: Path
) -> None:
    _seed_active(db)  # W0..W5 in West (R1), E0 in East, T0 in the vacant territory
    before = {row["account_id"] for row in assignment_rows(db, "P")[1]}
    assert {"W0", "W1"} <= before
    file = "id,name,state\n" + "".join(
        f"{a},{a},{s}\n" for a, s in [("W1", "CA"), ("W2", "CA"), ("W3", "CA"), ("W4", "CA"),
                                      ("W5", "CA"), ("E0", "NY"), ("T0", "TX")]
    )  # fmt: skip
    import_file(db, _write(tmp_path, "crm.csv", file), "accounts", close_missing=True)
    assert set(_closed(db)) == {"W0"}
    # The latest run placed W0: the owner file and the assignment list leave it out now.
    assert "W0" not in {row["account_id"] for row in assignment_rows(db, "P")[1]}
    out = tmp_path / "owners.csv"
    export_assignments(db, out, plan_id="P", salesforce=True)
    with out.open(encoding="utf-8") as handle:
        assert "W0" not in {row["Id"] for row in csv.DictReader(handle)}
    # A rule run places open accounts only.
    outcome = apply_rules(db, "P")
    assert outcome.run.records == 7  # W1..W5, E0, T0
    assert "W0" not in {row["account_id"] for row in assignment_rows(db, "P")[1]}
    with UnitOfWork(db) as uow:
        assert "W0" not in {a.id for a in uow.accounts.list(where=OPEN)}
        assert uow.accounts.count(not_null=("closed_on",)) == 1


def test_designs_sum_open_accounts_only(db: Database, tmp_path: Path) -> None:
    from terraplan.data.counties import load_counties
    from terraplan.services.design import with_account_metrics

    # A0..A9 in San Francisco (ZIP 94107): potentials 100..1,000, 5,500 in all.
    book = "id,name,postal_code,potential\n" + "".join(
        f"A{i},Account {i},94107,{100 * (i + 1)}\n" for i in range(10)
    )
    import_file(db, _write(tmp_path, "book.csv", book), "accounts")
    flags = "id,name,active\nA9,Account 9,no\n"
    import_file(db, _write(tmp_path, "flags.csv", flags), "accounts")
    san_francisco = [u for u in load_counties() if u.id == "06075"]
    with UnitOfWork(db) as uow:
        units, _ = with_account_metrics(san_francisco, uow, ["potential", "count"])
    assert units[0].attributes["potential"] == 4500.0
    assert units[0].attributes["count"] == 9


def test_an_export_imported_again_keeps_closed_accounts_closed(
    db: Database, tmp_path: Path
) -> None:
    from terraplan.services.exports import export_records

    import_file(db, _write(tmp_path, "book.csv", BOOK), "accounts")
    import_file(db, _write(tmp_path, "later.csv", _without({3})), "accounts", close_missing=True)
    out = tmp_path / "accounts.csv"
    export_records(db, "accounts", out)
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "closed_on" in header and "active" not in header
    outcome = import_file(db, out, "accounts")
    assert (outcome.closed, outcome.reopened) == (0, 0)
    assert _closed(db) == {"A3": date.today()}
    # A CRM file with a close date and a blank active flag: the date says it.
    mixed = "id,name,Churn Date,IsActive\nA4,Account 4,2026-02-28,\nA5,Account 5,2026-02-28,true\n"
    outcome = import_file(db, _write(tmp_path, "mixed.csv", mixed), "accounts")
    assert _closed(db) == {"A3": date.today(), "A4": date(2026, 2, 28)}
    assert any(
        n.startswith("1 account(s) flagged active carry a close date (e.g. Account 5 (A5))")
        for n in outcome.notes
    )
    # A close date still to come closes the account now: said, not silent.
    later = "id,name,closed_on\nA6,Account 6,2099-12-31\n"
    outcome = import_file(db, _write(tmp_path, "later.csv", later), "accounts")
    assert _closed(db)["A6"] == date(2099, 12, 31)
    assert any(
        n.startswith("1 account(s) close on a day after today (e.g. Account 6 (A6))")
        for n in outcome.notes
    )


def test_a_closed_accounts_past_revenue_stays_in_its_territory_after_a_rule_run(
    db: Database, tmp_path: Path
) -> None:
    """A plan aligned by rules alone: its rule runs still place closed accounts (as closed:
    no owner change, no gap), so their sales of past periods stay in their territory."""
    from terraplan.domain import SalesLine
    from terraplan.services.monitoring import plan_kpis

    _seed_active(db)
    with UnitOfWork(db) as uow:
        uow.sales_lines.add_many(
            [SalesLine(f"S{a}", a, date(2025, 6, 1), 1000.0) for a in ("W0", "W1", "E0")]
        )
        uow.commit()

    def west_2025() -> float:
        _, frame = plan_kpis(db, "P", periods=["2025"], dimensions=["territory"])
        return float(frame.filter(pl.col("key") == "W")["revenue"][0])

    assert west_2025() == 2000.0
    import_file(db, _write(tmp_path, "flags.csv", "id,name,active\nW0,West 0,no\n"), "accounts")
    outcome = apply_rules(db, "P")
    assert west_2025() == 2000.0
    assert (outcome.run.records, outcome.run.gaps, outcome.run.owner_changes) == (7, 0, 0)
    with UnitOfWork(db) as uow:
        closed = [a for a in uow.assignments.current("P") if a.record_id == "W0"]
    assert [(a.territory_id, a.status) for a in closed] == [("W", "closed")]


def test_targets_grow_from_the_sales_of_open_accounts(db: Database, tmp_path: Path) -> None:
    from terraplan.domain import SalesLine
    from terraplan.services.reps_targets import plan_targets

    _seed_active(db)
    with UnitOfWork(db) as uow:
        uow.sales_lines.add_many(
            [
                SalesLine(f"S{a}{m}", a, date(2025, m, 1), 1000.0)
                for a in ("W0", "W1", "E0")
                for m in range(1, 13)
            ]
        )
        uow.commit()
    import_file(db, _write(tmp_path, "flags.csv", "id,name,active\nW0,West 0,no\n"), "accounts")
    result = plan_targets(
        db, "P", company_target=None, method="history", period=2026, as_of=date(2026, 1, 15)
    )
    assert any(w.startswith("1 closed account(s) sold 12,000 in") for w in result.warnings), (
        result.warnings
    )
    history = {t.territory_id: t.history for t in result.territories}
    assert (history["W"], history["E"]) == (12_000.0, 12_000.0)  # W0's sales left out


def _active_without_w0(db: Database, tmp_path: Path) -> str:
    """The active plan P, then a full CRM export without W0 (closed): its rows."""
    _seed_active(db)
    crm = [("W1", "CA"), ("W2", "CA"), ("W3", "CA"), ("W4", "CA"), ("W5", "CA"), ("E0", "NY"),
           ("T0", "TX")]  # fmt: skip
    rows = "".join(f"{a},{a},{s}\n" for a, s in crm)
    import_file(db, _write(tmp_path, "crm.csv", "id,name,state\n" + rows), "accounts",
                close_missing=True)  # fmt: skip
    return rows


def test_new_and_reopened_accounts_are_told_to_wait_for_the_active_plans_rules(
    db: Database, tmp_path: Path
) -> None:
    """A reopened account keeps the territory and owner it had (perhaps a rep who left) and
    a new one has none until the active plan's rules run: the import says so, naming the
    command."""
    rows = _active_without_w0(db, tmp_path)
    outcome = import_file(
        db, _write(tmp_path, "back.csv", "id,name,state\n" + rows + "W0,W0,CA\nN1,New,CA\n"),
        "accounts",
    )  # fmt: skip
    assert (outcome.new, outcome.reopened) == (1, 1)
    assert (
        "1 new account and 1 reopened: not placed by the active plan P until its rules run "
        "(`terraplan rules apply --plan P`, which gives them their territory and owner; a "
        "reopened account keeps its old ones until then)"
    ) in outcome.notes
    quiet = import_file(db, _write(tmp_path, "same.csv", "id,name,state\n" + rows), "accounts")
    assert not any("not placed" in n for n in quiet.notes)


def test_placement_notes_name_only_the_plans_whose_part_of_the_market_holds_them(
    db: Database, tmp_path: Path
) -> None:
    """With a whole-market plan and a California plan active, a new Texas account waits for
    the whole-market plan's rules only; a new California one for both."""
    from terraplan.services.new_plans import copy_plan
    from terraplan.services.plan_lifecycle import activate_plan, change_status

    rows = _active_without_w0(db, tmp_path)
    copy_plan(db, "P", new_id="CA1", scope="CA")
    for step in ("in_review", "approved"):
        change_status(db, "CA1", step)
    activate_plan(db, "CA1", effective_from=date(2026, 1, 1))

    def waiting(body: str) -> list[str]:
        outcome = import_file(db, _write(tmp_path, "crm.csv", "id,name,state\n" + body),
                              "accounts")  # fmt: skip
        return [n.split(" until")[0] for n in outcome.notes if "not placed" in n]

    assert waiting(rows + "N1,New,TX\n") == ["1 new account: not placed by the active plan P"]
    assert waiting(rows + "N1,New,TX\nN2,Other,CA\nN3,Third,CA\n") == [
        "2 new accounts: not placed by the active plan P",
        "2 new accounts: not placed by the active plan CA1",
    ]


def test_pinning_a_closed_account_is_refused_by_name(db: Database, tmp_path: Path) -> None:
    from terraplan.errors import ConflictError
    from terraplan.services.new_plans import copy_plan
    from terraplan.services.plan_edits import edit_plan

    _active_without_w0(db, tmp_path)
    copy = copy_plan(db, "P", name="What if")
    territory = copy.leaves()[0].id
    with pytest.raises(
        ConflictError, match=r"account is closed: West 0 \(closed \d{4}-\d\d-\d\d\)"
    ):
        edit_plan(db, copy.id, {"op": "move_accounts", "accounts": ["W0"], "to": territory})
    # an open one is pinned as before, and unpinning asks nothing of the data
    edit_plan(db, copy.id, {"op": "move_accounts", "accounts": ["W1"], "to": territory})
    edit_plan(db, copy.id, {"op": "move_accounts", "accounts": ["W1"], "to": None})
