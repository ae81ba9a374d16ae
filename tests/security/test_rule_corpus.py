"""Hostile rule files through ``terraplan rules save/check`` (the real entry point, in this
process): a wrong type at every path of a full rule set, bombs, binary files and regexes RE2
cannot run. Each exits 3 naming the rule path or the limit, with a short message, no
traceback, and no rule-set version stored (the database fingerprint is unchanged)."""

from __future__ import annotations

import copy
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from security_corpus import CliResult, assert_clean_refusal

pytestmark = pytest.mark.timeout(20)

#: Every feature of the rule language once (the README's example, plus named conditions).
BASE: dict[str, Any] = {
    "catch_all": "pool",
    "priority": ["named", "vertical", "segment", "geo", "catch_all"],
    "territories": [
        {"id": "key", "name": "Key Accounts", "type": "named"},
        {"id": "west-tech", "name": "West Tech", "type": "vertical"},
        {"id": "west", "name": "West", "type": "geo"},
        {"id": "spec", "name": "Health Specialists", "type": "overlay"},
        {"id": "pool", "name": "Unassigned", "type": "catch_all"},
    ],
    "conditions": {"techy": {"field": "industry", "op": "in", "value": ["Software", "SaaS"]}},
    "named_accounts": [{"territory": "key", "accounts": ["001A000001"]}],
    "rules": [
        {
            "id": "tech",
            "territory": "west-tech",
            "order": 1,
            "when": {
                "all": [
                    {"field": "postal_code", "op": "between", "value": [94000, 94999]},
                    {"use": "techy"},
                ]
            },
        },
        {
            "id": "west",
            "territory": "west",
            "when": {"field": "state", "op": "in", "value": ["CA", "OR", "WA"]},
        },
        {
            "id": "near",
            "territory": "west",
            "when": {
                "not": {
                    "field": "location",
                    "op": "within",
                    "value": {"lat": 37.7, "lon": -122.4, "km": 50},
                }
            },
        },
        {
            "id": "rx",
            "territory": "west",
            "when": {
                "any": [
                    {"field": "name", "op": "regex", "value": "^acme"},
                    {"field": "employees", "op": "gt", "value": 100},
                ]
            },
        },
    ],
    "exclusions": [
        {
            "territory": "west-tech",
            "when": {"field": "customer_type", "op": "equals", "value": "Partner"},
        }
    ],
    "overlays": [
        {
            "id": "health",
            "territory": "spec",
            "role": "specialist",
            "when": {"field": "industry", "op": "contains", "value": "health"},
        }
    ],
}

WRONG: dict[str, Any] = {
    "null": None,
    "int": 123,
    "bool": True,
    "list": [1, [2]],
    "dict": {"x": {"y": 1}},
    "long": "x" * 20_000,
    "nul": "\x00\x01",
}

