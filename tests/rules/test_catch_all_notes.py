"""A territory declared ``type: catch_all`` without the rule set's ``catch_all:`` key.

The analyst copies the README's territory list, declares ``pool`` (Unassigned) as a catch_all
territory and forgets the top-level ``catch_all: pool``: the rule set was valid, saved
silently, and every account no rule placed stayed in no territory. The save (and the check)
now says so, naming the territory and its line."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import TerraplanCli

from terraplan.rules import load_rule_set
from terraplan.storage import migrate
from terraplan.storage.database import Database

FORGOTTEN = """\
priority: [named, vertical, segment, geo, catch_all]
territories:
  - {id: west, name: West, type: geo}
  - {id: east, name: East, type: geo}
  - {id: pool, name: Unassigned, type: catch_all}
rules:
  - {id: west, territory: west, when: {field: state, op: in, value: [CA, OR, WA]}}
  - {id: east, territory: east, when: {field: state, op: in, value: [NY, NJ]}}
"""


def test_a_catch_all_territory_the_key_does_not_name_is_said_with_its_line() -> None:
    notes = load_rule_set(FORGOTTEN).notes
    idle = [n for n in notes if "catch_all" in n]
    assert idle == [
        "line 5: territory Unassigned (pool) is of type catch_all but the rule set has no "
        "'catch_all: pool' line: it catches nothing, and the accounts and leads no rule places "
        "stay in no territory; add 'catch_all: pool' at the top"
    ]
    # with the key, nothing to say
    assert not [n for n in load_rule_set("catch_all: pool\n" + FORGOTTEN).notes if "catch_all" in n]


def test_another_territory_named_as_the_catch_all_is_said_too() -> None:
    text = "catch_all: east\n" + FORGOTTEN
    (note,) = [n for n in load_rule_set(text).notes if "catch_all" in n]
    assert note.startswith("line 6: territory Unassigned (pool) is of type catch_all but the ")
    assert "rule set's catch_all is East (east)" in note and "go to East" in note


def test_rules_save_prints_the_note(terraplan_cli: TerraplanCli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/rules.db"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return terraplan_cli(*args, database_url=url)

    made = cli(
        "plans",
        "new",
        "FY28 rules",
        "--plan-id",
        "P7",
        "--territory",
        "west=West",
        "--territory",
        "east=East",
    )
    assert made.returncode == 0, made.stderr
    plan_id = "P7"
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(FORGOTTEN, encoding="utf-8")
    saved = cli("rules", "save", str(rule_file), "--plan", plan_id)
    assert saved.returncode == 0, saved.stderr
    assert "line 5: territory Unassigned (pool) is of type catch_all" in " ".join(
        saved.stderr.split()
    )
    checked = cli("rules", "check", str(rule_file), "--plan", plan_id)
    assert "Unassigned (pool) is of type catch_all" in " ".join(
        checked.stdout.split() + checked.stderr.split()
    )
