"""`terraplan rules check` on hostile rule files: a plain error, exit code 3, in seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _check(tmp_path: Path, content: bytes) -> tuple[subprocess.CompletedProcess[str], float]:
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_bytes(content)
    env = {
        **os.environ,
        "TERRAPLAN_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "COLUMNS": "200",
    }
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "terraplan", "rules", "check", str(rule_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    return result, time.perf_counter() - start


def _bomb() -> bytes:
    lines = [
        "territories: [{id: w, name: West}]",
        "conditions:",
        "  c0: &a0 {field: industry, op: equals, value: x}",
    ]
    lines += [f"  c{i}: &a{i} {{any: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, 25)]
    lines.append("rules: [{id: r, territory: w, when: *a24}]")
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (bytes(range(256)) * 8, "not a text rule file"),
        (b"\x00\x01rules: []", "NUL bytes"),
        (_bomb(), "expands to more than 2,000,000 elements"),
        (
            b"territories: [{id: w}]\nrules: [{id: r, territory: w, when: {field: name, op: regex, value: '(a)\\1'}}]",
            "rules[0].when",
        ),
        (b"", "the document is empty: a rule set needs territories and rules"),
        (
            b"territories:\n  - {id: west, name: West}\nrules:\n"
            b"  - {id: r1, territory: west, when: {field: state, op: equals, value: CA}}\n"
            b"  - {id: r2, territory: mountian, when: {field: state, op: equals, value: CO}}\n",
            "rules.yaml, line 5: rules[1].territory: unknown territory 'mountian'",
        ),
        (b"territories: 7\n", "'territories' must be a list, got the number 7"),
    ],
    ids=["binary", "nul", "alias-bomb", "backreference", "empty", "line", "in-words"],
)
def test_hostile_rule_files_exit_3_naming_the_file(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    result, seconds = _check(tmp_path, content)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    assert str(tmp_path / "rules.yaml") in result.stderr.replace("\n", "")
    # Rich wraps at spaces: compare with the line breaks read as the spaces they replaced
    assert " ".join(expected.split()) in " ".join(result.stderr.split())
    assert seconds < 30


def test_export_etm_to_an_existing_file_is_a_usage_error(tmp_path: Path) -> None:
    taken = tmp_path / "etm.csv"
    taken.write_text("keep me", encoding="utf-8")
    env = {**os.environ, "TERRAPLAN_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "terraplan",
            "rules",
            "export-etm",
            "--plan",
            "P",
            "--out",
            str(taken),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "is a file; give a folder" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert taken.read_text(encoding="utf-8") == "keep me"