#: (path, wrong value) pairs that are valid on purpose (the rule language allows them).
ALLOWED = {
    ("catch_all", "null"),  # no catch-all territory
    ("rules.0.order", "int"),
    ("rules.0.when.all.0.value.0", "int"),
    ("rules.2.when.not.value.lon", "int"),
    ("rules.2.when.not.value.km", "int"),
    ("rules.3.when.any.1.value", "int"),
}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _rendered(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _mutated(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return document


def _wrong_type_cases() -> list[Any]:
    cases = []
    rng = random.Random(15)
    names = list(WRONG)
    for path in _paths(BASE):
        dotted = ".".join(map(str, path))
        # two wrong values per path (the whole matrix is 7 x 100; two keep the corpus quick)
        for name in rng.sample(names, 2):
            if (dotted, name) in ALLOWED or (name in ("long", "nul") and _text_leaf(path)):
                continue
            cases.append(pytest.param(path, name, id=f"{dotted}={name}"))
    return cases


def _text_leaf(path: tuple[Any, ...]) -> bool:
    """Leaves where any text is a value (a name, an id, a compared value): no type error."""
    node: Any = BASE
    for part in path:
        node = node[part]
    return (
        isinstance(node, str)
        and path[-1] not in ("op", "territory", "type", "catch_all", "use", "field")
        and not (len(path) >= 2 and path[-2] == "priority")
    )


@pytest.mark.parametrize(("path", "wrong"), _wrong_type_cases())
def test_a_wrong_type_at_any_path_is_refused_naming_it(
    path: tuple[Any, ...], wrong: str, cli: Any, tmp_path: Path
) -> None:
    file = tmp_path / "rules.json"
    file.write_text(json.dumps(_mutated(path, WRONG[wrong])), encoding="utf-8")
    result: CliResult = cli("rules", "save", str(file), "--plan", "P")
    assert result.code == 3, result.stderr
    named = _rendered(path)
    message = " ".join(result.stderr.split())
    # the file (and, when it can be told, the line), then the rule path
    rest = re.sub(r"^, line \d+", "", message.removeprefix(f"Error: {file}"))
    assert rest.startswith(": "), message[:200]
    where = rest.removeprefix(": ").split(":")[0]
    assert named.startswith(where) or where.startswith(named), (named, message[:300])
    assert_clean_refusal(result.stderr, where, "rules.json")


# --- bombs, binaries, limits --------------------------------------------------------------------


def _alias_bomb(levels: int) -> str:
    lines = [
        "territories: [{id: w, name: West}]",
        "conditions:",
        "  c0: &a0 {field: industry, op: equals, value: x}",
    ]
    lines += [f"  c{i}: &a{i} {{any: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, levels + 1)]
    lines.append(f"rules: [{{id: r, territory: w, when: *a{levels}}}]")
    return "\n".join(lines)


def _use_chain(levels: int) -> str:
    lines = [
        "territories: [{id: w, name: West}]",
        "conditions:",
        "  c0: {field: industry, op: equals, value: x}",
    ]
    lines += [
        f"  c{i}: {{all: [{{use: c{i - 1}}}, {{use: c{i - 1}}}]}}" for i in range(1, levels + 1)
    ]
    lines.append(f"rules: [{{id: r, territory: w, when: {{use: c{levels}}}}}]")
    return "\n".join(lines)


def _regex(pattern: str) -> str:
    return json.dumps(
        {
            "territories": [{"id": "W", "name": "West"}],
            "rules": [
                {
                    "id": "r",
                    "territory": "W",
                    "when": {"field": "name", "op": "regex", "value": pattern},
                }
            ],
        }
    )


def _one_value(op: str, value: Any) -> str:
    return json.dumps(
        {
            "territories": [{"id": "W", "name": "West"}],
            "rules": [
                {"id": "r", "territory": "W", "when": {"field": "name", "op": op, "value": value}}
            ],
        }
    )


def _deep_when(levels: int) -> str:
    condition: Any = {"field": "name", "op": "equals", "value": "x"}
    for _ in range(levels):
        condition = {"not": condition}
    return json.dumps(
        {
            "territories": [{"id": "W", "name": "West"}],
            "rules": [{"id": "r", "territory": "W", "when": condition}],
        }
    )


GARBAGE = random.Random(15).randbytes(30_000)

BOMBS: list[tuple[str, bytes | str, tuple[str, ...]]] = [
    ("alias-bomb-24", _alias_bomb(24), ("2,000,000 elements",)),
    ("alias-bomb-40", _alias_bomb(40), ("2,000,000 elements",)),
    ("use-chain-24", _use_chain(24), ("rules[0]", "200,000 tests")),
    ("use-chain-60", _use_chain(60), ("rules[0]", "200,000 tests")),
    ("deep-yaml-lists", "rules: " + "[" * 200 + "]" * 200, ("64 levels",)),
    ("deep-yaml-flow-maps", "rules: " + "{a: " * 200 + "1" + "}" * 200, ("64 levels",)),
    ("deep-json", '{"rules": ' + "[" * 100_000 + "]" * 100_000 + "}", ("64 levels",)),
    ("deep-not-chain", _deep_when(100), ("64 levels",)),
    ("long-json-list", '{"rules": [' + ",".join(["1"] * 500_001) + "]}", ("rules", "100,000")),
    ("huge-contains", _one_value("contains", "x" * 1_000_000), ("rules[0].when.value", "10,000")),
    ("huge-equals", _one_value("equals", "y" * 200_000), ("rules[0].when.value", "10,000")),
    ("huge-in-list", _one_value("in", ["z" * 50_000]), ("rules[0].when.value", "10,000")),
    (
        "huge-field-name",
        json.dumps(
            {
                "territories": [{"id": "W"}],
                "rules": [
                    {
                        "id": "r",
                        "territory": "W",
                        "when": {"field": "f" * 1_000_000, "op": "equals", "value": "x"},
                    }
                ],
            }
        ),
        ("rules[0].when.field",),
    ),
    (
        "huge-rule-id",
        json.dumps(
            {"territories": [{"id": "W"}], "rules": [{"id": "i" * 100_000, "territory": "W"}]}
        ),
        ("rules[0].id", "80 characters"),
    ),
    (
        "huge-territory-name",
        json.dumps({"territories": [{"id": "W", "name": "n" * 100_000}], "rules": []}),
        ("territories[0].name",),
    ),
    (
        "huge-overlay-role",
        json.dumps(
            {
                "territories": [{"id": "W"}, {"id": "S", "type": "overlay"}],
                "overlays": [
                    {
                        "id": "o",
                        "territory": "S",
                        "role": "r" * 100_000,
                        "when": {"field": "name", "op": "is_empty"},
                    }
                ],
            }
        ),
        ("overlays[0].role",),
    ),
    ("regex-backreference", _regex("(a)\\1"), ("rules[0].when.value", "back-references")),
    ("regex-lookahead", _regex("(?=a)b"), ("rules[0].when.value", "look-arounds")),
    ("regex-lookbehind", _regex("(?<!a)b"), ("rules[0].when.value", "look-arounds")),
    ("regex-unclosed", _regex("(unclosed"), ("rules[0].when.value",)),
    ("regex-repeat-bomb", _regex("a{1000}{1000}"), ("rules[0].when.value",)),
    ("regex-too-long", _regex("a" * 1_001), ("rules[0].when.value", "1,000")),
    ("regex-named-group", _regex("(?P<x>a)"), ("rules[0].when.value",)),
    ("regex-not-text", _one_value("regex", ["(a+)+$"]), ("rules[0].when.value",)),
    ("between-reversed-types", _one_value("between", ["a", {"b": 1}]), ("rules[0].when",)),
    ("binary-file", GARBAGE, ("rules.yaml",)),
    ("nul-bytes", b"territories: []\n\x00\x00\x00", ("rules.yaml",)),
    ("latin1-file", "territories: [{id: w, name: Zürich}]\n".encode("latin-1"), ("rules.yaml",)),
    ("utf16-file", "territories: [{id: w, name: West}]\n".encode("utf-16"), ("rules.yaml",)),
    ("empty-file", b"", ("rules.yaml",)),
    ("only-a-scalar", "42\n", ("rules.yaml",)),
    ("a-list", "- a\n- b\n", ("rules.yaml",)),
    ("bad-yaml", "territories: [unclosed\n", ("rules.yaml",)),
    ("python-tag", "!!python/object/apply:os.system ['true']\n", ("rules.yaml",)),
    ("unknown-top-key", "territories: [{id: w}]\nrulez: []\n", ("rulez",)),
    ("unknown-operator", _one_value("matches_everything", "x"), ("rules[0].when.op",)),
    (
        "unknown-use",
        json.dumps(
            {
                "territories": [{"id": "W"}],
                "rules": [{"id": "r", "territory": "W", "when": {"use": "ghost"}}],
            }
        ),
        ("rules[0].when.use", "ghost"),
    ),
    (
        "cyclic-use",
        "territories: [{id: w}]\nconditions: {a: {use: b}, b: {use: a}}\nrules: [{id: r, territory: w, when: {use: a}}]\n",
        (),
    ),
    (
        "unknown-territory",
        json.dumps({"territories": [{"id": "W"}], "rules": [{"id": "r", "territory": "NOPE"}]}),
        ("rules[0].territory", "NOPE"),
    ),
    (
        "duplicate-rule-id",
        json.dumps(
            {
                "territories": [{"id": "W"}],
                "rules": [{"id": "r", "territory": "W"}, {"id": "r", "territory": "W"}],
            }
        ),
        ("rules[1].id", "duplicate"),
    ),
    (
        "duplicate-territory",
        json.dumps({"territories": [{"id": "W"}, {"id": "W"}], "rules": []}),
        ("territories[1]",),
    ),
    ("within-bad-latitude", _one_value("within", {"lat": 1e308, "lon": 0, "km": 5}), ()),
    (
        "within-negative-radius",
        json.dumps(
            {
                "territories": [{"id": "W"}],
                "rules": [
                    {
                        "id": "r",
                        "territory": "W",
                        "when": {
                            "field": "location",
                            "op": "within",
                            "value": {"lat": 1, "lon": 1, "km": -5},
                        },
                    }
                ],
            }
        ),
        ("rules[0].when.value",),
    ),
    (
        "nan-number",
        '{"territories": [{"id": "W"}], "rules": [{"id": "r", "territory": "W", "when": {"field": "employees", "op": "gt", "value": NaN}}]}',
        ("rules[0].when.value",),
    ),
    (
        "infinite-number",
        '{"territories": [{"id": "W"}], "rules": [{"id": "r", "territory": "W", "when": {"field": "employees", "op": "lt", "value": Infinity}}]}',
        ("rules[0].when.value",),
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), BOMBS, ids=[b[0] for b in BOMBS])
@pytest.mark.parametrize("command", ["check", "save"])
def test_hostile_rule_files_exit_3_fast_and_store_nothing(
    name: str,
    content: bytes | str,
    expected: tuple[str, ...],
    command: str,
    cli: Any,
    tmp_path: Path,
) -> None:
    file = tmp_path / "rules.yaml"
    file.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    started = time.perf_counter()
    result: CliResult = cli("rules", command, str(file), "--plan", "P")
    assert time.perf_counter() - started < 5
    assert result.code == 3, (result.code, result.stderr[:500])
    assert_clean_refusal(result.stderr, *expected)


@pytest.mark.parametrize(
    "target", ["folder", "missing", "link-to-folder"], ids=["folder", "missing", "link-to-folder"]
)
def test_rule_file_paths_that_are_not_files(target: str, cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    if target == "folder":
        path.mkdir()
    elif target == "link-to-folder":
        (tmp_path / "elsewhere").mkdir()
        path.symlink_to(tmp_path / "elsewhere")
    result: CliResult = cli("rules", "check", str(path))
    assert result.code == 3, result.stderr
    assert_clean_refusal(result.stderr, "rules.yaml")


def test_a_catastrophic_regex_is_checked_against_the_stored_records_at_once(
    cli: Any, tmp_path: Path
) -> None:
    """Not a refusal: RE2 runs ``(a+)+$`` in linear time, so the audit answers at once."""
    file = tmp_path / "rules.json"
    file.write_text(_regex("(a+)+$"), encoding="utf-8")
    started = time.perf_counter()
    result: CliResult = cli("rules", "check", str(file), "--plan", "P", "--format", "json")
    assert time.perf_counter() - started < 5
    assert result.code == 3, result.stderr  # the audit found gaps: exit 3, report printed
    assert json.loads(result.stdout)["accounts"]["gaps"] == 3
