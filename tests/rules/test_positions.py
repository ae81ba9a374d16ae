"""Rule errors placed at their line: the parser's path walked through the YAML text."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.errors import RuleError
from terraplan.rules import load_rule_set
from terraplan.rules.positions import element_position, error_position, path_tokens

TERRITORIES = "territories:\n  - {id: W, name: West}\n"


def _rule_lines(index: int, bad: bool) -> list[str]:
    op = "is" if bad else "equals"
    return [
        f"  - id: r{index}",
        "    territory: W",
        "    when:",
        "      field: state",
        f"      op: {op}",
        f"      value: S{index}",
    ]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), data=st.data(), blank=st.integers(0, 3))
def test_a_bad_operator_is_placed_on_its_own_line(n: int, data: st.DataObject, blank: int) -> None:
    bad = data.draw(st.integers(0, n - 1))
    lines = ["name: generated", TERRITORIES.rstrip("\n"), *[""] * blank, "rules:"]
    for i in range(n):
        lines += _rule_lines(i, i == bad)
    text = "\n".join(lines) + "\n"
    with pytest.raises(RuleError) as caught:
        load_rule_set(text)
    where = error_position(text, caught.value)
    assert where is not None
    line = text.splitlines()[where[0] - 1]
    assert line.strip() == "op: is", (caught.value.details, where)


def test_paths_syntax_errors_and_json() -> None:
    assert path_tokens("rules[3].when.any[1].value") == ["rules", 3, "when", "any", 1, "value"]
    # a path that goes further than the text: the deepest element found
    assert element_position("rules:\n  - id: a\n", "rules[0].when.all[2]") == (2, 5)
    with pytest.raises(RuleError) as caught:
        load_rule_set("name: x\nrules: [\n  {id: a\n")
    assert error_position("name: x\nrules: [\n  {id: a\n", caught.value) is not None
    text = json.dumps({"name": "x", "rules": [{"id": "a", "territory": "W"}]}, indent=1)
    with pytest.raises(RuleError) as caught:
        load_rule_set(text)
    where = error_position(text, caught.value)
    assert where is not None
    last = path_tokens(caught.value.details["path"])[-1]
    assert f'"{last}"' in text.splitlines()[where[0] - 1]
