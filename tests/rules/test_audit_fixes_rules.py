"""Fixes from the hostile-input and UI audits in the rule parser: territory ids that cannot be
saved are refused when checked (H7), look-alike territory names are noted once (H8), and a
YAML syntax error is one sentence in words at its line (U10)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from terraplan.domain import Territory
from terraplan.errors import RuleError
from terraplan.rules import load_rule_set
from terraplan.rules.lookalikes import folded
from terraplan.rules.positions import error_position

Cli = Callable[..., CompletedProcess[str]]


def _rules(
    first_id: str, first_name: str = "West", second: str = "pool", name2: str = "Pool"
) -> str:
    return (
        f"catch_all: '{second}'\n"
        "territories:\n"
        f"  - {{id: '{first_id}', name: '{first_name}', type: geo}}\n"
        f"  - {{id: '{second}', name: '{name2}', type: catch_all}}\n"
        "rules:\n"
        f"  - {{id: r1, territory: '{first_id}', when: {{field: state, op: in, value: [CA]}}}}\n"
    )


# --- H7 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["west/coast", "..", "../../etc", ".hidden", "a b", "wеst"])
def test_an_id_that_cannot_be_saved_is_refused_when_checked(bad: str) -> None:
    text = _rules(bad)
    with pytest.raises(RuleError) as caught:
        load_rule_set(text)
    assert caught.value.details["path"] == "territories[0].id"
    assert caught.value.message.startswith(f"territories[0].id: {bad!r} is not a usable"), (
        caught.value.message
    )
    assert "1-64 letters, digits" in caught.value.message
    assert error_position(text, caught.value) == (3, 10)  # the id itself


def test_the_plans_own_territory_ids_are_not_checked_again() -> None:
    """A plan territory with an id from an older import is the plan's: the rule set may name
    it (it is not added to the plan, so its id goes into no new URL)."""
    rule_set = load_rule_set(_rules("Old West"), territories=[Territory("Old West", "West")])
    assert "Old West" in rule_set.territories
    assert load_rule_set(_rules("T-01.a_b")).territories["T-01.a_b"].name == "West"


def test_rules_check_refuses_the_id_with_file_line_and_exit_3(
    tmp_path: Path, terraplan_cli: Cli
) -> None:
    rule_file = tmp_path / "r_slash.yaml"
    rule_file.write_text(_rules("west/coast"), encoding="utf-8")
    result = terraplan_cli("rules", "check", str(rule_file))
    assert result.returncode == 3, (result.stdout, result.stderr)
    said = " ".join(result.stderr.split())
    assert said.startswith(
        f"Error: {rule_file}, line 3: territories[0].id: 'west/coast' is not a usable territory id"
    ), said
    assert "Valid" not in result.stdout


# --- H8 ---------------------------------------------------------------------------------------


def test_folding_reads_look_alikes_as_one() -> None:
    assert folded("Ｗest") == folded("West") == folded("west") == folded("West\u200b")
    assert folded("wеst") == folded("west")  # a Cyrillic е
    assert folded("West") != folded("East")


@pytest.mark.parametrize("other", ["Ｗest", "west", "West\u200b", "Wеst", "West"])
def test_look_alike_territory_names_are_noted_once(other: str) -> None:
    rule_set = load_rule_set(_rules("t3", "West", "t4", other))
    notes = [n for n in rule_set.notes if "territory names" in n]
    assert len(notes) == 1, rule_set.notes
    assert f"{other!r} (t4)" in notes[0] and "'West' (t3)" in notes[0]


def test_distinct_names_and_ids_differing_by_case_are_told() -> None:
    assert not [n for n in load_rule_set(_rules("t3", "West", "t4", "East")).notes]
    rule_set = load_rule_set(_rules("West", "West coast", "west", "West inland"))
    notes = [n for n in rule_set.notes if "territory ids" in n]
    assert len(notes) == 1 and "'West' (West coast), 'west' (West inland)" in notes[0]


def test_rules_check_prints_the_look_alike_note_once(tmp_path: Path, terraplan_cli: Cli) -> None:
    rule_file = tmp_path / "inj.yaml"
    rule_file.write_text(
        "catch_all: pool\n"
        "territories:\n"
        '  - {id: t3, name: "Ｗest", type: geo}\n'
        '  - {id: t4, name: "West", type: geo}\n'
        "  - {id: pool, name: Pool, type: catch_all}\n"
        "rules:\n"
        "  - {id: r3, territory: t3, when: {field: state, op: in, value: [TX]}}\n"
        "  - {id: r4, territory: t4, when: {field: state, op: in, value: [WA]}}\n",
        encoding="utf-8",
    )
    result = terraplan_cli("rules", "check", str(rule_file))
    assert result.returncode in (0, 3), result.stderr
    said = " ".join(result.stderr.split())
    assert said.count("look the same") == 1, said
    assert "'Ｗest' (t3), 'West' (t4) look the same" in said


# --- U10 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("name: x\nrules: []\nbad: [unclosed\n", 3, "a list opened with [ is not closed"),
        ("name: x\nbad: {a: 1\n", 2, "a mapping opened with { is not closed"),
        ('name: x\nbad: "open\nrules: []\n', 2, 'a text opened with " is not closed'),
        ("name: x\nbad: 'open\n", 2, "a text opened with ' is not closed"),
        ("name:\n  a: 1\n b: 2\n", 3, "this is not indented like the lines above it"),
        ("name: a: b\n", 1, "a ':' is not allowed here"),
        ("name: x\n\trules: []\n", 2, "a tab is used here"),
        ("name: *nothing\n", 1, "*nothing refers to no anchor &nothing"),
        ("name: @x\n", 1, "a value cannot start with @"),
    ],
)
def test_a_yaml_syntax_error_is_one_sentence_at_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(RuleError) as caught:
        load_rule_set(text)
    message = caught.value.message
    assert message.startswith("rule set: not valid YAML: "), message
    assert words in message, message
    for dump in ("<unicode string>", "^", "while parsing", "while scanning", "\n"):
        assert dump not in message, message
    assert caught.value.details["line"] == line
    assert isinstance(caught.value.details["column"], int)
    assert error_position(text, caught.value) == (line, caught.value.details["column"])


def test_a_rule_files_yaml_error_names_the_file_and_line(
    tmp_path: Path, terraplan_cli: Cli
) -> None:
    rule_file = tmp_path / "bad.yaml"
    rule_file.write_text("catch_all: pool\nterritories:\n  - {id: a, name: A\n rules: [\n")
    result = terraplan_cli("rules", "check", str(rule_file))
    assert result.returncode == 3
    said = " ".join(result.stderr.split())
    assert said == (
        f"Error: {rule_file}, line 3: rule set: not valid YAML: a mapping opened with {{ is "
        "not closed: end it with } (and put a comma between its entries)"
    ), said
