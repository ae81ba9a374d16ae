"""Every command's help reads at 80 columns: no option's words cut with an ellipsis (Rich cuts
a word longer than the help column: `blend:history=0.6,pot…` hid the default method)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from typer.main import get_command
from typer.testing import CliRunner

from terraplan.cli.main import _register, app


def _commands(command: Any, path: list[str]) -> Iterator[list[str]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])
    else:
        yield path


def test_no_help_text_is_cut_at_80_columns() -> None:
    _register()
    runner = CliRunner()
    commands = list(_commands(get_command(app), []))
    assert len(commands) > 40  # every command, not only the top group
    cut: dict[str, list[str]] = {}
    for path in commands:
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert shown.exit_code == 0, (path, shown.output)
        lines = shown.output.splitlines()
        assert max(len(line) for line in lines) <= 80, path
        if bad := [line.strip() for line in lines if "…" in line]:
            cut[" ".join(path)] = bad
    assert cut == {}


def _options(command: Any) -> Iterator[tuple[str, Any]]:
    for param in command.params:
        yield command.name, param
    for sub in getattr(command, "commands", {}).values():
        yield from _options(sub)


def test_help_names_kinds_of_values_in_words_and_flags_take_none() -> None:
    """Typer showed `<bool>` after a flag (`--contiguous true` is then refused) and Python's
    type names (`<list[str]>`, `<str>`, `<float>`)."""
    from typer.core import TyperOption

    from terraplan.cli.help_types import plain_value_kinds

    _register()
    shown = {
        f"{name} {param.opts[0]}": param.metavar
        for name, param in _options(plain_value_kinds(get_command(app)))
        if isinstance(param, TyperOption)
    }
    assert shown["design --contiguous"] == ""
    assert shown["design --balance"] == "<text>"
    assert shown["design --territories"] == "<integer>"
    python_words = {k: v for k, v in shown.items() if re.search(r"list\[|<str|<float|<bool", v)}
    assert python_words == {}


def test_the_entry_point_shows_plain_kinds(run_cli: Any) -> None:
    done = run_cli("design", "--help", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if "--contiguous" in ln)
    assert "<bool>" not in line and "<" not in line
    assert "<text>" in done.stdout and "<str>" not in done.stdout.split("Options")[1]
