"""``rules check`` and ``rules apply`` read at 80 columns on real accounts: amounts as 1.6M (a
long figure wrapped into two lines read as another number), the catch-all never cut from a long
territory list, and no potential column of zeros when no account has a potential."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import seed_region_plan

from terraplan.domain.places import US_STATES
from terraplan.storage import migrate
from terraplan.storage.database import Database

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_rules_check_shows_amounts_short_and_the_catch_all(run_cli: RunCli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/rules.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=300, seed=3)
    db.dispose()
    states = sorted(US_STATES)[:40]
    lines = ["territories:"]
    lines += [f"  - {{id: S{i}, name: State {code}, type: geo}}" for i, code in enumerate(states)]
    lines += ["  - {id: POOL, name: Unassigned pool, type: catch_all}", "rules:"]
    lines += [
        f"  - {{id: r{i}, territory: S{i}, when: {{field: state, op: in, value: [{code}]}}}}"
        for i, code in enumerate(states)
    ]
    rules = tmp_path / "rules.yaml"
    rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = run_cli("rules", "check", str(rules), database_url=url, env={"COLUMNS": "80"})
    assert checked.returncode in (0, 3), checked.stderr
    out = checked.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    table = out[out.index("account territories") :]
    assert "Unassigned" in table  # the catch-all, listed first, not cut after 30
    assert "catch_all" in table
    cells = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    potentials = [row[5].strip() for row in cells if len(row) > 6 and row[5].strip()]
    assert potentials and all(p[-1] in "kMB0" for p in potentials), potentials


def test_a_long_territory_list_shows_the_territories_holding_the_most(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """48 territories, most of them empty: the first 30 by id were shown, empty, and the
    cut hid the three that held every account."""
    url = f"sqlite:///{tmp_path}/rules.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=300, seed=3)
    db.dispose()
    lines = ["territories:"]
    lines += [f"  - {{id: E{i:02d}, name: Empty {i:02d}, type: geo}}" for i in range(45)]
    lines += ["  - {id: ZZ, name: Everything, type: geo}", "rules:"]
    lines += [f"  - {{id: e{i}, territory: E{i:02d}, when: {{field: state, op: equals, value: XX}}}}"
              for i in range(45)]  # fmt: skip
    lines += ["  - {id: all, territory: ZZ, when: {field: name, op: regex, value: '.*'}}"]
    rules = tmp_path / "rules.yaml"
    rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = run_cli("rules", "check", str(rules), database_url=url, env={"COLUMNS": "80"})
    assert checked.returncode in (0, 3), checked.stderr
    table = checked.stdout[checked.stdout.index("account territories") :]
    assert "the 30 holding the most of 46; the other 16 hold 0 accounts" in " ".join(table.split())
    assert "Everything" in table


def test_coverage_reads_100_percent_only_when_every_account_is_placed(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """One account of 300 in no territory: coverage 0.9967 was printed as "1"."""
    from terraplan.storage.unit_of_work import UnitOfWork

    url = f"sqlite:///{tmp_path}/rules.db"
    db = Database(url)
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=300, seed=3)
    with UnitOfWork(db) as uow:
        left_out = uow.accounts.list(limit=1)[0].id
    db.dispose()
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "territories: [{id: ALL, name: Everything, type: geo}]\n"
        f"rules: [{{id: all, territory: ALL, when: {{field: id, op: not_in, value: [{left_out}]}}}}]\n",
        encoding="utf-8",
    )
    checked = run_cli("rules", "check", str(rules), database_url=url, env={"COLUMNS": "80"})
    assert checked.returncode == 3, checked.stderr
    row = next(line for line in checked.stdout.splitlines() if "│ coverage" in line)
    assert row.split("│")[2].strip() == "99.66%"
